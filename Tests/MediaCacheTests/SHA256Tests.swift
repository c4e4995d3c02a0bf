import Dispatch
import Foundation
import NIOCore
import Testing
import TestSupport

@testable import MediaCache

/// SHA-256 is the content checksum of every entry: both engines must agree
/// with the standard's test vectors and with each other, however the bytes
/// are split, one stream or two at once, and through the hash service.
@Suite("SHA-256: engines, two lanes, the hash service")
struct SHA256Tests {
    /// FIPS 180-2 examples.
    static let vectors: [(message: [UInt8], digest: String)] = [
        ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        ([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    static func digest(_ bytes: [UInt8], extensions: Bool, pieces: [Int] = []) -> String {
        let hasher = SHA256Hasher(extensions: extensions)
        var start = 0
        for size in pieces where start < bytes.count {
            let end = min(bytes.count, start + size)
            bytes[start..<end].withUnsafeBytes { hasher.update($0) }
            start = end
        }
        bytes[start...].withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }

    static func randomBytes(_ count: Int, _ rng: inout some RandomNumberGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// A hash service whose queue is held until `body` resumes it, and `count` writers in a temp directory.
    static func withHeldService(
        writers count: Int, _ body: (HashService, DispatchQueue, [AtomicWriter]) throws -> Void
    ) async throws {
        try await withTempDir { dir in
            let queue = DispatchQueue(label: "test.sha256")
            queue.suspend()
            let fd = open(dir, O_RDONLY | O_DIRECTORY)
            defer { close(fd) }
            let writers = try (0..<count).map { try AtomicWriter(directory: fd, path: dir, target: "w\($0)", tag: "test") }
            defer { for writer in writers { writer.discard() } }
            try body(HashService(queue: queue), queue, writers)
        }
    }

    @Test("libcrypto: the standard's vectors, whole and in uneven pieces")
    func libraryVectors() {
        for (message, digest) in Self.vectors {
            #expect(Self.digest(message, extensions: false) == digest)
            #expect(Self.digest(message, extensions: false, pieces: [1, 63, 64, 65, 1000, 3]) == digest)
        }
    }

    @Test("SHA extensions: the standard's vectors, whole and in uneven pieces", .enabled(if: SHA256Hasher.hasExtensions))
    func extensionVectors() {
        for (message, digest) in Self.vectors {
            #expect(Self.digest(message, extensions: true) == digest)
            #expect(Self.digest(message, extensions: true, pieces: [1, 63, 64, 65, 1000, 3]) == digest)
        }
    }

    @Test("SHA extensions agree with libcrypto on random lengths and splits", .enabled(if: SHA256Hasher.hasExtensions))
    func enginesAgree() {
        var rng = SeededRandom(seed: 1)
        for _ in 0..<300 {
            let bytes = Self.randomBytes(Int.random(in: 0...5000, using: &rng), &rng)
            let pieces = (0..<Int.random(in: 0...6, using: &rng)).map { _ in Int.random(in: 0...300, using: &rng) }
            #expect(Self.digest(bytes, extensions: true, pieces: pieces) == Self.digest(bytes, extensions: false))
        }
    }

    @Test("two streams at once: each lane's digest is its own, whatever the lengths", .enabled(if: SHA256Hasher.hasExtensions))
    func twoLanes() {
        var rng = SeededRandom(seed: 2)
        for _ in 0..<200 {
            let a = Self.randomBytes(Int.random(in: 0...4000, using: &rng), &rng)
            let b = Self.randomBytes(Int.random(in: 0...4000, using: &rng), &rng)
            let first = SHA256Hasher(extensions: true)
            let second = SHA256Hasher(extensions: true)
            // A partial block in either lane first, then pieces of both together
            let leadA = Int.random(in: 0...min(a.count, 70), using: &rng)
            a[..<leadA].withUnsafeBytes { first.update($0) }
            var (i, j) = (leadA, 0)
            while i < a.count || j < b.count {
                let nextI = min(a.count, i + Int.random(in: 0...1500, using: &rng))
                let nextJ = min(b.count, j + Int.random(in: 0...1500, using: &rng))
                a[i..<nextI].withUnsafeBytes { pa in
                    b[j..<nextJ].withUnsafeBytes { pb in SHA256Hasher.update(first, pa, second, pb) }
                }
                (i, j) = (nextI, nextJ)
            }
            #expect(first.finalize() == Self.digest(a, extensions: false))
            #expect(second.finalize() == Self.digest(b, extensions: false))
        }
    }

    @Test("the hash service pairs batches of different writers in order; a lone batch waits for a partner or a drain")
    func hashServicePairsInOrder() async throws {
        try await Self.withHeldService(writers: 3) { service, queue, writers in
            // Given: a service whose queue is held, and three writers with batches queued on it
            var rng = SeededRandom(seed: 3)
            let batches = (0..<5).map { _ in Self.randomBytes(300 * 1024, &rng) }
            let plan = [(0, 0), (1, 1), (0, 2), (1, 3), (2, 4)]  // writer, batch: A1 B1 A2 B2 C1
            for (writer, batch) in plan {
                service.submit([ByteBuffer(bytes: batches[batch])], to: writers[writer].hash)
            }

            // When: the queue runs
            queue.resume()
            queue.sync {}

            // Then: A and B went in two pairs, and C waits for a partner …
            #expect(service.counts.withLock { $0 } == (alone: 0, paired: 4 * 300 * 1024))
            #expect(writers[2].hash.queued == 1)
            // … until its digest is wanted: then it goes alone
            for writer in writers { service.drain(writer.hash) }
            #expect(service.counts.withLock { $0 } == (alone: 300 * 1024, paired: 4 * 300 * 1024))
            #expect(writers.allSatisfy { $0.hash.queued == 0 })
            // And: every digest covers its own batches in order
            #expect(writers[0].finishHash() == Self.digest(batches[0] + batches[2], extensions: false))
            #expect(writers[1].finishHash() == Self.digest(batches[1] + batches[3], extensions: false))
            #expect(writers[2].finishHash() == Self.digest(batches[4], extensions: false))
        }
    }

    @Test("the hash service pairs batches of unequal lengths and buffers piece by piece, each writer's bytes in order")
    func hashServiceUnequalBatches() async throws {
        try await Self.withHeldService(writers: 3) { service, queue, writers in
            // Given: a held queue with A1 (300 KiB), B1 (700 KiB), A2 (500 KiB), B2 (260 KiB), C1 (1 MiB),
            // each in buffers of random sizes
            var rng = SeededRandom(seed: 4)
            let plan = [(0, 300), (1, 700), (0, 500), (1, 260), (2, 1024)].map { ($0.0, Self.randomBytes($0.1 * 1024, &rng)) }
            for (writer, bytes) in plan {
                // As received: buffers of uneven sizes, an empty one among them
                var buffers: [ByteBuffer] = [ByteBuffer()]
                var start = 0
                while start < bytes.count {
                    let end = min(bytes.count, start + Int.random(in: 1...(100 * 1024), using: &rng))
                    buffers.append(ByteBuffer(bytes: bytes[start..<end]))
                    start = end
                }
                service.submit(buffers, to: writers[writer].hash)
            }

            // When: the queue runs
            queue.resume()
            for writer in writers { service.drain(writer.hash) }

            // Then: every byte was hashed once, most of them in pairs, and each digest is its writer's bytes in order
            let counts = service.counts.withLock { $0 }
            #expect(counts.paired + counts.alone == plan.map(\.1.count).reduce(0, +))
            #expect(counts.paired > counts.alone)
            for (index, writer) in writers.enumerated() {
                let bytes = plan.filter { $0.0 == index }.flatMap(\.1)
                #expect(writer.finishHash() == Self.digest(bytes, extensions: false))
            }
        }
    }

    @Test("a writer at its limit of queued batches is hashed alone rather than left waiting")
    func hashServiceLimit() async throws {
        try await Self.withHeldService(writers: 1) { service, queue, writers in
            // Given: a held queue and one writer with as many batches queued as it may have
            let writer = writers[0]
            var rng = SeededRandom(seed: 5)
            let batches = (0..<StreamHash.limit).map { _ in Self.randomBytes(300 * 1024, &rng) }
            for batch in batches { service.submit([ByteBuffer(bytes: batch)], to: writer.hash) }

            // When: the queue runs, with no partner and no one draining
            queue.resume()
            queue.sync {}

            // Then: the oldest batch was hashed alone (so the writer's next write need not block), the last one waits
            #expect(service.counts.withLock { $0 } == (alone: 300 * 1024, paired: 0))
            #expect(writer.hash.queued == StreamHash.limit - 1)
            service.drain(writer.hash)
            #expect(writer.finishHash() == Self.digest(batches.flatMap { $0 }, extensions: false))
        }
    }
}

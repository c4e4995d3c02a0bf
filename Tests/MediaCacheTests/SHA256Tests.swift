import Dispatch
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

@testable import MediaCache

/// SHA-256 is the content checksum of every entry and the name of every
/// key: libcrypto's digests must match the standard's vectors however the
/// bytes are split, and the atomic writer's streamed hash must equal the
/// one-shot hash of the same bytes, whatever the writes.
@Suite("SHA-256: libcrypto, streamed and one-shot")
struct SHA256Tests {
    /// FIPS 180-2 examples.
    static let vectors: [(message: [UInt8], digest: String)] = [
        ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        ),
    ]

    /// The digest of `bytes` fed in pieces of the given sizes, then the rest.
    static func digest(_ bytes: [UInt8], pieces: [Int]) -> String {
        let hasher = SHA256Hasher()
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

    @Test("libcrypto: the standard's vectors, one-shot and in uneven pieces")
    func vectors() {
        for (message, digest) in Self.vectors {
            #expect(SHA256Hasher.hex(of: message) == digest)
            #expect(Self.digest(message, pieces: [1, 63, 64, 65, 1000, 3]) == digest)
        }
    }

    @Test("a hasher starts over after finalize")
    func startsOver() {
        let hasher = SHA256Hasher()
        hasher.update(Array("not this".utf8))
        _ = hasher.finalize()
        hasher.update(Array("abc".utf8))
        #expect(hasher.finalize() == Self.vectors[1].digest)
    }

    @Test("streamed equals one-shot on random lengths split at odd places, block edges included")
    func streamedEqualsOneShot() {
        var rng = SplitMix64(seed: 0x5348_4132_3536)
        // Lengths around the 64-byte block and the 56-byte padding edge, then random ones
        let edges = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 4095, 4096, 4097, 10_000, 65_535, 65_536]
        for round in 0..<300 {
            let count = round < edges.count ? edges[round] : Int.random(in: 0...5000, using: &rng)
            let bytes = Self.randomBytes(count, &rng)
            let pieces = (0..<Int.random(in: 0...8, using: &rng)).map { _ in Int.random(in: 0...300, using: &rng) }
            #expect(Self.digest(bytes, pieces: pieces) == SHA256Hasher.hex(of: bytes))
        }
    }

    @Test("the atomic writer's hash is the one-shot SHA-256 of what it wrote, through every kind of write")
    func writerHashesWhatItWrites() async throws {
        try await withTempDir { dir in
            // Given: a writer and random bytes, split into odd pieces
            let fd = open(dir, O_RDONLY | O_DIRECTORY)
            defer { close(fd) }
            var rng = SplitMix64(seed: 12)
            let bytes = Self.randomBytes(3 * 1024 * 1024 + 77, &rng)
            let writer = try AtomicWriter(directory: fd, path: dir, target: "entry", tag: "test")
            defer { writer.discard() }  // never committed

            // When: written as raw pieces, byte arrays and batches of received buffers (an empty one among them)
            var start = 0
            var kind = 0
            while start < bytes.count {
                let end = min(bytes.count, start + Int.random(in: 1...(700 * 1024), using: &rng))
                let slice = bytes[start..<end]
                switch kind % 3 {
                case 0: try slice.withUnsafeBytes { raw in try writer.write(raw) }
                case 1: try writer.write(Array(slice))
                default:
                    let cut = slice.startIndex + slice.count / 3
                    try writer.write([ByteBuffer(bytes: slice[..<cut]), ByteBuffer(), ByteBuffer(bytes: slice[cut...])])
                }
                start = end
                kind += 1
            }
            let streamed = writer.finishHash()
            try writer.commit()

            // Then: the digest is that of the whole, and the file holds the whole
            #expect(streamed == SHA256Hasher.hex(of: bytes))
            #expect(Files.read(dir + "/entry") == bytes)
        }
    }

    @Test("writers on several threads at once each hash their own stream")
    func parallelWriters() async throws {
        try await withTempDir { dir in
            let fd = open(dir, O_RDONLY | O_DIRECTORY)
            defer { close(fd) }
            // Given: four bodies of different sizes
            var rng = SplitMix64(seed: 4)
            let bodies = (0..<4).map { index in Self.randomBytes(1_000_000 + index * 123_457, &rng) }
            let writers = try (0..<4).map { try AtomicWriter(directory: fd, path: dir, target: "w\($0)", tag: "test") }
            defer { for writer in writers { writer.discard() } }  // never committed
            nonisolated(unsafe) let shared = writers  // each thread uses only its own writer

            // When: each is written in 256 KiB batches on its own thread, all at once
            let failures = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 4) { index in
                let body = bodies[index]
                do {
                    for start in stride(from: 0, to: body.count, by: 256 * 1024) {
                        try shared[index].write([ByteBuffer(bytes: body[start..<min(body.count, start + 256 * 1024)])])
                    }
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }

            // Then: every digest is its own body's
            #expect(failures.withLock { $0 } == 0)
            for (writer, body) in zip(writers, bodies) {
                #expect(writer.finishHash() == SHA256Hasher.hex(of: body))
                writer.discard()
            }
        }
    }
}

/// A seeded generator (SplitMix64), so a failing case comes back on the next run.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

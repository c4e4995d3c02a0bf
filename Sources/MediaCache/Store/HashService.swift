import Dispatch
import NIOCore
import Synchronization

/// Hashes the batches that writers hand over, in order for each writer and
/// two writers at a time where it can (`SHA256Hasher.update(_:_:_:_:)`).
///
/// A prewarm receives several downloads at once and writes each a 1 MiB
/// batch at a time on the thread pool. Hashing those batches in the write
/// itself runs one stream per core, which leaves the SHA unit mostly idle;
/// handing them to one serial queue lets batches of different downloads
/// that are waiting together be hashed together, for about 1.8 times the
/// throughput. The queue takes the oldest batch and the oldest of any other
/// writer, hashes both up to the shorter one's length, and puts what is left
/// back at the front of the line; a batch with no partner is hashed a slice
/// at a time, so one arriving meanwhile can still join it. So each writer's
/// bytes are hashed in the order written, never two pieces at once. When the
/// machine has CPU to spare, batches do not wait for each other and are
/// hashed alone, at once.
///
/// Each writer may have at most `WriterHashes.limit` batches waiting (so
/// memory stays flat when hashing falls behind), and waits for all of them
/// before it reads its digest.
final class HashService: Sendable {
    static let shared = HashService()

    /// A batch, or what is left of it to hash.
    private struct Batch: @unchecked Sendable {  // handed between threads only under `waiting`'s lock
        let writer: AtomicWriter
        var buffer: ByteBuffer
    }

    /// Part of a batch taken to be hashed now.
    private struct Piece {
        let writer: AtomicWriter
        let bytes: ByteBuffer
        /// Whether this is the end of its batch.
        let last: Bool
    }

    /// Bytes of a batch hashed alone before looking for a partner again.
    static let slice = 256 * 1024

    private let queue: DispatchQueue
    private let waiting = Mutex<[Batch]>([])

    /// A service hashing on `queue`, which must be serial (tests pass a suspended one).
    init(queue: DispatchQueue = DispatchQueue(label: "mediacache.sha256")) {
        self.queue = queue
    }

    /// Whether a buffer is worth queueing: only on the SHA extensions (the
    /// only engine with two lanes), and only a batch, not the small tail of
    /// a body, which the writer hashes at once rather than wait for a hop.
    static func takes(_ buffer: ByteBuffer) -> Bool {
        SHA256Hasher.hasExtensions && buffer.readableBytes >= slice
    }

    /// Bytes hashed alone and in pairs (tests and profiling read it).
    let counts = Mutex((alone: 0, paired: 0))

    /// Queues `buffer` to be hashed into `writer`'s hasher after everything it queued before.
    /// Blocks while the writer already has `WriterHashes.limit` batches waiting.
    func submit(_ buffer: ByteBuffer, for writer: AtomicWriter) {
        writer.hashes.reserve()
        waiting.withLock { $0.append(Batch(writer: writer, buffer: buffer)) }
        queue.async { self.hashNext() }
    }

    /// Hashes the next piece of the oldest waiting batch, with a piece of another writer's as long where there is one.
    private func hashNext() {
        let taken = waiting.withLock { batches -> (Piece, Piece?, more: Bool)? in
            guard !batches.isEmpty else { return nil }  // an earlier run took this one as a partner
            var first = batches.removeFirst()
            var second = batches.firstIndex { $0.writer !== first.writer }.map { batches.remove(at: $0) }
            let length = min(first.buffer.readableBytes, second?.buffer.readableBytes ?? Self.slice)
            var left: [Batch] = []
            func cut(_ batch: inout Batch) -> Piece {
                let bytes = batch.buffer.readSlice(length: min(length, batch.buffer.readableBytes))!
                if batch.buffer.readableBytes > 0 { left.append(batch) }
                return Piece(writer: batch.writer, bytes: bytes, last: batch.buffer.readableBytes == 0)
            }
            let one = cut(&first)
            let two = second.map { _ in cut(&second!) }
            batches.insert(contentsOf: left, at: 0)  // still the oldest of their writers
            return (one, two, !left.isEmpty)
        }
        guard let (first, second, more) = taken else { return }
        if more { queue.async { self.hashNext() } }
        first.bytes.withUnsafeReadableBytes { a in
            if let second {
                second.bytes.withUnsafeReadableBytes { b in SHA256Hasher.update(first.writer.hasher, a, second.writer.hasher, b) }
            } else {
                first.writer.hasher.update(a)
            }
        }
        counts.withLock { counts in
            if let second {
                counts.paired += first.bytes.readableBytes + second.bytes.readableBytes
            } else {
                counts.alone += first.bytes.readableBytes
            }
        }
        if first.last { first.writer.hashes.release() }
        if let second, second.last { second.writer.hashes.release() }
    }
}

/// One writer's batches waiting in the `HashService`.
final class WriterHashes: Sendable {
    /// Batches one writer may have waiting.
    static let limit = 2

    private let slots = DispatchSemaphore(value: limit)

    func reserve() { slots.wait() }
    func release() { slots.signal() }

    /// Returns once every batch the writer queued has been hashed.
    func drain() {
        for _ in 0..<Self.limit { slots.wait() }
        for _ in 0..<Self.limit { slots.signal() }
    }
}

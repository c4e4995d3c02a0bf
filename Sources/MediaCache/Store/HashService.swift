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
/// throughput. The queue takes the oldest batch, plus the oldest one of any
/// other writer; so each writer's batches are hashed in the order written,
/// never two of them at once. When the machine has CPU to spare, batches do
/// not wait for each other and are hashed one at a time, at once.
///
/// Each writer may have at most `WriterHashes.limit` batches waiting (so
/// memory stays flat when hashing falls behind), and waits for all of them
/// before it reads its digest.
final class HashService: Sendable {
    static let shared = HashService()

    private struct Batch: @unchecked Sendable {  // handed between threads only under `waiting`'s lock
        let writer: AtomicWriter
        let buffer: ByteBuffer
    }

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
        SHA256Hasher.hasExtensions && buffer.readableBytes >= 256 * 1024
    }

    /// How many batches were hashed alone and in pairs (tests and profiling read it).
    let counts = Mutex((alone: 0, paired: 0))

    /// Queues `buffer` to be hashed into `writer`'s hasher after everything it queued before.
    /// Blocks while the writer already has `WriterHashes.limit` batches waiting.
    func submit(_ buffer: ByteBuffer, for writer: AtomicWriter) {
        writer.hashes.reserve()
        waiting.withLock { $0.append(Batch(writer: writer, buffer: buffer)) }
        queue.async { self.hashNext() }
    }

    /// Hashes the oldest waiting batch, together with the oldest of another writer if there is one.
    private func hashNext() {
        let (first, second) = waiting.withLock { batches -> (Batch?, Batch?) in
            guard !batches.isEmpty else { return (nil, nil) }  // an earlier run took this one as a partner
            let first = batches.removeFirst()
            let partner = batches.firstIndex { $0.writer !== first.writer }.map { batches.remove(at: $0) }
            return (first, partner)
        }
        guard let first else { return }
        first.buffer.withUnsafeReadableBytes { a in
            if let second {
                second.buffer.withUnsafeReadableBytes { b in SHA256Hasher.update(first.writer.hasher, a, second.writer.hasher, b) }
            } else {
                first.writer.hasher.update(a)
            }
        }
        counts.withLock { second == nil ? ($0.alone += 1) : ($0.paired += 2) }
        first.writer.hashes.release()
        second?.writer.hashes.release()
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

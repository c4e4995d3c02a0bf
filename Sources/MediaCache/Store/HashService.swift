import Dispatch
import NIOCore
import Synchronization

/// Hashes the batches that writers hand over, in order for each writer and
/// two writers at a time where it can (`SHA256Hasher.update(_:_:_:_:)`).
///
/// A prewarm receives several downloads at once and writes each a batch
/// (about 1 MiB of received buffers) at a time on the thread pool. Hashing those batches in the write
/// itself runs one stream per core, which leaves the SHA unit mostly idle;
/// handing them to one serial queue lets batches of different downloads
/// that are waiting together be hashed together, for about 1.8 times the
/// throughput. The queue takes the front of the oldest batch and of the
/// oldest of any other writer, hashes both up to the shorter one's length
/// (at most one received buffer), and puts what is left back at the front of
/// the line; so a batch with no partner is hashed a piece at a time, and one
/// arriving meanwhile can still join it. So each writer's
/// bytes are hashed in the order written, never two pieces at once. When the
/// machine has CPU to spare, batches do not wait for each other and are
/// hashed alone, at once.
///
/// Each writer may have at most `WriterHashes.limit` batches waiting (so
/// memory stays flat when hashing falls behind), and waits for all of them
/// before it reads its digest.
final class HashService: Sendable {
    static let shared = HashService()

    /// A batch (the buffers of one write, as received), or what is left of it to hash.
    private struct Batch: @unchecked Sendable {  // handed between threads only under `waiting`'s lock
        let writer: AtomicWriter
        var buffers: [ByteBuffer]
        /// The first buffer not hashed to its end.
        var next = 0

        /// Takes up to `length` bytes from the front, as one contiguous piece.
        mutating func cut(_ length: Int) -> Piece {
            let bytes = buffers[next].readSlice(length: min(length, buffers[next].readableBytes))!
            if buffers[next].readableBytes == 0 {
                buffers[next] = ByteBuffer()  // let the received buffer go as soon as it is hashed
                next += 1
            }
            return Piece(writer: writer, bytes: bytes, last: next == buffers.count)
        }

        var front: Int { buffers[next].readableBytes }
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

    /// Whether a write of `bytes` is worth queueing: only on the SHA
    /// extensions (the only engine with two lanes), and only a batch, not
    /// the small tail of a body, which the writer hashes at once rather than
    /// wait for a hop.
    static func takes(bytes: Int) -> Bool {
        SHA256Hasher.hasExtensions && bytes >= slice
    }

    /// Bytes hashed alone and in pairs (tests and profiling read it).
    let counts = Mutex((alone: 0, paired: 0))

    /// Queues `buffers` to be hashed into `writer`'s hasher after everything it queued before.
    /// Blocks while the writer already has `WriterHashes.limit` batches waiting.
    func submit(_ buffers: [ByteBuffer], for writer: AtomicWriter) {
        let buffers = buffers.filter { $0.readableBytes > 0 }
        guard !buffers.isEmpty else { return }
        writer.hashes.reserve()
        waiting.withLock { $0.append(Batch(writer: writer, buffers: buffers)) }
        queue.async { self.hashWaiting() }
    }

    /// Hashes until nothing waits: each time the front of the oldest batch,
    /// with as much of the oldest of another writer's where there is one.
    private func hashWaiting() {
        while let (first, second) = takePieces() {
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

    /// The next piece to hash, and one of another writer to hash with it; what is left stays first in line.
    private func takePieces() -> (Piece, Piece?)? {
        waiting.withLock { batches -> (Piece, Piece?)? in
            guard !batches.isEmpty else { return nil }
            var first = batches.removeFirst()
            var second = batches.firstIndex { $0.writer !== first.writer }.map { batches.remove(at: $0) }
            let length = min(first.front, second?.front ?? Self.slice)
            let pieces = (first.cut(length), second?.cut(length))
            // Back at the front: still the oldest bytes of their writers.
            batches.insert(contentsOf: [first, second].compactMap { $0 }.filter { $0.next < $0.buffers.count }, at: 0)
            return pieces
        }
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

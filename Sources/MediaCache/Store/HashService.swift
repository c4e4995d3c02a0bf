import Dispatch
import NIOCore
import Synchronization

/// Hashes the batches that writers hand over, in order for each writer and
/// two writers at a time (`SHA256Hasher.update(_:_:_:_:)`).
///
/// A prewarm receives several downloads at once and writes each a batch
/// (about 512 KiB of received buffers) at a time on the thread pool. Hashing
/// a batch in its write runs one stream per core, which leaves the SHA unit
/// idle half the time; handing the batches to one serial queue lets batches
/// of two downloads be hashed together, for about 1.8 times the throughput.
///
/// The queue takes the front of the oldest batch and of the oldest batch of
/// another writer, hashes both up to the shorter one's length (a piece never
/// spans two received buffers), and puts what is left back at the front of
/// the line. So each writer's bytes are hashed in the order written, never
/// two pieces of one writer at once. A batch with no partner waits for the
/// next one to arrive, of whatever writer, unless its writer cannot wait:
/// it has `StreamHash.limit` batches queued (its next write would block),
/// or someone wants its digest (`drain`). Then it is hashed alone, a piece at
/// a time, so that a batch arriving meanwhile still joins it.
///
/// One queue hashes on one core; a process has one per two cores
/// (`pool`), and each stream is given one of them in turn, so hashing
/// scales with the machine as it did when every write hashed its own batch.
final class HashService: Sendable {
    /// The queues of this process: one per two cores.
    static let pool: [HashService] = (0..<max(1, System.coreCount / 2)).map { _ in HashService() }
    private static let turn = Atomic(0)

    /// The queue for the next stream, in turn.
    static func next() -> HashService {
        pool[turn.wrappingAdd(1, ordering: .relaxed).oldValue % pool.count]
    }

    /// A batch (the buffers of one write, as received), or what is left of it to hash.
    private struct Batch: @unchecked Sendable {  // handed between threads only under `state`'s lock
        let stream: StreamHash
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
            return Piece(stream: stream, bytes: bytes, last: next == buffers.count)
        }

        var front: Int { buffers[next].readableBytes }
        var done: Bool { next == buffers.count }
    }

    /// Part of a batch taken to be hashed now.
    private struct Piece {
        let stream: StreamHash
        let bytes: ByteBuffer
        /// Whether this is the end of its batch.
        let last: Bool
    }

    private struct State: @unchecked Sendable {  // see Batch
        var batches: [Batch] = []
        /// Streams someone waits on in `drain`: hashed without waiting for a partner.
        var draining: Set<ObjectIdentifier> = []
    }

    private let queue: DispatchQueue
    private let state = Mutex(State())

    /// A service hashing on `queue`, which must be serial (tests pass a suspended one).
    init(queue: DispatchQueue = DispatchQueue(label: "mediacache.sha256")) {
        self.queue = queue
    }

    /// Whether a write of `bytes` is worth queueing: only on the SHA
    /// extensions (the only engine with two lanes), and only a batch, not
    /// the small tail of a body, which the writer hashes at once rather than
    /// wait for a hop.
    static func takes(bytes: Int) -> Bool {
        SHA256Hasher.hasExtensions && bytes >= 256 * 1024
    }

    /// Bytes hashed alone and in pairs (tests and profiling read it).
    let counts = Mutex((alone: 0, paired: 0))

    /// Queues `buffers` to be hashed into `stream` after everything it queued before.
    /// Blocks while the stream already has `StreamHash.limit` batches queued.
    func submit(_ buffers: [ByteBuffer], to stream: StreamHash) {
        let buffers = buffers.filter { $0.readableBytes > 0 }
        guard !buffers.isEmpty else { return }
        stream.reserve()
        state.withLock { $0.batches.append(Batch(stream: stream, buffers: buffers)) }
        queue.async { self.hashWaiting() }
    }

    /// Returns once everything `stream` queued here is hashed.
    func drain(_ stream: StreamHash) {
        guard stream.queued > 0 else { return }
        let id = ObjectIdentifier(stream)
        state.withLock { _ = $0.draining.insert(id) }
        queue.async { self.hashWaiting() }
        stream.waitForAll()
        state.withLock { _ = $0.draining.remove(id) }
    }

    /// Hashes while there is a pair to hash, or a batch that cannot wait.
    private func hashWaiting() {
        while let (first, second) = takePieces() {
            first.bytes.withUnsafeReadableBytes { a in
                if let second {
                    second.bytes.withUnsafeReadableBytes { b in SHA256Hasher.update(first.stream.hasher, a, second.stream.hasher, b) }
                } else {
                    first.stream.hasher.update(a)
                }
            }
            counts.withLock { counts in
                if let second {
                    counts.paired += first.bytes.readableBytes + second.bytes.readableBytes
                } else {
                    counts.alone += first.bytes.readableBytes
                }
            }
            if first.last { first.stream.release() }
            if let second, second.last { second.stream.release() }
        }
    }

    /// The next piece to hash and one of another writer to hash with it,
    /// or a piece alone if its writer cannot wait; nil if nothing is to be
    /// hashed now. What is left stays first in line.
    private func takePieces() -> (Piece, Piece?)? {
        state.withLock { state -> (Piece, Piece?)? in
            guard var first = state.batches.first else { return nil }
            if let index = state.batches.firstIndex(where: { $0.stream !== first.stream }) {
                var second = state.batches.remove(at: index)
                state.batches.removeFirst()
                let length = min(first.front, second.front)
                let pieces = (first.cut(length), second.cut(length))
                // Back at the front: still the oldest bytes of their writers.
                state.batches.insert(contentsOf: [first, second].filter { !$0.done }, at: 0)
                return pieces
            }
            // Only this stream has bytes queued (all of `batches` is its).
            let cannotWait = state.batches.count >= StreamHash.limit || state.draining.contains(ObjectIdentifier(first.stream))
            guard cannotWait else { return nil }
            let piece = first.cut(first.front)
            if first.done { state.batches.removeFirst() } else { state.batches[0] = first }
            return (piece, nil)
        }
    }
}

/// One stream's hash: its hasher, and its batches queued on its `HashService`.
///
/// The queue holds this, not the writer, so a writer dropped without
/// `commit` is freed (and deletes its temp file) even while a batch of it
/// waits: its `discard` drains them.
final class StreamHash: @unchecked Sendable {  // the hasher is used by one thread at a time: the queue, or the writer after `drain`
    /// Batches one stream may have queued.
    static let limit = 2

    let hasher = SHA256Hasher()
    /// The queue this stream's batches go to.
    let service: HashService
    private let slots = DispatchSemaphore(value: limit)
    private let count = Atomic(0)

    init(service: HashService = HashService.next()) {
        self.service = service
    }

    /// Batches queued and not yet hashed.
    var queued: Int { count.load(ordering: .acquiring) }

    func reserve() {
        slots.wait()
        count.add(1, ordering: .relaxed)
    }

    func release() {
        count.subtract(1, ordering: .releasing)
        slots.signal()
    }

    /// Blocks until every queued batch has been hashed.
    func waitForAll() {
        for _ in 0..<Self.limit { slots.wait() }
        for _ in 0..<Self.limit { slots.signal() }
    }
}

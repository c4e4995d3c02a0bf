import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// A response as `send` received it: the head, and the body when it was kept.
struct ReceivedResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    /// A 2xx body within the size limit; nil for any other, which was read and dropped.
    var body: ReceivedBody?
}

/// Receives one response on its connection's event loop: the head, and a
/// 2xx body in batches of `Fetcher.writeBatch`, each written to the entry's
/// temp file on the thread pool straight from the event loop. Any other
/// body is read and dropped (up to 256 KiB, then the connection is closed),
/// so the connection can be reused.
///
/// Why a delegate, not the async response body: the fetch task then wakes
/// once per response, not once for the head and again for every piece of
/// the body, and the event loop once per request, not for every piece's
/// demand. Each wake-up is a context switch, and a small prewarm made about
/// six of them per URL (bench/FINDINGS.md); with this, a body that fits in
/// one batch costs no thread-pool job until the one that publishes it.
final class ResponseReceiver: HTTPClientResponseDelegate, Sendable {
    typealias Response = ReceivedResponse

    private struct State {
        var head: HTTPResponseHead?
        var keep = false
        var total: Int64 = 0
        var pending: [ByteBuffer] = []
        var pendingBytes = 0
        /// The temp file, once a batch has been written to it.
        var written: Handoff<AtomicWriter>?
        /// The last batch handed to the thread pool (never more than one at a
        /// time: the next piece is not delivered until it is written).
        var writing: EventLoopFuture<Void>?
    }

    /// Ends the reading of a body that is dropped, once it is past the cap.
    private struct DroppedEnough: Error {}

    /// How much of a dropped body is read before the connection is closed instead.
    static let dropLimit = 256 * 1024

    private let fetcher: Fetcher
    private let url: String
    private let key: CacheKey
    /// Changed on the event loop only; locked so that `failure` may read it from the fetch task.
    private let state = NIOLockedValueBox(State())

    init(fetcher: Fetcher, url: String, key: CacheKey) {
        self.fetcher = fetcher
        self.url = url
        self.key = key
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        let length = head.headers.first(name: "content-length").flatMap { Int64($0) }
        let tooLarge = fetcher.settings.maxBytes.map { limit in length.map { $0 > limit } ?? false } ?? false
        let keep = (200...299).contains(head.status.code) && !tooLarge
        if keep, let length { fetcher.announced.withLockedValue { $0 = ($0.bodies + 1, $0.bytes + length) } }
        state.withLockedValue { state in
            state.head = head
            state.keep = keep
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let count = buffer.readableBytes
        let (kept, step) = state.withLockedValue { state -> (Bool, BodyStep) in
            state.total += Int64(count)
            guard state.keep else { return (false, state.total > Self.dropLimit ? .stop(DroppedEnough()) : .next) }
            if let limit = fetcher.settings.maxBytes, state.total > limit {
                let status = Int(state.head?.status.code ?? 200)
                return (
                    true, .stop(AttemptFailure(error: .bodyTooLarge(url: url, limit: limit), retryable: false, status: status))
                )
            }
            Fetcher.append(buffer, to: &state.pending)
            state.pendingBytes += count
            guard state.pendingBytes >= Fetcher.writeBatch else { return (true, .next) }
            defer {
                state.pending = []
                state.pendingBytes = 0
            }
            return (true, .write(state.pending))
        }
        if kept { fetcher.progress.withLockedValue { $0 += Int64(count) } }
        switch step {
        case .next: return task.eventLoop.makeSucceededVoidFuture()
        case .stop(let error): return task.eventLoop.makeFailedFuture(error)
        case .write(let batch): return write(batch, on: task.eventLoop)
        }
    }

    private enum BodyStep {
        case next
        case stop(any Error)
        case write([ByteBuffer])
    }

    /// Writes a batch on the thread pool, creating the temp file with the first one.
    private func write(_ batch: [ByteBuffer], on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let previous = state.withLockedValue { $0.written }
        let store = fetcher.store
        let key = key
        let writing = fetcher.threadPool.runIfActive(eventLoop: eventLoop) {
            let writer = try previous ?? Handoff(store.beginEntry(key))
            try writer.value.write(batch)
            return writer
        }.map { [state] writer in
            state.withLockedValue { $0.written = writer }
        }
        state.withLockedValue { $0.writing = writing }
        return writing
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> ReceivedResponse {
        try state.withLockedValue { state in
            guard let head = state.head else { throw HTTPClientError.remoteConnectionClosed }  // no head: cannot happen
            let body = state.keep ? ReceivedBody(written: state.written, tail: state.pending, transferred: state.total) : nil
            return ReceivedResponse(status: Int(head.status.code), headers: head.headers, body: body)
        }
    }

    /// What a failed execution means, after any batch being written has
    /// been and the temp file is deleted: the response after all, when only
    /// a dropped body failed (as if it had been read whole), or why the
    /// attempt failed.
    func failure(_ error: any Error) async -> Result<ReceivedResponse, AttemptFailure> {
        let (head, keep, total, writing) = state.withLockedValue { ($0.head, $0.keep, $0.total, $0.writing) }
        guard let head else {
            return .failure(
                AttemptFailure(error: .transfer(url: url, reason: Fetcher.describe(error)), retryable: Fetcher.isRetryable(error))
            )
        }
        let status = Int(head.status.code)
        guard keep else { return .success(ReceivedResponse(status: status, headers: head.headers, body: nil)) }
        _ = try? await writing?.get()
        // Deleting the temp file is disk work.
        if let written = state.withLockedValue({ $0.written }) { try? await fetcher.offload { written.value.discard() } }
        switch error {
        case let error as AttemptFailure:
            return .failure(error)
        case let error as MediaCacheError:
            return .failure(AttemptFailure(error: error, retryable: false, status: status))
        default:
            return .failure(
                AttemptFailure(
                    error: .transfer(url: url, reason: "transfer cut off after \(total) bytes: \(Fetcher.describe(error))"),
                    retryable: true, status: status))
        }
    }
}

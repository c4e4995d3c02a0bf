import AsyncHTTPClient
import NIOCore
import NIOHTTP1

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A complete 2xx body: the part already in a temp file (none for a small
/// body) and the last bytes, written together with the commit.
struct ReceivedBody: Sendable {
    var written: Handoff<AtomicWriter>?
    var tail: [ByteBuffer]
    var transferred: Int64
}

/// How one attempt at a URL ended, when it did not fail.
enum AttemptResult {
    /// A 2xx body, received whole, not yet published.
    case body(ReceivedBody, Validators, status: Int)
    /// 304 to a conditional request.
    case notModified(Validators)
}

/// Response headers worth keeping.
struct Validators: Sendable {
    var contentType: String?
    var etag: String?
    var lastModified: String?

    init(_ headers: HTTPHeaders) {
        contentType = headers.first(name: "content-type")
        etag = headers.first(name: "etag")
        lastModified = headers.first(name: "last-modified")
    }
}

/// Why an attempt failed, and whether another may succeed.
struct AttemptFailure: Error {
    var error: MediaCacheError
    var retryable: Bool
    var retryAfter: Double?
    var status: Int?
}

extension Fetcher {
    /// Bytes received before each hop to the thread pool to write them: two
    /// reads' worth (`maxRead`). Larger batches keep more memory in flight
    /// (eight 64 MiB downloads peaked 11 MiB higher with 1 MiB batches) for
    /// no speed.
    static let writeBatch = 2 * maxRead

    /// One attempt: follows redirects by hand (so `--allow-domain` and loop
    /// detection apply to every hop), and streams a 2xx body into a temp file.
    func attempt(_ url: String, key: CacheKey, conditional: EntryMetadata?) async throws(AttemptFailure) -> AttemptResult {
        let deadline = settings.timeout.map { NIODeadline.now() + .milliseconds(Int64($0 * 1000)) } ?? .distantFuture
        var current = url
        var visited: Set<String> = [url]
        var hops = 0
        while true {
            // Every body but a 2xx within the size limit has been read and dropped by now.
            let response = try await send(current, original: url, key: key, conditional: conditional, deadline: deadline)
            let status = response.status
            if (300...399).contains(status) && status != 304, let location = response.headers.first(name: "location") {
                guard settings.followRedirects else {
                    throw AttemptFailure(
                        error: .redirect(url: url, reason: "HTTP \(status) redirect to \(location) refused (--no-redirects)"),
                        retryable: false)
                }
                guard let next = Self.resolve(location, against: current) else {
                    throw AttemptFailure(
                        error: .redirect(url: url, reason: "redirect to an invalid location \(location)"), retryable: false)
                }
                guard visited.insert(next).inserted else {
                    throw AttemptFailure(error: .redirect(url: url, reason: "redirect loop at \(next)"), retryable: false)
                }
                hops += 1
                guard hops <= settings.maxRedirects else {
                    throw AttemptFailure(
                        error: .redirect(url: url, reason: "more than \(settings.maxRedirects) redirects"), retryable: false)
                }
                current = next
                continue
            }
            if status == 304 && conditional != nil {
                return .notModified(Validators(response.headers))
            }
            guard (200...299).contains(status) else {
                let retryAfter = RetryPolicy.parseRetryAfter(response.headers.first(name: "retry-after"), now: Posix.now())
                throw AttemptFailure(
                    error: .httpStatus(url: url, status: status), retryable: RetryPolicy.isRetryable(status: status),
                    retryAfter: retryAfter, status: status)
            }
            guard let body = response.body else {
                // Dropped unread: its Content-Length is over the limit (see `ResponseReceiver`).
                throw AttemptFailure(
                    error: .bodyTooLarge(url: url, limit: settings.maxBytes ?? 0), retryable: false, status: status)
            }
            return .body(body, Validators(response.headers), status: status)
        }
    }

    /// Sends one request and receives its response through a `ResponseReceiver`.
    private func send(_ target: String, original: String, key: CacheKey, conditional: EntryMetadata?, deadline: NIODeadline)
        async throws(AttemptFailure) -> ReceivedResponse
    {
        guard let host = URLCheck.host(of: target), settings.allows(host: host) else {
            throw AttemptFailure(
                error: .hostNotAllowed(url: original, host: URLCheck.host(of: target) ?? target), retryable: false)
        }
        var headers = HTTPHeaders()
        headers.add(name: "User-Agent", value: settings.userAgent)
        if let conditional {
            if let etag = conditional.etag { headers.add(name: "If-None-Match", value: etag) }
            if let lastModified = conditional.lastModified { headers.add(name: "If-Modified-Since", value: lastModified) }
        }
        let receiver = ResponseReceiver(fetcher: self, url: original, key: key)
        let result: Result<ReceivedResponse, AttemptFailure>
        do {
            let request = try HTTPClient.Request(url: RequestTarget.of(target), method: .GET, headers: headers)
            let task = client.execute(request: request, delegate: receiver, eventLoop: .indifferent, deadline: deadline)
            result = .success(
                try await withTaskCancellationHandler {
                    try await task.futureResult.get()
                } onCancel: {
                    task.cancel()
                })
        } catch {
            result = await receiver.failure(error)
        }
        return try result.get()
    }

    /// Adds a received buffer to a batch. One that is small, or small beside
    /// the read buffer it is a slice of, is copied into a buffer of the
    /// batch's own: the slice would keep that whole read buffer (up to
    /// `maxRead`) alive, and a slow origin sending many small pieces would
    /// pin far more memory than the batch holds.
    static func append(_ chunk: ByteBuffer, to batch: inout [ByteBuffer]) {
        let small = 16 * 1024
        guard chunk.readableBytes < small || chunk.readableBytes * 4 < chunk.storageCapacity else {
            batch.append(chunk)
            return
        }
        if let last = batch.indices.last, batch[last].capacity == 4 * small,
            batch[last].writableBytes >= chunk.readableBytes
        {
            batch[last].writeImmutableBuffer(chunk)
        } else {
            var copy = ByteBufferAllocator().buffer(capacity: max(4 * small, chunk.readableBytes))
            copy.writeImmutableBuffer(chunk)
            batch.append(copy)
        }
    }

    static func resolve(_ location: String, against base: String) -> String? {
        guard let baseURL = URL(string: RequestTarget.of(base)),
            let next = URL(string: location, relativeTo: baseURL)?.absoluteString,
            (try? URLCheck.validate(next)) != nil
        else { return nil }
        return next
    }

    static func mediaError(_ error: any Error, url: String) -> MediaCacheError {
        (error as? MediaCacheError) ?? .transfer(url: url, reason: describe(error))
    }

    static func isRetryable(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return ![HTTPClientError.invalidURL, .emptyHost, .emptyScheme, .cancelled, .alreadyShutdown].contains(error)
        }
        return true
    }

    /// A short, human description of a transport error.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connection timed out"
            case .readTimeout: return "timed out waiting for data"
            case .deadlineExceeded: return "took longer than --timeout"
            case .remoteConnectionClosed: return "connection closed by the server"
            default: break
            }
        }
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return "connection refused"
        }
        if text.contains("invalidEOFState") || text.contains("bodyLengthMismatch") {
            return "connection closed before the whole body arrived"
        }
        return text
    }
}

import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Something a level wants the user told (the library itself never prints).
public enum RemoteEvent: Sendable {
    /// A server of `level` failed and is skipped for the rest of the run.
    case disabled(level: String, server: String, reason: String)
}

/// Why a request to a level failed.
enum RemoteFailure: Error {
    case timeout(String)
    /// No answer: the connection failed or broke.
    case error(String)
    /// An answer, but not one the request wanted (5xx, 401, 507, ...).
    case refused(String)
    case corrupt(String)

    var reason: String {
        switch self {
        case .timeout(let text), .error(let text), .refused(let text), .corrupt(let text): return text
        }
    }
}

/// One level of the shared tier: a client for one HTTP storage (or one set
/// of shards), with its own connection pool, timeouts and counters.
///
/// A level may make a run slower, never broken: every failure is caught
/// here, counted, and turns the server off for the rest of the run (the
/// first failure, once, as an event); the caller then goes on to the next
/// level or the origin. A dead server therefore costs one timeout per run.
/// With shards, each server is turned off alone.
final class RemoteLevel: Sendable {
    let spec: RemoteSpec
    let name: String
    let client: HTTPClient
    let headers: HTTPHeaders
    let signingKey: [UInt8]?
    let counts = NIOLockedValueBox(RemoteCounters())
    private let disabled = NIOLockedValueBox<Set<String>>([])
    /// Servers turned off that still answer (a refusal or bad bytes, not a
    /// timeout or a broken connection): claims on them are still let go.
    private let answering = NIOLockedValueBox<Set<String>>([])
    /// Per server: whether it makes claims (`MKCOL`), once asked.
    let claimSupport = NIOLockedValueBox<[String: Bool]>([:])
    private let onEvent: @Sendable (RemoteEvent) -> Void

    init(
        spec: RemoteSpec, signingKey: [UInt8]?, environment: [String: String], jobs: Int,
        onEvent: @escaping @Sendable (RemoteEvent) -> Void
    ) throws(MediaCacheError) {
        self.spec = spec
        name = spec.name
        self.onEvent = onEvent
        var headers = HTTPHeaders()
        headers.add(name: "User-Agent", value: "mediacache/0.1")
        for header in spec.headers { headers.add(name: header.name, value: header.value) }
        if let token = try SecretFile.bearerToken(spec, environment: environment) {
            headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
        }
        self.headers = headers
        self.signingKey = try spec.keyFile.map { path throws(MediaCacheError) in try RecordSignature.load(path) } ?? signingKey
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .milliseconds(Int64(spec.connectTimeout * 1000)), read: .milliseconds(Int64(spec.timeout * 1000))),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, jobs)),
            decompression: .disabled)
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async { try? await client.shutdown() }

    // MARK: - Servers

    /// The base URL of the server that holds `key` (a shard's, for a sharded level).
    func server(for key: String) -> String {
        guard !spec.shards.isEmpty else { return spec.url }
        let shard = spec.shards[Rendezvous.pick(key, among: spec.shards)]
        return spec.url.split(separator: "*", omittingEmptySubsequences: false).joined(separator: shard.name)
    }

    func isEnabled(_ server: String) -> Bool { !disabled.withLockedValue { $0.contains(server) } }

    /// Whether a request to `server` can still get an answer: it is on, or
    /// was turned off for an answer it gave rather than for silence.
    func isReachable(_ server: String) -> Bool { isEnabled(server) || answering.withLockedValue { $0.contains(server) } }

    /// Whether any server of the level is still on.
    var isUsable: Bool {
        let off = disabled.withLockedValue { $0.count }
        return off < max(1, spec.shards.count)
    }

    /// Counts a failure and turns its server off; the first failure of a server is reported.
    func fail(_ failure: RemoteFailure, server: String) {
        counts.withLockedValue { counts in
            switch failure {
            case .timeout: counts.timeouts += 1
            case .error, .refused: counts.errors += 1
            case .corrupt: counts.corrupt += 1
            }
        }
        switch failure {
        case .refused, .corrupt: answering.withLockedValue { _ = $0.insert(server) }
        case .timeout, .error: answering.withLockedValue { _ = $0.remove(server) }
        }
        let first = disabled.withLockedValue { $0.insert(server).inserted }
        if first { onEvent(.disabled(level: name, server: RemoteSpec(url: server).name, reason: failure.reason)) }
    }

    func fail(_ error: any Error, server: String) {
        fail(error as? RemoteFailure ?? Self.classify(error), server: server)
    }

    // MARK: - Requests

    /// Sends one request with the level's headers and deadline; any answer
    /// but 2xx and 404/410 (a plain miss, returned as nil) is a failure.
    func send(_ method: HTTPMethod, _ url: String, body: HTTPClientRequest.Body? = nil) async throws(RemoteFailure)
        -> HTTPClientResponse?
    {
        let response = try await execute(method, url, body: body)
        let status = Int(response.status.code)
        if (200...299).contains(status) { return response }
        await Self.discard(response.body)
        if status == 404 || status == 410 { return nil }
        throw .refused("HTTP \(status) for \(method.rawValue) \(RemoteSpec(url: url).name)")
    }

    /// Sends one request with the level's headers and deadline, whatever the
    /// answer; only a transport failure (or the deadline) throws.
    func execute(_ method: HTTPMethod, _ url: String, body: HTTPClientRequest.Body? = nil) async throws(RemoteFailure)
        -> HTTPClientResponse
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = headers
        if let body { request.body = body }
        do {
            return try await client.execute(request, deadline: .now() + .milliseconds(Int64(spec.timeout * 1000)))
        } catch {
            throw Self.classify(error)
        }
    }

    static func classify(_ error: any Error) -> RemoteFailure {
        if let error = error as? HTTPClientError, [.connectTimeout, .readTimeout, .deadlineExceeded].contains(error) {
            return .timeout(Fetcher.describe(error))
        }
        return .error(Fetcher.describe(error))
    }

    /// Reads a small body whole; more than `limit` bytes is a failure.
    static func collect(_ body: HTTPClientResponse.Body, limit: Int) async throws(RemoteFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await chunk in body {
                bytes += chunk.readableBytesView
                if bytes.count > limit { throw RemoteFailure.corrupt("a record larger than \(limit) bytes") }
            }
        } catch let failure as RemoteFailure {
            throw failure
        } catch {
            throw classify(error)
        }
        return bytes
    }

    static func discard(_ body: HTTPClientResponse.Body) async {
        var seen = 0
        do {
            for try await chunk in body {
                seen += chunk.readableBytes
                if seen > 256 * 1024 { return }
            }
        } catch {}
    }

    // MARK: - Records

    /// The record for `key`: nil when there is none (or, when signing, an
    /// unsigned one); a garbled or mis-signed record is a failure.
    func record(for key: String) async throws(RemoteFailure) -> RemoteRecord? {
        let server = server(for: key)
        guard let response = try await send(.GET, RemotePath.join(server, spec.layout.recordPath(key))) else { return nil }
        let bytes = try await Self.collect(response.body, limit: RemoteRecord.maxSize)
        switch RemoteRecord.decode(bytes, signingKey: signingKey) {
        case .valid(let record):
            guard record.key.utf8.elementsEqual(key.utf8) else {
                throw .corrupt("the record for \(key) names another key (\(record.key))")
            }
            return record
        case .unsigned: return nil
        case .invalid(let why): throw .corrupt("the record for \(key) is refused: \(why)")
        }
    }

    /// Uploads a record (signed when the level signs).
    func putRecord(_ record: RemoteRecord) async throws(RemoteFailure) {
        let bytes = record.encoded(signedWith: signingKey)
        let url = RemotePath.join(server(for: record.key), spec.layout.recordPath(record.key))
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        guard try await send(.PUT, url, body: .bytes(buffer)) != nil else {
            throw .refused("HTTP 404 for PUT \(RemoteSpec(url: url).name)")
        }
        counts.withLockedValue { $0.bytesUp += Int64(bytes.count) }
    }
}

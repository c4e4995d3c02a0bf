import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Downloads URLs into a cache: parallel, streaming, one download per URL across processes.
///
/// One `HTTPClient` with a connection pool serves every transfer
/// (keep-alive; HTTP/2 where the origin offers it over TLS). Bodies stream
/// to a temp file in 512 KiB batches that are written and hashed on the
/// thread pool, so memory stays flat and no event loop ever waits on the
/// disk. A per-URL lock in the cache directory makes a second process (or
/// a `get --fetch`) wait for the first one's download and then report a hit.
///
/// Call `shutdown()` when done.
public final class Fetcher: Sendable {
    public let store: CacheStore
    public let settings: FetchSettings
    let client: HTTPClient
    /// Whether `shutdown()` closes `client` (false when it is shared with, and owned by, another fetcher).
    private let ownsClient: Bool
    let threadPool: NIOThreadPool
    /// Body bytes received so far, across all transfers (for progress).
    let progress = NIOLockedValueBox<Int64>(0)
    /// Bodies announced so far (count, and the sum of their Content-Length), for an ETA.
    let announced = NIOLockedValueBox<(bodies: Int, bytes: Int64)>((0, 0))
    /// The key-lock stripes this fetcher's downloads hold.
    let stripes: StripeWaits

    public init(store: CacheStore, settings: FetchSettings, threadPool: NIOThreadPool = .singleton) {
        self.store = store
        self.settings = settings
        self.threadPool = threadPool
        client = Self.makeClient(settings)
        ownsClient = true
        stripes = StripeWaits()
    }

    /// A fetcher with other per-request settings that shares `other`'s
    /// connection pool and lock stripes; its `shutdown()` leaves them open.
    ///
    /// The pool's own settings (connect and idle timeouts, connections per
    /// host) stay `other`'s.
    init(sharing other: Fetcher, settings: FetchSettings) {
        store = other.store
        self.settings = settings
        threadPool = other.threadPool
        client = other.client
        ownsClient = false
        stripes = other.stripes
    }

    private static func makeClient(_ settings: FetchSettings) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .milliseconds(Int64(settings.connectTimeout * 1000)),
                read: .milliseconds(Int64(settings.idleTimeout * 1000))),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, settings.jobs)),
            decompression: .disabled)
        configuration.httpVersion = .automatic
        // Fail a refused connection at once; our own retry policy decides what happens next.
        configuration.connectionPool.retryConnectionEstablishment = false
        // Larger socket reads (the hook's name notwithstanding, it is the one
        // AsyncHTTPClient offers for setting a connection's channel options).
        configuration.http1_1ConnectionDebugInitializer = Self.tuneReads
        configuration.http2ConnectionDebugInitializer = Self.tuneReads
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The most one socket read takes in.
    ///
    /// SwiftNIO reads at most 64 KiB at a time unless told otherwise. A
    /// large body then costs a read, a buffer and a hand-off to the fetch
    /// task per 64 KiB, and a window update to the origin after each read;
    /// on loopback, receiving cost three times what curl's 100 KiB reads
    /// did. Reads grow to this size only while the socket has that much
    /// waiting (NIO's adaptive allocator), so a small body still gets small
    /// reads. The cost: a connection keeps its read buffers (NIO pools up to
    /// four) between requests, so an idle one can hold about 1 MiB.
    static let maxRead = 256 * 1024

    @Sendable private static func tuneReads(_ channel: any Channel) -> EventLoopFuture<Void> {
        channel.setOption(
            ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: maxRead)
        )
        .recover { _ in }  // a channel that refuses it (closed already) fails on its own; tuning never fails a request
    }

    /// Closes the connection pool. Call once, after the last fetch.
    public func shutdown() async throws {
        if ownsClient { try await client.shutdown() }
    }

    /// Body bytes received so far by this fetcher.
    public var receivedBytes: Int64 { progress.withLockedValue { $0 } }

    /// Bodies whose size the origin announced (Content-Length) so far, and the
    /// sum of those sizes: with `receivedBytes`, what is left of the transfers in flight.
    public var announcedBodies: (count: Int, bytes: Int64) { announced.withLockedValue { ($0.bodies, $0.bytes) } }

    func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }

    // MARK: - Many URLs

    /// Fetches every URL with at most `settings.jobs` transfers at once,
    /// calling `onEach` as each finishes, then enforces the size limit,
    /// evicting this run's entries last.
    ///
    /// Duplicates are fetched once (each is still reported). URLs are the
    /// same only when their UTF-8 bytes are: `String ==` would merge the NFC
    /// and NFD spellings of one name, which vLLM keeps as two entries.
    public func fetchAll(_ urls: [String], onEach: @escaping @Sendable (FetchOutcome) -> Void) async -> FetchRun {
        var unique: [String] = []
        var seen = Set<[UInt8]>()
        for url in urls where seen.insert(Array(url.utf8)).inserted { unique.append(url) }
        // `jobs` workers, each taking the next URL as it finishes one: no
        // task per URL, and no hop to a parent task between two URLs; each
        // download's last thread-pool job prepares the worker's next URL
        // (`FetchChain`). `onEach` is called under a lock of its own, so calls
        // never overlap, and a slow reader of its output never holds up a
        // thread-pool job taking the next URL. A URL another node of the fleet
        // is downloading (a claim on the shared tier) is put off until the
        // list is done, and then waited for: the worker that puts one off
        // looks for it again before it stops.
        let queue = NIOLockedValueBox<(next: Int, putOff: [(String, ContinuousClock.Instant)])>((0, []))
        let results = NIOLockedValueBox<[FetchOutcome]>([])
        let urls = unique
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<min(max(1, settings.jobs), urls.count) {
                group.addTask {
                    let chain = FetchChain(take: { queue.withLockedValue { state in Self.take(urls, &state.next) } })
                    var next = chain.nextURL().map { ($0, RemoteTier.Claimed.putOff) }
                    while let (url, claimed) = next {
                        let outcome = await self.fetch(url, enforcingLimit: false, claimed: claimed, chain: chain)
                        if let outcome {
                            results.withLockedValue { outcomes in
                                onEach(outcome)
                                outcomes.append(outcome)
                            }
                        } else {
                            queue.withLockedValue { $0.putOff.append((url, .now)) }
                        }
                        if let url = chain.nextURL() {
                            next = (url, .putOff)
                        } else {
                            next = queue.withLockedValue { state in
                                guard !state.putOff.isEmpty else { return nil }
                                let (url, since) = state.putOff.removeFirst()
                                return (url, .waitAgain(since: since))
                            }
                        }
                    }
                }
            }
        }
        let outcomes = results.withLockedValue { $0 }
        var run = FetchRun(outcomes: outcomes)
        let names = Set(outcomes.compactMap { $0.status == .failed ? nil : $0.key?.name })
        // An expired entry whose origin is down is all there is of that URL
        // until the origin is back: this pass does not expire it (the size limit still applies).
        let stale = Set(outcomes.compactMap { $0.error?.isOriginFailure == true ? $0.key?.name : nil })
        if outcomes.contains(where: { $0.status == .fetched }) {
            run.eviction = try? await offload { [store] in try store.enforceLimit(protecting: names, keepingExpired: stale) }
            run.overLimit = (run.eviction?.bytesAfter ?? 0) > store.configuration.maxBytes
        }
        return run
    }

    private static func take(_ urls: [String], _ next: inout Int) -> String? {
        guard next < urls.count else { return nil }
        defer { next += 1 }
        return urls[next]
    }

    // MARK: - One URL

    /// Makes sure `url` is cached: a hit, a revalidation, or a download,
    /// after which the size limit is enforced (never evicting this entry).
    /// Never throws; failures come back as an outcome with an error.
    public func fetch(_ url: String) async -> FetchOutcome {
        await fetch(url, enforcingLimit: true)
    }

    /// `fetch(_:)`, leaving the size limit to the caller when `enforcingLimit`
    /// is false (`fetchAll` enforces it once, after the whole run).
    func fetch(_ url: String, enforcingLimit: Bool) async -> FetchOutcome {
        // Never nil: nil is a put-off URL, which only `.putOff` allows.
        await fetch(url, enforcingLimit: enforcingLimit, claimed: .wait) ?? .failure(url, .shutDown)
    }

    /// `fetch(_:enforcingLimit:)`; with `claimed: .putOff`, nil when another
    /// node of the fleet is downloading `url` (its claim on the shared tier),
    /// for the caller to come back to with `.waitAgain`. A `chain` (a
    /// `fetchAll` worker's) may hold this URL's first step, prepared by the
    /// worker's last download, and gets the next one's.
    func fetch(_ url: String, enforcingLimit: Bool, claimed: RemoteTier.Claimed, chain: FetchChain? = nil) async
        -> FetchOutcome?
    {
        var prepared = chain?.preparedStep(for: url)
        // A put-off URL's hit or miss was counted on its first turn.
        let counting = claimed.isFirstLook
        let key: CacheKey
        do {
            key = try store.key(for: url)
        } catch {
            return .failure(url, error)
        }
        guard let host = URLCheck.host(of: url), settings.allows(host: host) else {
            return .failure(url, .hostNotAllowed(url: url, host: URLCheck.host(of: url) ?? url), key: key)
        }
        do {
            // Wait for the URL's lock without blocking a thread: woken at once
            // when a download of this fetcher holds it, else polling, backing
            // off to 250 ms. After waiting for a download of this URL, even
            // --force takes the entry it just stored.
            let stripe = CacheLayout.lockStripe(of: key.name)
            var waited = false
            var pause: UInt64 = 10_000_000
            while true {
                let force = settings.force && !waited
                let remembering = settings.negativeTTL > 0
                let step: FetchStep
                // A lock the chain took is registered with `stripes` already.
                var registered = false
                if let ready = prepared {
                    prepared = nil
                    step = try ready.get()
                    registered = true
                } else {
                    step = try await offload { [store] in
                        try store.prepareFetch(key, url: url, force: force, remembering: remembering, counting: counting)
                    }
                }
                switch step {
                case .fresh(let size):
                    return cached(url, key, size)
                case .remembered(let record):
                    let now = Posix.now()
                    let error = MediaCacheError.rememberedFailure(
                        url: url, status: record.status, age: now - record.storedAt, remaining: record.expiresAt - now)
                    var outcome = FetchOutcome.failure(url, error, key: key)
                    outcome.httpStatus = record.status
                    return outcome
                case .locked(let lock, let validators):
                    if !registered { stripes.hold(stripe, for: key.name) }
                    // The shared tier (issue 14): its levels before the origin, and what the origin served to them.
                    var answer = RemoteTier.Answer.origin(nil)
                    if validators == nil, !settings.force, let remote = settings.remote {
                        answer = await remote.fetch(url, key: key, store: store, claimed: claimed)
                    }
                    let outcome: FetchOutcome?
                    switch answer {
                    case .hit(let hit): outcome = hit
                    case .deferred: outcome = nil
                    case .origin(let claim):
                        let downloaded = await download(url, key: key, conditional: validators, chain: chain)
                        if downloaded.status == .fetched {
                            await settings.remote?.enqueueUpload(key, store: store, claim: claim)
                        } else {
                            await claim?.release()  // a waiting node then claims the URL and tries itself
                        }
                        outcome = downloaded
                    }
                    lock.value.unlock()
                    stripes.release(stripe, for: key.name)  // after the unlock, so that whoever it wakes can take the lock
                    guard let outcome else { return nil }
                    // Evicting after the unlock: with it held, the engine would skip this key's stripe as busy.
                    if enforcingLimit && outcome.status == .fetched {
                        let protected: Set<String> = [key.name]
                        // The entry is stored either way; a failed eviction leaves the next write to retry it.
                        _ = try? await offload { [store] in try store.enforceLimitIfOver(protecting: protected) }
                    }
                    return outcome
                case .busy:
                    if let released = await stripes.waitIfHeld(stripe) {
                        // Woken by a download of this fetcher: of this URL, or of another on the same stripe.
                        if released == key.name { waited = true }
                        try Task.checkCancellation()
                        continue
                    }
                    waited = true  // held by another process, perhaps for this URL
                    try await Task.sleep(nanoseconds: pause)
                    pause = min(pause * 2, 250_000_000)
                }
            }
        } catch {
            return .failure(url, Self.mediaError(error, url: url), key: key)
        }
    }

    private func cached(_ url: String, _ key: CacheKey, _ size: Int64) -> FetchOutcome {
        FetchOutcome(url: url, status: .cached, size: size, path: store.path(for: key), key: key)
    }

    /// Downloads (or, with `conditional`, revalidates) with retries; the key lock is held by the caller.
    /// The job that publishes a download also prepares `chain`'s next URL.
    private func download(_ url: String, key: CacheKey, conditional: EntryMetadata?, chain: FetchChain?) async -> FetchOutcome {
        var conditional = conditional
        let policy = RetryPolicy(retries: settings.retries, backoff: settings.backoff, maxWait: settings.maxRetryWait)
        var attempt = 0
        var lastStatus: Int?
        while true {
            attempt += 1
            do {
                switch try await self.attempt(url, key: key, conditional: conditional) {
                case .notModified(let validators):
                    let previous = conditional!
                    let size = try await offload { [store] in
                        try store.refresh(key, metadata: previous, etag: validators.etag, lastModified: validators.lastModified)
                    }
                    guard let size else {
                        conditional = nil  // evicted meanwhile: download it after all
                        continue
                    }
                    return FetchOutcome(
                        url: url, status: .revalidated, size: size, path: store.path(for: key), key: key, httpStatus: 304,
                        attempts: attempt)
                case .body(let body, let validators, let status):
                    let metadata = EntryMetadata(
                        url: url, size: 0, sha256: "", storedAt: Posix.now(), contentType: validators.contentType,
                        etag: validators.etag, lastModified: validators.lastModified)
                    let transferred = body.transferred
                    let result: StoreResult
                    do {
                        result = try await offload { [store, settings, stripes] in
                            let stored = try store.finishFetchedEntry(body.written, tail: body.tail, key: key, metadata: metadata)
                            chain?.prepareNext(
                                store: store, settings: settings, holding: CacheLayout.lockStripe(of: key.name), stripes: stripes)
                            return stored
                        }
                    } catch {
                        // Not run at all (the thread pool is gone): the temp file is still ours to delete.
                        if let written = body.written { try? await offload { written.value.discard() } }
                        throw error
                    }
                    return FetchOutcome(
                        url: url, status: .fetched, size: result.size, transferred: transferred, path: result.path, key: key,
                        httpStatus: status, attempts: attempt)
                }
            } catch let failure as AttemptFailure {
                lastStatus = failure.status ?? lastStatus
                guard failure.retryable && attempt <= settings.retries else {
                    var outcome = FetchOutcome.failure(url, failure.error, key: key, attempts: attempt)
                    outcome.httpStatus = lastStatus
                    return await settle(outcome)
                }
                let wait = policy.delay(afterAttempt: attempt, retryAfter: failure.retryAfter)
                try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
            } catch {
                return .failure(url, Self.mediaError(error, url: url), key: key, attempts: attempt)
            }
        }
    }
}

extension Fetcher {
    /// What a failed download leaves behind: a remembered 404 or 410, or,
    /// when the origin is down and `staleIfError` allows, the expired entry
    /// served as it is. The caller holds the key's lock.
    func settle(_ failed: FetchOutcome) async -> FetchOutcome {
        guard let key = failed.key, let error = failed.error else { return failed }
        if case .httpStatus(_, let status) = error, settings.negativeTTL > 0, settings.negativeStatuses.contains(status) {
            // Best effort: failing to remember costs one more request next time, never this answer.
            try? await offload { [store, settings] in
                try store.rememberFailure(failed.url, key: key, status: status, ttl: settings.negativeTTL)
            }
        }
        guard let within = settings.staleIfError, error.isOriginFailure,
            let size = try? await offload({ [store] in store.staleEntry(key, within: within) })
        else { return failed }
        var outcome = failed
        outcome.status = .stale
        outcome.size = size
        outcome.path = store.path(for: key)
        return outcome
    }
}

/// Everything a `fetchAll` did.
public struct FetchRun: Sendable {
    public var outcomes: [FetchOutcome]
    /// What enforcing the size limit afterwards removed.
    public var eviction: EvictionResult?
    /// Whether this run's entries alone exceed the size limit.
    public var overLimit = false
}

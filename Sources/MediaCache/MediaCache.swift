import NIOConcurrencyHelpers
import NIOPosix

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// "Bytes of this URL, cached": the async API for servers and tools.
///
/// Same directory format, guarantees and counters as the `mediacache`
/// command. Every call's disk I/O runs on NIO's blocking thread pool, so
/// an event loop or the cooperative pool is never blocked (invariant 7).
///
/// A `MediaCache` owns its policy: every write (`store`, `fetch`) keeps the
/// directory under `configuration.maxBytes`, and all its fetches share one
/// HTTP connection pool, opened by the first `fetch`. Call `shutdown()`
/// once done fetching (a cache that fetched and is released without it
/// leaks the pool, and stops a debug build in AsyncHTTPClient's check), or
/// use `withMediaCache(_:fetchSettings:body:)`:
///
///     try await withMediaCache(CacheConfiguration(directory: "/var/cache/media")) { cache in
///         if let bytes = try await cache.data(for: url) { … }
///         let outcome = try await cache.fetch(url)   // read-through download
///     }
public final class MediaCache: Sendable {
    /// The blocking engine underneath, for callers already on a thread that may block.
    public let store: CacheStore
    /// How `fetch` downloads by default; its connection settings (timeouts,
    /// connections per host) are the pool's for the cache's whole life.
    public let fetchSettings: FetchSettings
    let threadPool: NIOThreadPool
    /// The fetcher owning the connection pool: none until the first fetch, and none again after `shutdown()`.
    private let fetcher = NIOLockedValueBox<FetcherState>(.notStarted)

    private enum FetcherState: Sendable {
        case notStarted
        case running(Fetcher)
        case shutDown
    }

    /// Opens (creating when missing) the cache directory.
    public init(
        _ configuration: CacheConfiguration, fetchSettings: FetchSettings = FetchSettings(),
        threadPool: NIOThreadPool = .singleton
    ) async throws {
        self.threadPool = threadPool
        self.fetchSettings = fetchSettings
        store = try await threadPool.runIfActive { try CacheStore(configuration) }
    }

    /// Closes the connection pool. Call once, after the last `fetch`; other calls keep working.
    public func shutdown() async throws {
        let running = fetcher.withLockedValue { state -> Fetcher? in
            defer { state = .shutDown }
            if case .running(let fetcher) = state { return fetcher }
            return nil
        }
        try await running?.shutdown()
    }

    /// Makes sure `url` is cached, downloading it on a miss through the cache's
    /// connection pool, then keeps the cache under its size limit (never
    /// evicting this entry). See `Fetcher.fetch(_:)`.
    ///
    /// `settings` replaces `fetchSettings` for this call's requests (force,
    /// size cap, retries, redirects, allowed hosts, timeout); the pool's
    /// connection settings stay those the cache was opened with.
    public func fetch(_ url: String, settings: FetchSettings? = nil) async throws -> FetchOutcome {
        let shared = try sharedFetcher()
        let fetcher = settings.map { Fetcher(sharing: shared, settings: $0) } ?? shared
        return await fetcher.fetch(url)
    }

    /// The fetcher every `fetch` shares, started on first use.
    private func sharedFetcher() throws -> Fetcher {
        try fetcher.withLockedValue { state in
            switch state {
            case .running(let fetcher): return fetcher
            case .shutDown: throw MediaCacheError.shutDown
            case .notStarted:
                let fetcher = Fetcher(store: store, settings: fetchSettings, threadPool: threadPool)
                state = .running(fetcher)
                return fetcher
            }
        }
    }

    /// Runs blocking store work on the thread pool.
    func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }

    /// The bytes cached for `url`, or nil on a miss. Counts a hit or a miss and marks the entry used.
    public func data(for url: String) async throws -> [UInt8]? {
        try await offload { [store] in
            guard let entry = try store.open(url: url) else { return nil }
            return try EntryReader.readAll(entry)
        }
    }

    /// The file holding `url`'s bytes, or nil on a miss. Counts a hit or a miss and marks the entry used.
    ///
    /// The file may be evicted later by another process; open it soon, or copy it.
    public func fileURL(for url: String) async throws -> URL? {
        try await offload { [store] in
            try store.open(url: url).map { URL(fileURLWithPath: $0.path) }
        }
    }

    /// Stores `bytes` as the entry for `url`, atomically, then enforces the size limit.
    @discardableResult
    public func store(_ bytes: [UInt8], for url: String, contentType: String? = nil) async throws -> StoreResult {
        try await offload { [store] in try store.store(bytes, for: url, contentType: contentType) }
    }

    /// Removes entries through the eviction engine. See `CacheStore.evict(_:dryRun:)`.
    public func evict(_ selection: EvictionSelection, dryRun: Bool = false) async throws -> EvictionResult? {
        try await offload { [store] in try store.evict(selection, dryRun: dryRun).result }
    }

    /// Removes expired and over-limit entries and leftovers. See `CacheStore.prune(dryRun:leftoverAge:)`.
    public func prune(dryRun: Bool = false) async throws -> PruneReport {
        try await offload { [store] in try store.prune(dryRun: dryRun) }
    }

    /// Entries, bytes and counters. See `CacheStore.stats()`.
    public func stats() async throws -> CacheStats {
        try await offload { [store] in try store.stats() }
    }
}

/// Opens a `MediaCache`, runs `body` with it, and shuts it down however `body` ends.
public func withMediaCache<T>(
    _ configuration: CacheConfiguration, fetchSettings: FetchSettings = FetchSettings(),
    body: (MediaCache) async throws -> T
) async throws -> T {
    let cache = try await MediaCache(configuration, fetchSettings: fetchSettings)
    let result: T
    do {
        result = try await body(cache)
    } catch {
        try? await cache.shutdown()
        throw error
    }
    try await cache.shutdown()
    return result
}

/// Reads an open entry into memory (for `data(for:)`; the CLI streams instead).
enum EntryReader {
    static func readAll(_ entry: CacheStore.OpenEntry) throws(MediaCacheError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(entry.size))
        let count = bytes.withUnsafeMutableBytes { Posix.fill(entry.fd, $0, at: 0) }
        if count < 0 { throw .io(operation: "cannot read", path: entry.path, errno: errno) }
        return Array(bytes[0..<count])
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// "Bytes of this URL, cached": the async API for servers and tools.
///
/// Same directory format, guarantees and counters as the `mediacache`
/// command. Every call's disk I/O runs on NIO's blocking thread pool, so
/// an event loop or the cooperative pool is never blocked (invariant 7).
///
///     let cache = try await MediaCache(CacheConfiguration(directory: "/var/cache/media"))
///     if let bytes = try await cache.data(for: url) { … }
///     let outcome = try await cache.fetch(url)   // read-through download
public final class MediaCache: Sendable {
    /// The blocking engine underneath, for callers already on a thread that may block.
    public let store: CacheStore
    let threadPool: NIOThreadPool

    /// Opens (creating when missing) the cache directory.
    public init(_ configuration: CacheConfiguration, threadPool: NIOThreadPool = .singleton) async throws {
        self.threadPool = threadPool
        store = try await threadPool.runIfActive { try CacheStore(configuration) }
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

/// Reads an open entry into memory (for `data(for:)`; the CLI streams instead).
enum EntryReader {
    static func readAll(_ entry: CacheStore.OpenEntry) throws(MediaCacheError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(entry.size))
        let count = bytes.withUnsafeMutableBytes { Posix.fill(entry.fd, $0, at: 0) }
        if count < 0 { throw .io(operation: "cannot read", path: entry.path, errno: errno) }
        return Array(bytes[0..<count])
    }
}

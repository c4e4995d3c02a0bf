/// A full picture of a cache: what a scan found plus the shared counters.
public struct CacheStats: Sendable {
    public var directory: String
    public var entries: Int
    public var bytes: Int64
    public var maxBytes: Int64
    public var ttl: Double
    /// Entries unused for longer than the TTL (removed by the next get or prune).
    public var expiredEntries: Int
    /// Symlinks and other non-regular files under entry names.
    public var hostileEntries: Int
    /// Earliest and latest last use among entries, seconds since the epoch.
    public var oldestUse: Double?
    public var newestUse: Double?
    public var counters: CacheCounters

    /// Hits over lookups; nil before the first lookup.
    public var hitRatio: Double? {
        let lookups = counters.hits + counters.misses
        return lookups == 0 ? nil : Double(counters.hits) / Double(lookups)
    }

    /// How full the cache is, in percent of the limit.
    public var fillPercent: Double { maxBytes > 0 ? Double(bytes) * 100 / Double(maxBytes) : 0 }
}

/// One row of `list`.
public struct ListedEntry: Sendable {
    public var name: String
    /// Known when mediacache stored the entry; nil for vLLM-written files.
    public var url: String?
    public var size: Int64
    public var lastUsed: Double
    public var contentType: String?
}

extension CacheStore {
    /// Scans the directory and reads the counters; also reconciles the size account.
    /// - Important: Disk I/O: one pass over the directory.
    public func stats() throws(MediaCacheError) -> CacheStats {
        let snapshot = try CacheSnapshot.collect(layout)
        let now = Posix.now()
        let total = snapshot.totalBytes
        var state = layout.loadState()
        do {
            state = try layout.updateState { (state) -> CacheState in
                state.accountBytes = total
                state.accountEntries = Int64(snapshot.entries.count)
                state.accountKnown = true
                return state
            }
        } catch let error where error.isUnwritable {
            // Read-only cache: report what is there without reconciling the account.
        }
        return CacheStats(
            directory: layout.root, entries: snapshot.entries.count, bytes: total,
            maxBytes: configuration.maxBytes, ttl: configuration.ttl,
            expiredEntries: snapshot.entries.filter { now - $0.lastUsed > configuration.ttl }.count,
            hostileEntries: snapshot.hostile.count,
            oldestUse: snapshot.entries.map(\.lastUsed).min(), newestUse: snapshot.entries.map(\.lastUsed).max(),
            counters: state.counters)
    }

    /// Every entry, with its URL when known.
    /// - Important: Disk I/O: one pass over the directory and one metadata read per entry.
    public func list() throws(MediaCacheError) -> [ListedEntry] {
        try CacheSnapshot.collect(layout).entries.map { entry in
            let metadata = (try? CacheKey(name: entry.name)).flatMap { layout.readMetadata($0) }
            let known = metadata?.size == entry.size ? metadata : nil
            return ListedEntry(
                name: entry.name, url: known?.url, size: entry.size, lastUsed: entry.lastUsed,
                contentType: known?.contentType)
        }
    }
}

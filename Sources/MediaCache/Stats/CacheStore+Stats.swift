/// A full picture of a cache: what a scan found plus the shared counters.
public struct CacheStats: Sendable {
    public var directory: String
    public var entries: Int
    public var bytes: Int64
    public var maxBytes: Int64
    public var maxEntries: Int?
    public var ttl: Double
    /// Entries unused for longer than the TTL (removed by the next get or prune).
    public var expiredEntries: Int
    /// Symlinks and other non-regular files under entry names.
    public var hostileEntries: Int
    /// Earliest and latest last use among entries, seconds since the epoch.
    public var oldestUse: Double?
    public var newestUse: Double?
    public var counters: CacheCounters
    /// Bytes free on the cache's file system for this user; nil where unknown (ramfs).
    public var freeBytes: Int64?
    /// The free-space floor (`--min-free`); nil for none.
    public var minFreeBytes: Int64?
    /// Entries whose file has other names in the cache (`--dedupe`).
    public var sharedEntries = 0
    /// Bytes that identical bodies stored once save: what the entries would
    /// take one copy per name (as vLLM counts them) less `bytes`.
    public var bytesSaved: Int64 = 0
    /// What every process did, vLLM included, as the file system shows it.
    public var onDisk: DiskActivity
    /// URLs remembered as missing right now (see `NegativeRecord`).
    public var negativeEntries = 0

    /// Hits over lookups; nil before the first lookup.
    public var hitRatio: Double? {
        let lookups = counters.hits + counters.misses
        return lookups == 0 ? nil : Double(counters.hits) / Double(lookups)
    }

    /// How full the cache is, in percent of the limit.
    public var fillPercent: Double { maxBytes > 0 ? Double(bytes) * 100 / Double(maxBytes) : 0 }
}

/// What every process did with a cache, read from the file system alone.
///
/// The counters see only mediacache's own operations; vLLM keeps none. But
/// every hit, vLLM's included, sets an entry's mtime, and a file's birth
/// time (`statx`, where the file system keeps one) is when it was stored. So
/// these figures are seen, not counted: an entry used twice in an hour
/// counts once, and one evicted meanwhile not at all.
public struct DiskActivity: Sendable {
    public var usedLastHour = 0
    public var bytesUsedLastHour: Int64 = 0
    public var usedLastDay = 0
    public var bytesUsedLastDay: Int64 = 0
    /// Entries born in the last day; nil where the file system keeps no birth time.
    public var storedLastDay: Int? = 0
    /// Entries used again after they were stored (last use more than a
    /// second after birth); nil where the file system keeps no birth time.
    public var reused: Int?
    /// Empty files vLLM's `touch()` made (see `CacheLayout.isPoisoned`).
    public var poisoned = 0
    /// vLLM's temp files (`tmpXXXXXXXX`): writes in flight or crash leftovers.
    public var vllmTempFiles = 0
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
        let snapshot = try CacheSnapshot.collect(layout, includeTemps: true)
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
            maxBytes: configuration.maxBytes, maxEntries: configuration.maxEntries, ttl: configuration.ttl,
            expiredEntries: snapshot.entries.filter { now - $0.lastUsed > configuration.ttl }.count,
            hostileEntries: snapshot.hostile.count,
            oldestUse: snapshot.entries.map(\.lastUsed).min(), newestUse: snapshot.entries.map(\.lastUsed).max(),
            counters: state.counters, freeBytes: snapshot.freeBytes, minFreeBytes: configuration.minFreeBytes,
            sharedEntries: snapshot.entries.filter { $0.links > 1 }.count,
            bytesSaved: snapshot.apparentBytes - total, onDisk: activity(snapshot, now: now),
            negativeEntries: liveNegativeRecords())
    }

    /// Reads the on-disk activity figures off a snapshot and one `statx` per entry.
    /// - Important: Disk I/O.
    private func activity(_ snapshot: CacheSnapshot, now: Double) -> DiskActivity {
        var activity = DiskActivity()
        var reused = 0
        var births = 0
        for entry in snapshot.entries {
            let age = now - entry.lastUsed
            if age <= 3600 {
                activity.usedLastHour += 1
                activity.bytesUsedLastHour += entry.size
            }
            if age <= 86400 {
                activity.usedLastDay += 1
                activity.bytesUsedLastDay += entry.size
            }
            guard let birth = FileIdentity.of(entry.name, in: layout.rootFD.fd)?.birth else { continue }
            births += 1
            let born = Double(birth) / 1e9
            if now - born <= 86400 { activity.storedLastDay? += 1 }
            if entry.lastUsed > born + 1 { reused += 1 }
        }
        let noBirths = births == 0 && !snapshot.entries.isEmpty
        activity.reused = noBirths ? nil : reused
        if noBirths { activity.storedLastDay = nil }
        activity.poisoned = snapshot.poisoned.count
        activity.vllmTempFiles = snapshot.tempFiles.filter { VLLMFiles.isTempFile($0.name) }.count
        return activity
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

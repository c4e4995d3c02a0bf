/// Why an entry is on an eviction plan.
public enum EvictionReason: String, Sendable {
    /// Unused for longer than the TTL.
    case expired
    /// Least recently used while the cache is over its size limit.
    case size
    /// Named by the user (`evict URL`, `--key`, `--older-than`, `--all`).
    case requested
    /// Its bytes no longer match the recorded SHA-256 (`verify --fix`).
    case corrupt
    /// A symlink or other non-regular file under an entry's name.
    case hostile
    /// An empty file that vLLM's `touch()` recreated (see `CacheLayout.isPoisoned`).
    case poisoned
    /// Least recently used while the cache holds more entries than `--max-entries`.
    case count
    /// Least recently used while the file system has less free than `--min-free`.
    case freeSpace = "free_space"

    /// Whether the reason is the LRU or TTL order, which a use after the plan overturns.
    var dependsOnLastUse: Bool { self == .expired || self == .size || self == .count || self == .freeSpace }
}

/// One entry an eviction plan removes.
public struct PlannedRemoval: Sendable, Equatable {
    public var entry: CacheEntry
    public var reason: EvictionReason
    /// Whether removing the name frees its bytes: false while the file has
    /// other names in the cache (a deduplicated body), as planned or, after
    /// `EvictionEngine.apply`, as it was.
    public var releases = true

    public init(entry: CacheEntry, reason: EvictionReason, releases: Bool = true) {
        self.entry = entry
        self.reason = reason
        self.releases = releases
    }
}

/// What to remove, decided before anything is deleted: the "plan" step.
///
/// `--dry-run` prints a plan and stops; everything else hands it to
/// `EvictionEngine.apply`.
public struct EvictionPlan: Sendable {
    public var removals: [PlannedRemoval] = []
    /// Leftover temp files and idle locks older than the age limit (names only).
    var tempFiles: [(directory: Int32, name: String)] = []
    var staleLocks: [String] = []
    /// Metadata files whose data file is gone.
    var orphanMetadata: [String] = []
    /// Sidecar records whose data file was replaced since (by vLLM).
    var staleMetadata: [String] = []
    /// Content index records (by SHA-256) that no longer lead to an entry with their bytes.
    var staleContent: [String] = []
    /// Negative records (see `NegativeRecord`) by entry name: all of them,
    /// or only if still expired before this time when the engine looks again.
    var negativeRecords: [(name: String, expiredBefore: Double?)] = []

    public var bytes: Int64 { removals.reduce(0) { $0 + $1.entry.size } }
    /// Bytes that leave the disk: each file's once, when its last name goes.
    public var releasedBytes: Int64 { removals.reduce(0) { $0 + ($1.releases ? $1.entry.size : 0) } }
    public var tempFileCount: Int { tempFiles.count }
    public var orphanMetadataCount: Int { orphanMetadata.count + staleMetadata.count + staleContent.count }
    public var negativeRecordCount: Int { negativeRecords.count }

    public init() {}
}

/// What `prune` (and put-triggered eviction) decides by.
struct EvictionPolicy {
    var now: Double
    /// Entries unused for longer than this are expired; nil keeps them.
    var ttl: Double?
    /// Remove least-recently-used entries until the total is at most this.
    var targetBytes: Int64?
    /// Remove least-recently-used entries until at most this many are left.
    var maxEntries: Int?
    /// Remove least-recently-used entries until the file system has this
    /// many bytes free (`--min-free`); nothing where its free space is unknown.
    var targetFree: Int64?
    /// Names evicted only when nothing else is left (entries just written).
    var protected: Set<String> = []
    /// Names not expired by this plan (stale entries whose origin is down),
    /// though still evicted in LRU order when over a limit.
    var keepExpired: Set<String> = []

    /// Orders entries and picks removals: hostile names and poisoned empty
    /// files, then expired, then LRU down to the size, count and free-space
    /// targets. A file with several names frees its bytes (on disk and in
    /// the total) only with its last name.
    func plan(_ snapshot: CacheSnapshot) -> EvictionPlan {
        var plan = EvictionPlan()
        plan.removals = snapshot.hostile.map { PlannedRemoval(entry: $0, reason: .hostile) }
        var footprint = Footprint(snapshot.entries)
        var total = snapshot.totalBytes
        var free = snapshot.freeBytes
        let remove = { (entry: CacheEntry, reason: EvictionReason) in
            let releases = footprint.remove(entry)
            if releases {
                total -= entry.size
                free? += entry.allocated
            }
            plan.removals.append(PlannedRemoval(entry: entry, reason: reason, releases: releases))
        }
        var kept: [CacheEntry] = []
        for entry in snapshot.entries {
            if !snapshot.poisoned.isEmpty, let key = try? CacheKey(name: entry.name), snapshot.poisoned.contains(key),
                !protected.contains(entry.name)
            {
                remove(entry, .poisoned)
            } else if let ttl, now - entry.lastUsed > ttl, !protected.contains(entry.name), !keepExpired.contains(entry.name) {
                remove(entry, .expired)
            } else {
                kept.append(entry)
            }
        }
        var count = kept.count
        let overSize = { targetBytes.map { total > $0 } ?? false }
        let overCount = { maxEntries.map { count > $0 } ?? false }
        let underFree = { targetFree.flatMap { target in free.map { $0 < target } } ?? false }
        guard overSize() || overCount() || underFree() else { return plan }
        // Oldest use first; protected entries after every other one. The
        // names of one file share its mtime, so they go one after the other.
        kept.sort { a, b in
            let aProtected = protected.contains(a.name)
            let bProtected = protected.contains(b.name)
            if aProtected != bProtected { return !aProtected }
            return a.lastUsed < b.lastUsed || (a.lastUsed == b.lastUsed && (a.inode, a.name) < (b.inode, b.name))
        }
        for entry in kept where overSize() || overCount() || underFree() {
            if protected.contains(entry.name) { break }
            remove(entry, overSize() ? .size : overCount() ? .count : .freeSpace)
            count -= 1
        }
        return plan
    }
}

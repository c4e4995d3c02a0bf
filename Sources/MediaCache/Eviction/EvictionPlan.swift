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
}

/// One entry an eviction plan removes.
public struct PlannedRemoval: Sendable, Equatable {
    public var entry: CacheEntry
    public var reason: EvictionReason
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
    /// Negative records (see `NegativeRecord`) by entry name: all of them,
    /// or only if still expired before this time when the engine looks again.
    var negativeRecords: [(name: String, expiredBefore: Double?)] = []

    public var bytes: Int64 { removals.reduce(0) { $0 + $1.entry.size } }
    public var tempFileCount: Int { tempFiles.count }
    public var orphanMetadataCount: Int { orphanMetadata.count + staleMetadata.count }
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
    /// Names evicted only when nothing else is left (entries just written).
    var protected: Set<String> = []
    /// Names not expired by this plan (stale entries whose origin is down),
    /// though still evicted in LRU order when over a limit.
    var keepExpired: Set<String> = []

    /// Orders entries and picks removals: hostile names and poisoned empty
    /// files, then expired, then LRU down to the size and count targets.
    func plan(_ snapshot: CacheSnapshot) -> EvictionPlan {
        var plan = EvictionPlan()
        plan.removals = snapshot.hostile.map { PlannedRemoval(entry: $0, reason: .hostile) }
        var kept: [CacheEntry] = []
        for entry in snapshot.entries {
            if !snapshot.poisoned.isEmpty, let key = try? CacheKey(name: entry.name), snapshot.poisoned.contains(key),
                !protected.contains(entry.name)
            {
                plan.removals.append(PlannedRemoval(entry: entry, reason: .poisoned))
            } else if let ttl, now - entry.lastUsed > ttl, !protected.contains(entry.name), !keepExpired.contains(entry.name) {
                plan.removals.append(PlannedRemoval(entry: entry, reason: .expired))
            } else {
                kept.append(entry)
            }
        }
        var total = kept.reduce(0) { $0 + $1.size }
        var count = kept.count
        let overSize = { targetBytes.map { total > $0 } ?? false }
        let overCount = { maxEntries.map { count > $0 } ?? false }
        guard overSize() || overCount() else { return plan }
        // Oldest use first; protected entries after every other one.
        kept.sort { a, b in
            let aProtected = protected.contains(a.name)
            let bProtected = protected.contains(b.name)
            if aProtected != bProtected { return !aProtected }
            return a.lastUsed < b.lastUsed || (a.lastUsed == b.lastUsed && a.name < b.name)
        }
        for entry in kept where overSize() || overCount() {
            if protected.contains(entry.name) { break }
            plan.removals.append(PlannedRemoval(entry: entry, reason: overSize() ? .size : .count))
            total -= entry.size
            count -= 1
        }
        return plan
    }
}

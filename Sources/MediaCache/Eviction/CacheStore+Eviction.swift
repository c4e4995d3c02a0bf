/// Which entries `evict` removes.
public enum EvictionSelection: Sendable {
    /// Entries by key (from URLs or `--key` names).
    case keys([CacheKey])
    /// Entries unused for longer than this many seconds.
    case olderThan(Double)
    /// Everything.
    case all
}

/// What `prune` found and did.
public struct PruneReport: Sendable {
    public var plan: EvictionPlan
    /// Nil on a dry run.
    public var result: EvictionResult?
    public var entriesBefore: Int
    public var bytesBefore: Int64
    /// Entries and bytes left (as planned, on a dry run).
    public var entriesAfter: Int
    public var bytesAfter: Int64
}

extension CacheStore {
    /// How old a temp file or an idle lock must be before `prune` (and
    /// `doctor`) take it for a leftover rather than a write in flight.
    public static let defaultLeftoverAge: Double = 3600

    /// Removes the selected entries (and metadata left without data) through the eviction engine.
    ///
    /// With `dryRun`, returns the plan and removes nothing.
    /// - Important: Disk I/O.
    public func evict(_ selection: EvictionSelection, dryRun: Bool = false) throws(MediaCacheError) -> (
        plan: EvictionPlan, result: EvictionResult?
    ) {
        var plan = EvictionPlan()
        let now = Posix.now()
        switch selection {
        case .keys(let keys):
            var seen = Set<String>()
            for key in keys where seen.insert(key.name).inserted {
                if let info = Posix.lstat(at: layout.rootFD.fd, key.name), !Posix.isDirectory(info) {
                    let entry = CacheEntry(name: key.name, info: info)
                    plan.removals.append(
                        PlannedRemoval(
                            entry: entry, reason: entry.kind == .file ? .requested : .hostile, releases: entry.links <= 1))
                } else if Posix.lstat(at: layout.metaFD.fd, key.name) != nil {
                    plan.orphanMetadata.append(key.name)
                }
                // Evicting a URL also forgets that its origin answered 404.
                if layout.readNegative(key.name) != nil { plan.negativeRecords.append((key.name, nil)) }
            }
        case .olderThan(let age):
            let snapshot = try CacheSnapshot.collect(layout)
            var footprint = Footprint(snapshot.entries)
            plan.removals = snapshot.entries.filter { now - $0.lastUsed > age }.map {
                PlannedRemoval(entry: $0, reason: .requested, releases: footprint.remove($0))
            }
        case .all:
            let snapshot = try CacheSnapshot.collect(layout)
            var footprint = Footprint(snapshot.entries)
            plan.removals =
                snapshot.hostile.map { PlannedRemoval(entry: $0, reason: .hostile) }
                + snapshot.entries.map { PlannedRemoval(entry: $0, reason: .requested, releases: footprint.remove($0)) }
            plan.negativeRecords = try layout.negativeRecords().map { ($0.name, nil) }
        }
        if dryRun { return (plan, nil) }
        return (plan, try EvictionEngine.apply(plan, in: layout))
    }

    /// The cron job: removes poisoned empty files and expired entries, then
    /// least-recently-used ones until the total is at most the size limit
    /// (the count at most `maxEntries`, and the file system's free space at
    /// least `minFreeBytes`), then temp files (vLLM's too) and
    /// idle locks older than `leftoverAge` seconds, metadata whose data is
    /// gone or was replaced, and expired negative records.
    ///
    /// Safe while other processes read and write: each deletion re-checks the
    /// file, and one another process removed first is not an error.
    /// - Important: Disk I/O: scans the whole directory.
    public func prune(dryRun: Bool = false, leftoverAge: Double = defaultLeftoverAge) throws(MediaCacheError) -> PruneReport {
        let snapshot = try CacheSnapshot.collect(layout, includeTemps: true)
        let now = Posix.now()
        let policy = EvictionPolicy(
            now: now, ttl: configuration.ttl, targetBytes: configuration.maxBytes, maxEntries: configuration.maxEntries,
            targetFree: configuration.minFreeBytes)
        var plan = policy.plan(snapshot)
        try plan.addLeftovers(from: snapshot, layout: layout, age: leftoverAge, now: now)
        try plan.addExpiredNegativeRecords(layout: layout, now: now)
        let plannedEntries = plan.removals.filter { $0.reason != .hostile }
        var report = PruneReport(
            plan: plan, result: nil, entriesBefore: snapshot.entries.count, bytesBefore: snapshot.totalBytes,
            entriesAfter: snapshot.entries.count - plannedEntries.count,
            bytesAfter: snapshot.totalBytes - plannedEntries.reduce(0) { $0 + ($1.releases ? $1.entry.size : 0) })
        guard !dryRun else { return report }
        let result = try EvictionEngine.apply(plan, in: layout, scannedTotal: (snapshot.totalBytes, snapshot.entries.count))
        let removedEntries = result.removed.filter { $0.reason != .hostile }
        report.entriesAfter = snapshot.entries.count - removedEntries.count
        report.bytesAfter = snapshot.totalBytes - result.releasedBytes
        report.result = result
        return report
    }
}

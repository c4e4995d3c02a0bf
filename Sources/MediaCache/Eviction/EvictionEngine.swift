#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What applying a plan actually removed.
public struct EvictionResult: Sendable {
    /// Entries this call deleted (not those another process deleted first).
    public var removed: [PlannedRemoval] = []
    /// Planned entries that were already gone, or used again since the plan.
    public var skipped = 0
    public var tempFilesRemoved = 0
    public var metadataRemoved = 0
    public var locksRemoved = 0
    /// Remembered failures of URLs forgotten (see `NegativeRecord`).
    public var negativeRecordsRemoved = 0
    /// Bytes in the cache after this pass, when the pass scanned the whole directory.
    public var bytesAfter: Int64?
    public var entriesAfter: Int?

    public var removedBytes: Int64 { removed.reduce(0) { $0 + $1.entry.size } }
    /// Bytes that left the disk: a name whose file kept other names frees none.
    public var releasedBytes: Int64 { removed.reduce(0) { $0 + ($1.releases ? $1.entry.size : 0) } }
}

/// The one path by which anything leaves a cache: apply a plan.
///
/// Collect-then-delete (invariant 2): the plan was decided from a snapshot,
/// so before each deletion the engine looks again, and leaves alone a file
/// that vanished (another process evicted it: not an error) or that was used
/// after the snapshot (an LRU or TTL decision that no longer holds).
enum EvictionEngine {
    /// Deletes what `plan` names and books the result in the counters.
    /// - Important: Disk I/O.
    static func apply(_ plan: EvictionPlan, in layout: CacheLayout, scannedTotal: (bytes: Int64, entries: Int)? = nil)
        throws(MediaCacheError) -> EvictionResult
    {
        var result = EvictionResult()
        let root = layout.rootFD.fd
        for removal in plan.removals {
            guard let current = Posix.lstat(at: root, removal.entry.name) else {
                result.skipped += 1
                continue
            }
            let isFile = Posix.isRegular(current)
            if removal.reason == .hostile ? isFile : !isFile {
                result.skipped += 1  // replaced by something of the other kind since the scan
                continue
            }
            if removal.reason.dependsOnLastUse, Posix.seconds(current.st_mtim) > removal.entry.lastUsed {
                result.skipped += 1  // a reader touched it after the scan: no longer a candidate
                continue
            }
            if removal.reason == .poisoned && current.st_size != 0 {
                result.skipped += 1  // a writer has put real bytes there since
                continue
            }
            // Data and metadata go as a pair under the key's lock, so a writer
            // publishing a new version in between cannot lose its metadata. An
            // entry a writer holds right now is being replaced: leave it.
            let (lock, busy) = try lockForRemoval(removal.entry.name, in: layout)
            defer { lock?.unlock() }
            if busy {
                result.skipped += 1
                continue
            }
            if unlinkat(root, removal.entry.name, 0) != 0 {
                if errno == ENOENT {
                    result.skipped += 1
                    continue
                }
                throw .io(operation: "cannot remove", path: layout.root + "/" + removal.entry.name, errno: errno)
            }
            var removed = removal
            removed.entry.size = removal.reason == .hostile ? 0 : Int64(current.st_size)
            removed.releases = current.st_nlink <= 1  // a deduplicated body keeps its other names
            result.removed.append(removed)
            layout.removeSidecar(removal.entry.name, lockHeld: true)
        }
        for temp in plan.tempFiles where unlinkat(temp.directory, temp.name, 0) == 0 {
            result.tempFilesRemoved += 1
        }
        for name in plan.orphanMetadata
        where layout.removeSidecar(name, lockHeld: false, when: { Posix.lstat(at: root, name) == nil }) {
            result.metadataRemoved += 1
        }
        for name in plan.staleMetadata {
            let stale = { layout.readSidecar(name).map { !layout.sidecarIsCurrent($0, name: name) } ?? false }
            if layout.removeSidecar(name, lockHeld: false, when: stale) { result.metadataRemoved += 1 }
        }
        if !plan.staleContent.isEmpty, let content = layout.contentDirectory(create: false) {
            for sha in plan.staleContent
            where layout.removeContentRecord(sha, in: content, when: { layout.contentRecordIsStale(sha, in: content) }) {
                result.metadataRemoved += 1
            }
        }
        for (name, before) in plan.negativeRecords {
            let due = { (record: NegativeRecord?) in before.map { time in record.map { $0.expiresAt <= time } ?? true } ?? true }
            if layout.removeNegative(name, lockHeld: false, when: due) { result.negativeRecordsRemoved += 1 }
        }
        result.locksRemoved = removeIdleLocks(plan.staleLocks, in: layout)
        try book(result, scannedTotal: scannedTotal, in: layout)
        return result
    }

    /// Adds the removals to the counters and the size account, which counts
    /// the bytes of a file with several names once, when its last name goes.
    private static func book(_ result: EvictionResult, scannedTotal: (bytes: Int64, entries: Int)?, in layout: CacheLayout)
        throws(MediaCacheError)
    {
        let entries = Int64(result.removed.filter { $0.reason != .hostile }.count)
        let bytes = result.releasedBytes
        guard entries > 0 || scannedTotal != nil else { return }
        try layout.updateState { state in
            state.counters.evictedEntries += entries
            state.counters.evictedBytes += bytes
            if let scannedTotal {
                state.accountBytes = max(0, scannedTotal.bytes - bytes)
                state.accountEntries = max(0, Int64(scannedTotal.entries) - entries)
                state.accountKnown = true
            } else {
                state.accountBytes = max(0, state.accountBytes - bytes)
                state.accountEntries = max(0, state.accountEntries - entries)
            }
        }
    }

    /// Takes the key lock of an entry about to be removed, without waiting.
    /// `busy` when a writer holds it; no lock at all for a read-only cache.
    private static func lockForRemoval(_ name: String, in layout: CacheLayout) throws(MediaCacheError) -> (FileLock?, busy: Bool)
    {
        guard !layout.isReadOnly else { return (nil, false) }
        let lock = try layout.keyLock(named: name)
        return try lock.tryLockExclusive() ? (lock, false) : (nil, true)
    }

    /// Removes lock files nobody holds. Taking the lock first means a
    /// process mid-download keeps its lock; `FileLock` re-checks the inode
    /// so a process that opened the file just before removal retries.
    private static func removeIdleLocks(_ names: [String], in layout: CacheLayout) -> Int {
        var removed = 0
        for name in names {
            guard let lock = try? FileLock(directory: layout.locksFD.fd, name: name, path: layout.locksPath),
                (try? lock.tryLockExclusive()) == true
            else { continue }
            if unlinkat(layout.locksFD.fd, name, 0) == 0 { removed += 1 }
            lock.unlock()
        }
        return removed
    }
}

extension EvictionPlan {
    /// Adds temp files and idle locks older than `age` seconds, metadata
    /// whose data is gone or was replaced, and content index records that
    /// lead nowhere.
    /// - Important: Disk I/O.
    mutating func addLeftovers(from snapshot: CacheSnapshot, layout: CacheLayout, age: Double, now: Double)
        throws(MediaCacheError)
    {
        tempFiles = snapshot.tempFiles.filter { now - $0.modified > age }.map { ($0.directory, $0.name) }
        guard !layout.isReadOnly else { return }
        let names = Set(snapshot.entries.map(\.name)).union(snapshot.hostile.map(\.name))
        for (name, _) in try Posix.listDirectory(layout.metaFD.fd, path: layout.metaPath) where !name.hasPrefix(".") {
            if !names.contains(name) {
                orphanMetadata.append(name)
            } else if let record = layout.readSidecar(name), !layout.sidecarIsCurrent(record, name: name) {
                staleMetadata.append(name)  // vLLM renamed its own download over the entry
            }
        }
        if let content = layout.contentDirectory(create: false) {
            for (sha, _) in try Posix.listDirectory(content.fd, path: layout.contentPath) where !sha.hasPrefix(".") {
                if layout.contentRecordIsStale(sha, in: content) { staleContent.append(sha) }
            }
        }
        for (name, _) in try Posix.listDirectory(layout.locksFD.fd, path: layout.locksPath) {
            if let info = Posix.lstat(at: layout.locksFD.fd, name), now - Posix.seconds(info.st_mtim) > age {
                staleLocks.append(name)
            }
        }
    }
}

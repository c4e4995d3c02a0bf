import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a fetch of one URL should do next.
enum FetchStep {
    /// The entry is fresh (and now marked used): a hit of this size.
    case fresh(Int64)
    /// This process holds the URL's lock; revalidate with these validators if any, else download.
    case locked(Handoff<FileLock>, validators: EntryMetadata?)
    /// Another writer holds the URL's lock: wait and ask again.
    case busy
    /// The origin's 404 or 410 for this URL is remembered: fail without asking.
    case remembered(NegativeRecord)
}

/// Store calls the fetcher makes between transfers (all blocking; run on the thread pool).
extension CacheStore {
    /// One hand-off's worth of work before a download: a fresh entry is a
    /// hit; otherwise take the URL's lock if it is free and, holding it,
    /// look again (another process may have just stored it).
    /// - Important: Disk I/O.
    /// A fresh entry counts as a hit, as a `get` of it would; taking the
    /// lock to download or revalidate counts a miss, and so does a
    /// remembered failure (also counted as a negative hit).
    ///
    /// With `remembering`, a remembered 404 or 410 answers before the lock is
    /// taken; `force` forgets it once the lock is held. Without `counting`,
    /// nothing is counted (a URL counted on an earlier turn).
    func prepareFetch(_ key: CacheKey, url: String, force: Bool, remembering: Bool, counting: Bool = true) throws(MediaCacheError)
        -> FetchStep
    {
        let step = try lockOrFind(key, url: url, force: force, remembering: remembering)
        guard counting else { return step }
        switch step {
        case .fresh: count(hit: true)
        case .locked: count(hit: false)
        case .remembered:
            try? layout.updateState { state in
                state.counters.misses += 1
                state.counters.negativeHits += 1
            }
        case .busy: break
        }
        return step
    }

    private func lockOrFind(_ key: CacheKey, url: String, force: Bool, remembering: Bool) throws(MediaCacheError) -> FetchStep {
        if !force, let size = touchIfFresh(key) { return .fresh(size) }
        if remembering && !force, let record = negativeAnswer(for: url, key: key) { return .remembered(record) }
        let lock = try layout.keyLock(key)
        guard try lock.tryLockExclusive() else {
            lock.unlock()
            return .busy
        }
        if !force, let size = touchIfFresh(key) {
            lock.unlock()
            return .fresh(size)
        }
        if force { forgetFailure(key) }
        return .locked(Handoff(lock), validators: force ? nil : validators(key))
    }

    /// The expired entry of `key` to serve when its origin fails: its size,
    /// if it expired at most `within` seconds ago. Neither touched (it stays
    /// expired, so the next fetch asks the origin again) nor removed.
    /// Counted as served stale.
    /// - Important: Disk I/O.
    func staleEntry(_ key: CacheKey, within: Double) -> Int64? {
        guard let (fd, info) = try? openDataFile(key) else { return nil }
        Posix.closeQuietly(fd)
        let size = Int64(info.st_size)
        let expiredFor = Posix.now() - Posix.seconds(info.st_mtim) - configuration.ttl
        guard expiredFor <= within, !layout.isPoisoned(key.name, size: size) else { return nil }
        try? layout.updateState { state in state.counters.staleServed += 1 }
        return size
    }

    /// Writes the last bytes of a body (creating the temp file if nothing was
    /// written yet) and publishes the entry: the fetcher's final hand-off.
    /// - Important: Disk I/O; the caller holds the key's lock.
    func finishFetchedEntry(
        _ written: Handoff<AtomicWriter>?, tail: [ByteBuffer], key: CacheKey, metadata: EntryMetadata
    ) throws(MediaCacheError) -> StoreResult {
        let writer: AtomicWriter
        if let written { writer = written.value } else { writer = try beginEntry(key) }
        defer { writer.discard() }  // a no-op once committed
        try writer.write(tail)
        return try commitEntry(writer, key: key, metadata: metadata, lockHeld: true, enforceLimit: false)
    }

    /// If `key` holds a fresh entry, marks it used and returns its size; otherwise nil.
    func touchIfFresh(_ key: CacheKey) -> Int64? { touch(key, onlyIfFresh: true) }

    /// Marks the entry for `key` used (fresh or not) and returns its size; nil if there is none.
    ///
    /// Never creates a file: the mtime is set through a descriptor opened
    /// without following symlinks.
    /// A poisoned empty file (see `isPoisoned`) is never fresh: it is downloaded again.
    private func touch(_ key: CacheKey, onlyIfFresh: Bool) -> Int64? {
        guard let (fd, info) = try? openDataFile(key) else { return nil }
        defer { Posix.closeQuietly(fd) }
        if onlyIfFresh {
            if Posix.now() - Posix.seconds(info.st_mtim) > configuration.ttl { return nil }
            if layout.isPoisoned(key.name, size: Int64(info.st_size)) { return nil }
        }
        futimens(fd, nil)
        return Int64(info.st_size)
    }

    /// The metadata of an existing (expired) entry, when it has an ETag or
    /// Last-Modified to revalidate with.
    func validators(_ key: CacheKey) -> EntryMetadata? {
        guard let info = Posix.lstat(at: layout.rootFD.fd, key.name), Posix.isRegular(info),
            let metadata = layout.readMetadata(key), metadata.size == Int64(info.st_size),
            metadata.etag != nil || metadata.lastModified != nil
        else { return nil }
        return metadata
    }

    /// After a 304: marks the entry used and records the new fetch time.
    /// Returns the entry's size, or nil if it vanished meanwhile (then it must be downloaded).
    func refresh(_ key: CacheKey, metadata: EntryMetadata, etag: String?, lastModified: String?) throws(MediaCacheError) -> Int64?
    {
        guard let size = touch(key, onlyIfFresh: false) else { return nil }
        var updated = metadata
        updated.storedAt = Posix.now()
        if let etag { updated.etag = etag }
        if let lastModified { updated.lastModified = lastModified }
        try layout.writeMetadata(updated, for: key)
        return size
    }

}

/// A writer or lock handed between the thread pool and the fetch task.
///
/// Used by one task at a time, strictly in sequence, so sharing is safe.
final class Handoff<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

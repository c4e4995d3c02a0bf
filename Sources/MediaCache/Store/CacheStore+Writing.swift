#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What storing an entry did.
public struct StoreResult: Sendable {
    public var key: CacheKey
    public var path: String
    public var size: Int64
    public var sha256: String
    /// Whether an earlier entry for the same URL was replaced.
    public var replaced: Bool
    /// What the size limit removed afterwards, if it ran.
    public var eviction: EvictionResult?
    /// Whether the cache is still over its limit because the entries just written alone exceed it.
    public var overLimit = false
}

extension CacheStore {
    /// Low-water mark for put-triggered eviction, as a fraction of the limit.
    ///
    /// Evicting a little below the limit means the next puts do not each pay
    /// for a full directory scan; `prune` evicts down to the limit itself.
    static let lowWater = 0.9

    // MARK: - Public store calls

    /// Streams everything readable from `fd` (a file or pipe) into the entry for `url`.
    ///
    /// Memory stays flat whatever the size: bytes are copied 1 MiB at a time
    /// and hashed as they pass. Nothing is visible until the whole body is
    /// written; on any failure the cache is as it was. Then the size limit is
    /// enforced, never evicting this entry.
    /// - Important: Disk I/O.
    public func store(contentsOf fd: Int32, sourceName: String, for url: String, contentType: String? = nil) throws(MediaCacheError) -> StoreResult {
        let key = try CacheKey(url: url)
        let writer = try beginEntry(key)
        defer { writer.discard() }  // a no-op once committed
        try writer.copy(from: fd, sourcePath: sourceName)
        let metadata = EntryMetadata(url: url, size: 0, sha256: "", storedAt: Posix.now(), contentType: contentType)
        return try commitEntry(writer, key: key, metadata: metadata)
    }

    /// Stores `bytes` as the entry for `url`. See `store(contentsOf:sourceName:for:contentType:)`.
    /// - Important: Disk I/O.
    public func store(_ bytes: [UInt8], for url: String, contentType: String? = nil) throws(MediaCacheError) -> StoreResult {
        let key = try CacheKey(url: url)
        let writer = try beginEntry(key)
        defer { writer.discard() }  // a no-op once committed
        try writer.write(bytes)
        let metadata = EntryMetadata(url: url, size: 0, sha256: "", storedAt: Posix.now(), contentType: contentType)
        return try commitEntry(writer, key: key, metadata: metadata)
    }

    // MARK: - The write path shared by put and fetch

    /// Starts the temp file for a new entry.
    func beginEntry(_ key: CacheKey) throws(MediaCacheError) -> AtomicWriter {
        try AtomicWriter(
            directory: layout.rootFD.fd, path: layout.root, target: key.name, tag: key.hashPrefix,
            mode: configuration.shared ? 0o664 : 0o644)
    }

    /// Publishes a fully written entry and its metadata, then books it.
    ///
    /// The metadata rides on the temp file as an extended attribute; where
    /// that is refused, it goes to a sidecar temp file. Everything is written
    /// before anything is published, so a full disk fails before anything
    /// changes. Publishing happens under the key's lock (taken here unless
    /// `lockHeld`), so two writers of one URL never pair one's bytes with the
    /// other's sidecar.
    /// - Important: Disk I/O.
    func commitEntry(
        _ writer: AtomicWriter, key: CacheKey, metadata: EntryMetadata, lockHeld: Bool = false,
        enforceLimit: Bool = true
    ) throws(MediaCacheError) -> StoreResult {
        var metadata = metadata
        metadata.size = writer.bytesWritten
        metadata.sha256 = writer.finishHash()
        let encoded = Array(metadata.encoded().utf8)
        let metaWriter = writer.setAttribute(EntryMetadata.attributeName, encoded) ? nil : try layout.sidecar(encoded, for: key)
        defer { metaWriter?.discard() }  // a no-op once committed

        let old = try publish(writer, metaWriter, key: key, lockHeld: lockHeld)
        let oldSize = old.map { Posix.isRegular($0) ? Int64($0.st_size) : 0 } ?? 0

        let over = try layout.updateState { state in
            state.counters.stored += 1
            state.accountBytes = max(0, state.accountBytes + metadata.size - oldSize)
            if old == nil { state.accountEntries += 1 }
            return !state.accountKnown || state.accountBytes > configuration.maxBytes
        }
        var result = StoreResult(
            key: key, path: layout.dataPath(key), size: metadata.size, sha256: metadata.sha256, replaced: old != nil)
        if enforceLimit && over {
            result.eviction = try self.enforceLimit(protecting: [key.name])
            result.overLimit = (result.eviction?.bytesAfter ?? 0) > configuration.maxBytes
        }
        return result
    }

    /// Publishes data (and any sidecar) under the key's lock; returns what the name held before.
    private func publish(_ writer: AtomicWriter, _ metaWriter: AtomicWriter?, key: CacheKey, lockHeld: Bool) throws(MediaCacheError) -> stat? {
        let lock = lockHeld ? nil : try layout.keyLock(key)
        try lock?.lockExclusive()
        defer { lock?.unlock() }
        let old = Posix.lstat(at: layout.rootFD.fd, key.name)
        // Any old sidecar goes first: a process killed between the two steps
        // then leaves new bytes without metadata (a valid, foreign entry), never
        // new bytes under an old entry's SHA-256, ETag and content type.
        unlinkat(layout.metaFD.fd, key.name, 0)
        try writer.commit(durable: configuration.durable)
        do {
            try metaWriter?.commit()
        } catch {
            unlinkat(layout.metaFD.fd, key.name, 0)  // never leave the old entry's metadata on new bytes
        }
        return old
    }

    /// Brings the cache under its size limit, as `enforceLimit(protecting:)`
    /// does, if the shared size account says it is over (or does not know yet).
    /// - Important: Disk I/O: takes the state lock; scans the directory only when over.
    @discardableResult
    func enforceLimitIfOver(protecting protected: Set<String>) throws(MediaCacheError) -> EvictionResult? {
        let over = try layout.updateState { state in !state.accountKnown || state.accountBytes > configuration.maxBytes }
        return over ? try enforceLimit(protecting: protected) : nil
    }

    /// Brings the cache under its size limit (down to the low-water mark),
    /// expiring stale entries first and evicting `protected` names last.
    /// - Important: Disk I/O: scans the whole directory.
    @discardableResult
    public func enforceLimit(protecting protected: Set<String> = []) throws(MediaCacheError) -> EvictionResult {
        let snapshot = try CacheSnapshot.collect(layout)
        let policy = EvictionPolicy(
            now: Posix.now(), ttl: configuration.ttl,
            targetBytes: Int64(Double(configuration.maxBytes) * Self.lowWater), protected: protected)
        let plan = snapshot.totalBytes > configuration.maxBytes ? policy.plan(snapshot) : EvictionPlan()
        var result = try EvictionEngine.apply(plan, in: layout, scannedTotal: (snapshot.totalBytes, snapshot.entries.count))
        result.bytesAfter = snapshot.totalBytes - result.removedBytes
        result.entriesAfter = snapshot.entries.count - result.removed.filter { $0.reason != .hostile }.count
        return result
    }
}

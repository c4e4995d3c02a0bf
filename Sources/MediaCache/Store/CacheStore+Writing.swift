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
    /// With `dedupe`: the entry whose file this one now shares (a hard
    /// link; no second copy of the bytes); nil when the bytes were stored.
    public var sharedWith: String?
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
    /// enforced, never evicting this entry. `prefix` is bytes already read
    /// from `fd` (to look at them first); they come before the rest.
    /// - Important: Disk I/O.
    public func store(
        contentsOf fd: Int32, prefix: [UInt8] = [], sourceName: String, for url: String, contentType: String? = nil
    ) throws(MediaCacheError) -> StoreResult {
        let key = try key(for: url)
        let writer = try beginEntry(key)
        defer { writer.discard() }  // a no-op once committed
        if !prefix.isEmpty { try writer.write(prefix) }
        try writer.copy(from: fd, sourcePath: sourceName)
        let metadata = EntryMetadata(url: url, size: 0, sha256: "", storedAt: Posix.now(), contentType: contentType)
        return try commitEntry(writer, key: key, metadata: metadata)
    }

    /// Stores `bytes` as the entry for `url`. See `store(contentsOf:sourceName:for:contentType:)`.
    /// - Important: Disk I/O.
    public func store(_ bytes: [UInt8], for url: String, contentType: String? = nil) throws(MediaCacheError) -> StoreResult {
        let key = try key(for: url)
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
    /// other's sidecar. With `dedupe`, bytes another entry already holds are
    /// published as a hard link to that entry's file (see `ContentIndex`).
    /// - Important: Disk I/O.
    func commitEntry(
        _ writer: AtomicWriter, key: CacheKey, metadata: EntryMetadata, lockHeld: Bool = false,
        enforceLimit: Bool = true
    ) throws(MediaCacheError) -> StoreResult {
        var metadata = metadata
        metadata.size = writer.bytesWritten
        metadata.sha256 = writer.finishHash()
        metadata.file = writer.identity()
        let encoded = Array(metadata.encoded().utf8)
        let metaWriter = writer.setAttribute(EntryMetadata.attributeName, encoded) ? nil : try layout.sidecar(encoded, for: key)
        defer { metaWriter?.discard() }  // a no-op once committed
        let link = configuration.dedupe ? linkTarget(for: metadata, key: key) : nil

        let (old, linked) = try publish(writer, metaWriter, key: key, lockHeld: lockHeld, link: link)
        // The size account counts a file once: a link adds no bytes, and a
        // replaced name frees its bytes only if it was its file's last name.
        let added = linked ? 0 : metadata.size
        let oldSize = old.map { Posix.isRegular($0) && $0.st_nlink <= 1 ? Int64($0.st_size) : 0 } ?? 0
        if configuration.dedupe && !linked && metadata.size > 0 {
            layout.recordContent(metadata.sha256, size: metadata.size, name: key.name)
        }

        let overLimits = try layout.updateState { state in
            state.counters.stored += 1
            state.accountBytes = max(0, state.accountBytes + added - oldSize)
            if old == nil { state.accountEntries += 1 }
            return !state.accountKnown || state.accountBytes > configuration.maxBytes
                || configuration.maxEntries.map { state.accountEntries > Int64($0) } ?? false
        }
        let over = overLimits || belowFreeFloor()
        var result = StoreResult(
            key: key, path: layout.dataPath(key), size: metadata.size, sha256: metadata.sha256, replaced: old != nil)
        if linked { result.sharedWith = link?.candidate.name }
        if enforceLimit && over {
            result.eviction = try self.enforceLimit(protecting: [key.name])
            result.overLimit = (result.eviction?.bytesAfter ?? 0) > configuration.maxBytes
        }
        return result
    }

    /// An entry holding the same bytes to link to, with the sidecar record
    /// the new name gets there (the attribute on that file is its first
    /// name's); nil when none is known or the record cannot be written.
    /// The candidate is marked used now, as a new entry is: a prune that
    /// planned to evict it sees the newer mtime and leaves it.
    /// - Important: Disk I/O.
    private func linkTarget(for metadata: EntryMetadata, key: CacheKey) -> (candidate: DedupeCandidate, metadata: AtomicWriter)? {
        guard let candidate = layout.dedupeCandidate(sha256: metadata.sha256, size: metadata.size, excluding: key.name)
        else { return nil }
        var linked = metadata
        linked.file = candidate.identity
        guard let record = try? layout.sidecar(Array(linked.encoded().utf8), for: key) else { return nil }
        futimens(candidate.handle.fd, nil)
        return (candidate, record)
    }

    /// Publishes data (and any sidecar) under the key's lock, as a link to
    /// `link`'s file when that works; returns what the name held before and
    /// whether it was linked.
    private func publish(
        _ writer: AtomicWriter, _ metaWriter: AtomicWriter?, key: CacheKey, lockHeld: Bool,
        link: (candidate: DedupeCandidate, metadata: AtomicWriter)?
    ) throws(MediaCacheError) -> (old: stat?, linked: Bool) {
        let lock = lockHeld ? nil : try layout.keyLock(key)
        try lock?.lockExclusive()
        defer { lock?.unlock() }
        let old = Posix.lstat(at: layout.rootFD.fd, key.name)
        // Any old sidecar goes first: a process killed between the two steps
        // then leaves new bytes without metadata (a valid, foreign entry), never
        // new bytes under an old entry's SHA-256, ETag and content type.
        layout.removeSidecar(key.name, lockHeld: true)
        var linked = false
        if let link {
            linked = try writer.commitLink(to: link.candidate.name, inode: link.candidate.inode)
        }
        if !linked { try writer.commit(durable: configuration.durable) }
        do {
            try (linked ? link?.metadata : metaWriter)?.commit()
        } catch {
            layout.removeSidecar(key.name, lockHeld: true)  // never leave the old entry's metadata on new bytes
        }
        return (old, linked)
    }

    /// Whether the file system has less free than the floor (`minFreeBytes`);
    /// false without a floor or where free space is unknown.
    /// - Important: Disk I/O: one `fstatvfs`, only with a floor.
    func belowFreeFloor() -> Bool {
        guard let floor = configuration.minFreeBytes, let free = Posix.freeBytes(layout.rootFD.fd) else { return false }
        return free < floor
    }

    /// Brings the cache under its limits, as `enforceLimit(protecting:)`
    /// does, if the shared size account says it is over one (or does not
    /// know yet), or the file system is below its free-space floor.
    /// - Important: Disk I/O: takes the state lock; scans the directory only when over.
    @discardableResult
    func enforceLimitIfOver(protecting protected: Set<String>) throws(MediaCacheError) -> EvictionResult? {
        let over = try layout.updateState { state in
            !state.accountKnown || state.accountBytes > configuration.maxBytes
                || configuration.maxEntries.map { state.accountEntries > Int64($0) } ?? false
        }
        return over || belowFreeFloor() ? try enforceLimit(protecting: protected) : nil
    }

    /// Brings the cache under its size and entry limits (down to the
    /// low-water mark) and the file system above its free-space floor (10%
    /// of the floor beyond it), expiring stale entries and poisoned empty
    /// files first and evicting `protected` names last. Names in
    /// `keepingExpired` (entries whose origin is down) are not expired, only
    /// evicted for size as any other.
    /// - Important: Disk I/O: scans the whole directory.
    @discardableResult
    public func enforceLimit(protecting protected: Set<String> = [], keepingExpired: Set<String> = []) throws(MediaCacheError)
        -> EvictionResult
    {
        let snapshot = try CacheSnapshot.collect(layout)
        let policy = EvictionPolicy(
            now: Posix.now(), ttl: configuration.ttl,
            targetBytes: Int64(Double(configuration.maxBytes) * Self.lowWater),
            maxEntries: configuration.maxEntries.map { Int(Double($0) * Self.lowWater) },
            targetFree: configuration.minFreeBytes.map { Int64(min(Double($0) * (2 - Self.lowWater), 9e18)) },
            protected: protected,
            keepExpired: keepingExpired)
        let overCount = configuration.maxEntries.map { snapshot.entries.count > $0 } ?? false
        let underFree = configuration.minFreeBytes.flatMap { floor in snapshot.freeBytes.map { $0 < floor } } ?? false
        let over = snapshot.totalBytes > configuration.maxBytes || overCount || underFree || !snapshot.poisoned.isEmpty
        let plan = over ? policy.plan(snapshot) : EvictionPlan()
        var result = try EvictionEngine.apply(plan, in: layout, scannedTotal: (snapshot.totalBytes, snapshot.entries.count))
        result.bytesAfter = snapshot.totalBytes - result.releasedBytes
        result.entriesAfter = snapshot.entries.count - result.removed.filter { $0.reason != .hostile }.count
        return result
    }
}

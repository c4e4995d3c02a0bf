#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The cache, with blocking calls: the engine under `MediaCache` and the CLI.
///
/// Every method does disk I/O on the calling thread. Async code should use
/// `MediaCache`, which runs these calls on a thread pool (invariant 7).
/// All state lives in the directory, so any number of `CacheStore`s, in any
/// number of processes, may share one.
public final class CacheStore: Sendable {
    public let configuration: CacheConfiguration
    let layout: CacheLayout

    /// Opens the cache directory, creating it when missing.
    /// - Important: Disk I/O.
    public init(_ configuration: CacheConfiguration) throws(MediaCacheError) {
        self.configuration = configuration
        layout = try CacheLayout(root: configuration.directory, shared: configuration.shared)
    }

    /// Whether this process may only read the cache: the directory is not
    /// writable and has no private directory yet (a vLLM cache owned by
    /// another user, say). Every write throws the permission error.
    public var isReadOnly: Bool { layout.isReadOnly }

    /// Throws the permission error every write would meet, when `isReadOnly`.
    public func checkWritable() throws(MediaCacheError) {
        if let reason = layout.readOnlyReason { throw reason }
    }

    /// The cache directory as given, without a trailing slash.
    public var directory: String { layout.root }

    /// Where the data file for `key` is (or would be).
    public func path(for key: CacheKey) -> String { layout.dataPath(key) }

    // MARK: - Reading

    /// An entry opened for reading: its descriptor stays valid even if the
    /// entry is evicted meanwhile, so the bytes read are always the whole entry.
    public final class OpenEntry: @unchecked Sendable {
        public let key: CacheKey
        public let path: String
        public let size: Int64
        /// The read-only descriptor; closed when this object goes away.
        public let fd: Int32

        init(key: CacheKey, path: String, size: Int64, fd: Int32) {
            self.key = key
            self.path = path
            self.size = size
            self.fd = fd
        }

        deinit { Posix.closeQuietly(fd) }
    }

    /// Opens the entry for `key` if it is present and unexpired, and marks it used.
    ///
    /// A hit touches the file's mtime through the open descriptor, so a miss
    /// can never create a file (invariant 3). A symlink under the name is a
    /// miss and is never followed. An expired entry is removed through the
    /// eviction engine and is a miss, as in vLLM. With `count`, the hit or
    /// miss is added to the shared counters.
    /// - Important: Disk I/O.
    public func open(_ key: CacheKey, count: Bool = true) throws(MediaCacheError) -> OpenEntry? {
        let entry = try openUncounted(key)
        if count { self.count(hit: entry != nil) }
        return entry
    }

    /// Adds a hit or a miss to the shared counters, where this process may write them.
    /// - Important: Disk I/O.
    func count(hit: Bool) {
        // A cache this process may read but not write: serving the bytes
        // matters more than counting them; so does any other failure to count.
        try? layout.updateState { state in
            if hit { state.counters.hits += 1 } else { state.counters.misses += 1 }
        }
    }

    /// Opens the data file of `key` read-only, never following a symlink;
    /// nil when there is none or the name holds anything but a regular file.
    ///
    /// `O_NONBLOCK` keeps a FIFO planted under the name from hanging the open.
    /// - Important: Disk I/O. The caller closes the descriptor.
    func openDataFile(_ key: CacheKey) throws(MediaCacheError) -> (fd: Int32, info: stat)? {
        EventLoopGuard.assertNotOnEventLoop()
        let fd = openat(layout.rootFD.fd, key.name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            switch errno {
            case ENOENT, ELOOP, ENOTDIR, ENXIO: return nil
            default: throw .io(operation: "cannot open", path: path(for: key), errno: errno)
            }
        }
        var info = stat()
        guard fstat(fd, &info) == 0, Posix.isRegular(info) else {
            Posix.closeQuietly(fd)
            return nil
        }
        return (fd, info)
    }

    /// Opens the entry for `url` under whichever name vLLM may have given
    /// it (see `SuffixRules`), counting one hit or miss. See `open(_:count:)`.
    /// - Important: Disk I/O.
    public func open(url: String, count: Bool = true) throws(MediaCacheError) -> OpenEntry? {
        var entry: OpenEntry?
        for key in try CacheKey.names(of: url, rules: configuration.suffixRules) where entry == nil {
            entry = try openUncounted(key)
        }
        if count { self.count(hit: entry != nil) }
        return entry
    }

    /// Opens the entry for `key` whether or not it has expired, without
    /// marking it used or counting it: for serving a stale entry when its
    /// origin fails (a `.stale` fetch outcome), which must stay expired so
    /// that the next fetch asks the origin again. Nil when there is none, or
    /// only a poisoned empty file.
    /// - Important: Disk I/O.
    public func openExpired(_ key: CacheKey) throws(MediaCacheError) -> OpenEntry? {
        guard let (fd, info) = try openDataFile(key) else { return nil }
        guard !layout.isPoisoned(key.name, size: Int64(info.st_size)) else {
            Posix.closeQuietly(fd)
            return nil
        }
        _ = fcntl(fd, F_SETFL, 0)  // clear O_NONBLOCK, as `openUncounted` does
        return OpenEntry(key: key, path: path(for: key), size: Int64(info.st_size), fd: fd)
    }

    /// The key new entries for `url` get: vLLM's name under the Python rules configured.
    public func key(for url: String) throws(MediaCacheError) -> CacheKey {
        try CacheKey(url: url, rules: configuration.suffixRules)
    }

    /// A 0-byte data file that mediacache did not record as an empty body
    /// is vLLM's poisoned entry: a miss, and removed (see `isPoisoned`); an
    /// expired entry is removed and a miss, as in vLLM.
    private func openUncounted(_ key: CacheKey) throws(MediaCacheError) -> OpenEntry? {
        guard let (fd, info) = try openDataFile(key) else { return nil }
        let lastUsed = Posix.seconds(info.st_mtim)
        let expired = Posix.now() - lastUsed > configuration.ttl
        if expired || layout.isPoisoned(key.name, size: Int64(info.st_size)) {
            Posix.closeQuietly(fd)
            let entry = CacheEntry(name: key.name, size: Int64(info.st_size), lastUsed: lastUsed, kind: .file)
            var plan = EvictionPlan()
            plan.removals = [PlannedRemoval(entry: entry, reason: expired ? .expired : .poisoned)]
            _ = try? EvictionEngine.apply(plan, in: layout)  // best effort: the miss stands either way
            return nil
        }
        // Clear O_NONBLOCK (it only guarded against a FIFO planted under the name).
        _ = fcntl(fd, F_SETFL, 0)
        futimens(fd, nil)  // last use = now; through the descriptor, never by name
        return OpenEntry(key: key, path: path(for: key), size: Int64(info.st_size), fd: fd)
    }

    /// Whether `key` is present and unexpired, without touching or counting it.
    /// - Important: Disk I/O.
    public func contains(_ key: CacheKey) -> Bool {
        guard let info = Posix.lstat(at: layout.rootFD.fd, key.name), Posix.isRegular(info) else { return false }
        return Posix.now() - Posix.seconds(info.st_mtim) <= configuration.ttl
    }

    /// The entry's metadata, when mediacache stored it; nil for vLLM-written entries.
    /// - Important: Disk I/O.
    public func metadata(for key: CacheKey) -> EntryMetadata? {
        layout.readMetadata(key)
    }

    // MARK: - Counters

    /// The shared counters as last saved.
    /// - Important: Disk I/O.
    public func counters() -> CacheCounters { layout.loadState().counters }

    /// Zeroes the counters and restarts `since` at now.
    /// - Important: Disk I/O.
    public func resetCounters() throws(MediaCacheError) {
        if let reason = layout.readOnlyReason { throw reason }  // nowhere to keep counters: say so
        try layout.updateState { state in
            state.counters = CacheCounters()
            state.counters.since = Posix.now()
        }
    }
}

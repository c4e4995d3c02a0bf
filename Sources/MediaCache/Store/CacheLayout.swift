#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where everything lives inside a cache directory.
///
/// Data files sit flat in the root under their vLLM names. Everything else
/// starts with "." so vLLM never sees it:
///
///     <root>/<key>                  data file (vLLM's format)
///     <root>/.tmp-<hash>-…          data being written (atomic writer)
///     <root>/.mediacache/meta/<key> per-entry metadata
///     <root>/.mediacache/locks/<h>  per-key locks (one download per URL)
///     <root>/.mediacache/state      counters and the size account
struct CacheLayout: Sendable {
    static let privateDirName = ".mediacache"
    static let tempPrefix = ".tmp-"

    let root: String
    /// Open descriptor of the root directory; every data-file call is relative to it.
    let rootFD: FileHandle
    let metaFD: FileHandle
    let locksFD: FileHandle
    let privateFD: FileHandle
    /// The state file's lock, kept open (see `updateState`).
    let stateLock = KeptFileLock(name: "state.lock")
    /// Why the private directory could not be made (a read-only view); thrown by every write.
    let readOnlyReason: MediaCacheError?

    var privatePath: String { root + "/" + Self.privateDirName }
    var metaPath: String { privatePath + "/meta" }
    var locksPath: String { privatePath + "/locks" }

    func dataPath(_ key: CacheKey) -> String { root + "/" + key.name }

    /// Opens (and creates when missing) the cache directory.
    ///
    /// New directories get mode 0700, or 2770 when `shared` asks for group
    /// access. An existing directory keeps its mode.
    /// - Important: Disk I/O.
    init(root: String, shared: Bool) throws(MediaCacheError) {
        var mode: mode_t = shared ? 0o2770 : 0o700
        self.root = Self.normalize(root)
        try Self.makeDirectories(self.root, mode: mode)
        rootFD = try Self.openDirectory(self.root, at: AT_FDCWD, name: self.root)
        // A directory a group already shares (a vLLM cache made 2770, say)
        // gets private directories the group can use too: its locks and
        // metadata must serve every member, not only whoever came first.
        var info = stat()
        if fstat(rootFD.fd, &info) == 0, info.st_mode & 0o070 == 0o070 { mode = 0o2770 }
        do {
            privateFD = try Self.openOrCreate(Self.privateDirName, in: rootFD.fd, path: self.root, mode: mode)
        } catch let error where error.isUnwritable {
            // A cache someone else owns (vLLM's, say) with no private directory
            // yet: readable, not writable. Reads work; counters are not kept;
            // every write fails on the root directory with a clear error.
            (privateFD, metaFD, locksFD) = (FileHandle(-1), FileHandle(-1), FileHandle(-1))
            readOnlyReason = error
            return
        }
        readOnlyReason = nil
        metaFD = try Self.openOrCreate("meta", in: privateFD.fd, path: self.root + "/.mediacache", mode: mode)
        locksFD = try Self.openOrCreate("locks", in: privateFD.fd, path: self.root + "/.mediacache", mode: mode)
    }

    /// Whether the private directory is missing and cannot be made: a read-only view of the cache.
    var isReadOnly: Bool { privateFD.fd < 0 }

    private static func normalize(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// `mkdir -p`, with `mode` for the last component only.
    private static func makeDirectories(_ path: String, mode: mode_t) throws(MediaCacheError) {
        var info = stat()
        if stat(path, &info) == 0 {
            guard Posix.isDirectory(info) else { throw .notADirectory(path: path) }
            return
        }
        // A file above the path: the directory does not exist and cannot be made.
        if errno == ENOTDIR { throw .cannotCreateDirectory(path: path, errno: ENOTDIR) }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectories(String(path[..<slash]), mode: 0o755)
        }
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw .cannotCreateDirectory(path: path, errno: errno)
        }
        if mode & 0o7000 != 0 { chmod(path, mode) }
    }

    private static func openDirectory(_ path: String, at dir: Int32, name: String) throws(MediaCacheError) -> FileHandle {
        let fd = openat(dir, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOTDIR { throw .notADirectory(path: name) }
            throw .io(operation: "cannot open cache directory", path: name, errno: errno)
        }
        return FileHandle(fd)
    }

    private static func openOrCreate(_ name: String, in dir: Int32, path: String, mode: mode_t) throws(MediaCacheError)
        -> FileHandle
    {
        let created = mkdirat(dir, name, mode) == 0
        if !created && errno != EEXIST {
            throw .io(operation: "cannot create", path: path + "/" + name, errno: errno)
        }
        let fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw .io(operation: "cannot open", path: path + "/" + name, errno: errno)
        }
        // The umask (typically 022) strips group write from a shared cache's
        // private directories; every group member must create locks and temp files there.
        if created && mode & 0o7000 != 0 { fchmod(fd, mode) }
        return FileHandle(fd)
    }
}

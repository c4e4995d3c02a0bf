#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One data file as a scan found it.
public struct CacheEntry: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A regular file: a real entry, whoever wrote it.
        case file
        /// A symlink or other non-regular file planted under an entry's name.
        /// Never followed; reported and removed by `prune` and `verify --fix`.
        case hostile
    }

    public var name: String
    public var size: Int64
    /// Last use (the file's mtime), seconds since the epoch.
    public var lastUsed: Double
    public var kind: Kind
    /// Which file the name holds, and how many names that file has: a
    /// deduplicated body (`--dedupe`) is one inode under several names,
    /// whose bytes count once and leave the disk only with its last name.
    var inode: UInt64 = 0
    var links = 1
    /// Bytes the file takes on disk (`st_blocks` × 512): what removing its last name frees.
    var allocated: Int64 = 0

    init(name: String, size: Int64, lastUsed: Double, kind: Kind) {
        self.name = name
        self.size = size
        self.lastUsed = lastUsed
        self.kind = kind
    }

    /// The entry a `stat` of `name` describes.
    init(name: String, info: stat) {
        self.init(
            name: name, size: Int64(info.st_size), lastUsed: Posix.seconds(info.st_mtim),
            kind: Posix.isRegular(info) ? .file : .hostile)
        inode = UInt64(info.st_ino)
        links = Int(info.st_nlink)
        allocated = Int64(info.st_blocks) * 512
    }
}

/// Counts each file once however many names it has (hard links made by
/// `--dedupe`): the size account, `stats` and eviction all count an inode's
/// bytes once, and know that removing a name frees space only when it is
/// the file's last name in the cache.
struct Footprint {
    /// Names left in the cache per file that has more than one.
    private var names: [UInt64: Int] = [:]

    init(_ entries: [CacheEntry]) {
        for entry in entries where entry.links > 1 { names[entry.inode, default: 0] += 1 }
    }

    /// The bytes of `entries`, each file counted once.
    static func counts(_ entries: [CacheEntry]) -> Int64 {
        var seen = Set<UInt64>()
        return entries.reduce(0) { total, entry in
            entry.links <= 1 || seen.insert(entry.inode).inserted ? total + entry.size : total
        }
    }

    /// Takes a name away; true when it was its file's last (its bytes leave the disk).
    mutating func remove(_ entry: CacheEntry) -> Bool {
        guard entry.links > 1, let left = names[entry.inode] else { return true }
        names[entry.inode] = left - 1
        return left <= 1
    }
}

/// Everything one pass over a cache directory found: the "collect" step.
struct CacheSnapshot {
    var entries: [CacheEntry] = []
    var hostile: [CacheEntry] = []
    /// Entries that are empty files vLLM's `touch()` made (see `isPoisoned`).
    var poisoned: Set<CacheKey> = []
    /// Directories without a leading dot (`lost+found`, say): never entries,
    /// but vLLM's eviction stats them and fails on them (`mediacache doctor`).
    var directories: [String] = []
    /// Temp files (`.tmp-*`, and vLLM's `tmpXXXXXXXX`) in the root and
    /// metadata directories, with their mtimes.
    var tempFiles: [(directory: Int32, name: String, modified: Double)] = []
    /// Bytes free on the file system for this user; nil where unknown (ramfs).
    var freeBytes: Int64?
    /// The entries' bytes on disk: a file with several names counts once.
    var totalBytes: Int64 { Footprint.counts(entries) }
    /// The entries' bytes name by name, as vLLM's eviction counts them.
    var apparentBytes: Int64 { entries.reduce(0) { $0 + $1.size } }

    /// Lists the cache directory without following any symlink.
    /// - Important: Disk I/O: one `readdir` pass and one `fstatat` per name.
    static func collect(_ layout: CacheLayout, includeTemps: Bool = false) throws(MediaCacheError) -> CacheSnapshot {
        EventLoopGuard.assertNotOnEventLoop()
        var snapshot = CacheSnapshot()
        for (name, _) in try Posix.listDirectory(layout.rootFD.fd, path: layout.root) {
            if name.hasPrefix(".") {
                if includeTemps, name.hasPrefix(CacheLayout.tempPrefix),
                    let info = Posix.lstat(at: layout.rootFD.fd, name)
                {
                    snapshot.tempFiles.append((layout.rootFD.fd, name, Posix.seconds(info.st_mtim)))
                }
                continue
            }
            guard let info = Posix.lstat(at: layout.rootFD.fd, name) else { continue }  // gone meanwhile
            if VLLMFiles.isTempFile(name) {
                if includeTemps { snapshot.tempFiles.append((layout.rootFD.fd, name, Posix.seconds(info.st_mtim))) }
                continue
            }
            let entry = CacheEntry(name: name, info: info)
            if entry.kind == .file {
                snapshot.entries.append(entry)
                if entry.size == 0, layout.isPoisoned(name, size: 0), let key = try? CacheKey(name: name) {
                    snapshot.poisoned.insert(key)
                }
            } else if Posix.isDirectory(info) {
                snapshot.directories.append(name)
            } else {
                snapshot.hostile.append(entry)
            }
        }
        if includeTemps && !layout.isReadOnly {
            for directory in [layout.metaFD.fd, layout.privateFD.fd] {
                let path = directory == layout.metaFD.fd ? layout.metaPath : layout.privatePath
                for (name, _) in try Posix.listDirectory(directory, path: path)
                where name.hasPrefix(CacheLayout.tempPrefix) {
                    if let info = Posix.lstat(at: directory, name) {
                        snapshot.tempFiles.append((directory, name, Posix.seconds(info.st_mtim)))
                    }
                }
            }
        }
        snapshot.freeBytes = Posix.freeBytes(layout.rootFD.fd)
        return snapshot
    }
}

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
    var totalBytes: Int64 { entries.reduce(0) { $0 + $1.size } }

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
            let entry = CacheEntry(
                name: name, size: Int64(info.st_size), lastUsed: Posix.seconds(info.st_mtim),
                kind: Posix.isRegular(info) ? .file : .hostile)
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
        return snapshot
    }
}

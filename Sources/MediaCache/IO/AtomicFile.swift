#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Replaces a file outside any cache in one step, through the atomic writer.
///
/// For files other programs read while they are rewritten, such as a
/// Prometheus textfile that node_exporter may read at any moment: the temp
/// file is made in the target's own directory (unnamed, or `.tmp-…`, which
/// the textfile collector skips as it reads only `*.prom`) and renamed over
/// the target, so a reader sees the old file or the new one, never a part.
public enum AtomicFile {
    /// Writes `text` to `path`, replacing what was there (mode 0644 before the umask).
    /// - Important: Disk I/O.
    public static func write(_ text: String, to path: String) throws(MediaCacheError) {
        let (writer, directory) = try writer(replacing: path)
        defer { writer.discard() }  // a no-op once committed
        try withExtendedLifetime(directory) { () throws(MediaCacheError) in
            try writer.write(Array(text.utf8))
            try writer.commit()
        }
    }

    /// A writer whose commit replaces `path`: its temp file is in `path`'s
    /// own directory. Keep the returned directory handle until the commit.
    /// - Important: Disk I/O.
    static func writer(replacing path: String) throws(MediaCacheError) -> (AtomicWriter, FileHandle) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty, name != ".", name != ".." else {
            throw .io(operation: "cannot write", path: path, errno: EISDIR)
        }
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "cannot write into", path: directory, errno: errno) }
        let handle = FileHandle(fd)
        return (try AtomicWriter(directory: handle.fd, path: directory, target: name, tag: name.prefix(20)), handle)
    }
}

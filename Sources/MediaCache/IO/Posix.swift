#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thin, errno-checked wrappers over the system calls the store is built on.
///
/// The store talks to the kernel directly rather than through Foundation:
/// it needs `O_NOFOLLOW`, `O_EXCL`, `openat`, `flock` and `futimens` exactly,
/// and the command-line tool starts faster without Foundation on its hot path.
public enum Posix {
    /// Seconds since the epoch, with nanoseconds, from the real-time clock:
    /// the one `now()` of the library and the tool.
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    static func seconds(_ spec: timespec) -> Double {
        Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// `fstatat` without following a final symlink; nil when the name is gone.
    static func lstat(at directory: Int32, _ name: String) -> stat? {
        var info = stat()
        return fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? info : nil
    }

    static func isRegular(_ info: stat) -> Bool { (info.st_mode & S_IFMT) == S_IFREG }
    static func isDirectory(_ info: stat) -> Bool { (info.st_mode & S_IFMT) == S_IFDIR }

    /// Writes all of `bytes`, retrying short writes and `EINTR`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        writeAll(fd, [bytes])
    }

    /// Writes all of `pieces` in order with `writev` (up to 1024 at a time),
    /// retrying short writes and `EINTR`.
    static func writeAll(_ fd: Int32, _ pieces: [UnsafeRawBufferPointer]) -> Int32? {
        var vectors = pieces.filter { $0.count > 0 }.map {
            iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
        }
        var first = 0
        while first < vectors.count {
            let count = min(vectors.count - first, 1024)
            let written = vectors.withUnsafeBufferPointer { writev(fd, $0.baseAddress! + first, Int32(count)) }
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            skip(written, in: &vectors, from: &first)
        }
        return nil
    }

    /// After a write of `count` bytes from `vectors[first...]`: moves past
    /// the vectors written whole, and into the one written in part.
    static func skip(_ count: Int, in vectors: inout [iovec], from first: inout Int) {
        var left = count
        while first < vectors.count && left >= vectors[first].iov_len {
            left -= vectors[first].iov_len
            first += 1
        }
        if left > 0 {
            vectors[first].iov_base += left
            vectors[first].iov_len -= left
        }
    }

    /// The one read loop: one `read` (or `pread` at `offset`), retried on
    /// `EINTR`: the count, 0 at the end, or -1 with `errno` set. Every reader
    /// in the library and the tool goes through it.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: off_t? = nil) -> Int {
        while true {
            let count =
                offset.map { pread(fd, buffer.baseAddress, buffer.count, $0) } ?? systemRead(fd, buffer.baseAddress, buffer.count)
            if count < 0 && errno == EINTR { continue }
            return count
        }
    }

    /// Reads until `buffer` is full or the input ends (from `offset` on, when
    /// given): the count read, or -1 with `errno` set.
    public static func fill(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: off_t? = nil) -> Int {
        var done = 0
        while done < buffer.count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
            let count = read(fd, into: rest, at: offset.map { $0 + off_t(done) })
            if count < 0 { return -1 }
            if count == 0 { break }
            done += count
        }
        return done
    }

    /// Everything readable from `fd` up to `limit` bytes; nil on an error
    /// (`errno` set) or when there is more than `limit`.
    public static func readAll(_ fd: Int32, limit: Int) -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { read(fd, into: $0) }
            if count < 0 { return nil }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
        return nil
    }

    /// Closes a descriptor, ignoring `EINTR` as Linux requires.
    static func closeQuietly(_ fd: Int32) {
        if fd >= 0 { _ = close(fd) }
    }

    /// The names in a directory opened by `fd`, with their `d_type`. Does not consume `fd`.
    static func listDirectory(_ fd: Int32, path: String) throws(MediaCacheError) -> [(name: String, type: UInt8)] {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            let code = errno
            closeQuietly(copy)
            throw .io(operation: "cannot list", path: path, errno: code)
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [(String, UInt8)] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw .io(operation: "cannot list", path: path, errno: errno) }
                break
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            names.append((name, entry.pointee.d_type))
        }
        return names
    }

    /// Bytes free for unprivileged users on the file system of the directory
    /// open as `fd` (`f_bavail * f_frsize`); nil where that is unknown.
    ///
    /// A file system that reports no blocks at all (ramfs) has no capacity to
    /// measure against: nil, never zero, so a free-space floor does nothing there.
    /// - Important: Disk I/O: one `fstatvfs`.
    static func freeBytes(_ fd: Int32) -> Int64? {
        var info = statvfs()
        guard fstatvfs(fd, &info) == 0, info.f_blocks > 0 else { return nil }
        let free = Double(info.f_bavail) * Double(info.f_frsize)
        return free >= 9.2e18 ? Int64.max : Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// A short random hex string for temp file names.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 36)
    }
}

/// An open file descriptor that closes itself.
final class FileHandle: @unchecked Sendable {
    let fd: Int32
    init(_ fd: Int32) { self.fd = fd }
    deinit { Posix.closeQuietly(fd) }
}

/// libc's `read`, reachable from inside `Posix`, whose own `read` shadows it.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

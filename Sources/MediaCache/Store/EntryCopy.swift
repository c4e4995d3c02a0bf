#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CacheStore.OpenEntry {
    /// Copies the entry's bytes to `destination`, in the kernel where it can.
    ///
    /// `sendfile` moves the bytes without copying them through user space;
    /// where the destination does not allow it (an `O_APPEND` file, say),
    /// a 1 MiB read/write loop does the same job.
    /// - Important: Disk I/O; blocks until every byte is written.
    public func copy(to destination: Int32, destination name: String) throws(MediaCacheError) {
        var offset: off_t = 0
        #if os(Linux)
        while offset < size {
            let sent = sendfile(destination, fd, &offset, Int(min(size - Int64(offset), 1 << 30)))
            if sent > 0 { continue }
            if sent == 0 { return }  // the file shrank: nothing more to send
            if errno == EINTR || errno == EAGAIN { continue }
            if errno == EINVAL || errno == ENOSYS { break }
            throw .io(operation: "cannot write to", path: name, errno: errno)
        }
        if offset >= size { return }
        #endif
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = Posix.read(fd, into: buffer, at: offset)
            if count < 0 { throw .io(operation: "cannot read", path: path, errno: errno) }
            if count == 0 { return }
            if let code = Posix.writeAll(destination, UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
                throw .io(operation: "cannot write to", path: name, errno: code)
            }
            offset += off_t(count)
        }
    }
}

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

extension CacheStore.OpenEntry {
    /// Copies the entry's bytes to the file at `path` through the atomic
    /// writer: a temp file in `path`'s directory, renamed over it at the end.
    /// A failed copy (a full disk, an interruption) leaves any earlier file
    /// at `path` whole and no partial one.
    ///
    /// A symlink is followed (its target is replaced); a path that is not a
    /// regular file, such as `/dev/null` or a pipe, is written in place.
    /// - Important: Disk I/O; blocks until every byte is written.
    public func copy(toFile path: String) throws(MediaCacheError) {
        var target = path
        var info = stat()
        if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK, let resolved = realpath(path, nil) {
            target = String(cString: resolved)
            free(resolved)
        }
        if stat(target, &info) == 0 && !Posix.isRegular(info) {
            let fd = open(target, O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard fd >= 0 else { throw .io(operation: "cannot write", path: path, errno: errno) }
            defer { Posix.closeQuietly(fd) }
            return try copy(to: fd, destination: path)
        }
        let writer: AtomicWriter
        let directory: FileHandle
        do throws(MediaCacheError) {
            (writer, directory) = try AtomicFile.writer(replacing: target)
        } catch .io(_, _, let code) {
            throw .io(operation: "cannot write", path: path, errno: code)
        }
        defer { writer.discard() }  // a no-op once committed
        do throws(MediaCacheError) {
            try withExtendedLifetime(directory) { () throws(MediaCacheError) in
                try copy(into: writer)
                try writer.commit()
            }
        } catch .io(_, let failed, let code) where failed != self.path {
            throw .io(operation: "cannot write", path: path, errno: code)  // name the output, not its temp file
        }
    }

    /// Appends every byte of the entry to `writer`, 1 MiB at a time.
    private func copy(into writer: AtomicWriter) throws(MediaCacheError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: off_t = 0
        while true {
            let count = Posix.read(fd, into: buffer, at: offset)
            if count < 0 { throw .io(operation: "cannot read", path: path, errno: errno) }
            if count == 0 { return }
            try writer.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += off_t(count)
        }
    }
}

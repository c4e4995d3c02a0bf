import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way anything is written into a cache directory.
///
/// Bytes go to a temp file created exclusively beside the target (its name
/// starts with "." so vLLM ignores it); `commit` renames it over the target
/// in one step, so a reader sees the old file, the new file, or none — never
/// a partial one (invariant 1). Data written is hashed as it streams
/// (invariant 4). If the writer is dropped without `commit`, or any step
/// fails, the temp file is deleted.
/// - Important: Disk I/O; call from a thread that may block.
final class AtomicWriter {
    private let directoryFD: Int32
    private let directoryPath: String
    private let targetName: String
    private let tempName: String
    private var fd: Int32
    private let hasher = SHA256Hasher()
    private(set) var bytesWritten: Int64 = 0
    private var finished = false

    /// Creates the temp file. `tag` names it (the key's hash prefix) for people reading the directory.
    init(directory: Int32, path: String, target: String, tag: Substring, mode: mode_t = 0o644) throws(MediaCacheError) {
        EventLoopGuard.assertNotOnEventLoop()
        directoryFD = directory
        directoryPath = path
        targetName = target
        tempName = "\(CacheLayout.tempPrefix)\(tag)-\(getpid())-\(Posix.randomToken())"
        fd = openat(directory, tempName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw .io(operation: "cannot create temp file in", path: path, errno: errno)
        }
        TempFileRegistry.add(tempPath)
    }

    private var tempPath: String { "\(directoryPath)/\(tempName)" }

    deinit { discard() }

    /// Appends bytes, hashing them on the way.
    func write(_ bytes: UnsafeRawBufferPointer) throws(MediaCacheError) {
        guard bytes.count > 0 else { return }
        EventLoopGuard.assertNotOnEventLoop()
        if let code = Posix.writeAll(fd, bytes) {
            discard()
            throw .io(operation: "cannot write to", path: "\(directoryPath)/\(tempName)", errno: code)
        }
        hasher.update(bytes)
        bytesWritten += Int64(bytes.count)
    }

    func write(_ buffer: ByteBuffer) throws(MediaCacheError) {
        let failure: MediaCacheError? = buffer.withUnsafeReadableBytes { raw in
            do throws(MediaCacheError) { try write(raw) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    func write(_ bytes: [UInt8]) throws(MediaCacheError) {
        for start in stride(from: 0, to: bytes.count, by: 1 << 20) {
            let slice = bytes[start..<min(bytes.count, start + (1 << 20))]
            let failure: MediaCacheError? = slice.withUnsafeBytes { raw in
                do throws(MediaCacheError) { try write(raw) } catch { return error }
                return nil
            }
            if let failure { throw failure }
        }
    }

    /// Copies everything readable from `source` (a file or pipe), streaming in 1 MiB pieces.
    func copy(from source: Int32, sourcePath: String) throws(MediaCacheError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(source, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                discard()
                throw .inputUnreadable(path: sourcePath, errno: code)
            }
            if count == 0 { return }
            try write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// The SHA-256 of everything written; call once, just before `commit`.
    func finishHash() -> String {
        hasher.finalize()
    }

    /// Renames the temp file over the target. After this the writer is spent.
    ///
    /// With `durable`, the file is flushed to stable storage first, so a
    /// power cut cannot leave a renamed but empty file.
    func commit(durable: Bool = false, modificationTime: timespec? = nil) throws(MediaCacheError) {
        precondition(!finished, "AtomicWriter committed twice")
        EventLoopGuard.assertNotOnEventLoop()
        if durable && fsync(fd) != 0 {
            let code = errno
            discard()
            throw .io(operation: "cannot flush", path: "\(directoryPath)/\(tempName)", errno: code)
        }
        if let modificationTime {
            var times = [modificationTime, modificationTime]
            futimens(fd, &times)
        }
        if close(fd) != 0 && errno != EINTR {
            let code = errno
            fd = -1
            discard()
            throw .io(operation: "cannot write", path: "\(directoryPath)/\(tempName)", errno: code)
        }
        fd = -1
        if renameat(directoryFD, tempName, directoryFD, targetName) != 0 {
            let code = errno
            discard()
            throw .io(operation: "cannot rename into place", path: "\(directoryPath)/\(targetName)", errno: code)
        }
        finished = true
        TempFileRegistry.remove(tempPath)
    }

    /// Deletes the temp file; safe to call more than once.
    func discard() {
        guard !finished else { return }
        finished = true
        Posix.closeQuietly(fd)
        fd = -1
        unlinkat(directoryFD, tempName, 0)
        TempFileRegistry.remove(tempPath)
    }
}

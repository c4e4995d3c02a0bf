import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one way anything is written into a cache directory.
///
/// Bytes go to a temp file in the target's directory; `commit` gives it the
/// target's name in one step, so a reader sees the old file, the new file,
/// or none — never a partial one (invariant 1). Data written is hashed as it
/// streams (invariant 4). If any step fails, the temp file is deleted; a
/// writer given up on must be ended with `discard()` (a `defer` right after
/// creating it is the usual way; it does nothing after `commit`).
///
/// On Linux the temp file is unnamed (`O_TMPFILE`) and `commit` links it in.
/// Two reasons: the inode is allocated without the directory's lock, so
/// parallel writers into one flat directory do not queue behind each other
/// (a named create holds that lock for the whole inode search, which on a
/// busy ext4 volume is most of the cost of storing a small file); and a
/// process killed while writing leaves nothing behind, since an unlinked inode
/// is freed when its last descriptor closes. Where the file system has no
/// unnamed files, the temp file is named like `.tmp-<hash>-<pid>-<random>`
/// (starting with "." so vLLM ignores it) and renamed over the target.
/// - Important: Disk I/O; call from a thread that may block.
final class AtomicWriter {
    private let directoryFD: Int32
    private let directoryPath: String
    private let targetName: String
    private let tag: Substring
    /// The temp file's name, or nil while it is unnamed.
    private var tempName: String?
    private var fd: Int32
    /// The hash of what is written, updated by each write on the thread that
    /// makes it: parallel downloads, written on the thread pool, hash in parallel.
    private let hasher = SHA256Hasher()
    private(set) var bytesWritten: Int64 = 0
    private var finished = false

    /// Creates the temp file. `tag` names it (the key's hash prefix) for people reading the directory.
    init(directory: Int32, path: String, target: String, tag: Substring, mode: mode_t = 0o644) throws(MediaCacheError) {
        EventLoopGuard.assertNotOnEventLoop()
        directoryFD = directory
        directoryPath = path
        targetName = target
        self.tag = tag
        if let fd = Self.openUnnamed(in: directory, mode: mode) {
            self.fd = fd
            return
        }
        let name = Self.tempName(tag: tag)
        fd = openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            finished = true  // nothing to discard; deinit runs for this half-made writer too
            throw .io(operation: "cannot create temp file in", path: path, errno: code)
        }
        tempName = name
        TempFileRegistry.add(tempPath(name))
    }

    private static func tempName(tag: Substring) -> String {
        "\(CacheLayout.tempPrefix)\(tag)-\(getpid())-\(Posix.randomToken())"
    }

    /// An unnamed file in `directory`, or nil where there cannot be one (or it could not be linked in later).
    private static func openUnnamed(in directory: Int32, mode: mode_t) -> Int32? {
        #if os(Linux)
            guard UnnamedFile.flags != 0, UnnamedFile.linkable else { return nil }
            let fd = openat(directory, ".", UnnamedFile.flags | O_WRONLY | O_CLOEXEC, mode)
            // Any failure (no support in this file system, no permission, no
            // space) falls through to a named temp file, which reports its own error.
            return fd >= 0 ? fd : nil
        #else
            return nil
        #endif
    }

    private func tempPath(_ name: String) -> String { "\(directoryPath)/\(name)" }

    /// The temp file's path for messages.
    private var tempDescription: String { tempName.map(tempPath) ?? "\(directoryPath)/(unnamed temp file)" }

    /// Does no blocking work, whichever thread drops the writer: callers end
    /// every writer with `commit` or `discard`, on a thread that may block.
    deinit {
        assert(finished, "AtomicWriter dropped without commit() or discard(): its temp file is left behind")
    }

    /// Appends bytes, hashing them on the way.
    func write(_ bytes: UnsafeRawBufferPointer) throws(MediaCacheError) {
        try append([bytes])
    }

    /// Appends received buffers with one `writev`, without first copying
    /// them into one, and hashes them here.
    func write(_ buffers: [ByteBuffer]) throws(MediaCacheError) {
        try withExtendedLifetime(buffers) { () throws(MediaCacheError) in
            // The pointers stay valid: `buffers` keeps every storage alive, and nothing writes to it.
            try append(buffers.map { $0.withUnsafeReadableBytes { $0 } })
        }
    }

    /// Writes `pieces` in order, then hashes them.
    private func append(_ pieces: [UnsafeRawBufferPointer]) throws(MediaCacheError) {
        let total = pieces.reduce(0) { $0 + $1.count }
        guard total > 0 else { return }
        EventLoopGuard.assertNotOnEventLoop()
        if let code = Posix.writeAll(fd, pieces) {
            discard()
            throw .io(operation: "cannot write to", path: tempDescription, errno: code)
        }
        for piece in pieces { hasher.update(piece) }
        bytesWritten += Int64(total)
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
            let count = Posix.read(source, into: buffer)
            if count < 0 {
                let code = errno
                discard()
                throw .inputUnreadable(path: sourcePath, errno: code)
            }
            if count == 0 { return }
            try write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// The SHA-256 of everything written; call when all is written, before `commit`.
    /// Later calls return the same digest (a remote body is checked with it before the commit takes it).
    func finishHash() -> String {
        if let digest { return digest }
        digest = hasher.finalize()
        return digest ?? ""
    }
    private var digest: String?

    /// The temp file's identity, which it keeps when it is published.
    func identity() -> FileIdentity? { FileIdentity.of(descriptor: fd) }

    /// Attaches an extended attribute to the temp file, so that it is
    /// published together with the bytes; false where the file system refuses it.
    func setAttribute(_ name: String, _ value: [UInt8]) -> Bool {
        ExtendedAttribute.set(name, value, on: fd)
    }

    /// Publishes the temp file under the target's name. After this the writer is spent.
    ///
    /// With `durable`, the file is flushed to stable storage first, so a
    /// power cut cannot leave a renamed but empty file.
    func commit(durable: Bool = false, modificationTime: timespec? = nil) throws(MediaCacheError) {
        precondition(!finished, "AtomicWriter committed twice")
        EventLoopGuard.assertNotOnEventLoop()
        if durable && fsync(fd) != 0 {
            let code = errno
            discard()
            throw .io(operation: "cannot flush", path: tempDescription, errno: code)
        }
        if let modificationTime {
            var times = [modificationTime, modificationTime]
            futimens(fd, &times)
        }
        if let tempName {
            try commitNamed(tempName)
        } else {
            try commitUnnamed()
        }
        finished = true
    }

    /// Publishes `source`, an existing file of the same directory, under the
    /// target's name instead of the bytes written (`--dedupe`): a hard link
    /// made under a temp name and renamed over the target, so the publish is
    /// as atomic as `commit`. The bytes written are dropped. False, with
    /// nothing changed and the writer still usable for `commit`, when the link
    /// cannot be made (gone, too many links, not allowed) or `source` no longer
    /// holds the file `inode` that was verified.
    func commitLink(to source: String, inode: UInt64) throws(MediaCacheError) -> Bool {
        precondition(!finished, "AtomicWriter committed twice")
        EventLoopGuard.assertNotOnEventLoop()
        let staging = Self.tempName(tag: tag)
        TempFileRegistry.add(tempPath(staging))
        defer { TempFileRegistry.remove(tempPath(staging)) }
        guard linkat(directoryFD, source, directoryFD, staging, 0) == 0 else { return false }
        guard let linked = Posix.lstat(at: directoryFD, staging), UInt64(linked.st_ino) == inode else {
            unlinkat(directoryFD, staging, 0)  // the name was replaced since it was verified
            return false
        }
        if renameat(directoryFD, staging, directoryFD, targetName) != 0 {
            let code = errno
            unlinkat(directoryFD, staging, 0)
            throw .io(operation: "cannot rename into place", path: "\(directoryPath)/\(targetName)", errno: code)
        }
        // Renaming one name of a file over another name of the same file
        // does nothing and leaves both: the target already was this file.
        unlinkat(directoryFD, staging, 0)
        discard()
        return true
    }

    private func commitNamed(_ tempName: String) throws(MediaCacheError) {
        if close(fd) != 0 && errno != EINTR {
            let code = errno
            fd = -1
            discard()
            throw .io(operation: "cannot write", path: tempPath(tempName), errno: code)
        }
        fd = -1
        if renameat(directoryFD, tempName, directoryFD, targetName) != 0 {
            let code = errno
            discard()
            throw .io(operation: "cannot rename into place", path: "\(directoryPath)/\(targetName)", errno: code)
        }
        TempFileRegistry.remove(tempPath(tempName))
    }

    /// Links the unnamed file in as the target. A new name is one `linkat`;
    /// an existing one is replaced by linking under a temp name and renaming
    /// that over it, since a link never replaces.
    private func commitUnnamed() throws(MediaCacheError) {
        var code = link(as: targetName)
        if code == EEXIST {
            let staging = Self.tempName(tag: tag)
            TempFileRegistry.add(tempPath(staging))
            code = link(as: staging)
            if code == 0 && renameat(directoryFD, staging, directoryFD, targetName) != 0 {
                code = errno
                unlinkat(directoryFD, staging, 0)
            }
            TempFileRegistry.remove(tempPath(staging))
        }
        guard code == 0 else {
            discard()
            throw .io(operation: "cannot link into place", path: "\(directoryPath)/\(targetName)", errno: code)
        }
        // The name is in place; a failing close cannot take it back (on the
        // local file systems that have unnamed files, close does not fail).
        Posix.closeQuietly(fd)
        fd = -1
    }

    /// Gives the unnamed file a name; 0 or the errno.
    private func link(as name: String) -> Int32 {
        #if os(Linux)
            // AT_EMPTY_PATH links the descriptor itself, but before Linux 6.10
            // only with privilege; the /proc path works for everyone.
            if UnnamedFile.emptyPathLinks.load(ordering: .relaxed) {
                if linkat(fd, "", directoryFD, name, UnnamedFile.atEmptyPath) == 0 { return 0 }
                guard errno == ENOENT || errno == EPERM else { return errno }
                UnnamedFile.emptyPathLinks.store(false, ordering: .relaxed)  // and do not try again
            }
            if linkat(AT_FDCWD, "/proc/self/fd/\(fd)", directoryFD, name, AT_SYMLINK_FOLLOW) == 0 { return 0 }
            return errno
        #else
            return ENOTSUP
        #endif
    }

    /// Deletes the temp file; safe to call more than once.
    func discard() {
        guard !finished else { return }
        finished = true
        Posix.closeQuietly(fd)
        fd = -1
        if let tempName {
            unlinkat(directoryFD, tempName, 0)
            TempFileRegistry.remove(tempPath(tempName))
        }
    }
}

#if os(Linux)
    /// What this system offers for unnamed temp files, found out once per process.
    enum UnnamedFile {
        /// `O_TMPFILE`, or 0 where it is not known. The test suite sets
        /// `MEDIACACHE_TEST_NAMED_TEMP_FILES` to exercise the named temp files
        /// other file systems get.
        static let flags = getenv("MEDIACACHE_TEST_NAMED_TEMP_FILES") == nil ? tmpfile : 0

        /// Linux's `O_TMPFILE` is `__O_TMPFILE | O_DIRECTORY`, a macro Swift cannot
        /// import (and glibc defines only under _GNU_SOURCE); `__O_TMPFILE` is
        /// 020000000 on every architecture but alpha, parisc and sparc.
        #if arch(x86_64) || arch(arm64) || arch(i386) || arch(arm) || arch(powerpc64le) || arch(s390x) || arch(riscv64)
            private static let tmpfile: Int32 = 0o20000000 | O_DIRECTORY
        #else
            private static let tmpfile: Int32 = 0
        #endif
        /// Whether an unnamed file can surely be linked in: through /proc, which
        /// works for everyone. (`AT_EMPTY_PATH` is tried first, but before Linux
        /// 6.10 it needs a privilege that root in a container may lack.)
        static let linkable = access("/proc/self/fd", X_OK) == 0
        /// Linux's `AT_EMPTY_PATH`, which glibc defines only under _GNU_SOURCE.
        static let atEmptyPath: Int32 = 0x1000
        /// Whether `linkat(fd, "", …, AT_EMPTY_PATH)` works here; false after it
        /// has been refused once (tests set it false to take the /proc path).
        static let emptyPathLinks = Atomic(true)
    }
#endif

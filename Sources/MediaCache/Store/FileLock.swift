import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An advisory `flock` on a file in the cache's private directory.
///
/// Release it with `unlock()`, normally from a `defer` right after taking
/// it: Swift may end an object's life at its last use, so a lock kept only
/// by scope could be released before the work it guards. The kernel also
/// releases it when the process dies, so a `kill -9` never leaves a cache locked.
final class FileLock: @unchecked Sendable {
    private let directory: Int32
    private let name: String
    private let path: String
    private var fd: Int32

    /// - Important: Disk I/O.
    init(directory: Int32, name: String, path: String) throws(MediaCacheError) {
        self.directory = directory
        self.name = name
        self.path = path + "/" + name
        fd = -1
        try reopen()
    }

    deinit { unlock() }

    /// Releases the lock, then closes the descriptor. Safe to call more than once.
    ///
    /// `LOCK_UN` first, not only `close`: a process that spawns a child in
    /// another thread at this moment (a test runner, a server) gives the
    /// child a copy of the descriptor until it execs, and a lock released
    /// only by closing would stay held by that copy meanwhile; an eviction
    /// would then see a busy entry and skip it (seen in the test suite).
    func unlock() {
        if fd >= 0 { _ = flock(fd, LOCK_UN) }
        Posix.closeQuietly(fd)
        fd = -1
    }

    /// Releases the lock and keeps the descriptor open, for `KeptFileLock` to take it again.
    func release() {
        if fd >= 0 { _ = flock(fd, LOCK_UN) }
    }

    private func reopen() throws(MediaCacheError) {
        Posix.closeQuietly(fd)
        // Read-only is enough for flock, and lets every member of a shared
        // cache's group lock a file another member created (mode 0644).
        fd = openat(directory, name, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(operation: "cannot open lock", path: path, errno: errno) }
    }

    /// Blocks until this process holds the lock.
    func lockExclusive() throws(MediaCacheError) {
        while true {
            if flock(fd, LOCK_EX) == 0 {
                if try stillNamed() { return }
                try reopen()
            } else if errno != EINTR {
                throw .io(operation: "cannot lock", path: path, errno: errno)
            }
        }
    }

    /// Takes the lock if nobody holds it; never blocks.
    func tryLockExclusive() throws(MediaCacheError) -> Bool {
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                if try stillNamed() { return true }
                try reopen()
            } else if errno == EWOULDBLOCK {
                return false
            } else if errno != EINTR {
                throw .io(operation: "cannot lock", path: path, errno: errno)
            }
        }
    }

    /// Whether the locked file is still the one the name points at.
    ///
    /// `prune` removes idle lock files; a process that opened the file just
    /// before it was removed would otherwise hold a lock nobody else can see.
    private func stillNamed() throws(MediaCacheError) -> Bool {
        var mine = stat()
        guard fstat(fd, &mine) == 0 else { throw .io(operation: "cannot stat lock", path: path, errno: errno) }
        guard let current = Posix.lstat(at: directory, name) else { return false }
        return current.st_ino == mine.st_ino && current.st_dev == mine.st_dev
    }
}

/// A lock file opened once and kept open, for a lock this process takes
/// many times: the state lock, taken on every hit, miss and stored entry.
///
/// Opening the file, checking that it is still the one named and closing
/// it again cost more than the `flock` itself. Here the descriptor stays
/// open for the life of the cache, and a mutex lets one thread of this
/// process at a time use it: threads sharing one descriptor share its
/// `flock`, so the file lock alone would not keep them apart. Between
/// processes nothing changes: whoever holds the `flock` holds the lock,
/// and a killed process's lock goes with it.
final class KeptFileLock: @unchecked Sendable {
    private let name: String
    private let mutex = NIOLock()
    /// Opened on first use; guarded by `mutex`.
    private var file: FileLock?

    init(name: String) { self.name = name }

    /// Runs `body` holding the lock exclusively (this process's mutex, then the `flock`).
    /// - Important: Disk I/O; blocks while another process or thread holds the lock.
    func withExclusive<T>(
        directory: Int32, path: String, _ body: () throws(MediaCacheError) -> T
    ) throws(MediaCacheError) -> T {
        mutex.lock()
        defer { mutex.unlock() }
        let lock: FileLock
        if let file {
            lock = file
        } else {
            lock = try FileLock(directory: directory, name: name, path: path)
            file = lock
        }
        try lock.lockExclusive()
        defer { lock.release() }
        return try body()
    }
}

extension CacheLayout {
    /// The lock that serialises writers of one key: one download, one put at a time.
    /// - Important: Disk I/O.
    func keyLock(_ key: CacheKey) throws(MediaCacheError) -> FileLock {
        try keyLock(named: key.name)
    }

    /// The lock for the entry named `name` (vLLM names start with their hash).
    ///
    /// Locks are striped over 256 files by the name's first two characters:
    /// one URL always maps to one lock, and a file per URL would cost an
    /// extra file creation for every new entry, the most expensive step of
    /// a prewarm on most file systems. Two URLs that share a stripe only
    /// take turns publishing or downloading.
    func keyLock(named name: String) throws(MediaCacheError) -> FileLock {
        // A read-only view has no locks directory: the write this lock guards
        // fails with the reason (a permission error), not a bad descriptor.
        if let readOnlyReason { throw readOnlyReason }
        return try FileLock(directory: locksFD.fd, name: Self.lockStripe(of: name), path: locksPath)
    }

    /// The name of the lock file that serialises writers of the entry `name`.
    static func lockStripe(of name: String) -> String { String(name.prefix(2)) }
}

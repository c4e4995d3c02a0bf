#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counters and the size account, shared by every process using a cache.
///
/// Kept in `.mediacache/state` and changed only under an exclusive `flock`
/// on `.mediacache/state.lock`: read, change, write, unlock. That makes
/// every update exact however many processes run at once (invariant 5).
/// The file is created through the atomic writer and then overwritten in
/// place as one 512-byte record, so a crash mid-update leaves the old record.
public struct CacheCounters: Sendable, Equatable {
    public var hits: Int64 = 0
    public var misses: Int64 = 0
    public var stored: Int64 = 0
    public var evictedEntries: Int64 = 0
    public var evictedBytes: Int64 = 0
    /// When the counters started (creation or last reset), seconds since the epoch.
    public var since: Double = 0

    public init() {}
}

struct CacheState: Equatable {
    var counters = CacheCounters()
    /// Running total of data bytes, kept by put and evict, reconciled by every full scan.
    var accountBytes: Int64 = 0
    var accountEntries: Int64 = 0
    /// Whether the account came from a full scan since the file was created.
    var accountKnown = false

    static let header = "mediacache-state 1"
    /// Largest counter read back (2^62): far above any real count, far enough below Int64.max to add to.
    static let maxCount: Int64 = 1 << 62

    func encoded() -> String {
        let c = counters
        return """
            \(Self.header)
            since \(c.since)
            hits \(c.hits)
            misses \(c.misses)
            stored \(c.stored)
            evicted_entries \(c.evictedEntries)
            evicted_bytes \(c.evictedBytes)
            account_bytes \(accountBytes)
            account_entries \(accountEntries)
            account_known \(accountKnown ? 1 : 0)

            """
    }

    /// Parses the state file; a garbled one yields nil and is started afresh.
    init?(decoding text: String) {
        let lines = text.split(separator: "\n")
        guard lines.first == Substring(Self.header) else { return nil }
        var values: [Substring: Substring] = [:]
        for line in lines.dropFirst() {
            guard let space = line.firstIndex(of: " ") else { return nil }
            values[line[..<space]] = line[line.index(after: space)...]
        }
        // Out-of-range numbers count as garbled: a counter near Int64.max would
        // trap on its next increment, and a non-finite `since` cannot be printed.
        func int(_ name: Substring) -> Int64? { values[name].flatMap { Int64($0) }.flatMap { (0...Self.maxCount).contains($0) ? $0 : nil } }
        guard let since = values["since"].flatMap({ Double($0) }), (0...1e11).contains(since), let hits = int("hits"),
            let misses = int("misses"), let stored = int("stored"), let evictedEntries = int("evicted_entries"),
            let evictedBytes = int("evicted_bytes"), let accountBytes = int("account_bytes"),
            let accountEntries = int("account_entries")
        else { return nil }
        counters.since = since
        counters.hits = hits
        counters.misses = misses
        counters.stored = stored
        counters.evictedEntries = evictedEntries
        counters.evictedBytes = evictedBytes
        self.accountBytes = accountBytes
        self.accountEntries = accountEntries
        accountKnown = int("account_known") == 1
    }

    init(since: Double) { counters.since = since }
}

extension CacheLayout {
    /// Runs `change` on the state under the exclusive state lock and saves the result.
    /// - Important: Disk I/O; blocks while another process holds the lock.
    @discardableResult
    func updateState<T>(_ change: (inout CacheState) throws(MediaCacheError) -> T) throws(MediaCacheError) -> T {
        EventLoopGuard.assertNotOnEventLoop()
        if isReadOnly {
            var scratch = loadState()
            return try change(&scratch)  // nowhere to keep it
        }
        let lock = try FileLock(directory: privateFD.fd, name: "state.lock", path: privatePath)
        try lock.lockExclusive()
        defer { lock.unlock() }
        var state = loadState()
        let before = state
        let result = try change(&state)
        if state != before && !overwriteState(state) {
            let writer = try AtomicWriter(directory: privateFD.fd, path: privatePath, target: "state", tag: "state")
            defer { writer.discard() }  // a no-op once committed
            try writer.write(Array(state.encoded().utf8))
            try writer.commit()
        }
        return result
    }

    /// Size of the state record on disk: one sector, padded with newlines (which decoding skips).
    static let stateRecordSize = 512

    /// Overwrites the state file in place with one `pwrite`; false when it
    /// cannot (no file yet, not a regular file, any error), and the caller
    /// then goes through the atomic writer.
    ///
    /// Why not always the atomic writer: the state changes on every hit,
    /// miss and stored entry, and a temp file renamed over it costs a
    /// create, a rename over a live inode (ext4 starts writeback for it) and
    /// a delete: 0.2-5 ms per update on the benchmark machine, more than the
    /// rest of a `get` (docs/benchmarks.md). The caller holds the state
    /// lock, so writers never interleave; the record is one 512-byte write at
    /// offset 0, so a killed process leaves the old record or the new one.
    /// - Important: Disk I/O; call only under the state lock.
    private func overwriteState(_ state: CacheState) -> Bool {
        var bytes = Array(state.encoded().utf8)
        if bytes.count < Self.stateRecordSize {
            bytes += [UInt8](repeating: UInt8(ascii: "\n"), count: Self.stateRecordSize - bytes.count)
        }
        let fd = openat(privateFD.fd, "state", O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { Posix.closeQuietly(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, Posix.isRegular(info) else { return false }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count else { return false }
        if Int(info.st_size) > bytes.count { _ = ftruncate(fd, off_t(bytes.count)) }
        return true
    }

    /// The state as last saved; a missing or garbled file reads as fresh counters.
    /// - Important: Disk I/O.
    func loadState() -> CacheState {
        if let text = Self.readSmallFile(at: privateFD.fd, "state", limit: 64 * 1024),
            let state = CacheState(decoding: text)
        {
            return state
        }
        return CacheState(since: Posix.now())
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counters and the size account, shared by every process using a cache.
///
/// Kept in `.mediacache/state` and changed only under an exclusive `flock`
/// on `.mediacache/state.lock`: read, change, write through the atomic
/// writer, unlock. That makes every update exact however many processes
/// run at once (invariant 5), and a crash mid-update leaves the old file.
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
        if isReadOnly {
            var scratch = loadState()
            return try change(&scratch)  // nowhere to keep it
        }
        let lock = try FileLock(directory: privateFD.fd, name: "state.lock", path: privatePath)
        try lock.lockExclusive()
        var state = loadState()
        let before = state
        let result = try change(&state)
        if state != before {
            let writer = try AtomicWriter(directory: privateFD.fd, path: privatePath, target: "state", tag: "state")
            try writer.write(Array(state.encoded().utf8))
            try writer.commit()
        }
        return result
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

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
    /// Fetches answered from a remembered 404 or 410, without asking the origin (see `NegativeRecord`).
    public var negativeHits: Int64 = 0
    /// Expired entries served because the origin failed (`FetchSettings.staleIfError`).
    public var staleServed: Int64 = 0
    /// When the counters started (creation or last reset), seconds since the epoch.
    public var since: Double = 0
    /// Whether the counters restarted at `since` because the state file held
    /// no whole record (a torn write on both slots, or damage by hand).
    public var restartedAfterDamage = false
    /// Per remote level, in the order levels were first used (see `RemoteCounters`).
    public var remote: [RemoteLevelCounters] = []

    public init() {}
}

struct CacheState: Equatable {
    var counters = CacheCounters()
    /// Running total of data bytes, kept by put and evict, reconciled by every full scan.
    var accountBytes: Int64 = 0
    var accountEntries: Int64 = 0
    /// Whether the account came from a full scan since the file was created.
    var accountKnown = false
    /// Bumped by every save; picks the newer of the two record slots.
    var sequence: Int64 = 0

    /// Version 2 records end with a `sum` line (see `KeyValueRecord`);
    /// version 1 records (older mediacache) had none and still read.
    static let header = "mediacache-state 2"
    static let headerV1 = "mediacache-state 1"
    /// Largest counter read back (2^62): far above any real count, far enough below Int64.max to add to.
    static let maxCount: Int64 = 1 << 62

    func encoded() -> String {
        var record = KeyValueRecord(header: Self.header)
        let c = counters
        for (name, value) in [
            ("sequence", "\(sequence)"), ("since", "\(c.since)"), ("hits", "\(c.hits)"), ("misses", "\(c.misses)"),
            ("stored", "\(c.stored)"), ("evicted_entries", "\(c.evictedEntries)"), ("evicted_bytes", "\(c.evictedBytes)"),
            ("negative_hits", "\(c.negativeHits)"), ("stale_served", "\(c.staleServed)"),
            ("account_bytes", "\(accountBytes)"), ("account_entries", "\(accountEntries)"),
            ("account_known", accountKnown ? "1" : "0"),
        ] {
            record.append(name, value)
        }
        if c.restartedAfterDamage { record.append("restarted_after_damage", "1") }
        for level in Self.encodeRemote(c.remote) { record.append("remote", level) }
        return record.encoded(summed: true)
    }

    /// Parses one record; nil for a garbled or torn one.
    init?(decoding text: String) {
        guard
            let record = KeyValueRecord(decoding: text, header: Self.header, requireSum: true)
                ?? KeyValueRecord(decoding: text, header: Self.headerV1)
        else { return nil }
        // Out-of-range numbers count as garbled: a counter near Int64.max would
        // trap on its next increment, and a non-finite `since` cannot be printed.
        func int(_ name: String) -> Int64? {
            record[name].flatMap { Int64($0) }.flatMap { (0...Self.maxCount).contains($0) ? $0 : nil }
        }
        guard let since = record["since"].flatMap({ Double($0) }), (0...1e11).contains(since), let hits = int("hits"),
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
        // Counters added later are absent from older records: they start at 0.
        // (Older versions skip the lines they do not know, so they read newer records too.)
        counters.negativeHits = int("negative_hits") ?? 0
        counters.staleServed = int("stale_served") ?? 0
        self.accountBytes = accountBytes
        self.accountEntries = accountEntries
        accountKnown = int("account_known") == 1
        counters.restartedAfterDamage = int("restarted_after_damage") == 1
        sequence = int("sequence") ?? 0
        counters.remote = Self.decodeRemote(record.fields.filter { $0.name == "remote" }.map(\.value))
    }

    init(since: Double) { counters.since = since }

    /// Equal in what is kept: the sequence and the damage flag are bookkeeping.
    static func == (a: CacheState, b: CacheState) -> Bool {
        a.counters == b.counters && a.accountBytes == b.accountBytes && a.accountEntries == b.accountEntries
            && a.accountKnown == b.accountKnown
    }
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
        return try stateLock.withExclusive(directory: privateFD.fd, path: privatePath) { () throws(MediaCacheError) -> T in
            try updateLockedState(change)
        }
    }

    /// `updateState`'s work, under the state lock.
    private func updateLockedState<T>(_ change: (inout CacheState) throws(MediaCacheError) -> T) throws(MediaCacheError) -> T {
        var state = loadState()
        let before = state
        let result = try change(&state)
        state.sequence += 1
        if state != before && !overwriteState(state) {
            // A new file gets the record in both slots, so that the first
            // overwrite, torn or not, leaves a whole record beside it.
            let slot = Self.slot(state) ?? Array(state.encoded().utf8)
            let writer = try AtomicWriter(directory: privateFD.fd, path: privatePath, target: "state", tag: "state")
            defer { writer.discard() }  // a no-op once committed
            try writer.write(slot.count == Self.stateRecordSize ? slot + slot : slot)
            try writer.commit()
        }
        return result
    }

    /// Size of one state record slot on disk: one sector, padded with
    /// newlines (which decoding skips). The file has two slots.
    static let stateRecordSize = 512

    /// Overwrites one of the state file's two slots in place with one
    /// `pwrite`; false when it cannot (no file yet, not a regular file, any
    /// error), and the caller then goes through the atomic writer.
    ///
    /// Saves alternate between the slots (by sequence number), so a write
    /// torn by a crash or a power cut damages only the slot being written:
    /// the other still holds the previous record, whole, and the checksum
    /// tells which slot to trust. Counts are never lost silently: at worst the
    /// one update that was being written when the machine died.
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
        guard let bytes = Self.slot(state) else { return false }  // too large for a slot: rewrite whole
        let fd = openat(privateFD.fd, "state", O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { Posix.closeQuietly(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, Posix.isRegular(info) else { return false }
        let offset = off_t(state.sequence % 2) * off_t(Self.stateRecordSize)
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, offset) }
        guard written == bytes.count else { return false }
        if Int(info.st_size) > 2 * Self.stateRecordSize { _ = ftruncate(fd, off_t(2 * Self.stateRecordSize)) }
        return true
    }

    /// A record padded with newlines to one slot; nil when it does not fit.
    private static func slot(_ state: CacheState) -> [UInt8]? {
        let bytes = Array(state.encoded().utf8)
        guard bytes.count <= stateRecordSize else { return nil }
        return bytes + [UInt8](repeating: UInt8(ascii: "\n"), count: stateRecordSize - bytes.count)
    }

    /// The state as last saved: the newer whole record of the two slots. A
    /// missing file reads as fresh counters; a file with no whole record also
    /// does, marked `restartedAfterDamage`.
    /// - Important: Disk I/O.
    func loadState() -> CacheState {
        guard let bytes = Self.readSmallBytes(at: privateFD.fd, "state", limit: 64 * 1024) else {
            return CacheState(since: Posix.now())
        }
        // Each slot on its own; NUL bytes (a hole before a slot never written) are no text.
        let slots = stride(from: 0, to: max(bytes.count, 1), by: Self.stateRecordSize).map { start in
            String(decoding: bytes[start..<min(bytes.count, start + Self.stateRecordSize)].filter { $0 != 0 }, as: UTF8.self)
        }
        // The whole file is a record only where no slot is one: a version 1
        // file (one record of any length, no slots), or a record too long for a slot.
        var candidates = slots.compactMap(CacheState.init(decoding:))
        if candidates.isEmpty, let whole = CacheState(decoding: String(decoding: bytes, as: UTF8.self)) {
            candidates = [whole]
        }
        if let newest = candidates.max(by: { $0.sequence < $1.sequence }) { return newest }
        var fresh = CacheState(since: Posix.now())
        fresh.counters.restartedAfterDamage = bytes.contains { $0 != UInt8(ascii: "\n") && $0 != 0 }
        return fresh
    }
}

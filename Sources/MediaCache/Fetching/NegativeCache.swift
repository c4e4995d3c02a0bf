#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A URL whose origin answered a permanent failure (404, 410), remembered
/// for a short time so that `fetch` and `get --fetch` fail fast instead of
/// asking again (nginx's `proxy_cache_valid 404 1m`, the Hugging Face
/// cache's `.no_exist`).
///
/// Kept in `.mediacache/negative/<key>`, out of vLLM's sight, one small file
/// per URL written through the atomic writer under the key's lock. The
/// record holds the URL (a key is a hash prefix: another URL under the same
/// name is not this one), the status and when it stops counting; a garbled
/// or expired record counts as none, and `prune` removes expired ones.
public struct NegativeRecord: Sendable, Equatable {
    public var url: String
    /// The HTTP status the origin answered.
    public var status: Int
    /// When it answered, and when the record stops counting; seconds since the epoch.
    public var storedAt: Double
    public var expiresAt: Double

    static let header = "mediacache-negative 1"

    /// The text form: a `KeyValueRecord`.
    func encoded() -> String {
        var record = KeyValueRecord(header: Self.header)
        record.append("url", url)
        record.append("status", "\(status)")
        record.append("stored_at", "\(storedAt)")
        record.append("expires_at", "\(expiresAt)")
        return record.encoded()
    }

    /// Parses the text form; nil for anything garbled or truncated.
    init?(decoding text: String) {
        guard let record = KeyValueRecord(decoding: text, header: Self.header), let url = record["url"],
            let status = record["status"].flatMap({ Int($0) }),
            let storedAt = record["stored_at"].flatMap({ Double($0) }),
            let expiresAt = record["expires_at"].flatMap({ Double($0) }),
            storedAt.isFinite, expiresAt.isFinite
        else { return nil }
        self.init(url: url, status: status, storedAt: storedAt, expiresAt: expiresAt)
    }

    init(url: String, status: Int, storedAt: Double, expiresAt: Double) {
        self.url = url
        self.status = status
        self.storedAt = storedAt
        self.expiresAt = expiresAt
    }

    /// Whether the record still answers for `url` at `now` (URLs compared by their UTF-8 bytes).
    func answers(_ url: String, now: Double) -> Bool {
        now < expiresAt && self.url.utf8.elementsEqual(url.utf8)
    }
}

extension CacheLayout {
    static let negativeDirName = "negative"
    var negativePath: String { privatePath + "/" + Self.negativeDirName }

    /// Opens `.mediacache/negative`, creating it when `create` asks; nil when
    /// it is not there (nothing was ever remembered) or this view is read-only.
    /// - Important: Disk I/O.
    func negativeDirectory(create: Bool) throws(MediaCacheError) -> FileHandle? {
        guard !isReadOnly else { return nil }
        if create && mkdirat(privateFD.fd, Self.negativeDirName, 0o700) != 0 && errno != EEXIST {
            throw .io(operation: "cannot create", path: negativePath, errno: errno)
        }
        let fd = openat(privateFD.fd, Self.negativeDirName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .io(operation: "cannot open", path: negativePath, errno: errno)
        }
        // As for meta/ and locks/: in a group-shared cache every member writes here.
        var info = stat()
        if create, fstat(privateFD.fd, &info) == 0, info.st_mode & 0o070 == 0o070 { fchmod(fd, 0o2770) }
        return FileHandle(fd)
    }

    /// The record under entry name `name`, expired or not; nil when there is none or it is garbled.
    /// - Important: Disk I/O.
    func readNegative(_ name: String, in directory: FileHandle? = nil) -> NegativeRecord? {
        guard let directory = directory ?? (try? negativeDirectory(create: false)) ?? nil,
            let text = Self.readSmallFile(at: directory.fd, name, limit: Self.metadataLimit)
        else { return nil }
        return NegativeRecord(decoding: text)
    }

    /// Remembers a failure; the caller holds the key's lock.
    /// - Important: Disk I/O.
    func writeNegative(_ record: NegativeRecord, name: String) throws(MediaCacheError) {
        guard let directory = try negativeDirectory(create: true) else { return }
        let writer = try AtomicWriter(directory: directory.fd, path: negativePath, target: name, tag: name.prefix(20))
        try writer.write(Array(record.encoded().utf8))
        try writer.commit()
    }

    /// Removes the record under `name` when `condition` holds for it: the one
    /// way a negative record leaves a cache (`fetch --force`, `evict`, `prune`).
    ///
    /// Under the key's lock, as `removeSidecar`: the caller holds it
    /// (`lockHeld`), or it is taken here without waiting, and the condition
    /// is checked while it is held, so a record a fetch is writing right now
    /// is never taken by a pass that decided on the one before it.
    /// - Important: Disk I/O.
    @discardableResult
    func removeNegative(_ name: String, lockHeld: Bool, when condition: (NegativeRecord?) -> Bool = { _ in true }) -> Bool {
        guard !isReadOnly, let directory = (try? negativeDirectory(create: false)) ?? nil else { return false }
        return removeRecord(name, in: directory.fd, lockName: name, lockHeld: lockHeld) {
            condition(readNegative(name, in: directory))
        }
    }

    /// Every record's name, and the records (nil where garbled), for `prune` and `stats`.
    /// - Important: Disk I/O: one pass over `.mediacache/negative`.
    func negativeRecords() throws(MediaCacheError) -> [(name: String, record: NegativeRecord?)] {
        guard let directory = try negativeDirectory(create: false) else { return [] }
        return try Posix.listDirectory(directory.fd, path: negativePath)
            .filter { !$0.name.hasPrefix(".") }
            .map { ($0.name, readNegative($0.name, in: directory)) }
    }
}

extension CacheStore {
    /// The record that answers for `url` now, if any.
    /// - Important: Disk I/O.
    func negativeAnswer(for url: String, key: CacheKey) -> NegativeRecord? {
        guard let record = layout.readNegative(key.name), record.answers(url, now: Posix.now()) else { return nil }
        return record
    }

    /// Remembers that the origin answered `status` for `url`, for `ttl` seconds; the caller holds the key's lock.
    /// - Important: Disk I/O.
    func rememberFailure(_ url: String, key: CacheKey, status: Int, ttl: Double) throws(MediaCacheError) {
        let now = Posix.now()
        try layout.writeNegative(NegativeRecord(url: url, status: status, storedAt: now, expiresAt: now + ttl), name: key.name)
    }

    /// Forgets any remembered failure under `key`; the caller holds the key's lock.
    /// - Important: Disk I/O.
    func forgetFailure(_ key: CacheKey) {
        layout.removeNegative(key.name, lockHeld: true)
    }

    /// URLs remembered as failed right now.
    /// - Important: Disk I/O.
    func liveNegativeRecords() -> Int {
        let now = Posix.now()
        return ((try? layout.negativeRecords()) ?? []).filter { $0.record.map { now < $0.expiresAt } ?? false }.count
    }
}

extension EvictionPlan {
    /// Adds the negative records that expired before `now`, and garbled ones.
    /// - Important: Disk I/O.
    mutating func addExpiredNegativeRecords(layout: CacheLayout, now: Double) throws(MediaCacheError) {
        for (name, record) in try layout.negativeRecords() where record.map({ $0.expiresAt <= now }) ?? true {
            negativeRecords.append((name, expiredBefore: now))
        }
    }
}

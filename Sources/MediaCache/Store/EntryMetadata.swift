import CFileSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What mediacache knows about an entry beyond its bytes.
///
/// Stored with the entry's own data file, as the extended attribute
/// `user.mediacache`, set on the temp file before it is published: bytes and
/// metadata appear in one step, cost no second file, and vanish together
/// whoever deletes the entry (vLLM included). Where the file system has no
/// user extended attributes (or refuses one this large), the same text goes
/// to a small file `.mediacache/meta/<key>` beside it, written through the
/// atomic writer. Either way there is no shared index to lock or corrupt: a
/// garbled record costs only that entry's extras, never its bytes, and the
/// data file stays the source of truth. Entries that vLLM wrote have none.
public struct EntryMetadata: Sendable, Equatable {
    public var url: String
    public var size: Int64
    /// SHA-256 of the content, 64 hex digits.
    public var sha256: String
    /// When the bytes were stored, in seconds since the epoch.
    public var storedAt: Double
    public var contentType: String?
    public var etag: String?
    public var lastModified: String?
    /// The data file this record was written for (see `FileIdentity`):
    /// how a sidecar record tells that vLLM has since replaced the bytes.
    var file: FileIdentity?

    public init(
        url: String, size: Int64, sha256: String, storedAt: Double,
        contentType: String? = nil, etag: String? = nil, lastModified: String? = nil
    ) {
        self.url = url
        self.size = size
        self.sha256 = sha256
        self.storedAt = storedAt
        self.contentType = contentType
        self.etag = etag
        self.lastModified = lastModified
    }

    static let header = "mediacache-meta 1"
    /// The extended attribute that holds the text form on the data file.
    static let attributeName = "user.mediacache"

    /// The text form: a `KeyValueRecord`.
    func encoded() -> String {
        var record = KeyValueRecord(header: Self.header)
        record.append("url", url)
        record.append("size", "\(size)")
        record.append("sha256", sha256)
        record.append("stored_at", "\(storedAt)")
        if let contentType { record.append("content_type", contentType) }
        if let etag { record.append("etag", etag) }
        if let lastModified { record.append("last_modified", lastModified) }
        if let file { record.append("file", file.text) }
        return record.encoded()
    }

    /// Parses the text form; nil for anything garbled or truncated.
    init?(decoding text: String) {
        guard let record = KeyValueRecord(decoding: text, header: Self.header),
            let url = record["url"], let size = record["size"].flatMap({ Int64($0) }), size >= 0,
            let sha = record["sha256"], sha.utf8.count == 64, let storedAt = record["stored_at"].flatMap({ Double($0) })
        else { return nil }
        self.init(
            url: url, size: size, sha256: sha, storedAt: storedAt, contentType: record["content_type"],
            etag: record["etag"], lastModified: record["last_modified"])
        file = record["file"].flatMap { FileIdentity(text: Substring($0)) }
    }

    /// Whether this record was written for the entry `name`: its URL hashes
    /// to the name's 20 hex digits. An attribute lives on the inode, which a
    /// deduplicated body shares among several names; it describes only the
    /// name it was written for, and the other names keep sidecar records.
    func describes(_ name: String) -> Bool {
        SHA256Hasher.hex(of: url.utf8).prefix(20).utf8.elementsEqual(name.utf8.prefix(20))
    }
}

extension CacheLayout {
    /// Reads an entry's metadata; nil when absent, unreadable, garbled, or
    /// a sidecar record of a file that has since been replaced. An attribute
    /// written for another name of the same file (a deduplicated body) is
    /// not this entry's: its sidecar record is.
    /// - Important: Disk I/O.
    func readMetadata(_ key: CacheKey) -> EntryMetadata? {
        if let bytes = ExtendedAttribute.get(EntryMetadata.attributeName, path: dataPath(key), limit: Self.metadataLimit),
            let text = String(validating: bytes, as: UTF8.self), let metadata = EntryMetadata(decoding: text),
            metadata.describes(key.name)
        {
            return metadata
        }
        guard let metadata = readSidecar(key.name), sidecarIsCurrent(metadata, name: key.name) else { return nil }
        return metadata
    }

    /// The sidecar record under `name`, as it is, current or not.
    /// - Important: Disk I/O.
    func readSidecar(_ name: String) -> EntryMetadata? {
        guard !isReadOnly, let text = Self.readSmallFile(at: metaFD.fd, name, limit: Self.metadataLimit) else { return nil }
        return EntryMetadata(decoding: text)
    }

    /// Whether a sidecar record still describes the data file under `name`:
    /// false once another file (vLLM's rename) has taken the name. A record
    /// without an identity (older versions wrote none) is judged by size
    /// alone, as before; a data file that is gone leaves the record an orphan,
    /// which is current here and removed as an orphan.
    /// - Important: Disk I/O.
    func sidecarIsCurrent(_ metadata: EntryMetadata, name: String) -> Bool {
        guard let recorded = metadata.file, let current = FileIdentity.of(name, in: rootFD.fd) else { return true }
        return recorded.matches(current)
    }

    /// Removes the sidecar record of entry `name`: the one way metadata
    /// leaves a cache (an extended attribute goes with its file), with
    /// `removeContentRecord` for the content index.
    ///
    /// Always under the key's lock, so a record a writer is publishing is
    /// never taken from under it: the caller holds it (`lockHeld`), or it is
    /// taken here without waiting, and `condition` is checked again while it
    /// is held. Returns whether a record was removed; false also when a
    /// writer holds the lock (a later pass will see the record again).
    /// - Important: Disk I/O.
    @discardableResult
    func removeSidecar(_ name: String, lockHeld: Bool, when condition: () -> Bool = { true }) -> Bool {
        guard !isReadOnly else { return false }
        return removeRecord(name, in: metaFD.fd, lockName: name, lockHeld: lockHeld, when: condition)
    }

    /// Removes the content index record of `sha256` (see `ContentIndex`)
    /// when `condition` still holds, under the lock stripe of its hash. A
    /// record removed while a writer re-points it costs one later write a
    /// second copy of those bytes, never an entry.
    /// - Important: Disk I/O.
    @discardableResult
    func removeContentRecord(_ sha256: String, in directory: FileHandle, when condition: () -> Bool) -> Bool {
        guard !isReadOnly else { return false }
        return removeRecord(sha256, in: directory.fd, lockName: sha256, lockHeld: false, when: condition)
    }

    /// The one removal of a record kept beside the entries (a sidecar, a
    /// content index record, a negative record): under the lock of `lockName`,
    /// held by the caller or taken here without waiting, `condition` checked
    /// again while it is held.
    func removeRecord(
        _ name: String, in directory: Int32, lockName: String, lockHeld: Bool, when condition: () -> Bool
    ) -> Bool {
        var lock: FileLock?
        if !lockHeld {
            guard let taken = try? keyLock(named: lockName), (try? taken.tryLockExclusive()) == true else { return false }
            lock = taken
        }
        defer { lock?.unlock() }
        guard condition() else { return false }
        return unlinkat(directory, name, 0) == 0
    }

    /// Replaces the metadata of an existing entry (after revalidation); the caller holds the key's lock.
    /// - Important: Disk I/O.
    func writeMetadata(_ metadata: EntryMetadata, for key: CacheKey) throws(MediaCacheError) {
        let fd = openat(rootFD.fd, key.name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        if fd >= 0 {
            defer { Posix.closeQuietly(fd) }
            var info = stat()
            // Only onto the bytes it describes: the file may have been replaced meanwhile (vLLM takes no lock).
            guard fstat(fd, &info) == 0, Posix.isRegular(info), Int64(info.st_size) == metadata.size else { return }
            var metadata = metadata
            metadata.file = FileIdentity.of(descriptor: fd)
            let bytes = Array(metadata.encoded().utf8)
            // A file with other names (a deduplicated body): its attribute
            // belongs to the name it was written for; any other name's
            // metadata is its sidecar record, and the attribute stays.
            if info.st_nlink > 1 && !attributeDescribes(key.name, fd: fd) {
                try sidecar(bytes, for: key).commit()
                return
            }
            if ExtendedAttribute.set(EntryMetadata.attributeName, bytes, on: fd) {
                removeSidecar(key.name, lockHeld: true)  // an older sidecar would only be shadowed
                return
            }
            // Refused: the sidecar written below must not be shadowed by the old attribute.
            ExtendedAttribute.remove(EntryMetadata.attributeName, from: fd)
            try sidecar(bytes, for: key).commit()
        }
    }

    /// Whether the open file's attribute was written for the entry `name`.
    private func attributeDescribes(_ name: String, fd: Int32) -> Bool {
        guard let bytes = ExtendedAttribute.get(EntryMetadata.attributeName, descriptor: fd, limit: Self.metadataLimit),
            let text = String(validating: bytes, as: UTF8.self), let metadata = EntryMetadata(decoding: text)
        else { return false }
        return metadata.describes(name)
    }

    /// A metadata file for `key` holding `bytes`, written and not yet published.
    /// - Important: Disk I/O.
    func sidecar(_ bytes: [UInt8], for key: CacheKey) throws(MediaCacheError) -> AtomicWriter {
        let writer = try AtomicWriter(directory: metaFD.fd, path: metaPath, target: key.name, tag: key.hashPrefix)
        try writer.write(bytes)
        return writer
    }

    /// The largest metadata record read back, in bytes.
    static let metadataLimit = 256 * 1024

    /// Reads a whole small text file without following symlinks; nil on any
    /// failure, or when it holds a NUL byte or is not UTF-8.
    static func readSmallFile(at directory: Int32, _ name: String, limit: Int) -> String? {
        guard let bytes = readSmallBytes(at: directory, name, limit: limit), !bytes.contains(0) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Reads a whole small file without following symlinks; nil on any failure.
    static func readSmallBytes(at directory: Int32, _ name: String, limit: Int) -> [UInt8]? {
        let fd = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Posix.closeQuietly(fd) }
        return Posix.readAll(fd, limit: limit)
    }
}

/// Extended attributes (Linux); elsewhere every call reports "not here",
/// and metadata goes to sidecar files.
enum ExtendedAttribute {
    /// Sets `name` on an open file; false on any refusal (no support, too large, no space, no permission).
    static func set(_ name: String, _ value: [UInt8], on fd: Int32) -> Bool {
        #if os(Linux)
            return value.withUnsafeBytes { fsetxattr(fd, name, $0.baseAddress, $0.count, 0) } == 0
        #else
            return false
        #endif
    }

    /// Removes `name` from an open file, if it is there.
    static func remove(_ name: String, from fd: Int32) {
        #if os(Linux)
            _ = fremovexattr(fd, name)
        #endif
    }

    /// Reads `name` of an open file; nil if absent, larger than `limit`, or unreadable.
    static func get(_ name: String, descriptor fd: Int32, limit: Int) -> [UInt8]? {
        #if os(Linux)
            return read(limit: limit) { fgetxattr(fd, name, $0.baseAddress, $0.count) }
        #else
            return nil
        #endif
    }

    /// Reads `name` of the file at `path` without following a symlink; nil if absent, larger than `limit`, or unreadable.
    static func get(_ name: String, path: String, limit: Int) -> [UInt8]? {
        #if os(Linux)
            return read(limit: limit) { lgetxattr(path, name, $0.baseAddress, $0.count) }
        #else
            return nil
        #endif
    }

    /// Calls `get` with growing buffers (it fails with `ERANGE` while the value does not fit) up to `limit`.
    private static func read(limit: Int, _ get: (UnsafeMutableRawBufferPointer) -> Int) -> [UInt8]? {
        var size = 1024
        while size <= limit {
            var buffer = [UInt8](repeating: 0, count: size)
            let count = buffer.withUnsafeMutableBytes(get)
            if count >= 0 { return Array(buffer[0..<count]) }
            guard errno == ERANGE else { return nil }
            size *= 4
        }
        return nil
    }
}

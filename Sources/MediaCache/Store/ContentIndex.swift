#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Identical bodies stored once (`--dedupe`): which entry holds the bytes of a SHA-256.
///
/// `.mediacache/content/<sha256>` is a small record naming one entry whose
/// bytes have that SHA-256 (and their size). A write with `dedupe` on looks
/// its hash up once the body is written and hashed; when the record names a
/// live entry with those bytes, the new name becomes a hard link to that
/// entry's file instead of a second copy (see `AtomicWriter.commitLink`).
///
/// The record is a hint, never the truth: vLLM deletes and replaces names
/// behind mediacache's back, so before linking, the candidate is opened and
/// checked against its own metadata (size and SHA-256, from the attribute on
/// that very inode, or a sidecar record of that inode), and the link is
/// checked to be that inode. A record that fails is ignored, replaced by the
/// next dedupe write of those bytes, and removed by `prune`. Records are
/// written only with `dedupe`, so writes without it cost nothing more; the
/// index knows only bodies written with it.
extension CacheLayout {
    static let contentDirName = "content"
    var contentPath: String { privatePath + "/" + Self.contentDirName }

    /// The content index directory; nil when it does not exist (and `create` is false) or cannot be made.
    /// - Important: Disk I/O.
    func contentDirectory(create: Bool) -> FileHandle? {
        guard !isReadOnly else { return nil }
        if create {
            var info = stat()  // as shared as the private directory it sits in
            let mode = fstat(privateFD.fd, &info) == 0 ? info.st_mode & 0o7777 : 0o700
            if mkdirat(privateFD.fd, Self.contentDirName, mode) == 0 && mode & 0o7000 != 0 {
                fchmodat(privateFD.fd, Self.contentDirName, mode, 0)
            }
        }
        let fd = openat(privateFD.fd, Self.contentDirName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        return fd >= 0 ? FileHandle(fd) : nil
    }

    /// The record of `sha256`: the entry name and size it points at.
    /// - Important: Disk I/O.
    func contentRecord(_ sha256: String, in directory: FileHandle) -> ContentRecord? {
        Self.readSmallFile(at: directory.fd, sha256, limit: 4096).flatMap(ContentRecord.init(decoding:))
    }

    /// An entry other than `name` holding `size` bytes whose SHA-256 is
    /// `sha256`, verified and held open; nil when the index knows none.
    /// - Important: Disk I/O.
    func dedupeCandidate(sha256: String, size: Int64, excluding name: String) -> DedupeCandidate? {
        guard size > 0, let directory = contentDirectory(create: false),
            let record = contentRecord(sha256, in: directory), record.size == size,
            !record.name.utf8.elementsEqual(name.utf8)
        else { return nil }
        return verifiedCandidate(record.name, sha256: sha256, size: size)
    }

    /// Opens `name` and checks that its file holds the bytes its own
    /// metadata records as `size` bytes with SHA-256 `sha256`.
    /// - Important: Disk I/O.
    func verifiedCandidate(_ name: String, sha256: String, size: Int64) -> DedupeCandidate? {
        let fd = openat(rootFD.fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, Posix.isRegular(info), Int64(info.st_size) == size,
            let identity = FileIdentity.of(descriptor: fd),
            let metadata = contentMetadata(of: fd, name: name, identity: identity),
            metadata.size == size, metadata.sha256 == sha256
        else {
            Posix.closeQuietly(fd)
            return nil
        }
        return DedupeCandidate(name: name, handle: FileHandle(fd), inode: UInt64(info.st_ino), identity: identity)
    }

    /// What the open file's own metadata says of its content: the attribute
    /// on its inode (whichever name it was written for: the size and SHA-256
    /// are the inode's), or the sidecar record of `name` when it was written
    /// for this very file.
    private func contentMetadata(of fd: Int32, name: String, identity: FileIdentity) -> EntryMetadata? {
        if let bytes = ExtendedAttribute.get(EntryMetadata.attributeName, descriptor: fd, limit: Self.metadataLimit),
            let text = String(validating: bytes, as: UTF8.self), let metadata = EntryMetadata(decoding: text)
        {
            return metadata
        }
        guard let record = readSidecar(name), let recorded = record.file, recorded.matches(identity) else { return nil }
        return record
    }

    /// Points the index at `name` for the bytes `sha256`, through the atomic writer.
    /// Best effort: without a record, later writes of these bytes are stored whole.
    /// - Important: Disk I/O.
    func recordContent(_ sha256: String, size: Int64, name: String) {
        guard let directory = contentDirectory(create: true),
            let writer = try? AtomicWriter(directory: directory.fd, path: contentPath, target: sha256, tag: sha256.prefix(20))
        else { return }
        try? writer.write(Array(ContentRecord(name: name, size: size).encoded().utf8))
        try? writer.commit()
    }

    /// Whether the record of `sha256` no longer leads to an entry with those bytes.
    /// - Important: Disk I/O.
    func contentRecordIsStale(_ sha256: String, in directory: FileHandle) -> Bool {
        guard let record = contentRecord(sha256, in: directory) else { return true }
        return verifiedCandidate(record.name, sha256: sha256, size: record.size) == nil
    }
}

/// One record of the content index: `mediacache-content 1`, then `name` and `size` lines.
struct ContentRecord: Equatable {
    var name: String
    var size: Int64

    static let header = "mediacache-content 1"

    func encoded() -> String {
        var record = KeyValueRecord(header: Self.header)
        record.append("name", name)
        record.append("size", "\(size)")
        return record.encoded()
    }

    init(name: String, size: Int64) {
        self.name = name
        self.size = size
    }

    init?(decoding text: String) {
        guard let record = KeyValueRecord(decoding: text, header: Self.header),
            record.fields.map(\.name) == ["name", "size"], let size = record["size"].flatMap({ Int64($0) }), size > 0,
            let key = try? CacheKey(name: record["name"] ?? "")
        else { return nil }
        name = key.name
        self.size = size
    }
}

/// An entry verified to hold the bytes being written, open so that its inode stays put.
struct DedupeCandidate {
    var name: String
    let handle: FileHandle
    var inode: UInt64
    var identity: FileIdentity
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What mediacache knows about an entry beyond its bytes.
///
/// Stored as one small text file per entry in `.mediacache/meta/<key>`,
/// written through the atomic writer. One file per entry (rather than one
/// index) means no shared file to lock or corrupt: a torn or garbled
/// metadata file costs only that entry's extras, never its bytes, and the
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

    /// The text form: a header line, then `field value` lines.
    func encoded() -> String {
        var text = Self.header + "\n"
        text += "url \(url)\nsize \(size)\nsha256 \(sha256)\nstored_at \(storedAt)\n"
        if let contentType { text += "content_type \(Self.oneLine(contentType))\n" }
        if let etag { text += "etag \(Self.oneLine(etag))\n" }
        if let lastModified { text += "last_modified \(Self.oneLine(lastModified))\n" }
        return text
    }

    /// Parses the text form; nil for anything garbled or truncated.
    init?(decoding text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)[...]
        guard lines.first == Substring(Self.header) else { return nil }
        lines = lines.dropFirst()
        var fields: [Substring: Substring] = [:]
        for line in lines {
            guard let space = line.firstIndex(of: " ") else { return nil }
            fields[line[..<space]] = line[line.index(after: space)...]
        }
        guard let url = fields["url"], let sizeText = fields["size"], let size = Int64(sizeText), size >= 0,
            let sha = fields["sha256"], sha.utf8.count == 64, let storedText = fields["stored_at"],
            let storedAt = Double(storedText)
        else { return nil }
        self.init(
            url: String(url), size: size, sha256: String(sha), storedAt: storedAt,
            contentType: fields["content_type"].map(String.init), etag: fields["etag"].map(String.init),
            lastModified: fields["last_modified"].map(String.init))
    }

    private static func oneLine(_ value: String) -> String {
        String(value.unicodeScalars.filter { $0 != "\n" && $0 != "\r" }.map(Character.init))
    }
}

extension CacheLayout {
    /// Reads an entry's metadata; nil when absent, unreadable or garbled.
    /// - Important: Disk I/O.
    func readMetadata(_ key: CacheKey) -> EntryMetadata? {
        guard let text = Self.readSmallFile(at: metaFD.fd, key.name, limit: 256 * 1024) else { return nil }
        return EntryMetadata(decoding: text)
    }

    /// Writes an entry's metadata through the atomic writer.
    /// - Important: Disk I/O.
    func writeMetadata(_ metadata: EntryMetadata, for key: CacheKey) throws(MediaCacheError) {
        let writer = try AtomicWriter(directory: metaFD.fd, path: metaPath, target: key.name, tag: key.hashPrefix)
        try writer.write(Array(metadata.encoded().utf8))
        try writer.commit()
    }

    /// Reads a whole small file without following symlinks; nil on any failure.
    static func readSmallFile(at directory: Int32, _ name: String, limit: Int) -> String? {
        let fd = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Posix.closeQuietly(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        guard bytes.count <= limit, !bytes.contains(0) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}

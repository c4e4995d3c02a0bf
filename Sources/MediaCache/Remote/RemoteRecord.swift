import CCrypto

/// What a level knows about one key: the body's SHA-256 and size, and what
/// the origin said about it. Small text, in the same `field value` lines
/// as an entry's metadata (`EntryMetadata`):
///
///     mediacache-remote 1
///     key 3f9a0c1e2b7d4a5c6e8f.jpg
///     sha256 <64 hex>
///     size 102400
///     url https://cdn.example/cat.jpg
///     content_type image/jpeg
///     etag "abc"
///     last_modified Tue, 03 Nov 2026 10:00:00 GMT
///     hmac <64 hex>
///
/// `url`, `content_type`, `etag` and `last_modified` are there when known
/// (an entry vLLM wrote has none). `hmac`, when the level signs, is the last
/// line: HMAC-SHA256 of every byte before it.
public struct RemoteRecord: Sendable, Equatable {
    public var key: String
    public var sha256: String
    public var size: Int64
    public var url: String?
    public var contentType: String?
    public var etag: String?
    public var lastModified: String?

    static let header = "mediacache-remote 1"
    /// Largest record read back.
    static let maxSize = 64 * 1024

    /// The record's bytes, with an `hmac` line when `key` is given.
    func encoded(signedWith signingKey: [UInt8]? = nil) -> [UInt8] {
        var record = KeyValueRecord(header: Self.header)
        record.append("key", key)
        record.append("sha256", sha256)
        record.append("size", "\(size)")
        if let url { record.append("url", url) }
        if let contentType { record.append("content_type", contentType) }
        if let etag { record.append("etag", etag) }
        if let lastModified { record.append("last_modified", lastModified) }
        var bytes = Array(record.encoded().utf8)
        if let signingKey { bytes += Array("hmac \(RecordSignature.hex(bytes, key: signingKey))\n".utf8) }
        return bytes
    }

    /// How a record read back stands.
    enum Decoded: Equatable {
        case valid(RemoteRecord)
        /// Signing is on and the record carries no signature: a miss.
        case unsigned
        /// Garbled, or signed with another key: corrupt.
        case invalid(String)
    }

    /// Parses a record; with `signingKey`, only a record signed with it is valid.
    static func decode(_ bytes: [UInt8], signingKey: [UInt8]?) -> Decoded {
        var body = bytes[...]
        var signature: Substring?
        if let marker = bytes.firstRange(of: Array("\nhmac ".utf8))?.lowerBound {
            body = bytes[..<(marker + 1)]
            signature = String(decoding: bytes[(marker + 6)...], as: UTF8.self).split(separator: "\n").first
        }
        if let signingKey {
            guard let signature else { return .unsigned }
            guard RecordSignature.matches(Array(body), key: signingKey, hex: String(signature)) else {
                return .invalid("its signature does not match the key")
            }
        }
        let text = String(decoding: body, as: UTF8.self)
        guard text.split(separator: "\n").first == Substring(Self.header) else { return .invalid("not a mediacache record") }
        guard let fields = KeyValueRecord(decoding: text, header: Self.header) else { return .invalid("a garbled line") }
        guard let key = fields["key"], let sha = fields["sha256"], sha.utf8.count == 64,
            sha.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
            let size = fields["size"].flatMap({ Int64($0) }), size >= 0
        else { return .invalid("a field is missing or garbled") }
        return .valid(
            RemoteRecord(
                key: key, sha256: sha, size: size, url: fields["url"], contentType: fields["content_type"],
                etag: fields["etag"], lastModified: fields["last_modified"]))
    }
}

/// HMAC-SHA256 of records, from libcrypto.
enum RecordSignature {
    static func digest(_ bytes: [UInt8], key: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        key.withUnsafeBytes { keyBytes in
            bytes.withUnsafeBufferPointer { data in
                _ = HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count), data.baseAddress, data.count, &out, &length)
            }
        }
        return out
    }

    static func hex(_ bytes: [UInt8], key: [UInt8]) -> String { Hex.encode(digest(bytes, key: key)) }

    /// Compares in constant time (`CRYPTO_memcmp`), so timing tells a forger nothing.
    static func matches(_ bytes: [UInt8], key: [UInt8], hex: String) -> Bool {
        let expected = Array(self.hex(bytes, key: key).utf8)
        let given = Array(hex.utf8)
        guard given.count == expected.count else { return false }
        return CRYPTO_memcmp(expected, given, expected.count) == 0
    }

    /// A signing key from a file: its bytes without trailing white space, so
    /// `openssl rand -hex 32 > key` makes one; nil for an empty file.
    static func load(_ path: String) throws(MediaCacheError) -> [UInt8] {
        guard let text = SecretFile.read(path) else {
            throw .inputUnreadable(path: path, errno: SecretFile.lastErrno())
        }
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == 10 || last == 13 || last == 32 || last == 9 { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw .invalidSetting(name: "--remote-key", value: path, expected: "a file holding a key (e.g. openssl rand -hex 32)")
        }
        return bytes
    }
}

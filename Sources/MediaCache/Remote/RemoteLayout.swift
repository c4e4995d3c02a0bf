/// Where a level keeps records and bodies, under its base URL.
///
/// - `default`: `records/<2 hex>/<key>` and `sha256/<2 hex>/<sha256>`, for
///   any server that stores what it is sent under a path (nginx WebDAV, an
///   object store gateway). The two-hex fan-out keeps the server's
///   directories small; the record's fan-out comes from the key's first two
///   characters (hex digits of the URL's SHA-256).
/// - `bazel`: bazel-remote's `ac/<sha256 of the key>` and `cas/<sha256>`;
///   bazel-remote checks every `cas/` upload against its name. Its `ac/`
///   must accept records that are not Bazel ActionResults
///   (`--disable_http_ac_validation`, see docs/remote.md).
public enum RemoteLayout: String, Sendable, Equatable {
    case `default`
    case bazel

    /// The record's path for a key (a vLLM file name).
    func recordPath(_ name: String) -> String {
        switch self {
        case .default: return "records/\(name.prefix(2))/\(RemotePath.segment(name))"
        case .bazel: return "ac/\(SHA256Hasher.hex(of: Array(name.utf8)))"
        }
    }

    /// The body's path for a SHA-256 (64 lower-case hex digits).
    func bodyPath(_ sha256: String) -> String {
        switch self {
        case .default: return "sha256/\(sha256.prefix(2))/\(sha256)"
        case .bazel: return "cas/\(sha256)"
        }
    }
}

enum RemotePath {
    /// A file name as one URL path segment: every byte outside RFC 3986's
    /// unreserved set percent-encoded (vLLM names may hold `#`, `?`, spaces or
    /// any Unicode from the URL's suffix).
    static func segment(_ name: String) -> String {
        var out = ""
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// `base` + "/" + `path`, with exactly one slash between them.
    static func join(_ base: String, _ path: String) -> String {
        var base = Substring(base)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + "/" + path
    }
}

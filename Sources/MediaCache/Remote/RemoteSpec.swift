/// One remote level, as ccache writes a remote storage: `URL|attribute|attribute=value...`.
///
///     http://cache.internal:8080/media|read-only|timeout=5s
///     http://media-*.internal/cache|shards=a,b,c(2)|bearer-token-file=/etc/mediacache/token
///     http://bazel-remote:8080|layout=bazel|key-file=/etc/mediacache/records.key
///
/// Attribute values are percent-decoded, so a value may hold a space or a
/// `|` (`header=X-Team:%20media`). Secrets are named, never written here: a
/// SPEC shows up in `ps` output and in shell history, so the bearer token is
/// read from a file or an environment variable when the level is opened.
public struct RemoteSpec: Sendable, Equatable {
    /// The base URL; with shards, a `*` in its host or path stands for the shard's name.
    public var url: String
    public var shards: [RemoteShard] = []
    /// Never upload to this level.
    public var readOnly = false
    public var layout: RemoteLayout = .default
    /// Seconds allowed to connect.
    public var connectTimeout: Double = 2
    /// Seconds one request may take in all, and wait for data.
    public var timeout: Double = 30
    /// Extra request headers (`header=Name: value`, repeatable).
    public var headers: [RemoteHeader] = []
    public var bearerTokenFile: String?
    public var bearerTokenEnvironment: String?
    /// The file holding the key that signs and checks this level's records.
    public var keyFile: String?
    /// Whether a node that misses claims the URL on this level before asking
    /// the origin, so that a fleet downloads each URL once (`no-claims` turns
    /// it off; see `RemoteLevel.claim`).
    public var claims = true
    /// Seconds a node waits for a URL another node has claimed before it asks
    /// the origin itself (`claim-wait=`).
    public var claimWait: Double = 30

    public init(url: String) { self.url = url }

    /// The level's name in messages and counters: the URL (with its `*`),
    /// without user information or query. Never holds a secret.
    public var name: String {
        var text = Substring(url)
        if let query = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<query] }
        if let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") {
            let authority = text.index(colon, offsetBy: 3)
            let end = text[authority...].firstIndex(of: "/") ?? text.endIndex
            if let at = text[authority..<end].lastIndex(of: "@") {
                text = Substring(String(text[..<authority]) + String(text[text.index(after: at)...]))
            }
        }
        while text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }

    /// Parses one SPEC.
    public static func parse(_ text: String) throws(MediaCacheError) -> RemoteSpec {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let url = parts[0]
        func bad(_ value: String, _ expected: String, _ name: String = "--remote") -> MediaCacheError {
            .invalidSetting(name: name, value: value, expected: expected)
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.count > 8 else {
            throw bad(text, "URL|attribute|attribute=value with an http:// or https:// URL")
        }
        var spec = RemoteSpec(url: url)
        for attribute in parts.dropFirst() where !attribute.isEmpty {
            let (name, rawValue) = Self.split(attribute)
            let value = Self.percentDecoded(rawValue ?? "")
            func needsValue() throws(MediaCacheError) {
                if rawValue == nil || value.isEmpty { throw bad(attribute, "\(name)=VALUE", "--remote attribute \(name)") }
            }
            switch name {
            case "read-only": spec.readOnly = true
            case "layout":
                guard let layout = RemoteLayout(rawValue: value) else {
                    throw bad(value, "default or bazel", "--remote attribute layout")
                }
                spec.layout = layout
            case "connect-timeout": spec.connectTimeout = try Self.seconds(value, name: "--remote attribute connect-timeout")
            case "timeout": spec.timeout = try Self.seconds(value, name: "--remote attribute timeout")
            case "header":
                guard let colon = value.firstIndex(of: ":"), colon != value.startIndex else {
                    throw bad(value, "Name: value", "--remote attribute header")
                }
                let headerValue = value[value.index(after: colon)...].drop(while: { $0 == " " })
                spec.headers.append(RemoteHeader(name: String(value[..<colon]), value: String(headerValue)))
            case "bearer-token-file":
                try needsValue()
                spec.bearerTokenFile = value
            case "bearer-token-env":
                try needsValue()
                spec.bearerTokenEnvironment = value
            case "key-file":
                try needsValue()
                spec.keyFile = value
            case "shards":
                spec.shards = try RemoteShard.parseList(value)
            case "no-claims": spec.claims = false
            case "claim-wait": spec.claimWait = try Self.seconds(value, name: "--remote attribute claim-wait")
            default:
                throw bad(
                    attribute,
                    "one of read-only, layout=, connect-timeout=, timeout=, header=, bearer-token-file=, bearer-token-env=, key-file=, shards=, no-claims, claim-wait=",
                    "--remote attribute")
            }
        }
        let stars = url.filter { $0 == "*" }.count
        if stars > 1 || (stars == 1) != !spec.shards.isEmpty {
            throw bad(text, "a * in the URL exactly when shards= names the servers that replace it")
        }
        return spec
    }

    /// SPECs separated by white space, as `MEDIACACHE_REMOTE` holds them.
    public static func parseList(_ text: String) throws(MediaCacheError) -> [RemoteSpec] {
        var specs: [RemoteSpec] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            specs.append(try parse(String(word)))
        }
        return specs
    }

    private static func split(_ attribute: String) -> (String, String?) {
        guard let equals = attribute.firstIndex(of: "=") else { return (attribute, nil) }
        return (String(attribute[..<equals]), String(attribute[attribute.index(after: equals)...]))
    }

    /// `250ms`, `2s`, `1m`, or plain seconds.
    static func seconds(_ text: String, name: String) throws(MediaCacheError) -> Double {
        let value: Double?
        if text.hasSuffix("ms") {
            value = Double(text.dropLast(2)).map { $0 / 1000 }
        } else {
            value = Double(text) ?? (try? DurationText.parse(text, name: name))
        }
        guard let value, value > 0, value.isFinite else {
            throw .invalidSetting(name: name, value: text, expected: "a positive duration such as 500ms, 2s or 1m")
        }
        return value
    }

    static func percentDecoded(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let byte = UInt8(String(decoding: bytes[index + 1...index + 2], as: UTF8.self), radix: 16)
            {
                out.append(byte)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A request header a level sends with every request.
public struct RemoteHeader: Sendable, Equatable {
    public var name: String
    public var value: String
}

/// The name of an entry's data file: vLLM's `VLLM_MEDIA_CACHE` naming.
///
/// The first 20 hex digits of SHA-256 of the URL's UTF-8 bytes, then the
/// suffix that Python's `pathlib.Path(url.split("?", 1)[0]).suffix` gives
/// under the rules of the Python that runs vLLM (see `SuffixRules`).
/// Matching vLLM to the byte is what lets one directory serve both.
///
/// Keys are equal when their names have the same UTF-8 bytes: Swift's
/// `String ==` would call canonically equivalent spellings equal, which the
/// file system and vLLM never do.
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    /// The data file's name inside the cache directory.
    public let name: String

    /// Longest URL accepted, in UTF-8 bytes.
    public static let maxURLLength = 65_536
    /// Longest file name most Linux file systems allow.
    static let maxNameLength = 255

    /// The key of `url`, after checking that it is an http(s) URL.
    public init(url: String, rules: SuffixRules = .python313) throws(MediaCacheError) {
        try URLCheck.validate(url)
        let name = Self.hashPrefix(of: url) + rules.suffix(of: url)
        guard name.utf8.count <= Self.maxNameLength else {
            throw .invalidURL(url, reason: "its file suffix is too long to be a file name")
        }
        self.name = name
    }

    /// Every name `url` may have in a directory written by vLLM on any
    /// supported Python: `rules`'s name first, then the other rules' name when
    /// it differs (only for a few odd names, such as one ending in ".").
    public static func names(of url: String, rules: SuffixRules = .python313) throws(MediaCacheError) -> [CacheKey] {
        let first = try CacheKey(url: url, rules: rules)
        var keys = [first]
        for other in SuffixRules.allCases where other != rules {
            if let key = try? CacheKey(url: url, rules: other), !keys.contains(key) { keys.append(key) }
        }
        return keys
    }

    /// A key given by name, as `evict --key` takes it; not checked against any URL.
    public init(name: String) throws(MediaCacheError) {
        guard !name.isEmpty, !name.hasPrefix("."), !name.utf8.contains(UInt8(ascii: "/")),
            !name.utf8.contains(0), name.utf8.count <= Self.maxNameLength
        else {
            throw .invalidSetting(name: "--key", value: name, expected: "an entry's file name, as `mediacache list` shows it")
        }
        self.name = name
    }

    public var description: String { name }

    public static func == (lhs: CacheKey, rhs: CacheKey) -> Bool { lhs.name.utf8.elementsEqual(rhs.name.utf8) }

    public func hash(into hasher: inout Hasher) {
        for byte in name.utf8 { hasher.combine(byte) }
    }

    /// The first 20 hex digits: unique enough to name temp and lock files.
    var hashPrefix: Substring { name.prefix(20) }

    private static func hashPrefix(of url: String) -> String {
        String(SHA256Hasher.hex(of: url.utf8).prefix(20))
    }

    /// Python's `PurePosixPath(url.split("?", 1)[0]).suffix` under the 3.10-3.13 rules.
    static func pathlibSuffix(of url: String) -> String { SuffixRules.python313.suffix(of: url) }
}

/// Checks that a string is an http(s) URL this tool may cache.
enum URLCheck {
    static func validate(_ url: String) throws(MediaCacheError) {
        if url.isEmpty { throw .invalidURL(url, reason: "the URL is empty") }
        if url.utf8.count > CacheKey.maxURLLength {
            throw .invalidURL(url, reason: "longer than \(CacheKey.maxURLLength) bytes")
        }
        // Spaces and any other printable character are allowed, as vLLM
        // allows them (its HTTP client percent-encodes them on the wire; see
        // `RequestTarget`). Control characters are not: a URL list or a line
        // of output could not carry them.
        for scalar in url.unicodeScalars where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            throw .invalidURL(url, reason: "it contains a control character")
        }
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("http://") {
            rest = url.dropFirst(7)
        } else if lower.hasPrefix("https://") {
            rest = url.dropFirst(8)
        } else if lower.contains("://") || lower.hasPrefix("data:") || lower.hasPrefix("file:") {
            throw .unsupportedScheme(url)
        } else {
            throw .invalidURL(url, reason: "expected http://HOST/PATH or https://HOST/PATH")
        }
        guard host(ofAuthority: rest) != nil else {
            throw .invalidURL(url, reason: "it has no host")
        }
    }

    /// The host of a URL already checked by `validate`, lower-cased, without port or brackets.
    static func host(of url: String) -> String? {
        let scalars = Array(url.utf8)
        for index in 0..<max(0, scalars.count - 2)
        where scalars[index] == UInt8(ascii: ":") && scalars[index + 1] == UInt8(ascii: "/")
            && scalars[index + 2] == UInt8(ascii: "/")
        {
            return host(ofAuthority: Substring(url.utf8.dropFirst(index + 3)))
        }
        return nil
    }

    private static func host(ofAuthority rest: Substring) -> String? {
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        var host: Substring
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return nil }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
        } else {
            host = hostPort.prefix { $0 != ":" }
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        return host.isEmpty ? nil : host.lowercased()
    }
}

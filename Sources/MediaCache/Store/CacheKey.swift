/// The name of an entry's data file: vLLM's `VLLM_MEDIA_CACHE` naming.
///
/// The first 20 hex digits of SHA-256 of the URL's UTF-8 bytes, then the
/// suffix that Python's `pathlib.Path(url.split("?", 1)[0]).suffix` gives
/// (as Python 3.10–3.13 compute it). Matching vLLM to the byte is what lets
/// one directory serve both vLLM and this tool.
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    /// The data file's name inside the cache directory.
    public let name: String

    /// Longest URL accepted, in UTF-8 bytes.
    public static let maxURLLength = 65_536
    /// Longest file name most Linux file systems allow.
    static let maxNameLength = 255

    /// The key of `url`, after checking that it is an http(s) URL.
    public init(url: String) throws(MediaCacheError) {
        try URLCheck.validate(url)
        let digest = SHA256Hasher.hex(of: url.utf8)
        let name = String(digest.prefix(20)) + Self.pathlibSuffix(of: url)
        guard name.utf8.count <= Self.maxNameLength else {
            throw .invalidURL(url, reason: "its file suffix is too long to be a file name")
        }
        self.name = name
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

    /// The first 20 hex digits: unique enough to name temp and lock files.
    var hashPrefix: Substring { name.prefix(20) }

    /// Python's `PurePosixPath(url.split("?", 1)[0]).suffix`, code point for code point.
    ///
    /// pathlib splits on "/", drops empty and "." parts, and takes the last
    /// part as the name; the suffix is from its last "." when that dot is
    /// neither the first nor the last character. Python indexes code points,
    /// so this works on Unicode scalars, not on grapheme clusters.
    static func pathlibSuffix(of url: String) -> String {
        let scalars = Array(url.unicodeScalars)
        let end = scalars.firstIndex(of: "?") ?? scalars.endIndex
        var name: ArraySlice<Unicode.Scalar> = []
        var partEnd = end
        var index = end
        while index > scalars.startIndex {
            index -= 1
            if scalars[index] == "/" {
                let part = scalars[(index + 1)..<partEnd]
                if !(part.isEmpty || (part.count == 1 && part.first == ".")) {
                    name = part
                    break
                }
                partEnd = index
            } else if index == scalars.startIndex {
                let part = scalars[index..<partEnd]
                if !(part.count == 1 && part.first == ".") { name = part }
            }
        }
        guard let dot = name.lastIndex(of: "."), dot > name.startIndex, dot < name.endIndex - 1 else {
            return ""
        }
        var suffix = ""
        suffix.unicodeScalars.append(contentsOf: name[dot...])
        return suffix
    }
}

/// Checks that a string is an http(s) URL this tool may cache.
enum URLCheck {
    static func validate(_ url: String) throws(MediaCacheError) {
        if url.isEmpty { throw .invalidURL(url, reason: "the URL is empty") }
        if url.utf8.count > CacheKey.maxURLLength {
            throw .invalidURL(url, reason: "longer than \(CacheKey.maxURLLength) bytes")
        }
        for scalar in url.unicodeScalars where scalar.value < 0x21 || scalar.value == 0x7F {
            throw .invalidURL(url, reason: "it contains a space or control character")
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
        for index in 0..<max(0, scalars.count - 2) where scalars[index] == UInt8(ascii: ":") && scalars[index + 1] == UInt8(ascii: "/") && scalars[index + 2] == UInt8(ascii: "/") {
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

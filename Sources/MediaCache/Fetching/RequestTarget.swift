/// What goes on the wire for a URL: the form vLLM's own HTTP client requests.
///
/// vLLM hands every media URL to urllib3's `parse_url(url).url` before its
/// HTTP client sees it. That keeps the URL as it is where it is already
/// valid, and otherwise percent-encodes, per component, each byte that may
/// not appear there (a space becomes `%20`, `é` becomes `%C3%A9`), upper-cases
/// existing `%xx` escapes (unless some `%` is not part of one, when every
/// `%` is encoded as `%25`), and removes `.` and `..` path segments. The
/// fragment is never sent. The cache key is still the SHA-256 of the URL as
/// given, so `http://h/a b.gif` and `http://h/a%20b.gif` are two entries
/// whose downloads request the same bytes, exactly as in vLLM.
enum RequestTarget {
    /// The URL to request for `url`, which `URLCheck.validate` accepted.
    static func of(_ url: String) -> String {
        let bytes = Array(url.utf8)
        guard let schemeEnd = bytes.firstRange(of: Array("://".utf8))?.lowerBound else { return url }
        let authorityStart = schemeEnd + 3
        var cursor = authorityStart
        while cursor < bytes.count, !"/?#".utf8.contains(bytes[cursor]) { cursor += 1 }
        let scheme = bytes[..<schemeEnd]
        var authority = Array(bytes[authorityStart..<cursor])
        let fragmentStart = bytes[cursor...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.count
        let queryStart = bytes[cursor..<fragmentStart].firstIndex(of: UInt8(ascii: "?")) ?? fragmentStart
        let path = removeDotSegments(Array(bytes[cursor..<queryStart]))

        if let at = authority.lastIndex(of: UInt8(ascii: "@")) {
            authority = encode(Array(authority[..<at]), allowed: userInfoCharacters) + authority[at...]
        }
        var out = Array(scheme) + Array("://".utf8) + authority + encode(path, allowed: pathCharacters)
        if queryStart < fragmentStart {
            out += [UInt8(ascii: "?")] + encode(Array(bytes[(queryStart + 1)..<fragmentStart]), allowed: queryCharacters)
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - urllib3's character classes (RFC 3986)

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-~".utf8)
    private static let subDelimiters = Set("!$&'()*+,;=".utf8)
    private static let userInfoCharacters = unreserved.union(subDelimiters).union(":".utf8)
    private static let pathCharacters = userInfoCharacters.union("@/".utf8)
    private static let queryCharacters = pathCharacters.union("?".utf8)

    /// Percent-encodes every byte of `component` not in `allowed`, as urllib3's `_encode_invalid_chars`.
    private static func encode(_ component: [UInt8], allowed: Set<UInt8>) -> [UInt8] {
        var normalized = component
        var escapes = 0
        var index = 0
        while index < normalized.count {
            if normalized[index] == UInt8(ascii: "%"), index + 2 < normalized.count, isHex(normalized[index + 1]),
                isHex(normalized[index + 2])
            {
                normalized[index + 1] = upper(normalized[index + 1])
                normalized[index + 2] = upper(normalized[index + 2])
                escapes += 1
                index += 3
            } else {
                index += 1
            }
        }
        let keepPercent = escapes == normalized.count(where: { $0 == UInt8(ascii: "%") })
        var out: [UInt8] = []
        out.reserveCapacity(normalized.count)
        for byte in normalized {
            if (keepPercent && byte == UInt8(ascii: "%")) || allowed.contains(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hexDigit(byte >> 4), hexDigit(byte & 0xF)]
            }
        }
        return out
    }

    /// RFC 3986 section 5.2.4, as urllib3's `_remove_path_dot_segments`.
    private static func removeDotSegments(_ path: [UInt8]) -> [UInt8] {
        guard !path.isEmpty else { return path }
        let segments = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var output: [ArraySlice<UInt8>] = []
        for segment in segments {
            if segment.elementsEqual(".".utf8) { continue }
            if segment.elementsEqual("..".utf8) {
                if !output.isEmpty { output.removeLast() }
                continue
            }
            output.append(segment)
        }
        if path.first == UInt8(ascii: "/"), output.first.map({ !$0.isEmpty }) ?? true { output.insert([], at: 0) }
        if let last = segments.last, last.elementsEqual(".".utf8) || last.elementsEqual("..".utf8) { output.append([]) }
        return Array(output.joined(separator: [UInt8(ascii: "/")]))
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
    }

    private static func upper(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) ? byte - 32 : byte
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
    }
}

/// Which Python's `pathlib` names the files: vLLM runs on Python 3.10 to
/// 3.14, and 3.14 changed `PurePath.suffix` for a few names.
///
/// - 3.10-3.13: the suffix starts at the last "." of the final part when
///   that dot is neither its first nor its last character
///   (`a.` -> none, `..png` -> `.png`).
/// - 3.14: the suffix is what follows the stem, and the stem is the name up
///   to its last "." provided that leaves something other than dots
///   (`a.` -> `.`, `..png` -> none).
///
/// Everything else (`cat.png`, `.bashrc`, `a.tar.gz`, names with no dot)
/// is the same under both.
public enum SuffixRules: String, Sendable, CaseIterable {
    case python313 = "3.13"
    case python314 = "3.14"

    /// The rules of Python `version` ("3.10" ... "3.14"); nil for any other text.
    public init?(pythonVersion version: String) {
        let parts = version.trimmingSpaces().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "3", let minor = Int(parts[1]), (10...99).contains(minor) else { return nil }
        self = minor >= 14 ? .python314 : .python313
    }

    /// The suffix vLLM's file name gets for `url` under these rules.
    public func suffix(of url: String) -> String {
        let name = Self.finalPart(of: url)
        guard let dot = name.lastIndex(of: ".") else { return "" }
        switch self {
        case .python313:
            guard dot > name.startIndex, dot < name.endIndex - 1 else { return "" }
        case .python314:
            guard name[..<dot].contains(where: { $0 != "." }) else { return "" }
        }
        var suffix = ""
        suffix.unicodeScalars.append(contentsOf: name[dot...])
        return suffix
    }

    /// pathlib's `name` of `url.split("?", 1)[0]`, code point for code point.
    ///
    /// pathlib splits on "/", drops empty and "." parts, and takes the last
    /// part. Python indexes code points, so this works on Unicode scalars,
    /// not on grapheme clusters.
    private static func finalPart(of url: String) -> ArraySlice<Unicode.Scalar> {
        let scalars = Array(url.unicodeScalars)
        let end = scalars.firstIndex(of: "?") ?? scalars.endIndex
        var partEnd = end
        var index = end
        while index > scalars.startIndex {
            index -= 1
            if scalars[index] == "/" {
                let part = scalars[(index + 1)..<partEnd]
                if !(part.isEmpty || (part.count == 1 && part.first == ".")) { return part }
                partEnd = index
            } else if index == scalars.startIndex {
                let part = scalars[index..<partEnd]
                if !(part.count == 1 && part.first == ".") { return part }
            }
        }
        return []
    }
}

/// The one text record format of a cache directory: a header line, then
/// `name value` lines, and optionally a closing `sum` line.
///
/// Entry metadata and the state file (counters and the size account) are
/// both such records. Parsing is strict where it matters: a wrong header, a
/// line without a space or, when a sum is required, a missing or wrong sum
/// makes the whole record unreadable (nil), never a half-read one. The sum is
/// the first 16 hex digits of the SHA-256 of everything before the `sum`
/// line: it tells a torn write (a crash in the middle of an overwrite) from a
/// record, which a format check alone cannot when the tear falls between
/// lines.
struct KeyValueRecord {
    var header: String
    var fields: [(name: String, value: String)] = []

    init(header: String) { self.header = header }

    /// Appends a field; values lose line breaks, which would end them early.
    mutating func append(_ name: String, _ value: String) {
        fields.append((name, String(value.unicodeScalars.filter { $0 != "\n" && $0 != "\r" }.map(Character.init))))
    }

    /// The value of the first field called `name`.
    subscript(name: String) -> String? { fields.first { $0.name == name }?.value }

    /// The text form, with a closing `sum` line when `summed`.
    func encoded(summed: Bool = false) -> String {
        var text = header + "\n"
        for field in fields { text += "\(field.name) \(field.value)\n" }
        if summed { text += "sum \(Self.sum(of: text))\n" }
        return text
    }

    /// Parses the text form; nil for a wrong header, a malformed line, or
    /// (with `requireSum`) a sum that is missing or does not match.
    /// Blank lines (padding) are skipped.
    init?(decoding text: String, header: String, requireSum: Bool = false) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)[...]
        guard lines.first.map(String.init) == header else { return nil }
        if requireSum {
            guard let last = lines.last, last.hasPrefix("sum "), lines.count >= 2 else { return nil }
            let body = lines.dropLast().map { $0 + "\n" }.joined()
            guard last.dropFirst(4) == Self.sum(of: body) else { return nil }
            lines = lines.dropLast()
        }
        self.header = header
        for line in lines.dropFirst() {
            guard let space = line.firstIndex(of: " ") else { return nil }
            fields.append((String(line[..<space]), String(line[line.index(after: space)...])))
        }
    }

    private static func sum(of text: String) -> String {
        String(SHA256Hasher.hex(of: text.utf8).prefix(16))
    }
}

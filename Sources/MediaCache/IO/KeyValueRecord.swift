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
///
/// Lines and fields are found in the UTF-8 bytes (a line ends at each LF
/// byte, a name at the first space byte), not by `Character`: the state
/// record is read and rewritten on every hit, miss and stored entry, and
/// grapheme breaking made that cost more than the file I/O (a tenth of a
/// small prewarm's CPU). Bytes are also what the record is: "\r\n" is two
/// bytes and ends a line at its LF, where a `Character` split would not.
struct KeyValueRecord {
    var header: String
    var fields: [(name: String, value: String)] = []

    init(header: String) { self.header = header }

    /// Appends a field; values lose line breaks, which would end them early.
    mutating func append(_ name: String, _ value: String) {
        let isBreak = { (byte: UInt8) in byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") }
        guard value.utf8.contains(where: isBreak) else {
            fields.append((name, value))
            return
        }
        // Removing ASCII bytes from UTF-8 leaves UTF-8.
        fields.append((name, String(decoding: value.utf8.filter { !isBreak($0) }, as: UTF8.self)))
    }

    /// The value of the first field called `name`.
    subscript(name: String) -> String? { fields.first { $0.name == name }?.value }

    /// The text form, with a closing `sum` line when `summed`.
    func encoded(summed: Bool = false) -> String {
        var text = header
        text.append("\n")
        for field in fields {
            text.append(field.name)
            text.append(" ")
            text.append(field.value)
            text.append("\n")
        }
        if summed {
            let sum = Self.sum(of: text.utf8)
            text.append("sum ")
            text.append(sum)
            text.append("\n")
        }
        return text
    }

    /// Parses the text form; nil for a wrong header, a malformed line, or
    /// (with `requireSum`) a sum that is missing or does not match.
    /// Blank lines (padding) are skipped.
    init?(decoding text: String, header: String, requireSum: Bool = false) {
        var text = text
        guard let fields = text.withUTF8({ Self.parse($0, header: header, requireSum: requireSum) }) else { return nil }
        self.header = header
        self.fields = fields
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, header: String, requireSum: Bool) -> [(
        name: String, value: String
    )]? {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)[...]
        guard let first = lines.first, first.elementsEqual(header.utf8) else { return nil }
        if requireSum {
            guard let last = lines.last, lines.count >= 2, last.starts(with: "sum ".utf8) else { return nil }
            lines = lines.dropLast()
            let hasher = SHA256Hasher()
            for line in lines {
                hasher.update(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line)))
                hasher.update("\n".utf8)
            }
            guard last.dropFirst(4).elementsEqual(hasher.finalize().utf8.prefix(16)) else { return nil }
        }
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(lines.count - 1)
        for line in lines.dropFirst() {
            guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { return nil }
            // Cut at ASCII bytes, so both halves of valid UTF-8 stay valid.
            let name = UnsafeBufferPointer(rebasing: line[..<space])
            let value = UnsafeBufferPointer(rebasing: line[(space + 1)...])
            fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return fields
    }

    private static func sum(of text: some Sequence<UInt8>) -> String {
        String(SHA256Hasher.hex(of: text).prefix(16))
    }
}

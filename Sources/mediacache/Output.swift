import MediaCache

#if canImport(Glibc)
    import Glibc
#endif

/// Writes all of `text` to a descriptor, unbuffered; gives up quietly if the reader has gone.
private func writeUnbuffered(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { if errno == EINTR { continue } else { return } }
            offset += written
        }
    }
}

/// Diagnostics and progress, to stderr.
enum StandardError {
    static func write(_ text: String) { writeUnbuffered(2, text) }
    static var isTerminal: Bool { isatty(2) == 1 }
}

/// Data, to stdout: always unbuffered, so text and raw bytes never interleave out of order.
enum StandardOutput {
    static func write(_ text: String) { writeUnbuffered(1, text) }
    static func line(_ text: String) { write(text + "\n") }
}

/// A tiny JSON writer with stable key order, for `--json` output.
indirect enum JSON {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    /// An object; the explicit label keeps long literals quick to type-check.
    static func object(fields: [(String, JSON)]) -> JSON { .object(fields) }

    static func int(_ value: Int) -> JSON { .int(Int64(value)) }
    static func optional(_ value: String?) -> JSON { value.map(JSON.string) ?? .null }
    static func time(_ seconds: Double?) -> JSON { seconds.map { .string(TimeText.iso8601($0)) } ?? .null }

    func rendered() -> String {
        switch self {
        case .string(let text): return Self.quote(text)
        case .int(let value): return String(value)
        case .double(let value): return value.isFinite ? String(value) : "null"
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map { $0.rendered() }.joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.map { Self.quote($0.0) + ":" + $0.1.rendered() }.joined(separator: ",") + "}"
        }
    }

    private static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Times for people and for JSON: ISO 8601 in UTC.
enum TimeText {
    static func iso8601(_ seconds: Double) -> String {
        var time = time_t(seconds.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// The one clock (the library's), so the tool's "ago" and the library's ages agree.
    static func now() -> Double { Posix.now() }

    /// `3m ago`, `2d ago`: how long since a time.
    static func ago(_ seconds: Double) -> String {
        let age = max(0, now() - seconds)
        return age < 1 ? "just now" : DurationText.format(age < 60 ? age : (age / 60).rounded(.down) * 60) + " ago"
    }
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
func table(_ rows: [[String]]) -> String {
    guard let width = rows.map(\.count).max() else { return "" }
    var widths = [Int](repeating: 0, count: width)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    return rows.map { row in
        row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
        }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
}

/// `1 entry`, `2 entries`: a count and its noun in the right number.
enum Plural {
    static func count<N: BinaryInteger>(_ count: N, _ one: String, _ many: String) -> String {
        "\(count) \(count == 1 ? one : many)"
    }
}

/// Questions and checks for a person at a terminal.
enum Terminal {
    /// Whether a person can answer: stdin and stderr are both a terminal.
    static var isInteractive: Bool { isatty(0) == 1 && isatty(2) == 1 }

    /// Asks `question [y/N]` on stderr and reads the answer from stdin; true for y or yes.
    static func confirm(_ question: String) -> Bool {
        StandardError.write("mediacache: \(question) [y/N] ")
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmingSpaces().lowercased())
    }
}

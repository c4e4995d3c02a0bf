import ArgumentParser
import MediaCache

extension MediaCacheCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List entries: key, size, last use and URL (when known).",
            discussion: """
                Entries written by vLLM itself have no recorded URL; they show '-'. \
                With -q, only the keys, one a line.

                  mediacache ls --sort size --limit 10
                  mediacache ls -f 'size>1M' -f 'used>7d' -q
                """,
            aliases: ["ls"])

        enum Order: String, ExpressibleByArgument, CaseIterable {
            case size, used, name
        }

        @OptionGroup var location: CacheLocation
        // Accepted (scripts pass one set of cache flags to every command), not shown: they change nothing here.
        @OptionGroup(visibility: .hidden) var limits: CacheLimits
        @OptionGroup(visibility: .hidden) var writing: WriteOptions

        @Option(help: ArgumentHelp("Order rows by size (largest first), used (most recent first) or name.", valueName: "order"))
        var sort: Order = .used

        @Flag(help: "Reverse the order (smallest, least recently used, or last name first).")
        var reverse = false

        @Option(help: ArgumentHelp("Print at most this many rows (after sorting and filtering).", valueName: "n"))
        var limit: Int?

        @Option(
            name: [.customShort("f"), .customLong("filter")],
            help: ArgumentHelp(
                "Only entries where size>SIZE, size<SIZE, used>DURATION (unused for longer) or used<DURATION; repeatable, all must hold.",
                valueName: "condition"))
        var filters: [String] = []

        @OptionGroup var output: OutputOptions

        func validate() throws {
            if let limit, limit < 0 { throw ValidationError("--limit cannot be negative") }
            _ = try filters.map(ListFilter.init)
        }

        func run() throws {
            let conditions = try filters.map(ListFilter.init)
            let store = try location.openExistingStore()
            var entries = try reporting { try store.list() }
            let now = TimeText.now()
            entries = entries.filter { entry in conditions.allSatisfy { $0.matches(entry, now: now) } }
            switch sort {
            case .size: entries.sort { ($0.size, $1.name) > ($1.size, $0.name) }
            case .used: entries.sort { ($0.lastUsed, $1.name) > ($1.lastUsed, $0.name) }
            case .name: entries.sort { $0.name < $1.name }
            }
            if reverse { entries.reverse() }
            if let limit { entries = Array(entries.prefix(limit)) }
            if output.json {
                var out = ""
                for entry in entries {
                    out +=
                        JSON.object(fields: [
                            ("key", .string(entry.name)), ("url", .optional(entry.url)), ("size", .int(entry.size)),
                            ("last_used", .time(entry.lastUsed)), ("content_type", .optional(entry.contentType)),
                        ]).rendered() + "\n"
                }
                StandardOutput.write(out)
                return
            }
            if output.quiet {
                StandardOutput.write(entries.map { $0.name + "\n" }.joined())
                return
            }
            let rows = entries.map { entry in
                [entry.name, ByteSize.format(entry.size), TimeText.iso8601(entry.lastUsed), entry.url ?? "-"]
            }
            StandardOutput.write(table([["KEY", "SIZE", "LAST USED", "URL"]] + rows))
        }
    }
}

/// One `--filter` condition of `list`: `size>1M`, `size<10K`, `used>7d`, `used<1h`.
struct ListFilter {
    enum Field: String { case size, used }
    let field: Field
    let greater: Bool
    let value: Double

    init(_ text: String) throws {
        guard let index = text.firstIndex(where: { $0 == ">" || $0 == "<" }),
            let field = Field(rawValue: String(text[..<index]).trimmingSpaces().lowercased())
        else {
            throw ValidationError("invalid --filter '\(text)': expected size>SIZE, size<SIZE, used>DURATION or used<DURATION")
        }
        self.field = field
        greater = text[index] == ">"
        let operand = String(text[text.index(after: index)...])
        value = try reporting {
            field == .size
                ? Double(try ByteSize.parse(operand, name: "--filter \(field.rawValue)"))
                : try DurationText.parse(operand, name: "--filter \(field.rawValue)")
        }
    }

    /// Whether `entry` passes; `used` compares the time since its last use.
    func matches(_ entry: ListedEntry, now: Double) -> Bool {
        let actual = field == .size ? Double(entry.size) : now - entry.lastUsed
        return greater ? actual > value : actual < value
    }
}

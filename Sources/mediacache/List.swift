import ArgumentParser
import MediaCache

extension MediaCacheCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List entries: key, size, last use and URL (when known).",
            discussion: "Entries written by vLLM itself have no recorded URL; they show '-'.",
            aliases: ["ls"])

        enum Order: String, ExpressibleByArgument, CaseIterable {
            case size, used, name
        }

        @OptionGroup var options: CacheOptions

        @Option(help: ArgumentHelp("Order rows by size (largest first), used (most recent first) or name.", valueName: "order"))
        var sort: Order = .used

        @Flag(help: "Print one JSON object per line: key, url, size, last_used, content_type.")
        var json = false

        func run() throws {
            let store = try options.openStore()
            var entries = try reporting { try store.list() }
            switch sort {
            case .size: entries.sort { ($0.size, $1.name) > ($1.size, $0.name) }
            case .used: entries.sort { ($0.lastUsed, $1.name) > ($1.lastUsed, $0.name) }
            case .name: entries.sort { $0.name < $1.name }
            }
            if json {
                var out = ""
                for entry in entries {
                    out += JSON.object(fields: [
                        ("key", .string(entry.name)), ("url", .optional(entry.url)), ("size", .int(entry.size)),
                        ("last_used", .time(entry.lastUsed)), ("content_type", .optional(entry.contentType)),
                    ]).rendered() + "\n"
                }
                StandardOutput.write(out)
                return
            }
            let rows = entries.map { entry in
                [entry.name, ByteSize.format(entry.size), TimeText.iso8601(entry.lastUsed), entry.url ?? "-"]
            }
            StandardOutput.write(table([["KEY", "SIZE", "LAST USED", "URL"]] + rows))
        }
    }
}

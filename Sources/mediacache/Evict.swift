import ArgumentParser
import MediaCache

extension MediaCacheCommand {
    struct Evict: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evict",
            abstract: "Remove entries by URL, by key, by age, or all of them.",
            discussion: """
                Entries another process removed first are not an error. Prints \
                how many entries and bytes were removed.

                  mediacache evict https://cdn.example/bad.jpg
                  mediacache evict --key 469aa9cd5552f33222b1.jpg
                  mediacache evict --older-than 7d --dry-run
                """)

        @OptionGroup var options: CacheOptions

        @Argument(help: "URLs whose entries to remove.")
        var urls: [String] = []

        @Option(name: .customLong("key"), help: ArgumentHelp("Remove the entry with this file name (as `list` shows); repeatable.", valueName: "name"))
        var keys: [String] = []

        @Option(parsing: .unconditional, help: ArgumentHelp("Remove entries unused for longer than this (90s, 30m, 24h, 7d).", valueName: "duration"))
        var olderThan: String?

        @Flag(help: "Remove every entry.")
        var all = false

        @Flag(help: "List what would be removed; remove nothing.")
        var dryRun = false

        @Flag(help: "Print the result as JSON.")
        var json = false

        @Flag(name: .shortAndLong, help: "Print nothing on success.")
        var quiet = false

        func validate() throws {
            let kinds = [!urls.isEmpty || !keys.isEmpty, olderThan != nil, all].filter { $0 }.count
            if kinds == 0 { throw ValidationError("name what to evict: URLs, --key, --older-than or --all") }
            if kinds > 1 { throw ValidationError("use only one of: URLs/--key, --older-than, --all") }
        }

        func run() throws {
            let rules = try options.configuration().suffixRules
            let selection: EvictionSelection = try reporting {
                if all { return .all }
                if let olderThan { return .olderThan(try DurationText.parse(olderThan, name: "--older-than")) }
                // A URL's entry under any name vLLM may have given it (see SuffixRules).
                var named: [CacheKey] = []
                for url in urls { named += try CacheKey.names(of: url, rules: rules) }
                for name in keys { named.append(try CacheKey(name: name)) }
                return .keys(named)
            }
            let store = try options.openStore()
            let (plan, result) = try reporting { try store.evict(selection, dryRun: dryRun) }
            let removed = result?.removed ?? plan.removals
            let bytes = removed.reduce(Int64(0)) { $0 + $1.entry.size }
            if json {
                StandardOutput.line(
                    JSON.object(fields: [
                        ("dry_run", .bool(dryRun)), ("entries", .int(removed.count)), ("bytes", .int(bytes)),
                        ("keys", .array(removed.map { .string($0.entry.name) })),
                    ]).rendered())
                return
            }
            if dryRun {
                for removal in plan.removals {
                    StandardOutput.line("would evict\t\(removal.entry.name)\t\(removal.entry.size)")
                }
            }
            if !quiet {
                let verb = dryRun ? "would evict" : "evicted"
                StandardOutput.line("\(verb) \(removed.count) \(removed.count == 1 ? "entry" : "entries"), \(ByteSize.format(bytes))")
            }
        }
    }
}

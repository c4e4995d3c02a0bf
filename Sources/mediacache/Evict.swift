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

                --all asks for confirmation when stdin and stderr are a terminal \
                (exit 1 if the answer is not yes); --yes skips the question.
                """)

        @OptionGroup var options: CacheOptions

        @Argument(help: "URLs whose entries to remove.")
        var urls: [String] = []

        @Option(
            name: .customLong("key"),
            help: ArgumentHelp("Remove the entry with this file name (as `list` shows); repeatable.", valueName: "name"))
        var keys: [String] = []

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("Remove entries unused for longer than this (90s, 30m, 24h, 7d).", valueName: "duration"))
        var olderThan: String?

        @Flag(help: "Remove every entry.")
        var all = false

        @Flag(help: "List what would be removed; remove nothing.")
        var dryRun = false

        @Flag(help: "Ask no question: remove everything even when run on a terminal (with --all).")
        var yes = false

        @OptionGroup var output: OutputOptions

        func run() throws {
            // In run(), not validate(): see usageError.
            let kinds = [!urls.isEmpty || !keys.isEmpty, olderThan != nil, all].filter { $0 }.count
            if kinds == 0 { throw usageError("name what to evict: URLs, --key, --older-than or --all", Self.self) }
            if kinds > 1 { throw usageError("use only one of: URLs/--key, --older-than, --all", Self.self) }
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
            let (json, quiet) = (output.json, output.quiet)
            let store = try options.openStore()
            if all && !dryRun && !yes && Terminal.isInteractive { try confirmEvictingAll(store) }
            let (plan, result) = try reporting { try store.evict(selection, dryRun: dryRun) }
            let removed = result?.removed ?? plan.removals
            let bytes = removed.reduce(Int64(0)) { $0 + $1.entry.size }
            let forgotten = result?.negativeRecordsRemoved ?? plan.negativeRecordCount
            if json {
                StandardOutput.line(
                    JSON.object(fields: [
                        ("dry_run", .bool(dryRun)), ("entries", .int(removed.count)), ("bytes", .int(bytes)),
                        ("keys", .array(removed.map { .string($0.entry.name) })), ("negative_records", .int(forgotten)),
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
                var line = "\(verb) \(Plural.count(removed.count, "entry", "entries")), \(ByteSize.format(bytes))"
                if forgotten > 0 {
                    line +=
                        "; \(dryRun ? "would forget" : "forgot") \(Plural.count(forgotten, "remembered failure", "remembered failures"))"
                }
                StandardOutput.line(line)
            }
        }

        /// Asks on the terminal before `--all` removes everything (as `hf cache rm` does); `--yes` skips it.
        private func confirmEvictingAll(_ store: CacheStore) throws {
            let (plan, _) = try reporting { try store.evict(.all, dryRun: true) }
            guard !plan.removals.isEmpty else { return }
            let bytes = plan.removals.reduce(Int64(0)) { $0 + $1.entry.size }
            let what = "\(Plural.count(plan.removals.count, "entry", "entries")) (\(ByteSize.format(bytes)))"
            guard Terminal.confirm("remove all \(what) from \(store.directory)?") else {
                warn("nothing evicted")
                throw ExitCode(ExitStatus.miss)
            }
        }
    }
}

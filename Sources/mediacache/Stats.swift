import ArgumentParser
import MediaCache

extension MediaCacheCommand {
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Show entries, size, fill, expiry and hit/miss counters.",
            discussion: """
                Sizes and ages come from a scan of the directory. The counters \
                (hits, misses, stored, evicted) are exact but count only mediacache's \
                own operations, shared by every process using the cache. The "seen on \
                disk" figures cover every process, vLLM included: an entry's mtime is \
                its last use by anyone, its birth time when it was stored. The --json \
                keys are stable: cache_dir, entries, bytes, max_bytes, max_entries, \
                fill_percent, ttl_seconds (null: never expires), expired_entries, \
                hostile_entries, poisoned_entries, oldest_use, newest_use, hits, misses, \
                hit_ratio, stored, evicted_entries, evicted_bytes, since, and on_disk \
                {used_last_hour, bytes_used_last_hour, used_last_day, bytes_used_last_day, \
                stored_last_day, reused_entries, poisoned_entries, vllm_temp_files}, \
                negative_hits, stale_served, negative_entries, \
                counters_restarted_after_damage, free_bytes (null: unknown, as on \
                ramfs), min_free_bytes (null: no floor), shared_entries and bytes_saved \
                (identical bodies stored once, --dedupe; bytes counts each file once). \
                --format prometheus prints the same figures in Prometheus's text \
                format (base units, counters ending in _total, every sample labelled \
                cache_dir, no timestamps); with -o FILE the file is replaced in one \
                step, as node_exporter's textfile collector needs:

                  * * * * *  mediacache stats --format prometheus -o /var/lib/node_exporter/textfile/mediacache.prom

                With -q, print nothing (for --reset). A directory that does not \
                exist is "no cache at DIR" (exit 66).
                """)

        @OptionGroup var location: CacheLocation
        @OptionGroup var limits: CacheLimits
        // Accepted (scripts pass one set of cache flags to every command), not shown: they change nothing here.
        @OptionGroup(visibility: .hidden) var writing: WriteOptions
        @OptionGroup var printing: OutputOptions

        @Option(
            help: ArgumentHelp(
                "Output form: text, json (the same as --json) or prometheus (text exposition format).", valueName: "format"))
        var format: StatsFormat?

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp(
                "Write the output to this file instead of stdout, replacing it in one step (temp file in its directory, then rename).",
                valueName: "file"),
            completion: .file())
        var output: String?

        @Flag(help: "Zero the counters (after printing them).")
        var reset = false

        enum StatsFormat: String, ExpressibleByArgument, CaseIterable {
            case text, json, prometheus
        }

        func validate() throws {
            if printing.json && (format ?? .json) != .json {
                throw ValidationError("--json and --format \(format?.rawValue ?? "") disagree")
            }
        }

        @OptionGroup(title: "Shared tier (levels named here are shown even before their first use)")
        var remote: RemoteOptions

        func run() throws {
            let store = try location.openExistingStore(limits: limits)
            var stats = try reporting { try store.stats() }
            stats.counters.remote = remoteLevels(stats.counters)
            if reset { try reporting { try store.resetCounters() } }
            let text: String
            switch format ?? (printing.json ? .json : .text) {
            case .text: text = Self.text(stats)
            case .json: text = Self.json(stats).rendered() + "\n"
            case .prometheus: text = stats.prometheusText()
            }
            if let output {
                try reporting { try AtomicFile.write(text, to: output) }
            } else if !printing.quiet {
                StandardOutput.write(text)
            }
        }

        static func json(_ stats: CacheStats) -> JSON {
            let c = stats.counters
            return JSON.object(fields: [
                ("cache_dir", .string(stats.directory)), ("entries", .int(stats.entries)),
                ("bytes", .int(stats.bytes)), ("max_bytes", .int(stats.maxBytes)),
                ("fill_percent", .double((stats.fillPercent * 100).rounded() / 100)),
                ("ttl_seconds", .double(stats.ttl)), ("expired_entries", .int(stats.expiredEntries)),
                ("hostile_entries", .int(stats.hostileEntries)),
                ("poisoned_entries", .int(stats.onDisk.poisoned)),
                ("max_entries", stats.maxEntries.map { .int($0) } ?? .null),
                ("oldest_use", .time(stats.oldestUse)), ("newest_use", .time(stats.newestUse)),
                ("hits", .int(c.hits)), ("misses", .int(c.misses)),
                ("hit_ratio", stats.hitRatio.map { .double(($0 * 10000).rounded() / 10000) } ?? .null),
                ("stored", .int(c.stored)), ("evicted_entries", .int(c.evictedEntries)),
                ("evicted_bytes", .int(c.evictedBytes)), ("since", .time(c.since)),
                ("on_disk", Self.json(stats.onDisk)),
                ("negative_hits", .int(c.negativeHits)), ("stale_served", .int(c.staleServed)),
                ("negative_entries", .int(stats.negativeEntries)),
                ("counters_restarted_after_damage", .bool(c.restartedAfterDamage)),
                ("free_bytes", stats.freeBytes.map { .int($0) } ?? .null),
                ("min_free_bytes", stats.minFreeBytes.map { .int($0) } ?? .null),
                ("shared_entries", .int(stats.sharedEntries)), ("bytes_saved", .int(stats.bytesSaved)),
                ("remote", Self.json(c.remote)),
            ])
        }

        static func text(_ stats: CacheStats) -> String {
            let c = stats.counters
            let ratio = stats.hitRatio.map { ByteSize.oneDecimal($0 * 100) + "%" } ?? "n/a"
            var rows: [[String]] = [
                ["cache dir", stats.directory],
                ["entries", "\(stats.entries)"],
                [
                    "size",
                    "\(ByteSize.format(stats.bytes)) of \(ByteSize.format(stats.maxBytes)) (\(ByteSize.oneDecimal(stats.fillPercent))%)",
                ],
                ["ttl", DurationText.format(stats.ttl)],
                ["expired", "\(stats.expiredEntries)"],
                ["free space", Self.freeSpace(stats)],
            ]
            if stats.sharedEntries > 0 {
                rows.append([
                    "deduplicated",
                    "\(stats.sharedEntries) entries share their bytes with another, \(ByteSize.format(stats.bytesSaved)) saved",
                ])
            }
            if stats.hostileEntries > 0 { rows.append(["planted links", "\(stats.hostileEntries) (run `mediacache prune`)"]) }
            if stats.onDisk.poisoned > 0 {
                rows.append(["poisoned", "\(stats.onDisk.poisoned) empty files vLLM serves as hits (run `mediacache doctor`)"])
            }
            rows += [
                ["oldest use", stats.oldestUse.map { "\(TimeText.iso8601($0)) (\(TimeText.ago($0)))" } ?? "-"],
                ["newest use", stats.newestUse.map { "\(TimeText.iso8601($0)) (\(TimeText.ago($0)))" } ?? "-"],
            ]
            let counted: [[String]] = [
                ["hits", "\(c.hits)"],
                ["misses", "\(c.misses)"],
                ["hit ratio", ratio],
                ["stored", "\(c.stored)"],
                ["evicted", "\(Plural.count(c.evictedEntries, "entry", "entries")), \(ByteSize.format(c.evictedBytes))"],
                [
                    "negative hits",
                    "\(c.negativeHits) (failures answered from memory; \(stats.negativeEntries) URLs remembered now)",
                ],
                ["served stale", "\(c.staleServed)"],
                [
                    "counting since",
                    TimeText.iso8601(c.since)
                        + (c.restartedAfterDamage ? " (restarted: the state file was damaged, earlier counts are lost)" : ""),
                ],
            ]
            let seen: [[String]] = [
                ["used in the last hour", Self.entries(stats.onDisk.usedLastHour, stats.onDisk.bytesUsedLastHour)],
                ["used in the last day", Self.entries(stats.onDisk.usedLastDay, stats.onDisk.bytesUsedLastDay)],
                ["stored in the last day", stats.onDisk.storedLastDay.map { "\($0)" } ?? "unknown (no birth times here)"],
                ["used again since stored", stats.onDisk.reused.map { "\($0)" } ?? "unknown (no birth times here)"],
            ]
            let labelled = { (rows: [[String]]) in rows.map { [$0[0] + ":", $0[1]] } }
            return table(labelled(rows)) + "\ncounted by mediacache (exact; its own operations only):\n"
                + table(labelled(counted).map { ["  " + $0[0], $0[1]] })
                + "\nseen on disk (every process, vLLM included):\n"
                + table(labelled(seen).map { ["  " + $0[0], $0[1]] }) + Self.text(c.remote)
        }

        /// `3.2 MiB`, with the floor when there is one: `3.2 MiB (floor 1.0 MiB)`.
        static func freeSpace(_ stats: CacheStats) -> String {
            let free = stats.freeBytes.map(ByteSize.format) ?? "unknown (the file system reports no capacity)"
            guard let floor = stats.minFreeBytes else { return free }
            let below = (stats.freeBytes ?? .max) < floor ? "; below it: run `mediacache prune`" : ""
            return "\(free) (floor \(ByteSize.format(floor))\(below))"
        }

        static func entries(_ count: Int, _ bytes: Int64) -> String {
            "\(count) \(count == 1 ? "entry" : "entries"), \(ByteSize.format(bytes))"
        }

        static func json(_ activity: DiskActivity) -> JSON {
            JSON.object(fields: [
                ("used_last_hour", .int(activity.usedLastHour)), ("bytes_used_last_hour", .int(activity.bytesUsedLastHour)),
                ("used_last_day", .int(activity.usedLastDay)), ("bytes_used_last_day", .int(activity.bytesUsedLastDay)),
                ("stored_last_day", activity.storedLastDay.map { .int($0) } ?? .null),
                ("reused_entries", activity.reused.map { .int($0) } ?? .null),
                ("poisoned_entries", .int(activity.poisoned)), ("vllm_temp_files", .int(activity.vllmTempFiles)),
            ])
        }

        /// Every level counted so far, then any configured level not yet counted.
        func remoteLevels(_ counters: CacheCounters) -> [RemoteLevelCounters] {
            var levels = counters.remote
            for spec in (try? remote.specs()) ?? [] where !levels.contains(where: { $0.level == spec.name }) {
                levels.append(RemoteLevelCounters(level: spec.name, counters: RemoteCounters()))
            }
            return levels
        }

        static func json(_ levels: [RemoteLevelCounters]) -> JSON {
            .array(
                levels.map { level in
                    JSON.object(
                        fields: [("level", JSON.string(level.level))]
                            + level.counters.namedFields.map { ($0.name, JSON.int($0.value)) })
                })
        }

        /// The per-level section of the text form; nothing when no level was ever used.
        static func text(_ levels: [RemoteLevelCounters]) -> String {
            guard !levels.isEmpty else { return "" }
            var out = "\nremote levels (counted by mediacache):\n"
            for level in levels {
                let c = level.counters
                out += "  \(level.level):\n"
                out += table([
                    ["    hits, misses:", "\(c.hits), \(c.misses)"],
                    ["    errors, timeouts, corrupt:", "\(c.errors), \(c.timeouts), \(c.corrupt)"],
                    ["    down, up:", "\(ByteSize.format(c.bytesDown)), \(ByteSize.format(c.bytesUp))"],
                    ["    uploads, dropped:", "\(c.uploads), \(c.uploadsDropped)"],
                ])
            }
            return out
        }
    }
}

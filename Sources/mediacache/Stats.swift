import ArgumentParser
import MediaCache

extension MediaCacheCommand {
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Show entries, size, fill, expiry and hit/miss counters.",
            discussion: """
                Sizes and ages come from a scan of the directory; the counters are \
                shared by every process using the cache and are exact. The --json \
                keys are stable: cache_dir, entries, bytes, max_bytes, fill_percent, \
                ttl_seconds, expired_entries, hostile_entries, oldest_use, newest_use, \
                hits, misses, hit_ratio, stored, evicted_entries, evicted_bytes, since. \
                With -q, print nothing (for --reset). A directory that does not \
                exist is "no cache at DIR" (exit 66).
                """)

        @OptionGroup var location: CacheLocation
        @OptionGroup var limits: CacheLimits
        // Accepted (scripts pass one set of cache flags to every command), not shown: they change nothing here.
        @OptionGroup(visibility: .hidden) var writing: WriteOptions
        @OptionGroup var output: OutputOptions

        @Flag(help: "Zero the counters (after printing them).")
        var reset = false

        func run() throws {
            let store = try location.openExistingStore(limits: limits)
            let stats = try reporting { try store.stats() }
            if reset { try reporting { try store.resetCounters() } }
            if output.quiet { return }
            let c = stats.counters
            if output.json {
                StandardOutput.line(
                    JSON.object(fields: [
                        ("cache_dir", .string(stats.directory)), ("entries", .int(stats.entries)),
                        ("bytes", .int(stats.bytes)), ("max_bytes", .int(stats.maxBytes)),
                        ("fill_percent", .double((stats.fillPercent * 100).rounded() / 100)),
                        ("ttl_seconds", .double(stats.ttl)), ("expired_entries", .int(stats.expiredEntries)),
                        ("hostile_entries", .int(stats.hostileEntries)),
                        ("oldest_use", .time(stats.oldestUse)), ("newest_use", .time(stats.newestUse)),
                        ("hits", .int(c.hits)), ("misses", .int(c.misses)),
                        ("hit_ratio", stats.hitRatio.map { .double(($0 * 10000).rounded() / 10000) } ?? .null),
                        ("stored", .int(c.stored)), ("evicted_entries", .int(c.evictedEntries)),
                        ("evicted_bytes", .int(c.evictedBytes)), ("since", .time(c.since)),
                    ]).rendered())
                return
            }
            let ratio = stats.hitRatio.map { ByteSize.oneDecimal($0 * 100) + "%" } ?? "n/a"
            var rows: [[String]] = [
                ["cache dir", stats.directory],
                ["entries", "\(stats.entries)"],
                ["size", "\(ByteSize.format(stats.bytes)) of \(ByteSize.format(stats.maxBytes)) (\(ByteSize.oneDecimal(stats.fillPercent))%)"],
                ["ttl", DurationText.format(stats.ttl)],
                ["expired", "\(stats.expiredEntries)"],
            ]
            if stats.hostileEntries > 0 { rows.append(["planted links", "\(stats.hostileEntries) (run `mediacache prune`)"]) }
            rows += [
                ["oldest use", stats.oldestUse.map { "\(TimeText.iso8601($0)) (\(TimeText.ago($0)))" } ?? "-"],
                ["newest use", stats.newestUse.map { "\(TimeText.iso8601($0)) (\(TimeText.ago($0)))" } ?? "-"],
                ["hits", "\(c.hits)"],
                ["misses", "\(c.misses)"],
                ["hit ratio", ratio],
                ["stored", "\(c.stored)"],
                ["evicted", "\(Plural.count(c.evictedEntries, "entry", "entries")), \(ByteSize.format(c.evictedBytes))"],
                ["counting since", TimeText.iso8601(c.since)],
            ]
            StandardOutput.write(table(rows.map { [$0[0] + ":", $0[1]] }))
        }
    }
}

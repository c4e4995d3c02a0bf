import ArgumentParser
import MediaCache

extension MediaCacheCommand {
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract:
                "Remove expired entries, then the least recently used down to the size limit (and up to the free-space floor).",
            discussion: """
                The cron job. Also removes temp files and idle locks left by \
                crashed processes (older than --leftover-age), symlinks planted \
                under entry names (never following them), metadata whose data \
                file is gone, and remembered 404s that have expired (see fetch \
                --negative-ttl). Safe while other processes read and write the cache.

                  0 * * * *  mediacache prune -q

                --dry-run prints one line per entry it would remove: would remove, \
                the reason, the key, its size and its URL ('-' when unknown), \
                separated by tabs.
                """)

        @OptionGroup var options: CacheOptions

        @Flag(help: "Print what would be removed; remove nothing.")
        var dryRun = false

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Remove temp files and locks left by crashed processes once older than this.", valueName: "duration"))
        var leftoverAge: String = "1h"

        @OptionGroup var output: OutputOptions

        func run() throws {
            let (json, quiet) = (output.json, output.quiet)
            let age = try reporting { try DurationText.parse(leftoverAge, name: "--leftover-age") }
            let store = try options.openStore()
            let report = try reporting { try store.prune(dryRun: dryRun, leftoverAge: age) }
            let removals = report.result?.removed ?? report.plan.removals
            let count = { (reason: EvictionReason) in removals.filter { $0.reason == reason }.count }
            // Bytes that left the disk: a deduplicated body's once, with its last name.
            let bytes = removals.reduce(Int64(0)) { $0 + ($1.releases ? $1.entry.size : 0) }
            let entryCount = count(.expired) + count(.size) + count(.count) + count(.freeSpace) + count(.poisoned)
            let temps = report.result?.tempFilesRemoved ?? report.plan.tempFileCount
            let orphans = report.result?.metadataRemoved ?? report.plan.orphanMetadataCount
            let negatives = report.result?.negativeRecordsRemoved ?? report.plan.negativeRecordCount
            let config = store.configuration
            if json {
                StandardOutput.line(
                    JSON.object(fields: [
                        ("dry_run", .bool(dryRun)),
                        ("removed_entries", .int(entryCount)),
                        ("removed_bytes", .int(bytes)),
                        ("expired", .int(count(.expired))), ("over_size", .int(count(.size))),
                        ("over_count", .int(count(.count))), ("poisoned", .int(count(.poisoned))),
                        ("hostile", .int(count(.hostile))), ("temp_files", .int(temps)),
                        ("orphan_metadata", .int(orphans)),
                        ("entries_before", .int(report.entriesBefore)), ("bytes_before", .int(report.bytesBefore)),
                        ("entries", .int(report.entriesAfter)), ("bytes", .int(report.bytesAfter)),
                        ("max_bytes", .int(config.maxBytes)), ("ttl_seconds", .double(config.ttl)),
                        ("over_free", .int(count(.freeSpace))),
                        ("min_free_bytes", config.minFreeBytes.map { .int($0) } ?? .null),
                        ("negative_records", .int(negatives)),
                    ]).rendered())
                return
            }
            if dryRun {
                for removal in report.plan.removals {
                    let url = (try? CacheKey(name: removal.entry.name)).flatMap { store.metadata(for: $0)?.url }
                    let size = ByteSize.format(removal.entry.size)
                    StandardOutput.line("would remove\t\(removal.reason.rawValue)\t\(removal.entry.name)\t\(size)\t\(url ?? "-")")
                }
            }
            guard !quiet else { return }
            let verb = dryRun ? "would remove" : "removed"
            var line = "\(verb) \(Plural.count(entryCount, "entry", "entries")) (\(ByteSize.format(bytes))): "
            line += "\(count(.expired)) expired, \(count(.size)) over size"
            if count(.count) > 0 { line += ", \(count(.count)) over --max-entries" }
            if count(.freeSpace) > 0, let floor = config.minFreeBytes {
                line += ", \(count(.freeSpace)) to keep \(ByteSize.format(floor)) free"
            }
            if count(.poisoned) > 0 { line += ", \(count(.poisoned)) poisoned empty files" }
            if count(.hostile) > 0 { line += ", \(count(.hostile)) planted links" }
            if temps > 0 { line += ", \(temps) temp files" }
            if orphans > 0 { line += ", \(orphans) orphaned metadata" }
            if negatives > 0 { line += ", \(negatives) expired negative records" }
            StandardOutput.line(line)
            let fill = config.maxBytes > 0 ? Double(report.bytesAfter) * 100 / Double(config.maxBytes) : 0
            StandardOutput.line(
                "now \(Plural.count(report.entriesAfter, "entry", "entries")), \(ByteSize.format(report.bytesAfter)) of \(ByteSize.format(config.maxBytes)) (\(ByteSize.oneDecimal(fill))%)"
            )
        }
    }
}

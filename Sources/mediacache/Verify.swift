import ArgumentParser
import MediaCache

extension MediaCacheCommand {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Re-hash entries against their recorded SHA-256; report corrupt, poisoned, foreign and planted entries.",
            discussion: """
                corrupt: the bytes differ from what was stored. poisoned: an empty \
                file vLLM's touch() recreated, which vLLM serves as an empty hit. \
                hostile: a symlink or other non-regular file under an entry's name. \
                foreign: a data file without metadata (written by vLLM; fine, but \
                cannot be checked). stale: a metadata record of an entry vLLM has \
                since replaced with its own download (the bytes are vLLM's and fine). \
                missing: a record whose data file vLLM's eviction removed. Exit 1 \
                when a corrupt, poisoned or hostile entry was found (before --fix); \
                foreign, stale and missing are routine and exit 0. With -q, only \
                problems are printed; --json prints one object per finding, then a \
                summary object.
                """)

        @OptionGroup var location: CacheLocation
        // Accepted (scripts pass one set of cache flags to every command), not shown: they change nothing here.
        @OptionGroup(visibility: .hidden) var limits: CacheLimits
        @OptionGroup(visibility: .hidden) var writing: WriteOptions

        @Flag(help: "Remove corrupt, poisoned and hostile entries, and stale or orphaned records; never a valid entry.")
        var fix = false

        @OptionGroup var output: OutputOptions

        func run() throws {
            let (json, quiet) = (output.json, output.quiet)
            let store = try location.openExistingStore()
            let report = try reporting { try store.verify(fix: fix) }
            let removed = (report.removed?.removed.count ?? 0) + (report.removed?.metadataRemoved ?? 0)
            var out = ""
            for finding in report.findings where !(quiet && finding.status == .foreign) {
                if json {
                    out +=
                        JSON.object(fields: [
                            ("key", .string(finding.name)), ("status", .string(finding.status.rawValue)),
                            ("url", .optional(finding.url)), ("detail", .string(finding.detail)),
                        ]).rendered() + "\n"
                } else {
                    out += "\(finding.status.rawValue)\t\(finding.name)\t\(finding.detail)\t\(finding.url ?? "-")\n"
                }
            }
            let counts = { (status: VerifyReport.Status) in report.findings.filter { $0.status == status }.count }
            if json {
                out +=
                    JSON.object(fields: [
                        ("checked", .int(report.checked)), ("ok", .int(report.ok)), ("corrupt", .int(counts(.corrupt))),
                        ("missing", .int(counts(.missing))), ("foreign", .int(counts(.foreign))),
                        ("hostile", .int(counts(.hostile))), ("poisoned", .int(counts(.poisoned))),
                        ("stale", .int(counts(.stale))),
                        ("busy", .int(report.busy)), ("removed", .int(removed)),
                    ]).rendered() + "\n"
            } else if !quiet {
                out += "checked \(report.checked): \(report.ok) ok, \(counts(.corrupt)) corrupt, \(counts(.missing)) missing, "
                out +=
                    "\(counts(.foreign)) foreign, \(counts(.hostile)) hostile, \(counts(.poisoned)) poisoned, \(counts(.stale)) stale"
                out += fix ? "; removed \(removed)\n" : "\n"
            }
            StandardOutput.write(out)
            if report.hasProblems && !fix { throw ExitCode(ExitStatus.miss) }
        }
    }
}

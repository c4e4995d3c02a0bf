import ArgumentParser
import MediaCache

extension MediaCacheCommand {
    struct Doctor: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract: "Check a cache directory for what breaks or slows vLLM or mediacache there.",
            discussion: """
                Checks: poisoned empty files (vLLM serves them as empty hits), \
                planted links, directories (vLLM's eviction fails on them), stale temp \
                files, entries others who share the directory cannot read (vLLM writes \
                mode 0600), whether extended attributes hold the metadata, free space \
                against the size limit and the free-space floor (--min-free), the size against vLLM's own limit \
                (VLLM_MEDIA_CACHE_MAX_SIZE_MB), and the entry count with what one vLLM \
                store costs at it, measured here by timing vLLM's directory pass in \
                python3 over 2000 scratch files. Each finding says what happens and \
                what to do. Exit 0 when clean, 1 when a hazard was found (after \
                --fix: one it could not fix). With -q, nothing when clean, else only \
                the hazards. A directory that does not exist is "no cache at DIR" \
                (exit 66).

                --json keys: cache_dir, clean, entries, bytes, free_bytes, \
                min_free_bytes, extended_attributes, vllm_store_ms, seconds_per_entry, calibration, \
                suggested_max_entries, findings [{check, severity, count, summary, \
                effect, action, fixable, fixed}].
                """)

        @OptionGroup var location: CacheLocation
        @OptionGroup var limits: CacheLimits
        // Accepted so that a script can pass one set of cache flags to every command.
        @OptionGroup(visibility: .hidden) var writing: WriteOptions

        @Flag(
            help:
                "Repair what is safe: remove poisoned files, planted links, stale temp files and records; make entries readable.")
        var fix = false

        @Flag(help: "Skip the timing of a vLLM store (no scratch files, no python3).")
        var noCalibration = false

        @OptionGroup var output: OutputOptions

        func run() throws {
            let store = try location.openExistingStore(limits: limits)
            let report = try reporting {
                try store.doctor(fix: fix, calibrate: !noCalibration, vllmEnvironment: Environment.current())
            }
            if output.json {
                StandardOutput.line(Self.json(report).rendered())
            } else if !output.quiet || !report.isClean {
                StandardOutput.write(Self.text(report, fixing: fix, hazardsOnly: output.quiet))
            }
            if !report.isClean { throw ExitCode(ExitStatus.miss) }
        }

        static func text(_ report: DoctorReport, fixing: Bool, hazardsOnly: Bool) -> String {
            var out = "cache \(report.directory): \(report.entries) \(report.entries == 1 ? "entry" : "entries"), "
            out += ByteSize.format(report.bytes)
            if let free = report.freeBytes { out += ", \(ByteSize.format(free)) free" }
            if let floor = report.minFreeBytes { out += " (floor \(ByteSize.format(floor)))" }
            out += "\n"
            for finding in report.findings where !hazardsOnly || finding.severity == .hazard {
                let mark = finding.severity == .hazard ? "hazard" : "ok"
                out += "\n[\(mark)] \(finding.summary)\n"
                if finding.effect != "none" { out += "    what happens: \(finding.effect)\n" }
                if finding.action != "nothing" || finding.severity == .hazard { out += "    what to do:   \(finding.action)\n" }
                if fixing && finding.fixable { out += "    fixed:        \(finding.fixed) of \(finding.count)\n" }
            }
            let found = report.findings.filter { $0.severity == .hazard }
            let left = found.filter { !fixing || !$0.fixable || $0.fixed < $0.count }.count
            if found.isEmpty {
                out += "\nno hazards found\n"
            } else if fixing {
                out +=
                    "\n\(found.count) \(found.count == 1 ? "hazard" : "hazards") found, \(found.count - left) fixed, \(left) left\n"
            } else {
                out += "\n\(found.count) \(found.count == 1 ? "hazard" : "hazards") found\n"
            }
            return out
        }

        static func json(_ report: DoctorReport) -> JSON {
            let cost = report.storeCost
            return JSON.object(fields: [
                ("cache_dir", .string(report.directory)), ("clean", .bool(report.isClean)),
                ("entries", .int(report.entries)), ("bytes", .int(report.bytes)),
                ("free_bytes", report.freeBytes.map { .int($0) } ?? .null),
                ("min_free_bytes", report.minFreeBytes.map { .int($0) } ?? .null),
                ("extended_attributes", .bool(report.extendedAttributes)),
                ("vllm_store_ms", cost.map { .double(($0.seconds(at: report.entries) * 1e6).rounded() / 1000) } ?? .null),
                ("seconds_per_entry", cost.map { .double($0.secondsPerEntry) } ?? .null),
                ("calibration", cost.map { .string($0.measuredWith) } ?? .null),
                ("suggested_max_entries", cost.map { .int($0.entries(within: CacheStore.vllmStoreBudget)) } ?? .null),
                (
                    "findings",
                    .array(
                        report.findings.map { finding in
                            JSON.object(fields: [
                                ("check", .string(finding.check)), ("severity", .string(finding.severity.rawValue)),
                                ("count", .int(finding.count)), ("summary", .string(finding.summary)),
                                ("effect", .string(finding.effect)), ("action", .string(finding.action)),
                                ("fixable", .bool(finding.fixable)), ("fixed", .int(finding.fixed)),
                            ])
                        })
                ),
            ])
        }
    }
}

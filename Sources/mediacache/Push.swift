import ArgumentParser
import MediaCache
import Synchronization

extension MediaCacheCommand {
    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Upload local entries that the shared tier lacks (vLLM's entries too).",
            discussion: """
                Every entry of the cache directory goes to every writable remote level \
                (--remote, $MEDIACACHE_REMOTE) that does not already hold it with the \
                same SHA-256: the body under its SHA-256, then a record under the \
                entry's file name. Pushing again sends nothing. Entries vLLM wrote \
                (no URL known) are hashed first and shared by file name.

                stdout has one line per entry and level. Piped: status (pushed, \
                present, would-push, failed), level, key, size in bytes, separated \
                by tabs. With --json, one object per line with those keys. With -q, \
                none. A summary goes to stderr. Exit 0 when every entry is on every \
                writable level (or would be pushed, with --dry-run), 1 otherwise.

                  mediacache push --remote 'http://cache.internal:8080/media' -j 16
                """)

        @OptionGroup var location: CacheLocation

        @Option(name: [.customShort("j"), .customLong("jobs")], help: ArgumentHelp("Concurrent uploads.", valueName: "n"))
        var jobs: Int = 8

        @Flag(help: "Show what would be uploaded; upload nothing.")
        var dryRun = false

        @OptionGroup(title: "Shared tier (docs/remote.md)")
        var remote: RemoteOptions

        @OptionGroup var output: OutputOptions

        func validate() throws {
            if jobs < 1 || jobs > 1024 { throw ValidationError("--jobs must be between 1 and 1024") }
        }

        func run() async throws {
            let store = try location.openExistingStore()
            guard let tier = try remote.tier(jobs: jobs), !tier.writableLevelNames.isEmpty else {
                throw usageError("no writable remote level: give --remote SPEC or set MEDIACACHE_REMOTE", Self.self)
            }
            let keys = try reporting { try store.list() }.compactMap { try? CacheKey(name: $0.name) }
            let progress = PushProgress(total: keys.count, quiet: output.quiet)
            var counts: [PushStatus: Int] = [:]
            let dryRun = dryRun
            await withTaskGroup(of: [PushResult]?.self) { group in
                var next = keys.makeIterator()
                for _ in 0..<jobs {
                    guard let key = next.next() else { break }
                    group.addTask { try? await tier.push(key, store: store, dryRun: dryRun) }
                }
                for await results in group {
                    for result in results ?? [] {
                        counts[result.status, default: 0] += 1
                        report(result)
                    }
                    progress.advance()
                    if let key = next.next() { group.addTask { try? await tier.push(key, store: store, dryRun: dryRun) } }
                }
            }
            progress.finish()
            await remote.finish(tier, store: store)
            if !output.quiet {
                let verb = dryRun ? "would push" : "pushed"
                warn(
                    "\(verb) \(counts[dryRun ? .wouldPush : .pushed, default: 0]), present \(counts[.present, default: 0]), failed \(counts[.failed, default: 0]) (\(Plural.count(keys.count, "entry", "entries")), \(Plural.count(tier.writableLevelNames.count, "level", "levels")))"
                )
            }
            if counts[.failed, default: 0] > 0 { throw ExitCode(ExitStatus.miss) }
        }

        private func report(_ result: PushResult) {
            if output.json {
                StandardOutput.line(
                    JSON.object(fields: [
                        ("status", .string(result.status.rawValue)), ("level", .string(result.level)),
                        ("key", .string(result.key)), ("size", .int(result.size)),
                    ]).rendered())
            } else if !output.quiet {
                StandardOutput.line("\(result.status.rawValue)\t\(result.level)\t\(result.key)\t\(result.size)")
            }
        }
    }
}

/// `push`'s progress on stderr, drawn only when stderr is a terminal.
final class PushProgress: Sendable {
    private let total: Int
    private let draws: Bool
    private let done = Mutex(0)

    init(total: Int, quiet: Bool) {
        self.total = total
        draws = !quiet && StandardError.isTerminal
    }

    func advance() {
        let count = done.withLock {
            $0 += 1
            return $0
        }
        if draws { StandardError.write("\rpush: \(count)/\(total) entries") }
    }

    func finish() {
        if draws { StandardError.write("\r\u{1B}[K") }
    }
}

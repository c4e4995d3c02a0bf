import ArgumentParser
import MediaCache

#if canImport(Glibc)
    import Glibc
#endif

extension MediaCacheCommand {
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Write a cached URL's bytes to stdout; exit 1 on a miss.",
            discussion: """
                A hit marks the entry used (its mtime), which restarts its TTL and \
                moves it to the back of the LRU order. An expired entry is removed \
                and is a miss. Hits and misses are counted (see `mediacache stats`). \
                Binary bytes are not written to a terminal unless -o - asks for it. \
                A cache directory that does not exist is "no cache at DIR" (exit 66), \
                except with --fetch, which creates it.
                """)

        @OptionGroup var options: CacheOptions

        @Argument(help: "The URL whose bytes to read.")
        var url: String

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp(
                "Write the bytes to this file instead of stdout; - for stdout even when it is a terminal.", valueName: "file"),
            completion: .file())
        var output: String?

        @Flag(help: "Print the entry's file path instead of its bytes (for tools that want a path).")
        var path = false

        @Flag(help: "On a miss, download the URL into the cache first (counts as a miss), then output it.")
        var fetch = false

        @Option(
            name: .customLong("stale-if-error"),
            help: ArgumentHelp(
                "With --fetch: when the entry has expired and the origin fails (no connection, timeout, 408, 429, 5xx), output the expired bytes anyway, with a warning, if they expired less than this long ago; written --stale-if-error=DURATION, or bare for any age. The entry is kept as it is.",
                valueName: "duration"))
        var staleIfError: String?

        @OptionGroup(title: "Fetch options (with --fetch)")
        var fetchOptions: FetchOptions

        @OptionGroup var dedupe: DedupeOption
        @OptionGroup(title: "Shared tier, with --fetch (docs/remote.md)")
        var remote: RemoteOptions

        @OptionGroup var quietFlag: QuietFlag

        func validate() throws {
            if path && output != nil { throw ValidationError("--path and --output cannot be used together") }
            if staleIfError != nil && !fetch { throw ValidationError("--stale-if-error needs --fetch") }
        }

        /// The request these arguments make, as `GetFastPath` reads the plain form.
        var request: GetRequest {
            let destination =
                path ? .path : output.flatMap { $0 == "-" ? nil : GetRequest.Destination.file($0) } ?? .standardOutput
            return GetRequest(url: url, destination: destination, quiet: quietFlag.quiet, toTerminalAnyway: output == "-")
        }

        func run() async throws {
            let request = self.request
            // A bad URL is refused before the store is opened, so it cannot create a cache directory.
            let config = try options.configuration(dedupe: dedupe)
            _ = try reporting { try request.key(rules: config.suffixRules) }
            // Only a read-through creates a cache; a plain get of a directory that is not there says so.
            let store = try fetch ? options.openStore(dedupe: dedupe) : options.location.openExistingStore(limits: options.limits)
            var entry: CacheStore.OpenEntry?
            if fetch {
                // The fetch counts the hit (a fresh entry) or the miss (a download) itself.
                var settings = try fetchOptions.settings()
                settings.remote = try remote.tier(jobs: 1)
                settings.staleIfError = try staleIfError.map { text in try StaleIfError.seconds(text) }
                let outcome = try await FetchCommandRunner.fetchOne(url, store: store, settings: settings, remote: remote)
                if outcome.status == .stale, let error = outcome.error, let key = outcome.key {
                    entry = try reporting { try store.openExpired(key) }
                    guard let stale = entry else { throw fail(error) }  // evicted since: the origin's failure stands
                    warn("warning: \(error.description); serving the stale entry (expired \(Self.expiredAgo(stale, store)))")
                } else if let error = outcome.error {
                    throw fail(error)
                } else {
                    entry = try reporting { try store.open(url: url, count: false) }
                }
            } else {
                entry = try reporting { try store.open(url: url) }
            }
            try request.deliver(entry)
        }

        /// How long ago an open entry expired, for people: `1h ago`.
        static func expiredAgo(_ entry: CacheStore.OpenEntry, _ store: CacheStore) -> String {
            var info = stat()
            guard fstat(entry.fd, &info) == 0 else { return "earlier" }
            let lastUse = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            return TimeText.ago(lastUse + store.configuration.ttl)
        }
    }
}

/// `--stale-if-error[=DURATION]`: an option whose value may be left out.
enum StaleIfError {
    static let option = "--stale-if-error"
    /// What a bare `--stale-if-error` stands for: any age.
    static let anyAge = "any"

    /// Seconds an entry may have been expired and still be served.
    static func seconds(_ text: String) throws -> Double {
        if text == anyAge { return .infinity }
        return try reporting { try DurationText.parse(text, name: option) }
    }

    /// The arguments with a bare `--stale-if-error` given its value: the word
    /// after it when that is a duration (`--stale-if-error 1h`), else `any`.
    /// (swift-argument-parser has no options with an optional value.)
    static func normalized(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                result += arguments[(index - 1)...]
                break
            }
            guard argument == option else {
                result.append(argument)
                continue
            }
            if index < arguments.endIndex, (try? DurationText.parse(arguments[index], name: option)) != nil {
                result.append("\(option)=\(arguments[index])")
                index += 1
            } else {
                result.append("\(option)=\(anyAge)")
            }
        }
        return result
    }
}

extension CacheStore.OpenEntry {
    /// Whether the entry's first 8 KiB hold a NUL byte: binary, as curl decides
    /// before it refuses to write to a terminal.
    /// - Important: Disk I/O (one `pread`; the file offset is not moved).
    func looksBinary() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 8192)
        let count = buffer.withUnsafeMutableBytes { Posix.read(fd, into: $0, at: 0) }
        return count > 0 && buffer[0..<count].contains(0)
    }
}

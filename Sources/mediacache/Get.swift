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

        @Option(name: .shortAndLong, help: ArgumentHelp("Write the bytes to this file instead of stdout; - for stdout even when it is a terminal.", valueName: "file"), completion: .file())
        var output: String?

        @Flag(help: "Print the entry's file path instead of its bytes (for tools that want a path).")
        var path = false

        @Flag(help: "On a miss, download the URL into the cache first (counts as a miss), then output it.")
        var fetch = false

        @OptionGroup(title: "Fetch options (with --fetch)")
        var fetchOptions: FetchOptions

        @OptionGroup(title: "Shared tier, with --fetch (docs/remote.md)")
        var remote: RemoteOptions

        @OptionGroup var quietFlag: QuietFlag

        func validate() throws {
            if path && output != nil { throw ValidationError("--path and --output cannot be used together") }
        }

        func run() async throws {
            // A bad URL is refused before the store is opened, so it cannot create a cache directory.
            let config = try options.configuration()
            _ = try reporting { try CacheKey(url: url, rules: config.suffixRules) }
            // Only a read-through creates a cache; a plain get of a directory that is not there says so.
            let store = try fetch ? options.openStore() : options.location.openExistingStore(limits: options.limits)
            var entry: CacheStore.OpenEntry?
            if fetch {
                // The fetch counts the hit (a fresh entry) or the miss (a download) itself.
                let outcome = try await FetchCommandRunner.fetchOne(url, store: store, options: fetchOptions, remote: remote)
                if let error = outcome.error { throw fail(error) }
                entry = try reporting { try store.open(url: url, count: false) }
            } else {
                entry = try reporting { try store.open(url: url) }
            }
            guard let entry else {
                if !quietFlag.quiet { warn("miss: \(url)") }
                throw ExitCode(ExitStatus.miss)
            }
            if path {
                StandardOutput.line(entry.path)
            } else if output == nil && isatty(1) == 1 && entry.looksBinary() {
                warn("not writing binary bytes to a terminal: use -o FILE, --path, a pipe, or -o - to write them anyway")
                throw ExitCode(ExitStatus.usage)
            } else if let output, output != "-" {
                let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd >= 0 else {
                    throw fail(MediaCacheError.io(operation: "cannot write", path: output, errno: errno))
                }
                defer { close(fd) }
                try reporting { try entry.copy(to: fd, destination: output) }
            } else {
                try reporting { try entry.copy(to: 1, destination: "standard output") }
            }
        }
    }
}

extension CacheStore.OpenEntry {
    /// Whether the entry's first 8 KiB hold a NUL byte: binary, as curl decides
    /// before it refuses to write to a terminal.
    /// - Important: Disk I/O (one `pread`; the file offset is not moved).
    func looksBinary() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 8192)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 && buffer[0..<count].contains(0)
    }
}

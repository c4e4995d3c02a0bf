import ArgumentParser
import MediaCache

extension MediaCacheCommand {
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Write a cached URL's bytes to stdout; exit 1 on a miss.",
            discussion: """
                A hit marks the entry used (its mtime), which restarts its TTL and \
                moves it to the back of the LRU order. An expired entry is removed \
                and is a miss. Hits and misses are counted (see `mediacache stats`).
                """)

        @OptionGroup var options: CacheOptions

        @Argument(help: "The URL whose bytes to read.")
        var url: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Write the bytes to this file instead of stdout.", valueName: "file"), completion: .file())
        var output: String?

        @Flag(help: "Print the entry's file path instead of its bytes (for tools that want a path).")
        var path = false

        @Flag(help: "On a miss, download the URL into the cache first (counts as a miss), then output it.")
        var fetch = false

        @OptionGroup(title: "Fetch options (with --fetch)")
        var fetchOptions: FetchOptions

        @Flag(name: .shortAndLong, help: "Print nothing on stderr for a miss.")
        var quiet = false

        func validate() throws {
            if path && output != nil { throw ValidationError("--path and --output cannot be used together") }
        }

        /// The request these arguments make, as `GetFastPath` reads the plain form.
        var request: GetRequest {
            let destination = path ? .path : output.map { GetRequest.Destination.file($0) } ?? .standardOutput
            return GetRequest(url: url, destination: destination, quiet: quiet)
        }

        func run() async throws {
            let request = self.request
            let key = try reporting { try request.key() }
            let store = try options.openStore()
            var entry = try reporting { try store.open(key) }
            if entry == nil && fetch {
                let outcome = try await FetchCommandRunner.fetchOne(url, store: store, options: fetchOptions)
                if let error = outcome.error { throw fail(error) }
                entry = try reporting { try store.open(key, count: false) }
            }
            try request.deliver(entry)
        }
    }
}

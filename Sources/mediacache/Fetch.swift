import ArgumentParser
import MediaCache

#if canImport(Glibc)
    import Glibc
#endif

extension MediaCacheCommand {
    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fetch",
            abstract: "Download URLs into the cache in parallel (prewarm).",
            discussion: """
                URLs come from arguments and/or -i FILE (- for stdin): one per line \
                (LF or CRLF; a UTF-8 byte-order mark and white space around a URL are \
                dropped); blank lines and # comments are skipped; a line that is not \
                an http(s) URL is reported, never skipped silently; duplicates (the \
                same UTF-8 bytes) are fetched once. \
                Fresh entries are not downloaded again; expired ones with an ETag or \
                Last-Modified are revalidated. One URL is downloaded once even when \
                several processes fetch it at the same moment.

                stdout has one line per URL. Piped: status (fetched, cached, \
                revalidated, failed), size in bytes, path, URL, separated by tabs. \
                On a terminal: aligned columns with human sizes and the key. With \
                --json, one object per line. With -q, none: only errors. Exit 0 \
                when every URL ended cached, 1 otherwise.

                  mediacache fetch -j 16 -i urls.txt
                """)

        @OptionGroup var options: CacheOptions
        @OptionGroup var dedupe: DedupeOption

        @Argument(help: "URLs to fetch (in addition to -i).")
        var urls: [String] = []

        @Option(
            name: [.customShort("i"), .customLong("input")],
            help: ArgumentHelp("Read URLs from this file, one per line; - for stdin.", valueName: "file"), completion: .file())
        var input: [String] = []

        @Option(name: [.customShort("j"), .customLong("jobs")], help: ArgumentHelp("Concurrent transfers.", valueName: "n"))
        var jobs: Int = 8

        @OptionGroup(title: "Download options")
        var fetchOptions: FetchOptions

        @OptionGroup(title: "Shared tier (docs/remote.md)")
        var remote: RemoteOptions

        @OptionGroup var output: OutputOptions

        func validate() throws {
            if jobs < 1 || jobs > 1024 { throw ValidationError("--jobs must be between 1 and 1024") }
        }

        func run() async throws {
            // In run(), not validate(): see usageError.
            if urls.isEmpty && input.isEmpty { throw usageError("give URLs as arguments or with -i FILE", Self.self) }
            let list = try readURLs()
            let store = try options.openStore(dedupe: dedupe)
            try reporting { try store.checkWritable() }  // a read-only view: one permission error, not one per URL
            var settings = try fetchOptions.settings(jobs: jobs)
            settings.remote = try remote.tier(jobs: jobs)
            let fetcher = Fetcher(store: store, settings: settings)
            let report = FetchReporter(
                total: list.urls.count, json: output.json, quiet: output.quiet, progress: { fetcher.receivedBytes },
                announced: { fetcher.announcedBodies })
            for bad in list.rejected { report.reject(bad) }
            report.start()
            let run = await fetcher.fetchAll(list.urls) { report.record($0) }
            report.stop()
            try? await fetcher.shutdown()
            await remote.finish(settings.remote, store: store)
            if run.overLimit {
                warn(
                    "warning: this run's entries alone exceed the size limit (\(ByteSize.format(store.configuration.maxBytes))); older entries were evicted first"
                )
            }
            report.summary()
            if report.failures > 0 { throw ExitCode(ExitStatus.miss) }
        }

        /// URLs from arguments and input files, in order, with the lines that are not URLs.
        private func readURLs() throws -> URLList {
            var list = URLList()
            for url in urls { list.add(url, source: "argument") }
            for file in input {
                let bytes = try reporting { try InputFile.read(file) }
                for (number, line) in URLListText.lines(bytes) {
                    list.add(line, source: "\(file == "-" ? "stdin" : file):\(number)")
                }
            }
            return list
        }
    }
}

/// URLs to fetch, deduplicated, and the entries rejected before any download.
struct URLList {
    var urls: [String] = []
    var rejected: [(source: String, url: String, error: MediaCacheError)] = []
    /// By UTF-8 bytes: `Set<String>` would merge canonically equivalent spellings.
    private var seen = Set<[UInt8]>()

    mutating func add(_ url: String, source: String) {
        do {
            _ = try CacheKey(url: url)
            if seen.insert(Array(url.utf8)).inserted { urls.append(url) }
        } catch {
            rejected.append((source, url, error))
        }
    }
}

enum InputFile {
    /// The whole of a list file (or stdin for "-").
    static func read(_ path: String) throws(MediaCacheError) -> [UInt8] {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .inputUnreadable(path: path, errno: errno) }
        defer { if fd != 0 { close(fd) } }
        // A URL list of more than 1 GiB is not one.
        guard let bytes = Posix.readAll(fd, limit: 1 << 30) else {
            throw .inputUnreadable(path: path, errno: errno == 0 ? EFBIG : errno)
        }
        return bytes
    }
}

/// The lines of a URL list, as people and other tools write them.
enum URLListText {
    /// Numbered lines with URLs: split on LF bytes (a CRLF is one `Character`
    /// in Swift, so splitting text on "\n" would glue CRLF lines together),
    /// without a leading UTF-8 byte-order mark, a trailing CR, or white space
    /// around the URL; blank lines and `#` comments are left out.
    static func lines(_ bytes: [UInt8]) -> [(number: Int, text: String)] {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        var result: [(Int, String)] = []
        for (index, raw) in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            var line = raw
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let text = String(decoding: line, as: UTF8.self).trimmingSpaces()
            if text.isEmpty || text.hasPrefix("#") { continue }
            result.append((index + 1, text))
        }
        return result
    }
}

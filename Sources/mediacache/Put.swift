import ArgumentParser
import MediaCache

#if canImport(Glibc)
import Glibc
#endif

extension MediaCacheCommand {
    struct Put: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "put",
            abstract: "Store the bytes of a file or stdin under a URL; print the entry's path.",
            discussion: """
                The bytes are streamed (constant memory) and hashed on the way, and \
                the entry appears whole or not at all. Then the size limit is \
                enforced, never evicting the entry just written.

                  curl -s "$url" | mediacache put "$url"
                """)

        @OptionGroup var options: CacheOptions

        @Argument(help: "The URL to store the bytes under.")
        var url: String

        @Argument(help: ArgumentHelp("File to read, or - for stdin.", valueName: "file"), completion: .file())
        var file: String = "-"

        @Option(help: ArgumentHelp("Content type to record, e.g. image/png.", valueName: "type"))
        var contentType: String?

        @Flag(name: .shortAndLong, help: "Print nothing on success.")
        var quiet = false

        func run() throws {
            // Bad input (URL, missing file) is refused before the store is opened,
            // so it cannot create a cache directory (invariant 6).
            let rules = try options.configuration().suffixRules
            _ = try reporting { try CacheKey(url: url, rules: rules) }
            let fd: Int32
            if file == "-" {
                fd = 0
            } else {
                fd = open(file, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw fail(MediaCacheError.inputUnreadable(path: file, errno: errno)) }
            }
            defer { if fd != 0 { close(fd) } }
            let store = try options.openStore()
            let source = file == "-" ? "standard input" : file
            let result = try reporting { try store.store(contentsOf: fd, sourceName: source, for: url, contentType: contentType) }
            if result.overLimit {
                warn("warning: the entry alone (\(ByteSize.format(result.size))) is over the size limit; everything else was evicted")
            }
            if !quiet { StandardOutput.line(result.path) }
        }
    }
}

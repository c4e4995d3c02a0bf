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

                Refused with exit 65, storing nothing: empty input (a failed \
                download piped in; --allow-empty stores it), and an HTML page under \
                a URL whose suffix names an image, audio or video file (an error \
                page; --allow-html stores it). Let curl fail on HTTP errors:

                  set -o pipefail
                  curl -fsS "$url" | mediacache put "$url"
                """)

        @OptionGroup var options: CacheOptions
        @OptionGroup var dedupe: DedupeOption

        @Argument(help: "The URL to store the bytes under.")
        var url: String

        @Argument(help: ArgumentHelp("File to read, or - for stdin.", valueName: "file"), completion: .file())
        var file: String = "-"

        @Option(help: ArgumentHelp("Content type to record, e.g. image/png.", valueName: "type"))
        var contentType: String?

        @Flag(help: "Store empty input as a 0-byte entry instead of refusing it.")
        var allowEmpty = false

        @Flag(help: "Store an HTML page under an image, audio or video URL instead of refusing it.")
        var allowHtml = false

        @OptionGroup var quietFlag: QuietFlag

        func run() throws {
            // Bad input (URL, missing file, wrong bytes) is refused before the
            // store is opened, so it cannot create a cache directory (invariant 6).
            let rules = try options.configuration(dedupe: dedupe).suffixRules
            let key = try reporting { try CacheKey(url: url, rules: rules) }
            let fd: Int32
            if file == "-" {
                fd = 0
                if isatty(0) == 1 { warn("reading the bytes for \(url) from the terminal; end with Ctrl-D (or give a FILE)") }
            } else {
                fd = open(file, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw fail(MediaCacheError.inputUnreadable(path: file, errno: errno)) }
            }
            defer { if fd != 0 { close(fd) } }
            let source = file == "-" ? "standard input" : file
            let head = try reporting { try Self.readHead(fd, source: source) }
            try check(head, key: key)
            let store = try options.openStore(dedupe: dedupe)
            let result = try reporting {
                try store.store(contentsOf: fd, prefix: head, sourceName: source, for: url, contentType: contentType)
            }
            if result.overLimit {
                warn(
                    "warning: the entry alone (\(ByteSize.format(result.size))) is over the size limit; everything else was evicted"
                )
            }
            if !quietFlag.quiet { StandardOutput.line(result.path) }
        }

        /// Refuses what is surely not the media the URL names (exit 65).
        private func check(_ head: [UInt8], key: CacheKey) throws {
            if head.isEmpty && !allowEmpty {
                warn(
                    "refusing to store empty input for \(url): did the download fail? (use curl -fsS and set -o pipefail; --allow-empty stores it)"
                )
                throw ExitCode(ExitStatus.dataError)
            }
            let declaredHTML = contentType?.lowercased().hasPrefix("text/html") == true
            if !allowHtml && !declaredHTML && Self.mediaSuffixes.contains(Self.suffix(of: key.name)) && Self.isHTML(head) {
                warn(
                    "refusing to store an HTML page under \(url) (an error page from the origin?); use curl -f, or --allow-html to store it"
                )
                throw ExitCode(ExitStatus.dataError)
            }
        }

        static let mediaSuffixes: Set<String> = [
            "jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff", "avif", "heic", "ico",
            "mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "ts",
            "mp3", "wav", "flac", "ogg", "oga", "opus", "m4a", "aac",
        ]

        static func suffix(of name: String) -> String {
            guard let dot = name.lastIndex(of: ".") else { return "" }
            return name[name.index(after: dot)...].lowercased()
        }

        /// Whether the bytes begin (after white space or a BOM) like an HTML document.
        static func isHTML(_ head: [UInt8]) -> Bool {
            let text = String(decoding: head.prefix(512), as: UTF8.self).lowercased()
            let start = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
            return start.hasPrefix("<!doctype html") || start.hasPrefix("<html")
        }

        /// Reads up to 512 bytes (fewer only at the end of the input) to look at before storing.
        static func readHead(_ fd: Int32, source: String) throws(MediaCacheError) -> [UInt8] {
            var head = [UInt8](repeating: 0, count: 512)
            let count = head.withUnsafeMutableBytes { Posix.fill(fd, $0) }
            if count < 0 { throw .inputUnreadable(path: source, errno: errno) }
            return Array(head[0..<count])
        }
    }
}

import ArgumentParser
import MediaCache

#if canImport(Glibc)
    import Glibc
#endif

/// What a `get` asks for and how it ends, shared by the full `Get` command
/// and `GetFastPath`, so the two cannot drift apart: one meaning for each
/// argument, one miss message, one set of exit codes.
struct GetRequest {
    /// Where a hit's bytes go.
    enum Destination: Equatable {
        case standardOutput
        /// Print the entry's file path instead (`--path`).
        case path
        /// Write them to this file, atomically (`-o FILE`).
        case file(String)
    }

    var url: String
    var destination: Destination = .standardOutput
    /// No line on stderr for a miss (`-q`).
    var quiet = false
    /// Binary bytes to a terminal anyway (`-o -`), as curl's `--output -`.
    var toTerminalAnyway = false

    /// The URL's key under `rules`. Taken before the store is opened: a bad
    /// URL must leave even a cache directory not yet created alone.
    func key(rules: SuffixRules) throws(MediaCacheError) -> CacheKey { try CacheKey(url: url, rules: rules) }

    /// Ends the command for a looked-up entry. A miss prints one line (unless
    /// quiet) and ends with exit 1; a hit goes where asked. Every failure has
    /// been reported when this throws.
    /// - Important: Disk I/O.
    func deliver(_ entry: CacheStore.OpenEntry?) throws(ExitCode) {
        guard let entry else {
            if !quiet { warn("miss: \(url)") }
            throw ExitCode(ExitStatus.miss)
        }
        // As curl does: binary bytes to a terminal only when asked for (`-o -`).
        if destination == .standardOutput && !toTerminalAnyway && isatty(1) == 1 && entry.looksBinary() {
            warn("not writing binary bytes to a terminal: use -o FILE, --path, a pipe, or -o - to write them anyway")
            throw ExitCode(ExitStatus.usage)
        }
        do throws(MediaCacheError) {
            switch destination {
            case .path: StandardOutput.line(entry.path)
            case .file(let path): try entry.copy(toFile: path)
            case .standardOutput: try entry.copy(to: 1, destination: "standard output")
            }
        } catch {
            throw fail(error)
        }
    }
}

// MARK: - The plain form, without the argument parser

extension GetRequest {
    /// The spellings the plain form takes; `Get` declares the same names.
    enum Spelling {
        static let cacheDir = "--cache-dir"
        static let quiet = ["-q", "--quiet"]
        static let path = "--path"
        static let output = ["-o", "--output"]
    }

    /// A request and its `--cache-dir` from the arguments after `get`, when
    /// they are only `[--cache-dir DIR] [-q] [--path | -o FILE] URL`; nil for
    /// anything else, which the full parser then reads (and reports).
    static func plain(_ arguments: ArraySlice<String>) -> (request: GetRequest, cacheDir: String?)? {
        var cacheDir: String?
        var url: String?
        var quiet = false
        var destination = Destination.standardOutput
        var anyway = false
        var rest = arguments.makeIterator()
        while let argument = rest.next() {
            switch argument {
            case Spelling.cacheDir:
                guard cacheDir == nil, let value = rest.next() else { return nil }
                cacheDir = value
            case _ where Spelling.quiet.contains(argument):
                quiet = true
            case Spelling.path:
                guard destination == .standardOutput || destination == .path else { return nil }
                destination = .path
            case _ where Spelling.output.contains(argument):
                guard destination == .standardOutput, !anyway, let value = rest.next() else { return nil }
                if value == "-" { anyway = true } else { destination = .file(value) }
            default:
                guard url == nil, !argument.hasPrefix("-") else { return nil }
                url = argument
            }
        }
        guard let url else { return nil }
        return (GetRequest(url: url, destination: destination, quiet: quiet, toTerminalAnyway: anyway), cacheDir)
    }
}

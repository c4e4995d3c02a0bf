import MediaCache

#if canImport(Glibc)
import Glibc
#endif

/// `mediacache get URL` without swift-argument-parser, for its plain form.
///
/// A `get` is a whole process per read, and building the argument parser's
/// view of `Get` (reflection over every option and option group) was 20 of
/// the 27 million instructions of a 100 KiB hit (callgrind; see
/// docs/benchmarks.md). Only `get [--cache-dir DIR] [-q] [--path] URL` is
/// taken here. Any other argument, `--help`, or an error before the lookup
/// returns false having printed and counted nothing (so do a terminal on
/// stdout and a cache directory that does not exist), and the full `Get`
/// command runs instead; a hit or a miss ends exactly as `Get` ends it.
enum GetFastPath {
    /// Serves the get and returns true, or returns false untouched.
    static func run(_ arguments: [String]) -> Bool {
        // A terminal on stdout may need the binary-bytes refusal, and a missing
        // directory the "no cache" line: both are the full command's.
        guard arguments.count >= 3, arguments[1] == "get", isatty(1) == 0 else { return false }
        var cacheDir: String?
        var url: String?
        var quiet = false
        var path = false
        var rest = arguments[2...].makeIterator()
        while let argument = rest.next() {
            switch argument {
            case "--cache-dir":
                guard cacheDir == nil, let value = rest.next() else { return false }
                cacheDir = value
            case "-q", "--quiet": quiet = true
            case "--path": path = true
            default:
                guard url == nil, !argument.hasPrefix("-") else { return false }
                url = argument
            }
        }
        // The key first: a bad URL must leave even a cache directory not yet created alone.
        guard let url, let configuration = try? CacheConfiguration.resolve(directory: cacheDir, environment: Environment.current()),
            (try? CacheKey(url: url, rules: configuration.suffixRules)) != nil,
            CacheLocation.missingCache(configuration.directory) == nil,
            let store = try? CacheStore(configuration)
        else { return false }
        let lookup: CacheStore.OpenEntry?
        do {
            lookup = try store.open(url: url)  // counts the hit or miss, as `Get` does
        } catch {
            return false
        }
        guard let entry = lookup else {
            if !quiet { warn("miss: \(url)") }
            exit(ExitStatus.miss)
        }
        if path {
            StandardOutput.line(entry.path)
            return true
        }
        do {
            try entry.copy(to: 1, destination: "standard output")
        } catch {
            exit(fail(error).rawValue)
        }
        return true
    }
}

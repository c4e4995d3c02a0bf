import ArgumentParser
import MediaCache

#if canImport(Glibc)
    import Glibc
#endif

/// `mediacache get URL` without swift-argument-parser, for its plain form.
///
/// A `get` is a whole process per read, and building the argument parser's
/// view of `Get` (reflection over every option and option group) was 20 of
/// the 27 million instructions of a 100 KiB hit (callgrind; see
/// docs/benchmarks.md). Only the plain form `GetRequest.plain` reads is
/// taken here. Any other argument, `--help`, or an error before the lookup
/// returns false having printed and counted nothing (so do a terminal on
/// stdout and a cache directory that does not exist), and the full `Get`
/// command runs instead; a hit or a miss ends through the same
/// `GetRequest.deliver` as `Get`.
enum GetFastPath {
    /// Serves the get and returns true, or returns false untouched.
    static func run(_ arguments: [String]) -> Bool {
        // A terminal on stdout may need the binary-bytes refusal, and a missing
        // directory the "no cache" line: both are the full command's.
        guard arguments.count >= 3, arguments[1] == "get", isatty(1) == 0,
            let plain = GetRequest.plain(arguments[2...]),
            let configuration = try? CacheConfiguration.resolve(directory: plain.cacheDir, environment: Environment.current()),
            (try? plain.request.key(rules: configuration.suffixRules)) != nil,
            CacheLocation.missingCache(configuration.directory) == nil,
            let store = try? CacheStore(configuration)
        else { return false }
        let lookup: CacheStore.OpenEntry?
        do {
            lookup = try store.open(url: plain.request.url)  // counts the hit or miss, as `Get` does
        } catch {
            return false
        }
        do {
            try plain.request.deliver(lookup)
        } catch {
            exit(error.rawValue)
        }
        return true
    }
}

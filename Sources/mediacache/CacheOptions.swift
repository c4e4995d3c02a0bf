import ArgumentParser
import MediaCache

#if canImport(Glibc)
import Glibc
#endif

/// The flags every command shares: where the cache is and its limits.
struct CacheOptions: ParsableArguments {
    @Option(
        name: .customLong("cache-dir"),
        help: ArgumentHelp(
            "Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).",
            valueName: "dir"),
        completion: .directory)
    var cacheDir: String?

    // `.unconditional` hands a value such as `-5` to our own parser, which
    // names the flag and the value, instead of "missing value".
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Size limit: 500K, 500M, 5G, 5GiB, 1T or bytes; powers of 1024 (default: $MEDIACACHE_MAX_SIZE, $VLLM_MEDIA_CACHE_MAX_SIZE_MB or 5120M).",
            valueName: "size"))
    var maxSize: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Time to live since last use: 90s, 30m, 24h, 7d (default: $MEDIACACHE_TTL, $VLLM_MEDIA_CACHE_TTL_HOURS or 24h).",
            valueName: "duration"))
    var ttl: String?

    @Option(
        help: ArgumentHelp(
            "Keep at most this many entries, least recently used evicted first (default: $MEDIACACHE_MAX_ENTRIES or no limit). vLLM's every store lists the whole directory; see `mediacache doctor`.",
            valueName: "n"))
    var maxEntries: String?

    @Option(
        help: ArgumentHelp(
            "The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently (default: $MEDIACACHE_VLLM_PYTHON or 3.13).",
            valueName: "version"))
    var vllmPython: String?

    @Flag(help: "Create a new cache directory with group access (mode 2770) instead of 0700.")
    var shared = false

    @Flag(help: "fsync each entry before publishing it (survives power loss; slower).")
    var durable = false

    /// The configuration these flags and the environment give.
    func configuration() throws -> CacheConfiguration {
        try reporting {
            var config = try CacheConfiguration.resolve(
                directory: cacheDir, maxSize: maxSize, ttl: ttl, maxEntries: maxEntries, vllmPython: vllmPython,
                environment: Environment.current())
            config.shared = shared
            config.durable = durable
            return config
        }
    }

    /// Opens the cache these flags name.
    func openStore() throws -> CacheStore {
        let config = try configuration()
        return try reporting { try CacheStore(config) }
    }
}

enum Environment {
    static func current() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}

import ArgumentParser
import MediaCache

#if canImport(Glibc)
    import Glibc
#endif

// Each command pulls in only the groups that matter to it, so its help page
// shows only those options: `key` needs a directory, `put` all of them.

/// `--cache-dir`: where the cache is. Every command takes it.
struct CacheLocation: ParsableArguments {
    @Option(
        name: .customLong("cache-dir"),
        help: ArgumentHelp(
            "Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).",
            valueName: "dir"),
        completion: .directory)
    var cacheDir: String?

    @Option(
        help: ArgumentHelp(
            "The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).",
            valueName: "version"))
    var vllmPython: String?
}

/// `--max-size` and `--ttl`: for the commands that expire or evict.
struct CacheLimits: ParsableArguments {
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
            "Time to live since last use: 90s, 30m, 24h, 7d, 1h30m (default: $MEDIACACHE_TTL, $VLLM_MEDIA_CACHE_TTL_HOURS or 24h).",
            valueName: "duration"))
    var ttl: String?

    @Option(
        help: ArgumentHelp(
            "Keep at most this many entries, least recently used evicted first (default: $MEDIACACHE_MAX_ENTRIES or no limit); vLLM lists the whole directory on every store, see `mediacache doctor`.",
            valueName: "n"))
    var maxEntries: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Keep this much free on the cache's file system: writes and prune also evict least recently used entries until it is (500M, 5G; default: $MEDIACACHE_MIN_FREE or none).",
            valueName: "size"))
    var minFree: String?
}

/// `--shared` and `--durable`: for the commands that create the directory or write entries.
struct WriteOptions: ParsableArguments {
    @Flag(help: "Create a new cache directory with group access (mode 2770) instead of 0700.")
    var shared = false

    @Flag(help: "fsync each entry before publishing it (survives power loss; slower).")
    var durable = false
}

/// `--dedupe`: for the commands that store bodies (`put`, `fetch`, `get --fetch`).
struct DedupeOption: ParsableArguments {
    @Flag(
        help:
            "Store identical bodies once: bytes another entry already holds become a hard link to it (default: $MEDIACACHE_DEDUPE=1 or off; see docs/format.md for what vLLM then sees)."
    )
    var dedupe = false
}

/// All the cache flags, for the commands that write (`fetch`, `get`, `put`, `evict`, `prune`).
struct CacheOptions: ParsableArguments {
    @OptionGroup var location: CacheLocation
    @OptionGroup var limits: CacheLimits
    @OptionGroup var writing: WriteOptions

    /// The configuration these flags and the environment give.
    func configuration(dedupe: DedupeOption? = nil) throws -> CacheConfiguration {
        try location.configuration(limits: limits, writing: writing, dedupe: dedupe)
    }

    /// Opens the cache these flags name, creating the directory when missing.
    func openStore(dedupe: DedupeOption? = nil) throws -> CacheStore {
        let config = try configuration(dedupe: dedupe)
        return try reporting { try CacheStore(config) }
    }
}

extension CacheLocation {
    /// The configuration these flags and the environment give.
    /// (A command without a group passes nil: a parsed group cannot be made by hand.)
    func configuration(limits: CacheLimits? = nil, writing: WriteOptions? = nil, dedupe: DedupeOption? = nil) throws
        -> CacheConfiguration
    {
        try reporting {
            var config = try CacheConfiguration.resolve(
                directory: cacheDir, maxSize: limits?.maxSize, ttl: limits?.ttl, maxEntries: limits?.maxEntries,
                minFree: limits?.minFree, dedupe: dedupe?.dedupe ?? false, vllmPython: vllmPython,
                environment: Environment.current())
            config.shared = writing?.shared ?? false
            config.durable = writing?.durable ?? false
            return config
        }
    }

    /// Opens an existing cache for a command that only reads (`stats`, `list`,
    /// `get`, `verify`): a directory that does not exist is "no cache at DIR"
    /// (exit 66), never created, so a typo does not look like an empty cache.
    func openExistingStore(limits: CacheLimits? = nil) throws -> CacheStore {
        let config = try configuration(limits: limits)
        if let problem = CacheLocation.missingCache(config.directory) {
            warn(problem)
            throw ExitCode(ExitStatus.noInput)
        }
        return try reporting { try CacheStore(config) }
    }

    /// "no cache at DIR" when `directory` does not exist; nil when it does
    /// (a file there is left to the store, which names it).
    static func missingCache(_ directory: String) -> String? {
        var info = stat()
        if stat(directory, &info) == 0 { return nil }
        let code = errno
        guard code == ENOENT || code == ENOTDIR else { return nil }
        var reason = ""
        if code == ENOTDIR, let file = firstFile(above: directory) { reason = " (\(file) is a file, not a directory)" }
        return
            "no cache at \(directory)\(reason); nothing was ever stored there (check --cache-dir, MEDIACACHE_DIR, VLLM_MEDIA_CACHE)"
    }

    /// The first component of `path` that exists and is not a directory.
    private static func firstFile(above path: String) -> String? {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/").dropLast() {
            prefix += (prefix.isEmpty || prefix == "/" ? "" : "/") + part
            var info = stat()
            if stat(prefix, &info) == 0 && (info.st_mode & S_IFMT) != S_IFDIR { return prefix }
        }
        return nil
    }
}

/// `--json` and `-q`: how much a command prints, and in which form.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON for scripts (the keys are in the command's description and docs/cli.md).")
    var json = false

    @OptionGroup var quietFlag: QuietFlag

    var quiet: Bool { quietFlag.quiet }
}

/// `-q`, `--quiet`; on its own for the commands without `--json`.
struct QuietFlag: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print only errors and the data asked for (the command's description says which).")
    var quiet = false
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

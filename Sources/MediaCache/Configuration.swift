#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a cache is opened: where it lives and its limits.
public struct CacheConfiguration: Sendable, Equatable {
    /// The cache directory; created (mode 0700, or 2770 when `shared`) if missing.
    public var directory: String
    /// The size limit in bytes. vLLM's default is 5120 MiB.
    public var maxBytes: Int64
    /// Entries unused for longer than this many seconds are expired. vLLM's default is 24 h.
    public var ttl: Double
    /// Create new directories with group access, for a cache shared by a group.
    public var shared: Bool
    /// `fsync` each entry before it is renamed into place: survives power loss, costs speed.
    public var durable: Bool
    /// Keep at most this many entries (least recently used go first); nil for no limit.
    ///
    /// vLLM lists and stats the whole directory on every store, so the entry
    /// count, not only the bytes, sets what each of its cache misses costs.
    public var maxEntries: Int?
    /// Keep at least this many bytes free on the cache's file system: writes
    /// that enforce the limit, and `prune`, also evict least recently used
    /// entries until it has this much free (nginx's `min_free`); nil for no floor.
    /// Does nothing where the file system reports no capacity (ramfs).
    public var minFreeBytes: Int64?
    /// Store identical bodies once: a write whose SHA-256 matches an entry
    /// written with `dedupe` becomes a hard link to that entry's file (one
    /// inode, several names, each a plain file vLLM reads). See docs/format.md
    /// for what it means for vLLM and when not to use it.
    public var dedupe = false
    /// Whose `pathlib` names new files: the Python that runs vLLM.
    /// Reads by URL look under either rules' name.
    public var suffixRules: SuffixRules = .python313

    public static let defaultMaxBytes: Int64 = 5120 * 1024 * 1024
    public static let defaultTTL: Double = 24 * 3600

    public init(
        directory: String, maxBytes: Int64 = defaultMaxBytes, ttl: Double = defaultTTL,
        shared: Bool = false, durable: Bool = false
    ) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.ttl = ttl
        self.shared = shared
        self.durable = durable
    }

    /// Resolves each setting from an explicit value, then the environment, then the default.
    ///
    /// Directory: `MEDIACACHE_DIR`, `VLLM_MEDIA_CACHE`, `$XDG_CACHE_HOME/mediacache`,
    /// `~/.cache/mediacache`. Size: `MEDIACACHE_MAX_SIZE`, `VLLM_MEDIA_CACHE_MAX_SIZE_MB`.
    /// TTL: `MEDIACACHE_TTL`, `VLLM_MEDIA_CACHE_TTL_HOURS`. Entries:
    /// `MEDIACACHE_MAX_ENTRIES`. Free-space floor: `MEDIACACHE_MIN_FREE`.
    /// Deduplication: `dedupe`, else `MEDIACACHE_DEDUPE` (1 or 0). Names: `MEDIACACHE_VLLM_PYTHON`. vLLM's own
    /// variables are read exactly as vLLM reads them (`VLLMEnvironment`). A
    /// bad value throws an error naming the flag or variable it came from.
    public static func resolve(
        directory: String? = nil, maxSize: String? = nil, ttl: String? = nil, maxEntries: String? = nil,
        minFree: String? = nil, dedupe: Bool = false, vllmPython: String? = nil, environment: [String: String]
    ) throws(MediaCacheError) -> CacheConfiguration {
        let env = { (name: String) -> String? in
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        let dir: String
        if let directory {
            guard !directory.isEmpty else {
                throw .invalidSetting(name: "--cache-dir", value: directory, expected: "a directory path")
            }
            dir = directory
        } else if let value = env("MEDIACACHE_DIR") ?? env("VLLM_MEDIA_CACHE") {
            dir = value
        } else if let xdg = env("XDG_CACHE_HOME") {
            dir = xdg + "/mediacache"
        } else {
            dir = (env("HOME") ?? "/tmp") + "/.cache/mediacache"
        }
        var config = CacheConfiguration(directory: dir)
        if let maxSize {
            config.maxBytes = try ByteSize.parse(maxSize, name: "--max-size")
        } else if let value = env("MEDIACACHE_MAX_SIZE") {
            config.maxBytes = try ByteSize.parse(value, name: "MEDIACACHE_MAX_SIZE")
        } else if let value = environment["VLLM_MEDIA_CACHE_MAX_SIZE_MB"] {
            config.maxBytes = try VLLMEnvironment.maxBytes(value)
        }
        if let ttl {
            config.ttl = try DurationText.parse(ttl, name: "--ttl")
        } else if let value = env("MEDIACACHE_TTL") {
            config.ttl = try DurationText.parse(value, name: "MEDIACACHE_TTL")
        } else if let value = environment["VLLM_MEDIA_CACHE_TTL_HOURS"] {
            config.ttl = try VLLMEnvironment.ttl(value)
        }
        if let maxEntries {
            config.maxEntries = try EntryCount.parse(maxEntries, name: "--max-entries")
        } else if let value = env("MEDIACACHE_MAX_ENTRIES") {
            config.maxEntries = try EntryCount.parse(value, name: "MEDIACACHE_MAX_ENTRIES")
        }
        if let minFree {
            config.minFreeBytes = try ByteSize.parse(minFree, name: "--min-free")
        } else if let value = env("MEDIACACHE_MIN_FREE") {
            config.minFreeBytes = try ByteSize.parse(value, name: "MEDIACACHE_MIN_FREE")
        }
        if dedupe {
            config.dedupe = true
        } else if let value = env("MEDIACACHE_DEDUPE") {
            switch value.trimmingSpaces().lowercased() {
            case "1", "true", "yes", "on": config.dedupe = true
            case "0", "false", "no", "off": config.dedupe = false
            default:
                throw .invalidSetting(name: "MEDIACACHE_DEDUPE", value: value, expected: "1 to store identical bodies once, or 0")
            }
        }
        if let vllmPython {
            config.suffixRules = try SuffixRules.parse(vllmPython, name: "--vllm-python")
        } else if let value = env("MEDIACACHE_VLLM_PYTHON") {
            config.suffixRules = try SuffixRules.parse(value, name: "MEDIACACHE_VLLM_PYTHON")
        }
        return config
    }
}

/// Sizes such as `500K`, `5G`, `5GiB`, `1T` or plain bytes; every suffix is a power of 1024.
public enum ByteSize {
    static let units: [(String, Int64)] = [("t", 1 << 40), ("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("", 1)]

    /// Parses a positive size; zero, negative or garbled text throws, naming `name`.
    public static func parse(_ text: String, name: String) throws(MediaCacheError) -> Int64 {
        let expected = "a positive size such as 500K, 500M, 5G, 5GiB, 1T or a number of bytes"
        var body = text.trimmingSpaces().lowercased()
        for ending in ["ib", "b"] where body.hasSuffix(ending) && body.count > ending.count {
            body.removeLast(ending.count)
            break
        }
        var multiplier: Int64 = 1
        for (suffix, factor) in units where !suffix.isEmpty && body.hasSuffix(suffix) {
            body.removeLast()
            multiplier = factor
            break
        }
        guard let number = Double(body), number.isFinite, number > 0, body.first?.isNumber == true,
            number * Double(multiplier) < 9.2e18
        else {
            throw .invalidSetting(name: name, value: text, expected: expected)
        }
        let bytes = Int64((number * Double(multiplier)).rounded())
        guard bytes > 0 else { throw .invalidSetting(name: name, value: text, expected: expected) }
        return bytes
    }

    /// A size for people: `1.5 GiB`, `300 KiB`, `12 B`.
    public static func format(_ bytes: Int64) -> String {
        let magnitude = Double(bytes)
        for (unit, factor) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] as [(String, Int64)]
        where abs(magnitude) >= Double(factor) {
            let value = magnitude / Double(factor)
            return value >= 100 ? "\(Int(value.rounded())) \(unit)" : "\(Self.oneDecimal(value)) \(unit)"
        }
        return "\(bytes) B"
    }

    public static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }
}

/// A count of entries: a whole number, 0 or more.
public enum EntryCount {
    public static func parse(_ text: String, name: String) throws(MediaCacheError) -> Int {
        guard let value = Int(text.trimmingSpaces()), value >= 0 else {
            throw .invalidSetting(name: name, value: text, expected: "a whole number of entries, 0 or more")
        }
        return value
    }
}

extension SuffixRules {
    /// Parses a Python version such as `3.12` or `3.14`, naming `name` when it is not one.
    public static func parse(_ text: String, name: String) throws(MediaCacheError) -> SuffixRules {
        guard let rules = SuffixRules(pythonVersion: text) else {
            throw .invalidSetting(name: name, value: text, expected: "the Python version that runs vLLM, such as 3.12 or 3.14")
        }
        return rules
    }
}

/// Durations such as `90s`, `30m`, `24h`, `7d`, `1h30m`, or plain seconds.
public enum DurationText {
    static let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]

    /// Parses a positive duration in seconds; zero (unless `allowingZero`:
    /// a setting that 0 turns off), negative or garbled text throws, naming `name`.
    ///
    /// A duration is one number with an optional unit (`1.5h`, `90`), or
    /// several numbers each with a unit (`1h30m`, `1d12h`), as `format` writes them.
    public static func parse(_ text: String, name: String, allowingZero: Bool = false) throws(MediaCacheError) -> Double {
        let body = text.trimmingSpaces().lowercased()
        let invalid = MediaCacheError.invalidSetting(
            name: name, value: text,
            expected: "a positive duration such as 90s, 30m, 24h, 7d or 1h30m" + (allowingZero ? ", or 0 for off" : ""))
        var total = 0.0
        var number = ""
        var parts = 0
        for character in body {
            if let unit = units[character] {
                guard let value = Double(number), value.isFinite, value >= 0, number.first?.isNumber == true else {
                    throw invalid
                }
                total += value * unit
                number = ""
                parts += 1
            } else {
                number.append(character)
            }
        }
        if !number.isEmpty {  // a bare number is seconds, alone only
            guard parts == 0, let value = Double(number), value.isFinite, number.first?.isNumber == true else { throw invalid }
            total = value
            parts = 1
        }
        guard parts > 0, total > 0 || (allowingZero && total == 0), total < 1e15 else { throw invalid }
        return total
    }

    /// A duration for people: `24h`, `90s`, `7d`, `1h30m`; `never` for an
    /// infinite or NaN TTL (nothing expires), `0s` for zero or less.
    public static func format(_ seconds: Double) -> String {
        guard seconds.isFinite && seconds < 9e15 else { return "never" }
        guard seconds > 0 else { return "0s" }
        var rest = Int64(seconds.rounded())
        if rest == 0 { return "0s" }
        var out = ""
        for (unit, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out
    }
}

extension String {
    /// The string without leading and trailing white space (no Foundation needed).
    public func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}

import ArgumentParser
import MediaCache

extension MediaCacheCommand {
    struct Dir: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dir",
            abstract: "Print the cache directory the other commands would use.",
            discussion: """
                As `pip cache dir`: the directory after flags and environment are \
                applied. With -v, also the size limit and the TTL, and for each \
                which setting chose it (a flag, MEDIACACHE_*, VLLM_*, or the default). \
                Touches nothing.
                """)

        @OptionGroup var location: CacheLocation
        @OptionGroup var limits: CacheLimits
        // Accepted (scripts pass one set of cache flags to every command), not shown: they change nothing here.
        @OptionGroup(visibility: .hidden) var writing: WriteOptions

        @Flag(name: .shortAndLong, help: "Also print the size limit and TTL, and which setting chose each.")
        var verbose = false

        func run() throws {
            let config = try location.configuration(limits: limits)
            guard verbose else {
                StandardOutput.line(config.directory)
                return
            }
            let env = Environment.current()
            let dirDefault =
                (env["XDG_CACHE_HOME"] ?? "").isEmpty ? "default: ~/.cache/mediacache" : "default: $XDG_CACHE_HOME/mediacache"
            let exists = CacheLocation.missingCache(config.directory) == nil ? "" : "; does not exist yet"
            let rows = [
                [
                    "cache dir", config.directory,
                    Self.source(location.cacheDir, "--cache-dir", ["MEDIACACHE_DIR", "VLLM_MEDIA_CACHE"], env, dirDefault)
                        + exists,
                ],
                [
                    "max size", ByteSize.format(config.maxBytes),
                    Self.source(
                        limits.maxSize, "--max-size", ["MEDIACACHE_MAX_SIZE", "VLLM_MEDIA_CACHE_MAX_SIZE_MB"], env,
                        "default, as vLLM's"),
                ],
                [
                    "ttl", DurationText.format(config.ttl),
                    Self.source(
                        limits.ttl, "--ttl", ["MEDIACACHE_TTL", "VLLM_MEDIA_CACHE_TTL_HOURS"], env, "default, as vLLM's"),
                ],
            ]
            StandardOutput.write(table(rows.map { [$0[0] + ":", $0[1], "(\($0[2]))"] }))
        }

        /// Which setting gave a value, in the order `CacheConfiguration.resolve` reads them.
        static func source(
            _ flag: String?, _ flagName: String, _ variables: [String], _ env: [String: String], _ fallback: String
        ) -> String {
            if let flag { return "\(flagName) \(flag)" }
            for name in variables { if let value = env[name], !value.isEmpty { return "\(name)=\(value)" } }
            return fallback
        }
    }
}

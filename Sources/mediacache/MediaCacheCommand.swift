import ArgumentParser

/// The root command: configures nothing itself, only dispatches.
@main
struct MediaCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mediacache",
        abstract: "Keep media that inference servers fetch from URLs on local disk.",
        discussion: """
            The cache directory is byte-for-byte usable by vLLM as VLLM_MEDIA_CACHE: \
            one file per URL, named by the URL's SHA-256. mediacache prewarms it, \
            reads and writes it, and prunes it.

            ENVIRONMENT (a flag wins over MEDIACACHE_*, which wins over VLLM_*)
              MEDIACACHE_DIR, VLLM_MEDIA_CACHE   cache directory (default
                                                 $XDG_CACHE_HOME/mediacache
                                                 or ~/.cache/mediacache)
              MEDIACACHE_MAX_SIZE                size limit: 500M, 5G, ...
              VLLM_MEDIA_CACHE_MAX_SIZE_MB       size limit in MiB (default 5120)
              MEDIACACHE_TTL                     time to live since last use: 24h
              VLLM_MEDIA_CACHE_TTL_HOURS         time to live in hours (default 24)

            \(ExitStatus.helpText)
            """,
        version: "0.1.0",
        subcommands: [Fetch.self, Get.self, Put.self, Evict.self, Prune.self, Stats.self, List.self, Verify.self, Key.self]
    )
}

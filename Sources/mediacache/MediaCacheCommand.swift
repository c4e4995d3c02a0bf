import ArgumentParser
import Dispatch
import MediaCache
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

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
              MEDIACACHE_NEGATIVE_TTL            how long fetch remembers a 404 or
                                                 410 (default 5m; 0 turns it off)
              MEDIACACHE_REMOTE                  shared levels for fetch, get --fetch,
                                                 push: SPECs separated by spaces
              MEDIACACHE_REMOTE_KEY              file with the key that signs records

            \(ExitStatus.helpText)
            """,
        version: "0.1.0",
        subcommands: [
            Fetch.self, Get.self, Put.self, Push.self, Evict.self, Prune.self, Stats.self, List.self, Verify.self, Key.self,
            Doctor.self,
            Dir.self,
        ]
    )

    static func main() async {
        if GetFastPath.run(CommandLine.arguments) { return }  // a plain `get` skips the parser: see GetFastPath
        Interruption.install()
        AllocatorTuning.keepFreedMemory()
        await main(StaleIfError.normalized(Array(CommandLine.arguments.dropFirst())))
    }
}

/// Ctrl-C and `kill`: delete half-written temp files, then end with 128 + the signal.
enum Interruption {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    private static let interrupted = Atomic<Bool>(false)

    /// Whether a signal is ending the process; diagnostics then stay silent
    /// (a writer whose temp file was just deleted would report a confusing error).
    static var isInterrupted: Bool { interrupted.load(ordering: .acquiring) }

    static func install() {
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                interrupted.store(true, ordering: .releasing)
                TempFileRegistry.removeAll()
                _exit(128 + signal)
            }
            source.resume()
            sources.append(source)
        }
    }
}

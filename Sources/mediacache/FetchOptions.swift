import ArgumentParser
import MediaCache

/// How downloads behave; shared by `fetch` and `get --fetch`.
struct FetchOptions: ParsableArguments {
    @Flag(help: "Download even when a fresh entry exists.")
    var force = false

    @Flag(help: "Refuse redirects instead of following up to 10.")
    var noRedirects = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Refuse bodies larger than this (500K, 50M, 2G): no entry, an error.", valueName: "size"))
    var maxBytes: String?

    @Option(help: ArgumentHelp("Seconds allowed to connect.", valueName: "seconds"))
    var connectTimeout: Double = 10

    @Option(
        help: ArgumentHelp(
            "Seconds one attempt may take in all (default: no limit; 60 s without data always fails).", valueName: "seconds"))
    var timeout: Double?

    @Option(
        help: ArgumentHelp(
            "Retries for connection errors, 408, 429 and 5xx, with backoff; Retry-After is honoured.", valueName: "n"))
    var retries: Int = 2

    @Option(
        name: .customLong("allow-domain"),
        help: ArgumentHelp("Only fetch from this host or its subdomains; repeatable.", valueName: "host"))
    var allowedDomains: [String] = []

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Remember a URL the origin answered 404 or 410 for this long: until then it fails at once without asking (--force asks; `evict URL` forgets); 0 turns it off (default: $MEDIACACHE_NEGATIVE_TTL or 5m).",
            valueName: "duration"))
    var negativeTTL: String?

    @Option(
        name: .customLong("negative-status"),
        help: ArgumentHelp("An HTTP status to remember (instead of 404 and 410); repeatable.", valueName: "code"))
    var negativeStatuses: [Int] = []

    func validate() throws {
        if connectTimeout <= 0 { throw ValidationError("--connect-timeout must be positive") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if retries < 0 { throw ValidationError("--retries cannot be negative") }
        if let bad = negativeStatuses.first(where: { !(400...599).contains($0) }) {
            throw ValidationError("--negative-status \(bad): expected an HTTP error status, 400 to 599")
        }
    }

    /// The library settings these flags give, for `jobs` concurrent transfers.
    func settings(jobs: Int = 1) throws -> FetchSettings {
        var settings = FetchSettings()
        settings.jobs = jobs
        settings.force = force
        settings.followRedirects = !noRedirects
        settings.maxBytes = try maxBytes.map { text in try reporting { try ByteSize.parse(text, name: "--max-bytes") } }
        settings.connectTimeout = connectTimeout
        settings.timeout = timeout
        settings.retries = retries
        settings.allowedHosts = allowedDomains.isEmpty ? nil : allowedDomains
        let environment = Environment.current()["MEDIACACHE_NEGATIVE_TTL"].flatMap { $0.isEmpty ? nil : $0 }
        if let text = negativeTTL ?? environment {
            let name = negativeTTL == nil ? "MEDIACACHE_NEGATIVE_TTL" : "--negative-ttl"
            settings.negativeTTL = try reporting { try DurationText.parse(text, name: name, allowingZero: true) }
        }
        if !negativeStatuses.isEmpty { settings.negativeStatuses = Set(negativeStatuses) }
        return settings
    }
}

/// Runs a single fetch for `get --fetch`; the library keeps the cache under its size limit.
enum FetchCommandRunner {
    /// `settings.remote`, when set, is the tier `remote` made; `remote` finishes it (uploads, counters).
    static func fetchOne(_ url: String, store: CacheStore, settings: FetchSettings, remote: RemoteOptions? = nil) async throws
        -> FetchOutcome
    {
        let fetcher = Fetcher(store: store, settings: settings)
        let outcome = await fetcher.fetch(url)
        try? await fetcher.shutdown()
        await remote?.finish(settings.remote, store: store)  // the library enforced the size limit itself
        return outcome
    }
}

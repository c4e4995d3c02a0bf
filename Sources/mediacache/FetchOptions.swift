import ArgumentParser
import MediaCache

/// How downloads behave; shared by `fetch` and `get --fetch`.
struct FetchOptions: ParsableArguments {
    @Flag(help: "Download even when a fresh entry exists.")
    var force = false

    @Flag(help: "Refuse redirects instead of following up to 10.")
    var noRedirects = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Refuse bodies larger than this (500K, 50M, 2G): no entry, an error.", valueName: "size"))
    var maxBytes: String?

    @Option(help: ArgumentHelp("Seconds allowed to connect.", valueName: "seconds"))
    var connectTimeout: Double = 10

    @Option(help: ArgumentHelp("Seconds one attempt may take in all (default: no limit; 60 s without data always fails).", valueName: "seconds"))
    var timeout: Double?

    @Option(help: ArgumentHelp("Retries for connection errors, 408, 429 and 5xx, with backoff; Retry-After is honoured.", valueName: "n"))
    var retries: Int = 2

    @Option(name: .customLong("allow-domain"), help: ArgumentHelp("Only fetch from this host or its subdomains; repeatable.", valueName: "host"))
    var allowedDomains: [String] = []

    func validate() throws {
        if connectTimeout <= 0 { throw ValidationError("--connect-timeout must be positive") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if retries < 0 { throw ValidationError("--retries cannot be negative") }
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
        return settings
    }
}

/// Runs a single fetch for `get --fetch`; the library keeps the cache under its size limit.
enum FetchCommandRunner {
    static func fetchOne(_ url: String, store: CacheStore, options: FetchOptions) async throws -> FetchOutcome {
        let fetcher = Fetcher(store: store, settings: try options.settings())
        let outcome = await fetcher.fetch(url)
        try? await fetcher.shutdown()
        return outcome
    }
}

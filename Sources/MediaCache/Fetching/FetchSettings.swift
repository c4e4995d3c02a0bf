/// How `fetch` downloads.
public struct FetchSettings: Sendable {
    /// Concurrent transfers.
    public var jobs = 8
    /// Download even when a fresh entry exists.
    public var force = false
    /// Follow up to `maxRedirects` redirects; false refuses any.
    public var followRedirects = true
    public var maxRedirects = 10
    /// Largest body accepted, in bytes; nil for no limit.
    public var maxBytes: Int64?
    /// Seconds to establish a connection.
    public var connectTimeout: Double = 10
    /// Seconds a whole attempt may take; nil for no limit (an idle read still times out).
    public var timeout: Double?
    /// Seconds without a byte before the transfer is abandoned.
    public var idleTimeout: Double = 60
    /// Retries after the first attempt, for connection errors, 408, 429 and 5xx.
    public var retries = 2
    /// First backoff, in seconds; doubled each retry, with jitter.
    public var backoff: Double = 0.5
    /// Longest wait honoured from a Retry-After header or backoff.
    public var maxRetryWait: Double = 60
    /// Hosts that may be fetched (exact, or a parent domain); nil allows any.
    public var allowedHosts: [String]?
    public var userAgent = "mediacache/0.1"
    /// Seconds to remember that the origin answered one of `negativeStatuses`
    /// for a URL; meanwhile a fetch of it fails at once without asking (see
    /// `NegativeRecord`). 0 turns remembering off, and ignores what was remembered.
    public var negativeTTL: Double = 300
    /// The answers worth remembering: the origin says the URL is not there.
    public var negativeStatuses: Set<Int> = [404, 410]
    /// When an expired entry cannot be revalidated or downloaded because the
    /// origin fails (`MediaCacheError.isOriginFailure`), serve it anyway if it
    /// expired at most this many seconds ago (`.infinity`: however long ago);
    /// nil never does. The outcome is then `.stale`, and the entry is kept as it is.
    public var staleIfError: Double?
    /// Shared levels tried, in order, before the origin, and given what the origin serves (see `RemoteTier`).
    public var remote: RemoteTier?

    public init() {}

    /// Whether `host` (already lower-cased) is allowed: equal to an entry, or a subdomain of one.
    func allows(host: String) -> Bool {
        guard let allowedHosts else { return true }
        return allowedHosts.contains { allowed in
            let allowed = allowed.lowercased()
            return host == allowed || host.hasSuffix("." + allowed)
        }
    }
}

/// How one URL of a fetch ended.
public enum FetchStatus: String, Sendable {
    /// Downloaded and stored.
    case fetched
    /// Already cached and fresh (or another process fetched it meanwhile).
    case cached
    /// Expired, and the origin confirmed it unchanged (304); refreshed without a download.
    case revalidated
    /// Expired, and the origin failed: the old entry is served as it is
    /// (`FetchSettings.staleIfError`); `error` says how the origin failed.
    case stale
    case failed
}

/// The result for one URL.
public struct FetchOutcome: Sendable {
    public var url: String
    public var status: FetchStatus
    /// Entry size in bytes (0 on failure).
    public var size: Int64 = 0
    /// Bytes received over the network for this URL.
    public var transferred: Int64 = 0
    public var path: String?
    public var key: CacheKey?
    /// HTTP status of the last response, when there was one.
    public var httpStatus: Int?
    public var attempts = 0
    public var error: MediaCacheError?
    /// The remote level that served the body, when one did instead of the origin.
    public var remote: String?

    /// A URL that failed, such as a list line rejected before any download.
    public static func failure(_ url: String, _ error: MediaCacheError, key: CacheKey? = nil, attempts: Int = 0) -> FetchOutcome {
        FetchOutcome(url: url, status: .failed, key: key, attempts: attempts, error: error)
    }
}

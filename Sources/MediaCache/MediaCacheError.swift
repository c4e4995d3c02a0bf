#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every failure the library reports, each with text a user can act on.
///
/// The command-line tool maps each case to a documented exit code
/// (see `exitCode`), so scripts can tell a bad argument from a full disk.
public enum MediaCacheError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is empty, malformed, too long or holds control characters.
    case invalidURL(String, reason: String)
    /// The URL's scheme is not `http` or `https`.
    case unsupportedScheme(String)
    /// A size, duration or other setting could not be understood.
    case invalidSetting(name: String, value: String, expected: String)
    /// The cache directory exists but is not a directory.
    case notADirectory(path: String)
    /// The cache directory (or one of its parents) could not be created; `errno` says why.
    case cannotCreateDirectory(path: String, errno: Int32)
    /// A system call failed on a path; `errno` says why.
    case io(operation: String, path: String, errno: Int32)
    /// An input file named by the user does not exist or cannot be read.
    case inputUnreadable(path: String, errno: Int32)
    /// The origin answered with a status that cannot create an entry.
    case httpStatus(url: String, status: Int)
    /// The body was larger than the configured limit.
    case bodyTooLarge(url: String, limit: Int64)
    /// The transfer failed: connection refused, timeout, cut-off body and so on.
    case transfer(url: String, reason: String)
    /// The host is not in the `--allow-domain` list.
    case hostNotAllowed(url: String, host: String)
    /// The origin redirected when redirects were refused, or in a loop.
    case redirect(url: String, reason: String)
    /// The origin answered `status` (404, 410) for this URL `age` seconds ago,
    /// and that answer is remembered for `remaining` more: the origin was not asked.
    case rememberedFailure(url: String, status: Int, age: Double, remaining: Double)
    /// `fetch` was called on a `MediaCache` after its `shutdown()`.
    case shutDown

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            return "invalid URL \(Self.quoted(url)): \(reason)"
        case .unsupportedScheme(let url):
            return "unsupported URL scheme in \(Self.quoted(url)): only http:// and https:// are cached"
        case .invalidSetting(let name, let value, let expected):
            return "invalid value \(Self.quoted(value)) for \(name): expected \(expected)"
        case .notADirectory(let path):
            return "cache directory \(path) exists but is not a directory; pass another --cache-dir"
        case .cannotCreateDirectory(let path, let code):
            return "cannot create cache directory \(path): \(Self.describe(errno: code))\(Self.hint(errno: code))"
        case .io(let operation, let path, let code):
            return "\(operation) \(path): \(Self.describe(errno: code))\(Self.hint(errno: code))"
        case .inputUnreadable(let path, let code):
            return "cannot read \(path): \(Self.describe(errno: code))"
        case .httpStatus(let url, let status):
            return "\(url): HTTP \(status)"
        case .bodyTooLarge(let url, let limit):
            return "\(url): body is larger than the limit of \(limit) bytes (--max-bytes); nothing was stored"
        case .transfer(let url, let reason):
            return "\(url): \(reason)"
        case .hostNotAllowed(let url, let host):
            return "\(url): host \(host) is not in the --allow-domain list"
        case .redirect(let url, let reason):
            return "\(url): \(reason)"
        case .rememberedFailure(let url, let status, let age, let remaining):
            return "\(url): HTTP \(status), remembered from \(DurationText.format(max(1, age))) ago; "
                + "the origin is asked again in \(DurationText.format(max(1, remaining))) (--force asks now, `evict URL` forgets)"
        case .shutDown:
            return "the cache was shut down (MediaCache.shutdown()); open a new one to fetch"
        }
    }

    /// Whether the failure is a cache this process may not write: permissions or a read-only mount.
    public var isUnwritable: Bool {
        guard let code = errorNumber else { return false }
        return code == EACCES || code == EPERM || code == EROFS
    }

    /// Whether the origin is failing rather than answering: no connection, a
    /// timeout, a cut-off body, or a status a retry may cure (408, 429, 5xx).
    /// Such a failure may be met with a stale entry (`FetchSettings.staleIfError`);
    /// a 404 is an answer, and is not.
    public var isOriginFailure: Bool {
        switch self {
        case .transfer: return true
        case .httpStatus(_, let status): return RetryPolicy.isRetryable(status: status)
        default: return false
        }
    }

    /// Whether the failure is the disk being full (`ENOSPC` or a quota).
    public var isNoSpace: Bool {
        guard let code = errorNumber else { return false }
        return code == ENOSPC || code == EDQUOT
    }

    /// The system's error number, for the cases a failed system call on the cache gives.
    public var errorNumber: Int32? {
        switch self {
        case .io(_, _, let code), .cannotCreateDirectory(_, let code): return code
        default: return nil
        }
    }

    static func describe(errno code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text).lowercased()
    }

    private static func hint(errno code: Int32) -> String {
        switch code {
        case ENOSPC, EDQUOT: return " (free some space, or lower --max-size and run `mediacache prune`)"
        case EACCES, EPERM: return " (check the permissions of the cache directory)"
        case EROFS: return " (the cache directory is on a read-only file system)"
        case ENOTDIR: return " (a part of the path is a file)"
        default: return ""
        }
    }

    static func quoted(_ text: String) -> String {
        var shown = ""
        for scalar in text.unicodeScalars.prefix(200) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                shown += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        if text.unicodeScalars.count > 200 { shown += "…" }
        return "'\(shown)'"
    }
}

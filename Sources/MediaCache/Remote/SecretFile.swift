#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads secrets (a bearer token, a signing key) named by a level's SPEC.
/// Their values never appear in messages, counters or `ps` output.
enum SecretFile {
    /// The whole of a small file, following symlinks (secrets are often
    /// mounted as links, as Kubernetes does); nil on any failure.
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Posix.closeQuietly(fd) }
        return Posix.readAll(fd, limit: 64 * 1024).map { String(decoding: $0, as: UTF8.self) }
    }

    static func lastErrno() -> Int32 { errno }

    /// A bearer token from a file or an environment variable, trimmed.
    static func bearerToken(_ spec: RemoteSpec, environment: [String: String]) throws(MediaCacheError) -> String? {
        var token: String?
        if let path = spec.bearerTokenFile {
            guard let text = read(path) else { throw .inputUnreadable(path: path, errno: errno) }
            token = text
        } else if let name = spec.bearerTokenEnvironment {
            guard let text = environment[name] else {
                throw .invalidSetting(
                    name: "--remote attribute bearer-token-env", value: name, expected: "an environment variable that is set")
            }
            token = text
        }
        return token.map { String($0.unicodeScalars.filter { $0.properties.isWhitespace == false }.map(Character.init)) }
    }
}

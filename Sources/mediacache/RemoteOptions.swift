import ArgumentParser
import MediaCache

/// `--remote`, `--no-remote`, `--remote-key`, `--remote-wait`: the shared tier
/// (docs/remote.md), for `fetch`, `get --fetch`, `push` and `stats`.
struct RemoteOptions: ParsableArguments {
    @Option(
        name: .customLong("remote"),
        help: ArgumentHelp(
            "A shared level, tried after the local directory and before the origin: URL|attribute|attribute=value (read-only, layout=default|bazel, connect-timeout=, timeout=, header=, bearer-token-file=, bearer-token-env=, key-file=, shards=, no-claims, claim-wait=); repeatable, in order (default: $MEDIACACHE_REMOTE, SPECs separated by spaces).",
            valueName: "spec"))
    var remote: [String] = []

    @Flag(help: "Use no remote level, whatever $MEDIACACHE_REMOTE says.")
    var noRemote = false

    @Option(
        help: ArgumentHelp(
            "Sign records with HMAC-SHA256 under the key in this file, and take only records signed with it (default: $MEDIACACHE_REMOTE_KEY).",
            valueName: "file"),
        completion: .file())
    var remoteKey: String?

    @Option(
        help: ArgumentHelp(
            "Seconds to wait at the end for uploads still queued; the rest are dropped and counted.", valueName: "seconds"))
    var remoteWait: Double = 30

    func validate() throws {
        if remoteWait < 0 { throw ValidationError("--remote-wait cannot be negative") }
    }

    /// The levels these flags and the environment name, in order.
    func specs() throws -> [RemoteSpec] {
        if noRemote { return [] }
        return try reporting {
            if !remote.isEmpty { return try remote.map { try RemoteSpec.parse($0) } }
            return try RemoteSpec.parseList(Environment.current()["MEDIACACHE_REMOTE"] ?? "")
        }
    }

    /// Opens the tier, or nil when no level is configured. A level that
    /// fails later is reported once on stderr and skipped; it never fails the command.
    func tier(jobs: Int) throws -> RemoteTier? {
        let specs = try specs()
        guard !specs.isEmpty else { return nil }
        let environment = Environment.current()
        return try reporting {
            let keyFile = remoteKey ?? environment["MEDIACACHE_REMOTE_KEY"].flatMap { $0.isEmpty ? nil : $0 }
            let key = try keyFile.map { try RemoteTier.signingKey(fromFile: $0) }
            return try RemoteTier(specs: specs, signingKey: key, environment: environment, jobs: jobs) { event in
                switch event {
                case .disabled(_, let server, let reason):
                    warn("remote \(server): \(reason); not used for the rest of this run")
                }
            }
        }
    }

    /// Waits for the uploads, saves the counters, and says how many uploads were given up at the end.
    func finish(_ tier: RemoteTier?, store: CacheStore) async {
        guard let tier else { return }
        let summary = await tier.finish(store: store, wait: remoteWait)
        for (level, count) in summary.droppedAtExit.sorted(by: { $0.key < $1.key }) {
            warn(
                "remote \(level): \(Plural.count(Int64(count), "upload", "uploads")) dropped (still queued after --remote-wait \(DurationText.format(remoteWait)))"
            )
        }
    }
}

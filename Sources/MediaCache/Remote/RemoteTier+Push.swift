/// How pushing one entry to one level ended.
public enum PushStatus: String, Sendable {
    /// Uploaded now.
    case pushed
    /// The level already holds this entry (same SHA-256): nothing sent.
    case present
    /// `--dry-run`: would be uploaded.
    case wouldPush = "would-push"
    /// The upload or the question failed (the server is off for the rest of the run).
    case failed
}

/// One entry on one level.
public struct PushResult: Sendable {
    public var key: String
    public var level: String
    public var status: PushStatus
    public var size: Int64
}

extension RemoteTier {
    /// The levels `push` writes to (all but the read-only ones).
    public var writableLevelNames: [String] { levels.filter { !$0.spec.readOnly }.map(\.name) }

    /// Uploads one local entry (vLLM's included) to every writable level
    /// that lacks it; idempotent. Nil when the entry vanished meanwhile.
    /// - Important: Disk I/O (hashes an entry without metadata), on the thread pool.
    public func push(_ key: CacheKey, store: CacheStore, dryRun: Bool) async throws -> [PushResult]? {
        guard let source = try await threadPool.runIfActive({ try UploadSource.open(key, store: store) }) else { return nil }
        var results: [PushResult] = []
        for level in levels where !level.spec.readOnly {
            var status: PushStatus
            switch await level.holds(source.record) {
            case true?: status = .present
            case nil: status = .failed
            case false?:
                if dryRun {
                    status = .wouldPush
                } else {
                    status = await level.upload(source, threadPool: threadPool) ? .pushed : .failed
                }
            }
            results.append(PushResult(key: key.name, level: level.name, status: status, size: source.record.size))
        }
        return results
    }
}

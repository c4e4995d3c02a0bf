import NIOConcurrencyHelpers
import NIOPosix

/// The shared tier of a run: remote levels tried in order between the local
/// directory and the origin, and the background uploads of what the origin
/// served.
///
///     let tier = try RemoteTier(specs: [RemoteSpec.parse("http://cache:8080/media")], onEvent: { print($0) })
///     var settings = FetchSettings()
///     settings.remote = tier
///     let fetcher = Fetcher(store: store, settings: settings)
///     _ = await fetcher.fetchAll(urls) { _ in }
///     let summary = await tier.finish(store: store)   // waits for uploads, saves the counters
///
/// Never fatal: every failure of a level is counted and turns its server
/// off for the rest of the run (reported once through `onEvent`); the
/// origin then serves. Call `finish` once, after the last fetch.
public final class RemoteTier: Sendable {
    let levels: [RemoteLevel]
    let threadPool: NIOThreadPool
    private let queue: UploadQueue

    /// The levels' names, in order (see `RemoteSpec.name`).
    public var levelNames: [String] { levels.map(\.name) }

    /// Opens the levels (reading their token and key files).
    /// - Parameters:
    ///   - signingKey: signs and checks records on every level without a `key-file=` of its own.
    ///   - jobs: concurrent transfers, which sizes the connection pools and the upload workers.
    ///   - queueCapacity: uploads waiting at most; more are dropped and counted.
    public init(
        specs: [RemoteSpec], signingKey: [UInt8]? = nil, environment: [String: String] = [:], jobs: Int = 8,
        queueCapacity: Int = 4096, threadPool: NIOThreadPool = .singleton,
        onEvent: @escaping @Sendable (RemoteEvent) -> Void = { _ in }
    ) throws(MediaCacheError) {
        var levels: [RemoteLevel] = []
        for spec in specs {
            levels.append(
                try RemoteLevel(spec: spec, signingKey: signingKey, environment: environment, jobs: jobs, onEvent: onEvent))
        }
        self.levels = levels
        self.threadPool = threadPool
        queue = UploadQueue(capacity: queueCapacity, concurrency: min(8, max(2, jobs))) { job in
            await Self.upload(job, threadPool: threadPool)
        }
    }

    /// Reads a signing key file (its bytes, trailing white space removed).
    public static func signingKey(fromFile path: String) throws(MediaCacheError) -> [UInt8] {
        try RecordSignature.load(path)
    }

    // MARK: - Read path

    /// What the tier answered for a URL the local directory does not hold.
    enum Answer: Sendable {
        /// A level had it, and it is stored now.
        case hit(FetchOutcome)
        /// Ask the origin. With a claim, this node does so for the fleet:
        /// hand the claim to `enqueueUpload`, or `release()` it if the download fails.
        case origin(RemoteClaim?)
        /// Another node is downloading it: come back to it later (only when
        /// the caller asked to defer).
        case deferred
    }

    /// What a fetch does with a URL that another node of the fleet has claimed.
    enum Claimed: Sendable {
        /// Put it off (`Answer.deferred`): a list's first pass.
        case putOff
        /// Wait for the other node's upload.
        case wait
        /// Wait for a URL put off `since` then: its misses and its claim wait
        /// are counted already, and its `claimWait` runs from then, so that
        /// the claims of a crashed node cost one wait in all, not one per URL.
        case waitAgain(since: ContinuousClock.Instant)

        var isFirstLook: Bool {
            if case .waitAgain = self { return false }
            return true
        }
    }

    /// Tries each level in order for `url`; on a hit the entry is stored
    /// (checked). On a miss everywhere, claims the URL on the first writable
    /// level that takes claims, so that of the nodes of a fleet that miss it
    /// together only one asks the origin; when another node holds the claim,
    /// puts it off or waits for that node's upload (up to the level's
    /// `claimWait`, then breaks the claim). The caller holds the key's lock.
    func fetch(_ url: String, key: CacheKey, store: CacheStore, claimed: Claimed) async -> Answer {
        for level in levels {
            if let outcome = await level.fetch(
                url, key: key, store: store, threadPool: threadPool, countingMiss: claimed.isFirstLook)
            {
                return .hit(outcome)
            }
        }
        guard let level = levels.first(where: { !$0.spec.readOnly && $0.spec.claims && $0.spec.layout == .default }) else {
            return .origin(nil)
        }
        let started: ContinuousClock.Instant
        if case .waitAgain(let since) = claimed { started = since } else { started = .now }
        var counted = !claimed.isFirstLook
        var pause = Duration.milliseconds(10)
        while !Task.isCancelled {
            switch await level.claim(key.name) {
            case .owned(let claim):
                return await own(claim, url: url, key: key, store: store)
            case .unavailable: return .origin(nil)
            case .held:
                if !counted { level.counts.withLockedValue { $0.claimWaits += 1 } }
                counted = true
                if case .putOff = claimed { return .deferred }
                if ContinuousClock.now - started >= .milliseconds(Int64(level.spec.claimWait * 1000)) {
                    // Left by a crashed node, or a download slower than claimWait: break it and take it
                    // over, so that the nodes still waiting wait for this one rather than all asking the origin.
                    await level.breakClaim(key.name)
                    level.counts.withLockedValue { $0.claimsBroken += 1 }
                    if case .owned(let claim) = await level.claim(key.name) {
                        return await own(claim, url: url, key: key, store: store)
                    }
                    return .origin(nil)
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(250))
                if let outcome = await level.fetch(url, key: key, store: store, threadPool: threadPool, countingMiss: false) {
                    return .hit(outcome)
                }
            }
        }
        return .origin(nil)
    }

    /// A claim just taken: the node that held it before may have uploaded and
    /// let go between this node's miss and its claim, so look once more.
    private func own(_ claim: RemoteClaim, url: String, key: CacheKey, store: CacheStore) async -> Answer {
        if let outcome = await claim.level.fetch(url, key: key, store: store, threadPool: threadPool, countingMiss: false) {
            await claim.release()
            return .hit(outcome)
        }
        claim.level.counts.withLockedValue { $0.claims += 1 }
        return .origin(claim)
    }

    // MARK: - Write path

    /// Queues the upload of `key`'s entry to every writable level, and then
    /// the release of `claim`; a full queue drops the upload (counted) and
    /// releases the claim at once.
    func enqueueUpload(_ key: CacheKey, store: CacheStore, claim: RemoteClaim? = nil) async {
        let writable = levels.filter { !$0.spec.readOnly }
        if !writable.isEmpty, queue.enqueue(UploadQueue.Job(key: key, store: store, levels: writable, claim: claim)) { return }
        for level in writable { level.counts.withLockedValue { $0.uploadsDropped += 1 } }
        await claim?.release()
    }

    private static func upload(_ job: UploadQueue.Job, threadPool: NIOThreadPool) async {
        let store = job.store
        if let source = try? await threadPool.runIfActive({ try UploadSource.open(job.key, store: store) }) {
            for level in job.levels {
                let uploaded = await level.upload(source, threadPool: threadPool)
                if !uploaded { level.counts.withLockedValue { $0.uploadsDropped += 1 } }
            }
        } else {
            for level in job.levels { level.counts.withLockedValue { $0.uploadsDropped += 1 } }  // evicted meanwhile
        }
        await job.claim?.release()
    }

    // MARK: - End of run

    /// What a run did with each level.
    public struct Summary: Sendable {
        /// Per level, in order: the run's counts.
        public var levels: [RemoteLevelCounters]
        /// Uploads given up at the end (queued or cut off), per level name.
        public var droppedAtExit: [String: Int]
    }

    /// Waits up to `wait` seconds for the uploads, closes the connection
    /// pools, and adds the run's counts to the cache's shared counters.
    /// - Important: Disk I/O (the counters), on the thread pool.
    public func finish(store: CacheStore, wait: Double = 30) async -> Summary {
        var droppedAtExit: [String: Int] = [:]
        for job in await queue.drain(within: wait) {
            for level in job.levels {
                level.counts.withLockedValue { $0.uploadsDropped += 1 }
                droppedAtExit[level.name, default: 0] += 1
            }
            await job.claim?.release()
        }
        for level in levels { await level.shutdown() }
        let counts = levels.map { RemoteLevelCounters(level: $0.name, counters: $0.counts.withLockedValue { $0 }) }
        try? await threadPool.runIfActive {
            try store.layout.updateState { state in
                for level in counts { state.counters.addRemote(level.counters, level: level.level) }
            }
        }
        return Summary(levels: counts, droppedAtExit: droppedAtExit)
    }
}

import NIOConcurrencyHelpers

/// Uploads in the background of a run: a bounded queue worked by a few tasks.
///
/// A download never waits for its upload. When the queue is full, a new
/// upload is dropped (and counted) rather than holding memory or the run.
/// Uploads that other nodes wait for (a claim) go before the others.
/// At the end, `drain` waits for what is queued up to a deadline, then
/// gives up the rest (queued, or cut off mid-upload); the caller counts
/// those as dropped, per level.
final class UploadQueue: Sendable {
    struct Job: Sendable {
        var key: CacheKey
        var store: CacheStore
        var levels: [RemoteLevel]
        /// Released once the upload is done or given up.
        var claim: RemoteClaim?
    }

    private struct State {
        var pending: [Job] = []
        /// Jobs with a claim, taken before `pending`.
        var claimed: [Job] = []
        var inFlight: [Int: Job] = [:]
        var nextID = 0
        var workers = 0
        var closed = false
        var tasks: [Task<Void, Never>] = []
    }

    let capacity: Int
    let concurrency: Int
    private let state = NIOLockedValueBox(State())
    private let work: @Sendable (Job) async -> Void

    init(capacity: Int, concurrency: Int, work: @escaping @Sendable (Job) async -> Void) {
        self.capacity = max(1, capacity)
        self.concurrency = max(1, concurrency)
        self.work = work
    }

    /// Queues a job; false (nothing queued) when the queue is full or closed.
    func enqueue(_ job: Job) -> Bool {
        state.withLockedValue { state in
            guard !state.closed, state.pending.count + state.claimed.count < capacity else { return false }
            if job.claim != nil { state.claimed.append(job) } else { state.pending.append(job) }
            if state.workers < concurrency {
                state.workers += 1
                state.tasks.append(Task { await self.workLoop() })
            }
            return true
        }
    }

    private func workLoop() async {
        while let (id, job) = next() {
            await work(job)
            state.withLockedValue { _ = $0.inFlight.removeValue(forKey: id) }
        }
    }

    private func next() -> (Int, Job)? {
        state.withLockedValue { state in
            guard !state.closed, !state.pending.isEmpty || !state.claimed.isEmpty else {
                state.workers -= 1
                return nil
            }
            let job = state.claimed.isEmpty ? state.pending.removeFirst() : state.claimed.removeFirst()
            let id = state.nextID
            state.nextID += 1
            state.inFlight[id] = job
            return (id, job)
        }
    }

    /// Waits up to `seconds` for every queued and running upload; then closes
    /// the queue, cancels what still runs, and returns the jobs given up.
    func drain(within seconds: Double) async -> [Job] {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if state.withLockedValue({ $0.pending.isEmpty && $0.claimed.isEmpty && $0.inFlight.isEmpty }) { break }
            try? await Task.sleep(for: .milliseconds(5))
        }
        let (givenUp, tasks) = state.withLockedValue { state in
            state.closed = true
            let givenUp = state.claimed + state.pending + state.inFlight.values
            state.claimed = []
            state.pending = []
            state.inFlight = [:]
            return (givenUp, state.tasks)
        }
        if !givenUp.isEmpty { for task in tasks { task.cancel() } }
        return givenUp
    }
}

import Synchronization

/// Hits and misses a `fetchAll` has counted but not yet written to the state file.
///
/// Every update of the shared counters takes the state lock and reads and
/// rewrites the state record; doing that for each URL's miss, on top of the
/// update every stored entry makes anyway, was a second lock, read and
/// write per download. A run instead adds its hits and misses here and
/// writes them in an update it makes anyway (the next stored entry's, under
/// the same lock), or once `flushEvery` have piled up, or at the end of the
/// run. The counters stay exact across processes: each flush adds this
/// process's increments to whatever the file holds under the state lock.
/// What a crash (or a kill) of this process loses is at most its unflushed
/// increments: fewer than `flushEvery` hits and misses of the run, never
/// another process's counts, never the size account (that is still updated
/// with every stored entry).
final class PendingCounts: Sendable {
    /// Increments kept in memory before they are written on their own.
    static let flushEvery = 64

    private let pending = Mutex<(hits: Int64, misses: Int64, negativeHits: Int64)>((0, 0, 0))

    /// Adds to the pending counts; true when enough piled up to flush them.
    func add(hits: Int64 = 0, misses: Int64 = 0, negativeHits: Int64 = 0) -> Bool {
        pending.withLock { counts in
            counts.hits += hits
            counts.misses += misses
            counts.negativeHits += negativeHits
            return counts.hits + counts.misses >= Int64(Self.flushEvery)
        }
    }

    /// Moves the pending counts into `counters` (a state being saved under the state lock).
    func drain(into counters: inout CacheCounters) {
        let counts = pending.withLock { counts in
            defer { counts = (0, 0, 0) }
            return counts
        }
        counters.hits += counts.hits
        counters.misses += counts.misses
        counters.negativeHits += counts.negativeHits
    }

    var isEmpty: Bool { pending.withLock { $0 == (0, 0, 0) } }
}

extension CacheStore {
    /// Writes `counts` to the shared state now (a no-op when there are none).
    /// - Important: Disk I/O: takes the state lock.
    func flush(_ counts: PendingCounts) {
        guard !counts.isEmpty else { return }
        // As `count(hit:)`: a cache this process may not write goes uncounted.
        try? layout.updateState { state in counts.drain(into: &state.counters) }
    }
}

import NIOConcurrencyHelpers

/// The key-lock stripes held by one fetcher's downloads, and the fetches
/// waiting for each.
///
/// Key locks are striped over 256 files (`CacheLayout.keyLock`), so in a
/// prewarm of thousands of URLs, eight at a time, a new URL now and then
/// finds its stripe held by a download of another URL in the same run. A
/// lock held by another process can only be polled for, and the first poll
/// comes 10 ms later, while a small download holds the lock for a few
/// milliseconds; a download of this fetcher wakes its waiters as it lets go.
final class StripeWaits: Sendable {
    private struct State {
        /// The keys being downloaded under each stripe: one, or for a moment
        /// two (one download has unlocked, and the next locked, before the
        /// first one's `release`).
        var holders: [String: [String]] = [:]
        /// The fetches waiting for each stripe, by id.
        var waiters: [String: [Int: CheckedContinuation<String?, Never>]] = [:]
        var nextID = 0
        /// How many waits a release ended.
        var wakeups = 0
    }

    private let state = NIOLockedValueBox(State())

    /// How many waits a release ended (tests read it).
    var wakeups: Int { state.withLockedValue { $0.wakeups } }

    /// Records that a download of `key` holds `stripe`.
    func hold(_ stripe: String, for key: String) {
        state.withLockedValue { $0.holders[stripe, default: []].append(key) }
    }

    /// Records that the download of `key` let go of `stripe`, and wakes
    /// everyone waiting for it: they try the lock again.
    func release(_ stripe: String, for key: String) {
        let woken = state.withLockedValue { state in
            if var keys = state.holders[stripe], let index = keys.firstIndex(of: key) {
                keys.remove(at: index)
                state.holders[stripe] = keys.isEmpty ? nil : keys
            }
            let woken = Array((state.waiters.removeValue(forKey: stripe) ?? [:]).values)
            state.wakeups += woken.count
            return woken
        }
        for waiter in woken { waiter.resume(returning: key) }
    }

    /// Waits until a download of this fetcher holding `stripe` lets go and
    /// returns the key it downloaded. Nil at once if none holds it (the
    /// holder is another process, or already gone), and as soon as the
    /// waiting task is cancelled.
    func waitIfHeld(_ stripe: String) async -> String? {
        let id = state.withLockedValue { state in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { waiter in
                let queued = state.withLockedValue { state in
                    // Checked under the lock that the cancellation handler takes, so a
                    // cancellation either sees this waiter queued or stops it queueing.
                    guard state.holders[stripe] != nil, !Task.isCancelled else { return false }
                    state.waiters[stripe, default: [:]][id] = waiter
                    return true
                }
                if !queued { waiter.resume(returning: nil) }
            }
        } onCancel: {
            state.withLockedValue { $0.waiters[stripe]?.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }
}

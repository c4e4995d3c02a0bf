/// A `fetchAll` worker's way to save a thread-pool job per download: the
/// job that publishes one URL's entry also takes the worker's next URL and
/// prepares it (`CacheStore.prepareFetch`: the hit check, the URL's lock and
/// the hit or miss count), so that the next fetch starts with its request.
///
/// Each hand-off between the fetch task and the thread pool wakes a thread
/// twice, and a small prewarm spent more on waking threads than on its own
/// work (bench/FINDINGS.md); nothing is counted later than it would have
/// been: the next URL's hit or miss is written in that job, as its own job
/// would have.
///
/// Used by one worker at a time, strictly in sequence (the job runs while
/// the worker waits for it), so sharing it is safe.
final class FetchChain: @unchecked Sendable {
    /// Takes the run's next URL; nil when there are none left.
    let take: @Sendable () -> String?
    /// The URL the last publishing job took, and its first step when the job prepared it.
    private var taken: (url: String, step: Result<FetchStep, MediaCacheError>?)?

    init(take: @escaping @Sendable () -> String?) { self.take = take }

    /// The worker's next URL: the one the last job took, or the run's next.
    func nextURL() -> String? { taken?.url ?? take() }

    /// The first step of `url` if the last job prepared it; forgets it either way.
    func preparedStep(for url: String) -> Result<FetchStep, MediaCacheError>? {
        defer { taken = nil }
        guard let taken, taken.url.utf8.elementsEqual(url.utf8) else { return nil }
        return taken.step
    }

    /// In the job that published an entry under the lock of `stripe`: takes
    /// the next URL and prepares it, unless its key shares that stripe (its
    /// lock would be busy until this fetch lets go) or `fetch` would refuse
    /// it before preparing (a bad URL, a host not allowed).
    /// - Important: Disk I/O.
    /// A lock it takes is registered with `stripes`, as the fetch would have done.
    func prepareNext(store: CacheStore, settings: FetchSettings, holding stripe: String, stripes: StripeWaits) {
        guard taken == nil, let url = take() else { return }
        var step: Result<FetchStep, MediaCacheError>?
        if let key = try? store.key(for: url), let host = URLCheck.host(of: url), settings.allows(host: host),
            CacheLayout.lockStripe(of: key.name) != stripe
        {
            step = Result { () throws(MediaCacheError) in
                try store.prepareFetch(key, url: url, force: settings.force, remembering: settings.negativeTTL > 0)
            }
            if case .success(.locked) = step { stripes.hold(CacheLayout.lockStripe(of: key.name), for: key.name) }
        }
        taken = (url, step)
    }
}

import Testing
import TestSupport

@testable import MediaCache

@Suite("The fetcher's key locks")
struct FetcherTests {
    /// Two URLs whose entries share a key-lock stripe (the lock file is named
    /// by the first two hex digits of the key): the second waits for the
    /// first's download and is woken as it ends, not by polling.
    @Test func aFetchWaitingForItsLockStripeIsWokenWhenThisProcessLetsGo() async throws {
        let server = try await TestServer.start()
        let first = server.url("/slow/stripe-a?size=20000&chunks=4&delay=100")
        let stripe = CacheLayout.lockStripe(of: try CacheKey(url: first).name)
        var second: String?
        for index in 0..<20_000 {
            let url = server.url("/slow/stripe-b\(index)?size=20000&chunks=4&delay=100")
            if CacheLayout.lockStripe(of: try CacheKey(url: url).name) == stripe {
                second = url
                break
            }
        }
        let other = try #require(second)
        try await withTempDir { dir in
            let store = try CacheStore(CacheConfiguration(directory: dir))
            var settings = FetchSettings()
            settings.jobs = 2
            let fetcher = Fetcher(store: store, settings: settings)
            let run = await fetcher.fetchAll([first, other]) { _ in }
            try await fetcher.shutdown()
            #expect(run.outcomes.map(\.status) == [.fetched, .fetched])
            // Each download holds the stripe for 300 ms or more, so whichever
            // came second found it held and waited; the first's end woke it.
            #expect(fetcher.stripes.wakeups.withLockedValue { $0 } == 1)
            #expect(server.requests(prefix: "/slow/") == 2)
            #expect(try store.metadata(for: CacheKey(url: other))?.size == 20000)
        }
        await server.stop()
    }
}

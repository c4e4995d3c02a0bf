import TestSupport
import Testing

@testable import MediaCache

@Suite("The fetcher's key locks")
struct FetcherTests {
    /// A slow URL, and another whose entry shares its key-lock stripe (the
    /// lock file is named by the first two hex digits of the key).
    private static func stripeMates(_ server: TestServer, delay: Int = 150) throws -> (String, String) {
        let first = server.url("/slow/stripe-a?size=20000&chunks=4&delay=\(delay)")
        let stripe = CacheLayout.lockStripe(of: try CacheKey(url: first).name)
        for index in 0..<20_000 {
            let url = server.url("/file/stripe-b\(index)?size=3000")
            if CacheLayout.lockStripe(of: try CacheKey(url: url).name) == stripe { return (first, url) }
        }
        throw MediaCacheError.io(operation: "no stripe mate for", path: first, errno: 0)
    }

    /// Waits until the origin has seen `count` requests with `prefix`, so the
    /// download that sent them holds its lock. The deadline is generous: with
    /// the whole suite running, blocking process launches can starve the two
    /// cooperative threads of this machine for a minute.
    private static func untilRequested(_ server: TestServer, _ prefix: String, count: Int = 1) async throws {
        try await server.waitForRequests(prefix: prefix, count: count, timeout: 300)
    }

    /// Runs `body` with a fetcher on a cache in `dir`, and shuts the fetcher
    /// down however `body` ends (a failed wait must fail the test, not crash
    /// the run on an HTTP client that was never shut down).
    private static func withFetcher(_ dir: String, force: Bool = false, _ body: (Fetcher) async throws -> Void) async throws {
        var settings = FetchSettings()
        settings.force = force
        let fetcher = Fetcher(store: try CacheStore(CacheConfiguration(directory: dir)), settings: settings)
        do {
            try await body(fetcher)
        } catch {
            try? await fetcher.shutdown()
            throw error
        }
        try await fetcher.shutdown()
    }

    @Test func aFetchWaitingForItsLockStripeIsWokenWhenThisProcessLetsGo() async throws {
        let server = try await TestServer.start()
        let (slow, mate) = try Self.stripeMates(server)
        try await withTempDir { dir in
            try await Self.withFetcher(dir) { fetcher in
                async let first = fetcher.fetch(slow)
                try await Self.untilRequested(server, "/slow/stripe-a")
                let second = await fetcher.fetch(mate)  // finds the stripe held by the slow download
                #expect(await first.status == .fetched && second.status == .fetched)
                #expect(fetcher.stripes.wakeups == 1)  // woken, not polling
                #expect(try fetcher.store.metadata(for: CacheKey(url: mate))?.size == 3000)
            }
        }
        await server.stop()
    }

    @Test func forceStillDownloadsAfterWaitingForAnotherURLOnTheStripe() async throws {
        let server = try await TestServer.start()
        let (slow, mate) = try Self.stripeMates(server)
        try await withTempDir { dir in
            try await Self.withFetcher(dir) { plain in
                #expect(await plain.fetch(mate).status == .fetched)
            }
            try await Self.withFetcher(dir, force: true) { forcing in
                async let first = forcing.fetch(slow)
                try await Self.untilRequested(server, "/slow/stripe-a")
                let second = await forcing.fetch(mate)
                #expect(await first.status == .fetched)
                #expect(second.status == .fetched)  // the wait was for another URL: --force still holds
                #expect(server.requests(prefix: "/file/stripe-b") == 2)
            }
        }
        await server.stop()
    }

    @Test func cancellingAFetchThatWaitsForItsStripeEndsItAtOnce() async throws {
        let server = try await TestServer.start()
        // The slow one holds the stripe for 15 s or more: long enough that a
        // loaded machine still cancels the second fetch well before it ends.
        let (slow, mate) = try Self.stripeMates(server, delay: 5000)
        try await withTempDir { dir in
            try await Self.withFetcher(dir) { fetcher in
                let first = Task { await fetcher.fetch(slow) }
                defer { first.cancel() }  // a no-op once it ended; ends it if a wait below failed
                try await Self.untilRequested(server, "/slow/stripe-a")
                let second = Task { await fetcher.fetch(mate) }
                try await Task.sleep(nanoseconds: 100_000_000)  // let it find the stripe held and wait
                second.cancel()
                let outcome = await second.value
                #expect(outcome.status == .failed)
                #expect(server.requests(prefix: "/file/stripe-b") == 0)
                #expect(server.requests(prefix: "/slow/stripe-a") == 1)
                // The slow download is still going: the cancelled fetch did not wait for it.
                #expect(fetcher.stripes.wakeups == 0)
                #expect(await first.value.status == .fetched)
            }
        }
        await server.stop()
    }

    @Test func aPrewarmCountsEveryURLOnceWhenEachDownloadPreparesTheNext() async throws {
        // Given one worker (so each download's last job prepares the next URL),
        // stripe mates back to back, an entry already cached and a host not allowed
        let server = try await TestServer.start()
        let (first, mate) = try Self.stripeMates(server, delay: 10)
        let cached = server.url("/file/chain-cached?size=2000")
        let refused = "http://elsewhere.invalid/file/chain-refused?size=10"
        let last = server.url("/file/chain-last?size=5000")
        try await withTempDir { dir in
            var settings = FetchSettings()
            settings.jobs = 1
            settings.allowedHosts = ["127.0.0.1"]
            let fetcher = Fetcher(store: try CacheStore(CacheConfiguration(directory: dir)), settings: settings)
            #expect(await fetcher.fetch(cached).status == .fetched)

            // When they are prewarmed in one run
            let run = await fetcher.fetchAll([first, mate, cached, refused, last]) { _ in }
            try await fetcher.shutdown()

            // Then each is fetched, found or refused once, and counted once
            #expect(run.outcomes.map(\.status) == [.fetched, .fetched, .cached, .failed, .fetched])
            let counters = fetcher.store.counters()
            #expect(counters.misses == 4 && counters.hits == 1 && counters.stored == 4)
            #expect(fetcher.stripes.wakeups == 0)  // the mate was prepared after the first one let go
            for prefix in ["/slow/stripe-a", "/file/stripe-b", "/file/chain-cached", "/file/chain-last"] {
                #expect(server.requests(prefix: prefix) == 1)
            }
        }
        await server.stop()
    }
}

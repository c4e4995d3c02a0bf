import MediaCache
import TestSupport
import Testing

@Suite("The async API, against a local origin")
struct AsyncAPITests {
    @Test func fetchThenReadThroughTheAsyncAPI() async throws {
        let server = try await TestServer.start()
        try await withTempDir { (dir) async throws in
            let url = server.url("/file/api?size=5000&type=image/png")
            let closed = try await withMediaCache(CacheConfiguration(directory: dir)) { cache in
                #expect(try await cache.data(for: url) == nil)
                let outcome = try await cache.fetch(url)
                #expect(outcome.status == .fetched && outcome.size == 5000)
                #expect(try await cache.data(for: url) == TestServer.body("api", size: 5000))
                #expect(try await cache.fileURL(for: url)?.path == outcome.path)
                let key = try CacheKey(url: url)
                #expect(cache.store.metadata(for: key)?.contentType == "image/png")
                let again = try await cache.fetch(url)
                #expect(again.status == .cached)
                #expect(server.requests(to: "/file/api?size=5000&type=image/png") == 1)
                let stats = try await cache.stats()
                // Misses: the first data(for:) and the download; hits: data(for:), fileURL(for:) and the fresh refetch.
                #expect(stats.entries == 1 && stats.counters.hits == 3 && stats.counters.misses == 2)
                try await cache.store(Array("put".utf8), for: "https://h/p.png")
                #expect(try await cache.evict(.all)?.removed.count == 2)
                return cache
            }
            // After withMediaCache shut it down: no more fetches; the rest of the API still works
            await #expect(throws: MediaCacheError.shutDown) { try await closed.fetch(url) }
            #expect(try await closed.data(for: url) == nil)
        }
        await server.stop()
    }
}

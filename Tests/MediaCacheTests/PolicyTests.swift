import TestSupport
import Testing

@testable import MediaCache

/// The library, not the CLI, holds the policy a server relies on: one
/// connection pool per open cache, and the size limit on every write.
@Suite("The library owns its policy")
struct PolicyTests {
    @Test("200 sequential fetches through one MediaCache open only a few TCP connections")
    func oneConnectionPoolPerCache() async throws {
        let server = try await TestServer.start()
        try await withTempDir { (dir) async throws in
            // When: one cache fetches 200 URLs, one after another
            try await withMediaCache(CacheConfiguration(directory: dir)) { cache in
                for index in 0..<200 {
                    let outcome = try await cache.fetch(server.url("/file/pool\(index)?size=2000"))
                    #expect(outcome.status == .fetched, "\(outcome.error.map { "\($0)" } ?? "")")
                }
            }
        }
        // Then: every request went to the origin over a kept-alive connection or two
        #expect(server.totalRequests == 200)
        #expect(server.acceptedConnections <= 4, "\(server.acceptedConnections) connections for 200 requests")
        await server.stop()
    }

    @Test("a cache with a 1 MiB limit stays under it while fetching 3 MiB, and while storing more")
    func fetchKeepsTheSizeLimit() async throws {
        let server = try await TestServer.start()
        try await withTempDir { (dir) async throws in
            let limit: Int64 = 1 << 20
            let dataBytes = { Files.entries(dir).reduce(Int64(0)) { $0 + Int64(Files.read(dir + "/" + $1)?.count ?? 0) } }
            try await withMediaCache(CacheConfiguration(directory: dir, maxBytes: limit)) { cache in
                // When: 24 entries of 128 KiB are fetched one by one
                for index in 0..<24 {
                    let outcome = try await cache.fetch(server.url("/file/limit\(index)?size=\(128 << 10)"))
                    #expect(outcome.status == .fetched)
                    // Then: after each, the cache is within its limit, and the newest entry is kept
                    #expect(dataBytes() <= limit, "after fetch \(index)")
                    #expect(Files.entries(dir).contains(try CacheKey(url: outcome.url).name))
                }
                // And: a store keeps it too
                for index in 0..<4 {
                    try await cache.store([UInt8](repeating: 7, count: 300 << 10), for: "https://h/stored\(index).bin")
                    #expect(dataBytes() <= limit, "after store \(index)")
                }
            }
        }
        await server.stop()
    }
}

import Foundation
import MediaCache
import TestSupport
import Testing

/// The negative record of `url`, where vLLM never looks.
func negativeRecord(_ dir: String, _ url: String) throws -> String {
    dir + "/.mediacache/negative/" + (try CacheKey(url: url)).name
}

func statsJSON(_ dir: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: try mc(dir, "stats", "--json").stdout) as? [String: Any])
}

@Suite("negative caching: a 404 or 410 is remembered for --negative-ttl")
struct NegativeCacheTests {
    @Test func aMissingURLIsAnsweredWithoutTheOriginUntilItsRecordExpires() async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/status/404")
            // Given: the origin answered 404 once
            let first = try mc(dir, "fetch", url)
            #expect(first.status == 1 && server.requests(to: "/status/404") == 1)
            #expect(FileManager.default.fileExists(atPath: try negativeRecord(dir, url)))
            #expect(Files.entries(dir).isEmpty)  // vLLM sees nothing
            // When: fetched again, and read through with get --fetch
            let second = try mc(dir, "fetch", url)
            let get = try mc(dir, "get", "--fetch", url)
            // Then: both fail as the origin did, saying why, and the origin is not asked
            #expect(
                second.status == 1 && second.stderr.contains("HTTP 404") && second.stderr.contains("remembered"),
                "\(second.stderr)")
            #expect(rows(second)[0][0] == "failed")
            #expect(get.status == 69 && get.stderr.contains("HTTP 404") && get.stderr.contains("remembered"), "\(get.stderr)")
            #expect(server.requests(to: "/status/404") == 1)
            let json = try mc(dir, "fetch", "--json", url)
            #expect(json.out.contains("\"http_status\":404") && json.out.contains("\"attempts\":0"))
            // and the fast answers are counted
            let stats = try statsJSON(dir)
            #expect(stats["negative_hits"] as? Int == 3)
            #expect(stats["negative_entries"] as? Int == 1)
        }
    }

    @Test func forceAndEvictClearTheRecord() async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/status/410")
            #expect(try mc(dir, "fetch", url).status == 1)
            // --force asks the origin anyway
            #expect(try mc(dir, "fetch", "--force", url).status == 1)
            #expect(server.requests(to: "/status/410") == 2)
            // evict URL forgets the answer
            #expect(FileManager.default.fileExists(atPath: try negativeRecord(dir, url)))
            let evict = try mc(dir, "evict", url)
            #expect(evict.status == 0, "\(evict.stderr)")
            #expect(!FileManager.default.fileExists(atPath: try negativeRecord(dir, url)))
            #expect(try mc(dir, "get", "--fetch", url).status == 69)
            #expect(server.requests(to: "/status/410") == 3)
        }
    }

    @Test func onlyTheConfiguredStatusesAreRememberedAndZeroTurnsItOff() async throws {
        try await withOrigin { (server, dir) async throws in
            // A 503 is not permanent: asked again every time
            let busy = server.url("/status/503")
            #expect(try mc(dir, "fetch", "--retries", "0", busy).status == 1)
            #expect(try mc(dir, "fetch", "--retries", "0", busy).status == 1)
            #expect(server.requests(to: "/status/503") == 2)
            // --negative-ttl 0: never remembered
            let gone = server.url("/status/404")
            #expect(try mc(dir, "fetch", "--negative-ttl", "0", gone).status == 1)
            #expect(try mc(dir, "fetch", "--negative-ttl", "0", gone).status == 1)
            #expect(server.requests(to: "/status/404") == 2)
            // --negative-status replaces the list: a 403 remembered, a 404 no longer
            let forbidden = server.url("/status/403")
            #expect(try mc(dir, "fetch", "--negative-status", "403", forbidden, gone).status == 1)
            #expect(try mc(dir, "fetch", "--negative-status", "403", forbidden, gone).status == 1)
            #expect(server.requests(to: "/status/403") == 1)
            #expect(server.requests(to: "/status/404") == 4)
            #expect(try mc(dir, "fetch", "--negative-ttl", "-1", gone).status == 64)
        }
    }

    @Test func pruneRemovesExpiredRecordsAndAnExpiredRecordAsksAgain() async throws {
        try await withOrigin { (server, dir) async throws in
            let gone = server.url("/status/404")
            let other = server.url("/status/410")
            #expect(try mc(dir, "fetch", "--negative-ttl", "1s", gone).status == 1)
            #expect(try mc(dir, "fetch", "--negative-ttl", "1h", other).status == 1)
            try await Task.sleep(nanoseconds: 1_300_000_000)
            // An expired record does not answer: the origin is asked
            #expect(try mc(dir, "fetch", "--negative-ttl", "1s", gone).status == 1)
            #expect(server.requests(to: "/status/404") == 2)
            try await Task.sleep(nanoseconds: 1_300_000_000)
            let prune = try mc(dir, "prune", "--json")
            #expect(prune.status == 0 && prune.out.contains("\"negative_records\":1"), "\(prune.out) \(prune.stderr)")
            #expect(!FileManager.default.fileExists(atPath: try negativeRecord(dir, gone)))
            #expect(FileManager.default.fileExists(atPath: try negativeRecord(dir, other)))
        }
    }

    @Test func aStateFileWrittenBeforeTheNewCountersStillReads() async throws {
        try await withOrigin { (server, dir) async throws in
            // Given: a state record as earlier versions wrote it (no negative_hits, no stale_served)
            #expect(try mc(dir, "put", "https://h/a.png", stdin: Data("abc".utf8)).status == 0)
            let old = """
                mediacache-state 1
                since 1700000000.0
                hits 7
                misses 5
                stored 3
                evicted_entries 1
                evicted_bytes 10
                account_bytes 3
                account_entries 1
                account_known 1

                """
            Files.write(dir + "/.mediacache/state", Array(old.utf8))
            // When: a negative answer is counted
            #expect(try mc(dir, "fetch", server.url("/status/404")).status == 1)
            #expect(try mc(dir, "fetch", server.url("/status/404")).status == 1)
            // Then: the old counters carry on and the new one starts at its own count
            let stats = try statsJSON(dir)
            #expect(stats["hits"] as? Int == 7 && stats["misses"] as? Int == 7 && stats["stored"] as? Int == 3)
            #expect(stats["negative_hits"] as? Int == 1 && stats["stale_served"] as? Int == 0)
        }
    }
}

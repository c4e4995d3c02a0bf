import Foundation
import MediaCache
import TestSupport
import Testing

/// Invariants 1, 2, 3 and 5 under load: many real `mediacache` processes on
/// one cache so small that eviction runs all the time.
@Suite("Reliability: stress")
struct ReliabilityStressTests {
    static let workers = 8
    /// About 30 s in CI; `MEDIACACHE_STRESS_SECONDS` runs longer (or shorter).
    static var seconds: Double {
        ProcessInfo.processInfo.environment["MEDIACACHE_STRESS_SECONDS"].flatMap(Double.init) ?? 30
    }

    @Test("8 processes mixing put, fetch, get, evict, prune, stats, list and verify never see wrong bytes")
    func mixedLoad() async throws {
        let server = try await TestServer.start()
        try await withTempDir { dir in
            // Given: 24 URLs with known bytes (36 versions), a 160 KiB cache (bodies are 2-46 KB)
            let cache = dir + "/cache"
            let universe = StressUniverse(server: server, bodies: dir + "/bodies")
            let common = ["--cache-dir", cache, "--max-size", "160K"]
            // An existing cache: read commands on a missing one say "no cache at DIR" (exit 66)
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)

            // When: 8 workers launch commands until the deadline
            let tally = await StressWorker.run(universe: universe, common: common, seconds: Self.seconds)

            // Then: no failure, no wrong bytes, counters add up, no temp file left
            let total = tally.total
            print(
                "reliability-figures: stress \(total) operations by \(Self.workers) processes in \(Int(Self.seconds)) s (\(tally.summary)); gets \(tally.gets), hits \(tally.hits), puts \(tally.puts), fetched \(tally.fetched), wrong bytes \(tally.wrongBytes)"
            )
            #expect(tally.failures.isEmpty, "\(tally.failures.count) failures, first: \(tally.failures.prefix(5))")
            #expect(tally.wrongBytes == 0)
            #expect(total >= Self.workers)

            let stats = try CLI.run(["stats", "--json"] + common)
            let counters = try #require(Reliability.jsonLines(stats).first)
            // Every get and every URL of a fetch is one lookup (a fresh fetch is a hit, a download a miss).
            #expect(
                Reliability.int(counters, "hits")! + Reliability.int(counters, "misses")! == tally.gets + tally.fetchHits
                    + tally.fetchMisses)
            #expect(Reliability.int(counters, "hits") == tally.hits + tally.fetchHits)
            #expect(Reliability.int(counters, "stored") == tally.puts + tally.fetched)
            // One origin request per download: no process downloaded a URL another was already fetching.
            #expect(server.requests(prefix: "/file/") == tally.fetched)

            let prune = try CLI.run(["prune", "-q"] + common)
            #expect(prune.status == 0, "\(prune.stderr)")
            #expect(Reliability.tempFiles(cache).isEmpty, "\(Reliability.tempFiles(cache))")

            // Every entry was written by put or fetch, so every one has metadata that matches it
            let verify = try CLI.run(["verify", "--json"] + common)
            let findings = Reliability.jsonLines(verify).filter { $0["status"] != nil }
            #expect(verify.status == 0 && findings.isEmpty, "\(verify.out)")
            for item in universe.items {
                let get = try CLI.run(["get", item.url] + common)
                #expect(get.status == 1 || (get.status == 0 && item.accepts([UInt8](get.stdout))), "\(item.url)")
            }
        }
        await server.stop()
    }
}

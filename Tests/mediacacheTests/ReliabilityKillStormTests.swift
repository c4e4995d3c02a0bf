import Foundation
import MediaCache
import TestSupport
import Testing

/// Invariant 1 "every crash": the stress mix again, but one command in five
/// is killed with SIGKILL a few milliseconds in, wherever it happens to be.
@Suite("Reliability: kill -9 storm")
struct ReliabilityKillStormTests {
    @Test("8 processes, one command in five killed mid-flight: never wrong bytes; prune and verify leave a clean cache")
    func killStorm() async throws {
        let server = try await TestServer.start()
        try await withTempDir { dir in
            // Given: the stress universe on a 160 KiB cache
            let cache = dir + "/cache"
            let universe = StressUniverse(server: server, bodies: dir + "/bodies")
            let common = ["--cache-dir", cache, "--max-size", "160K"]
            // An existing cache: read commands on a missing one say "no cache at DIR" (exit 66)
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            let seconds = max(5, ReliabilityStressTests.seconds / 3)

            // When: 8 workers run commands, 20% of them killed 2-40 ms after they start
            let tally = await StressWorker.run(universe: universe, common: common, seconds: seconds, killPercent: 20)

            // Then: the survivors saw only whole, right bytes and ended cleanly
            print(
                "reliability-figures: kill storm \(tally.total) operations in \(Int(seconds)) s, \(tally.killed) killed with SIGKILL; gets \(tally.gets), hits \(tally.hits), wrong bytes \(tally.wrongBytes)"
            )
            #expect(tally.failures.isEmpty, "\(tally.failures.count) failures, first: \(tally.failures.prefix(5))")
            #expect(tally.wrongBytes == 0)
            #expect(tally.killed > 0)

            // And: what the killed left behind is dot files only, and prune clears it once it is old
            try await Task.sleep(nanoseconds: 1_500_000_000)
            let prune = try CLI.run(["prune", "-q", "--leftover-age", "1s"] + common)
            #expect(prune.status == 0, "\(prune.stderr)")
            #expect(Reliability.tempFiles(cache).isEmpty, "\(Reliability.tempFiles(cache))")
            #expect(
                Files.entries(cache).allSatisfy { name in universe.items.contains { (try? CacheKey(url: $0.url))?.name == name } }
            )

            // And: no entry is corrupt (no metadata paired with other bytes), none missing, none hostile;
            // a put killed between its two renames may leave an entry without metadata (foreign), which is valid
            let verify = try CLI.run(["verify", "--json"] + common)
            let problems = Reliability.jsonLines(verify).filter { ($0["status"] as? String).map { $0 != "foreign" } ?? false }
            #expect(problems.isEmpty, "\(verify.out)")
            for item in universe.items {
                let get = try CLI.run(["get", item.url] + common)
                #expect(get.status == 1 || (get.status == 0 && item.accepts([UInt8](get.stdout))), "\(item.url)")
            }

            // And: the counters survived: readable, and at least what the survivors saw
            let stats = try #require(Reliability.jsonLines(try CLI.run(["stats", "--json"] + common)).first)
            #expect(Reliability.int(stats, "hits")! >= tally.hits)
            #expect(Reliability.int(stats, "hits")! + Reliability.int(stats, "misses")! >= tally.gets)
            #expect(Reliability.int(stats, "stored")! >= tally.puts + tally.fetched)
        }
        await server.stop()
    }
}

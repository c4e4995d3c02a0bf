import Foundation
import MediaCache
import Testing
import TestSupport

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
            // Given: 24 URLs with known bytes, a 160 KiB cache (bodies are 2-45 KB)
            let cache = dir + "/cache"
            let universe = StressUniverse(server: server, bodies: dir + "/bodies")
            let common = ["--cache-dir", cache, "--max-size", "160K"]
            let tally = StressTally()
            let deadline = Date().addingTimeInterval(Self.seconds)

            // When: 8 workers launch commands until the deadline
            await Reliability.onThreads(Self.workers) { worker in
                var random = SystemRandomNumberGenerator()
                while Date() < deadline {
                    StressWorker(universe: universe, common: common, tally: tally).runOne(using: &random)
                }
            }

            // Then: no failure, no wrong bytes, counters add up, no temp file left
            let total = tally.total
            print("reliability-figures: stress \(total) operations by \(Self.workers) processes in \(Int(Self.seconds)) s (\(tally.summary)); gets \(tally.gets), hits \(tally.hits), puts \(tally.puts), fetched \(tally.fetched), wrong bytes \(tally.wrongBytes)")
            #expect(tally.failures.isEmpty, "\(tally.failures.count) failures, first: \(tally.failures.prefix(5))")
            #expect(tally.wrongBytes == 0)
            #expect(total >= Self.workers)

            let stats = try CLI.run(["stats", "--json"] + common)
            let counters = try #require(Reliability.jsonLines(stats).first)
            #expect(Reliability.int(counters, "hits")! + Reliability.int(counters, "misses")! == tally.gets)
            #expect(Reliability.int(counters, "hits") == tally.hits)
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
                #expect(get.status == 1 || (get.status == 0 && Files.sha256([UInt8](get.stdout)) == item.sha256), "\(item.url)")
            }
        }
        await server.stop()
    }
}

/// One randomly chosen command, checked against what the universe predicts.
struct StressWorker {
    let universe: StressUniverse
    let common: [String]
    let tally: StressTally

    func runOne(using random: inout SystemRandomNumberGenerator) {
        let item = universe.items.randomElement(using: &random)!
        let roll = Int.random(in: 0..<100, using: &random)
        switch roll {
        case 0..<35: get(item)
        case 35..<40: getPath(item)
        case 40..<60: run("put", ["put", "-q", item.url, item.bodyFile]) { _ in tally.put() }
        case 60..<75:
            let urls = (0..<Int.random(in: 1...3, using: &random)).map { _ in universe.fetchable.randomElement(using: &random)!.url }
            fetch(Array(Set(urls)))
        case 75..<82: run("evict", ["evict", "-q", item.url])
        case 82..<88: run("prune", ["prune", "-q"])
        case 88..<93: run("stats", ["stats", "--json"])
        case 93..<97: list()
        default: verify()
        }
    }

    /// Runs a command that must succeed (exit 0); `then` sees its result.
    private func run(_ name: String, _ arguments: [String], then: (ProcessResult) -> Void = { _ in }) {
        tally.count(name)
        guard let result = try? CLI.run(arguments + common, timeout: 60) else { return tally.fail("\(name): launch failed") }
        guard result.status == 0, Reliability.endedCleanly(result) else { return tally.fail(result.brief(arguments)) }
        then(result)
    }

    private func get(_ item: StressUniverse.Item) {
        tally.count("get")
        guard let result = try? CLI.run(["get", "-q", item.url] + common, timeout: 60) else { return tally.fail("get: launch failed") }
        switch result.status {
        case 0:
            tally.got(hit: true)
            if Files.sha256([UInt8](result.stdout)) != item.sha256 {
                tally.wrong("get \(item.url): \(result.stdout.count) bytes, expected \(item.size)")
            }
        case 1: tally.got(hit: false)
        default: tally.fail(result.brief(["get", item.url]))
        }
    }

    /// `get --path`, then reads the file: eviction may remove it, but if it opens it holds the whole entry.
    private func getPath(_ item: StressUniverse.Item) {
        tally.count("get --path")
        guard let result = try? CLI.run(["get", "-q", "--path", item.url] + common, timeout: 60) else { return tally.fail("get: launch failed") }
        switch result.status {
        case 0:
            tally.got(hit: true)
            let path = result.out.trimmingCharacters(in: .newlines)
            if let bytes = Files.read(path), Files.sha256(bytes) != item.sha256 {
                tally.wrong("get --path \(item.url): \(bytes.count) bytes at \(path), expected \(item.size)")
            }
        case 1: tally.got(hit: false)
        default: tally.fail(result.brief(["get", "--path", item.url]))
        }
    }

    private func fetch(_ urls: [String]) {
        run("fetch", ["fetch", "-q", "--json"] + urls) { result in
            let lines = Reliability.jsonLines(result)
            if lines.count != urls.count { tally.fail("fetch printed \(lines.count) lines for \(urls.count) URLs") }
            tally.fetched(lines.filter { ($0["status"] as? String) == "fetched" }.count)
        }
    }

    /// Every listed URL must sit on an entry of exactly that URL's size: metadata never pairs with other bytes.
    private func list() {
        run("list", ["list", "--json"]) { result in
            for row in Reliability.jsonLines(result) {
                guard let url = row["url"] as? String else { continue }
                guard let item = universe.item(for: url), Reliability.int(row, "size") == item.size,
                    (try? CacheKey(url: url))?.name == row["key"] as? String
                else { return tally.wrong("list row \(row) does not match its URL") }
            }
        }
    }

    /// Concurrent writers may make verify report `missing` (metadata seen before its data); never `corrupt`.
    private func verify() {
        tally.count("verify")
        guard let result = try? CLI.run(["verify", "-q", "--json"] + common, timeout: 60) else { return tally.fail("verify: launch failed") }
        guard result.status == 0 || result.status == 1, Reliability.endedCleanly(result) else {
            return tally.fail(result.brief(["verify"]))
        }
        for finding in Reliability.jsonLines(result) where (finding["status"] as? String) == "corrupt" {
            tally.wrong("verify found a corrupt entry under load: \(finding)")
        }
    }
}

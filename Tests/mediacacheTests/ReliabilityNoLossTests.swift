import Foundation
import TestSupport
import Testing

/// Invariant 5 where it can be counted exactly: with nothing due for
/// eviction, eight processes writing at once lose no entry, no counter
/// update, and download each shared URL once.
@Suite("Reliability: nothing lost")
struct ReliabilityNoLossTests {
    @Test("8 processes putting, fetching, reading and pruning at once lose no entry and no counter update")
    func nothingLost() async throws {
        let server = try await TestServer.start()
        try await withTempDir { dir in
            // Given: 8 workers with 12 URLs each, and 4 origin URLs they all fetch
            let cache = dir + "/cache"
            let common = ["--cache-dir", cache]
            let workers = 8
            let perWorker = 12
            let shared = (0..<4).map { server.url("/file/shared\($0)?size=\(20_000 + $0)") }
            let tally = StressTally()

            // When: each worker puts its URLs, reads one back after each put, and
            // now and then fetches the shared URLs, prunes and reads the stats
            await Reliability.onThreads(workers) { worker in
                var random = SeededRandom(seed: UInt64(worker + 1))
                for index in 0..<perWorker {
                    let name = "w\(worker)-\(index)"
                    let file = dir + "/" + name
                    Files.write(file, TestServer.body(name, size: 1000 + 97 * index))
                    let put = try? CLI.run(["put", "-q", "http://lost.invalid/\(name)", file] + common)
                    if put?.status == 0 { tally.put() } else { tally.fail("put \(name): \(put?.stderr ?? "no launch")") }
                    let back = "w\(worker)-\(Int.random(in: 0...index, using: &random))"
                    let get = try? CLI.run(["get", "http://lost.invalid/\(back)"] + common)
                    tally.got(hit: get?.status == 0)
                    if get.map({ [UInt8]($0.stdout) })
                        != TestServer.body(back, size: 1000 + 97 * Int(back.split(separator: "-")[1])!)
                    {
                        tally.wrong("get \(back): exit \(get?.status ?? -1)")
                    }
                    let extra: [String]? =
                        switch index % 4 {
                        case 0: ["fetch", "-q", "--json"] + shared
                        case 1: ["prune", "-q"]
                        case 2: ["stats", "--json"]
                        default: nil
                        }
                    if let extra {
                        let result = try? CLI.run(extra + common)
                        if result?.status != 0 { tally.fail("\(extra[0]): \(result?.stderr ?? "no launch")") }
                        if extra[0] == "fetch", let result {
                            tally.fetched(Reliability.jsonLines(result))
                        }
                    }
                }
            }

            // Then: every entry is there, whole; every counter update landed; one download per shared URL
            var lost = 0
            for worker in 0..<workers {
                for index in 0..<perWorker {
                    let name = "w\(worker)-\(index)"
                    let get = try CLI.run(["get", "-q", "http://lost.invalid/\(name)"] + common)
                    if get.status != 0 || [UInt8](get.stdout) != TestServer.body(name, size: 1000 + 97 * index) { lost += 1 }
                }
            }
            print(
                "reliability-figures: no-loss \(tally.puts) puts and \(shared.count) shared URLs fetched by \(workers) processes at once, \(tally.gets) reads; entries lost \(lost), wrong bytes \(tally.wrongBytes)"
            )
            #expect(tally.failures.isEmpty, "\(tally.failures.prefix(5))")
            #expect(lost == 0 && tally.wrongBytes == 0)
            #expect(tally.fetched == shared.count)
            for url in shared {
                #expect(server.requests(to: String(url.dropFirst("http://127.0.0.1:\(server.port)".count))) == 1)
            }
            let stats = try #require(Reliability.jsonLines(try CLI.run(["stats", "--json"] + common)).first)
            #expect(Reliability.int(stats, "stored") == workers * perWorker + shared.count)
            #expect(Reliability.int(stats, "hits") == tally.gets + workers * perWorker + tally.fetchHits)
            #expect(Reliability.int(stats, "misses") == tally.fetchMisses)
            #expect(Reliability.int(stats, "entries") == workers * perWorker + shared.count)
            #expect(Reliability.int(stats, "evicted_entries") == 0)
        }
        await server.stop()
    }
}

import Foundation
import MediaCache
import TestSupport
import Testing

/// What one worker saw.
private struct Tally {
    var puts = 0
    var hits = 0
    var misses = 0
    var evicted = 0
    var wrongBytes: [String] = []
    var unexpected: [String] = []
}

@Suite("Many processes on one cache directory")
struct ConcurrentProcessesTests {
    static let urls = (0..<16).map { "https://cdn.example/m/\($0).jpg" }

    /// Each URL always maps to the same bytes, so any reader knows what a hit must return.
    static func body(_ url: String) -> [UInt8] { TestServer.body(url, size: 500 + url.utf8.count * 97) }

    @Test("8 processes x 200 mixed put/get/evict: exact counters, every read a miss or the stored bytes")
    func mixedOperations() async throws {
        try await withTempDir { (dir) async throws in
            let cache = dir + "/cache"
            // The cache exists from the start: a get before the first put must be a miss, not "no cache at DIR".
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: false)
            for url in Self.urls { Files.write(dir + "/" + (try CacheKey(url: url)).name, Self.body(url)) }
            let workers = 8
            let operations = 200
            let tallies = LockedTallies(count: workers)
            let done = DispatchGroup()
            for worker in 0..<workers {
                done.enter()
                Thread.detachNewThread {
                    defer { done.leave() }
                    var random = SeededRandom(seed: UInt64(worker + 1))
                    for _ in 0..<operations {
                        let url = Self.urls[random.next(Self.urls.count)]
                        let roll = random.next(100)
                        tallies.update(worker) { Self.step(roll: roll, url: url, dir: dir, cache: cache, tally: &$0) }
                    }
                }
            }
            await withCheckedContinuation { (resume: CheckedContinuation<Void, Never>) in
                done.notify(queue: .global()) { resume.resume() }
            }
            let total = tallies.sum()
            #expect(total.unexpected.isEmpty, "\(total.unexpected.prefix(5))")
            #expect(total.wrongBytes.isEmpty, "\(total.wrongBytes.prefix(5))")
            #expect(total.puts + total.hits + total.misses > 0)

            let stats = try #require(
                try JSONSerialization.jsonObject(with: try CLI.run(["stats", "--json", "--cache-dir", cache]).stdout)
                    as? [String: Any])
            #expect(stats["hits"] as? Int == total.hits)
            #expect(stats["misses"] as? Int == total.misses)
            #expect(stats["stored"] as? Int == total.puts)
            #expect(stats["evicted_entries"] as? Int == total.evicted)
            // Whatever is left is whole: every remaining entry holds exactly its URL's bytes.
            for url in Self.urls {
                let get = try CLI.run(["get", "-q", "--cache-dir", cache, url])
                if get.status == 0 { #expect([UInt8](get.stdout) == Self.body(url), "\(url)") }
            }
            #expect(Files.names(cache).filter { $0.hasPrefix(".tmp-") }.isEmpty)
            print(
                "8 processes x \(operations): \(total.puts) puts, \(total.hits) hits, \(total.misses) misses, \(total.evicted) evicted"
            )
        }
    }

    /// One operation through the binary: 40% put, 45% get, 15% evict.
    private static func step(roll: Int, url: String, dir: String, cache: String, tally: inout Tally) {
        do {
            if roll < 40 {
                let source = dir + "/" + (try CacheKey(url: url)).name
                let result = try CLI.run(["put", "-q", "--cache-dir", cache, url, source])
                if result.status == 0 {
                    tally.puts += 1
                } else {
                    tally.unexpected.append("put \(result.status) \(result.stderr)")
                }
            } else if roll < 85 {
                let result = try CLI.run(["get", "-q", "--cache-dir", cache, url])
                switch result.status {
                case 0:
                    tally.hits += 1
                    if [UInt8](result.stdout) != body(url) { tally.wrongBytes.append("\(url): \(result.stdout.count) bytes") }
                case 1: tally.misses += 1
                default: tally.unexpected.append("get \(result.status) \(result.stderr)")
                }
            } else {
                let result = try CLI.run(["evict", "--json", "--cache-dir", cache, url])
                let json = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
                if result.status == 0, let count = json?["entries"] as? Int {
                    tally.evicted += count
                } else {
                    tally.unexpected.append("evict \(result.status) \(result.stderr)")
                }
            }
        } catch {
            tally.unexpected.append("\(error)")
        }
    }
}

/// Per-worker tallies behind a lock (each worker writes only its own slot).
private final class LockedTallies: @unchecked Sendable {
    private var tallies: [Tally]
    private let lock = NSLock()

    init(count: Int) { tallies = Array(repeating: Tally(), count: count) }

    func update(_ index: Int, _ body: (inout Tally) -> Void) {
        var mine = lock.withLock { tallies[index] }
        body(&mine)
        lock.withLock { tallies[index] = mine }
    }

    func sum() -> Tally {
        lock.withLock {
            tallies.reduce(into: Tally()) { total, t in
                total.puts += t.puts
                total.hits += t.hits
                total.misses += t.misses
                total.evicted += t.evicted
                total.wrongBytes += t.wrongBytes
                total.unexpected += t.unexpected
            }
        }
    }
}

import Foundation
import MediaCache
import TestSupport

/// One randomly chosen command, checked against what the universe predicts.
struct StressWorker {
    let universe: StressUniverse
    let common: [String]
    let tally: StressTally
    /// Chance in 100 that a command is killed with SIGKILL 2-40 ms after it starts.
    var killPercent = 0
    /// This worker's seeded generator (the seed is its index), so a failing run's choices can be replayed.
    let dice: Dice

    final class Dice {
        var random: SeededRandom
        init(seed: UInt64) { random = SeededRandom(seed: seed) }
    }

    /// Runs `ReliabilityStressTests.workers` threads of random commands for `seconds`; returns what they saw.
    static func run(universe: StressUniverse, common: [String], seconds: Double, killPercent: Int = 0) async -> StressTally {
        let tally = StressTally()
        let deadline = Date().addingTimeInterval(seconds)
        await Reliability.onThreads(ReliabilityStressTests.workers) { index in
            let worker = StressWorker(
                universe: universe, common: common, tally: tally, killPercent: killPercent, dice: Dice(seed: UInt64(index + 1)))
            while Date() < deadline { worker.runOne() }
        }
        return tally
    }

    func runOne() {
        let item = universe.items.randomElement(using: &dice.random)!
        let roll = Int.random(in: 0..<100, using: &dice.random)
        switch roll {
        case 0..<35: get(item)
        case 35..<40: getPath(item)
        case 40..<60:
            let version = item.versions.randomElement(using: &dice.random)!
            run("put", ["put", "-q", item.url, version.file]) { _ in tally.put() }
        case 60..<75:
            let urls = (0..<Int.random(in: 1...3, using: &dice.random)).map { _ in
                universe.fetchable.randomElement(using: &dice.random)!.url
            }
            fetch(Array(Set(urls)))
        case 75..<82: run("evict", ["evict", "-q", item.url])
        case 82..<88: run("prune", ["prune", "-q"])
        case 88..<93: run("stats", ["stats", "--json"])
        case 93..<97: list()
        default: verify()
        }
    }

    /// Launches `mediacache ARGS`, perhaps killing it; nil when it was killed (or did not start).
    private func execute(_ name: String, _ arguments: [String]) -> ProcessResult? {
        tally.count(name)
        guard let process = try? CLI.launch(arguments + common) else {
            tally.fail("\(name): launch failed")
            return nil
        }
        let kill = killPercent > 0 && dice.random.next(100) < killPercent
        if kill {
            usleep(UInt32.random(in: 2_000...40_000, using: &dice.random))
            process.signal(SIGKILL)
        }
        guard let result = try? process.wait(timeout: 60) else {
            tally.fail("\(name): wait failed")
            return nil
        }
        if kill && process.process.terminationReason == .uncaughtSignal {
            tally.killedOne()
            return nil
        }
        guard Reliability.endedCleanly(result) else {
            tally.fail(result.brief(arguments))
            return nil
        }
        return result
    }

    /// Runs a command that must succeed (exit 0) unless killed; `then` sees its result.
    private func run(_ name: String, _ arguments: [String], then: (ProcessResult) -> Void = { _ in }) {
        guard let result = execute(name, arguments) else { return }
        guard result.status == 0 else { return tally.fail(result.brief(arguments)) }
        then(result)
    }

    /// A hit must be the exact bytes; `check` gets the bytes the hit handed out (nil: nothing to read).
    private func lookup(_ name: String, _ arguments: [String], _ item: StressUniverse.Item, bytes: (ProcessResult) -> [UInt8]?) {
        guard let result = execute(name, arguments) else { return }
        switch result.status {
        case 0:
            tally.got(hit: true)
            if let got = bytes(result), !item.accepts(got) {
                tally.wrong("\(name) \(item.url): \(got.count) bytes, none of its versions")
            }
        case 1: tally.got(hit: false)
        default: tally.fail(result.brief(arguments))
        }
    }

    private func get(_ item: StressUniverse.Item) {
        lookup("get", ["get", "-q", item.url], item) { [UInt8]($0.stdout) }
    }

    /// `get --path`, then reads the file: eviction may remove it, but if it opens it holds the whole entry.
    private func getPath(_ item: StressUniverse.Item) {
        lookup("get --path", ["get", "-q", "--path", item.url], item) { Files.read($0.out.trimmingCharacters(in: .newlines)) }
    }

    private func fetch(_ urls: [String]) {
        run("fetch", ["fetch", "-q", "--json"] + urls) { result in
            let lines = Reliability.jsonLines(result)
            if lines.count != urls.count { tally.fail("fetch printed \(lines.count) lines for \(urls.count) URLs") }
            tally.fetched(lines)
        }
    }

    /// Every listed URL must sit on an entry of exactly that URL's size: metadata never pairs with other bytes.
    private func list() {
        run("list", ["list", "--json"]) { result in
            for row in Reliability.jsonLines(result) {
                guard let url = row["url"] as? String else { continue }
                guard let item = universe.item(for: url),
                    item.versions.contains(where: { $0.size == Reliability.int(row, "size") }),
                    (try? CacheKey(url: url))?.name == row["key"] as? String
                else { return tally.wrong("list row \(row) does not match its URL") }
            }
        }
    }

    /// Concurrent writers may make verify report `missing` (metadata seen before its data); never `corrupt`.
    private func verify() {
        guard let result = execute("verify", ["verify", "-q", "--json"]) else { return }
        guard result.status == 0 || result.status == 1 else { return tally.fail(result.brief(["verify"])) }
        for finding in Reliability.jsonLines(result) where (finding["status"] as? String) == "corrupt" {
            tally.wrong("verify found a corrupt entry under load: \(finding)")
        }
    }
}

import Foundation
import MediaCache
import TestSupport
import Testing

/// `verify` finds what went wrong on disk, `verify --fix` repairs it through
/// the eviction engine, and no damaged file ever crashes a command.
@Suite("Reliability: corruption")
struct ReliabilityCorruptionTests {
    @Test("verify reports corrupt, missing, foreign and hostile entries; --json parses; --fix removes only the bad ones")
    func verifyFindsAndFixes() async throws {
        try await withTempDir { dir in
            // Given: four good entries, two of them with their metadata in sidecar files (as on a file
            // system without extended attributes); then one flipped byte, one deleted data file (a
            // sidecar entry, so its metadata outlives it), one vLLM-written file without metadata
            // and one planted symlink
            let cache = dir + "/cache"
            let common = ["--cache-dir", cache]
            let urls = (0..<4).map { "http://verify.invalid/\($0).png" }
            for url in urls {
                #expect(try CLI.run(["put", "-q", url] + common, stdin: Data(TestServer.body(url, size: 5000))).status == 0)
            }
            let keys = try urls.map { try CacheKey(url: $0).name }
            try EntryRecord.moveToSidecar(cache: cache, key: keys[1])
            try EntryRecord.moveToSidecar(cache: cache, key: keys[3])
            let corrupt = cache + "/" + keys[0]
            let flipped = try #require(Files.read(corrupt))[2500] ^ 0x01
            Files.patch(corrupt, at: 2500, [flipped])  // bit rot in place: the attached record stays
            try FileManager.default.removeItem(atPath: cache + "/" + keys[1])
            let foreign = try CacheKey(url: "http://vllm.invalid/written-by-vllm.jpg").name
            Files.write(cache + "/" + foreign, Array("vllm bytes".utf8))
            let outside = dir + "/outside.txt"
            Files.write(outside, Array("not the cache's".utf8))
            let hostile = try CacheKey(url: "http://verify.invalid/link.png").name
            try FileManager.default.createSymbolicLink(atPath: cache + "/" + hostile, withDestinationPath: outside)

            // When: verify --json runs
            let verify = try CLI.run(["verify", "--json"] + common)

            // Then: every line parses, each problem is named with its key, exit 1
            #expect(verify.status == 1)
            let objects = Reliability.jsonLines(verify)
            #expect(objects.count == verify.lines.count, "\(verify.out)")
            let found = Dictionary(objects.compactMap { o in (o["key"] as? String).map { ($0, o["status"] as? String ?? "") } }) {
                a, _ in a
            }
            #expect(found == [keys[0]: "corrupt", keys[1]: "missing", foreign: "foreign", hostile: "hostile"], "\(verify.out)")
            let summary = try #require(objects.last)
            #expect(Reliability.int(summary, "checked") == 3 && Reliability.int(summary, "ok") == 2)

            // When: verify --fix runs
            let fix = try CLI.run(["verify", "--fix"] + common)

            // Then: corrupt and hostile are gone, the link's target is untouched, good and foreign entries stay
            #expect(fix.status == 0, "\(fix.out) \(fix.stderr)")
            #expect(Set(Files.entries(cache)) == Set([keys[2], keys[3], foreign]))
            #expect(Files.read(outside) == Array("not the cache's".utf8))
            #expect(Files.names(cache + "/.mediacache/meta") == [keys[3]])
            for url in urls[2...] {
                let get = try CLI.run(["get", url] + common)
                #expect([UInt8](get.stdout) == TestServer.body(url, size: 5000))
            }
            // Removal went through the eviction engine, so it is booked in the counters
            let stats = Reliability.jsonLines(try CLI.run(["stats", "--json"] + common)).first ?? [:]
            #expect(Reliability.int(stats, "evicted_entries") == 1)
            let again = try CLI.run(["verify", "-q"] + common)
            #expect(again.status == 0 && again.out.isEmpty, "\(again.out)")
        }
    }

    /// Ways a metadata record (attribute or sidecar file) or the state file can be damaged on disk.
    enum Damage: String, CaseIterable, Sendable {
        case truncated, garbage, empty, hugeNumbers, notANumber, directory, symlink

        /// The damaged bytes, or nil for damage that replaces the file itself.
        func damaged(_ original: [UInt8]) -> [UInt8]? {
            switch self {
            case .truncated: return Array(original.prefix(original.count / 2))
            case .garbage: return [0, 0xFF, 0xFE, 0x0A, 0x80] + Array("\n\n url \0 size".utf8) + [0xC3]
            case .empty: return []
            case .hugeNumbers:
                let text = String(decoding: original, as: UTF8.self).split(separator: "\n").map { line in
                    let parts = line.split(separator: " ", maxSplits: 1)
                    guard parts.count == 2, Int64(parts[1]) != nil else { return String(line) }
                    return "\(parts[0]) 9223372036854775807"
                }.joined(separator: "\n")
                return Array(text.utf8)
            case .notANumber:
                return Array(
                    String(decoding: original, as: UTF8.self).replacingOccurrences(of: "since ", with: "since inf\nx ")
                        .replacingOccurrences(of: "stored_at ", with: "stored_at nan\nx ").utf8)
            case .directory, .symlink: return nil
            }
        }

        func apply(to path: String, outside: String) throws {
            let original = Files.read(path) ?? []
            try? FileManager.default.removeItem(atPath: path)
            switch self {
            case .directory: try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            case .symlink: try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: outside)
            default: Files.write(path, damaged(original) ?? [])
            }
        }
    }

    @Test("damaged metadata and state files never crash any command", arguments: Damage.allCases)
    func damagedFilesNeverCrash(_ damage: Damage) async throws {
        let server = try await TestServer.start()
        try await withTempDir { dir in
            // Given: three entries, the first with its metadata in a sidecar file; every record
            // (sidecar or attribute) and the state file damaged the same way
            let cache = dir + "/cache"
            let common = ["--cache-dir", cache]
            let urls = (0..<3).map { server.url("/file/d\($0)?size=3000") }
            #expect(try CLI.run(["fetch", "-q"] + urls + common).status == 0)
            let outside = dir + "/outside"
            Files.write(outside, Array("mediacache-meta 1\nurl http://elsewhere/\nsize 1\n".utf8))
            let outsideBefore = Reliability.snapshot(outside)
            try EntryRecord.moveToSidecar(cache: cache, key: try CacheKey(url: urls[0]).name)
            #expect(Files.names(cache + "/.mediacache/meta").count == 1)
            for name in Files.names(cache + "/.mediacache/meta") {
                try damage.apply(to: cache + "/.mediacache/meta/" + name, outside: outside)
            }
            for name in Files.entries(cache) {
                guard let record = EntryRecord.attached(to: cache + "/" + name) else { continue }
                try EntryRecord.attach(damage.damaged(record) ?? [0xFF], to: cache + "/" + name)
            }
            try damage.apply(to: cache + "/.mediacache/state", outside: outside)
            let input = dir + "/input"
            Files.write(input, Array("new bytes".utf8))

            // When: every command runs against it
            let commands: [[String]] = [
                ["get", urls[0]], ["get", "--path", urls[1]], ["get", "http://d.invalid/miss"], ["list"], ["list", "--json"],
                ["stats"], ["stats", "--json"], ["put", urls[2], input], ["fetch", "-q", "--force", urls[1]],
                ["get", "--fetch", urls[0]], ["verify"], ["verify", "--json"], ["prune", "--dry-run"], ["prune"],
                ["key", urls[0]], ["evict", "--older-than", "1h"], ["evict", urls[0]], ["verify", "--fix"],
                ["stats", "--reset"], ["evict", "--all"], ["stats", "--json"],
            ]
            for command in commands {
                let result = try CLI.run(command + common)
                // Then: each ends with a documented code, without a trap
                #expect(Reliability.endedCleanly(result), "\(damage): \(result.brief(command))")
            }
            // And: nothing outside the cache was followed into or changed
            #expect(Reliability.snapshot(outside) == outsideBefore)
        }
        await server.stop()
    }
}

import Foundation
import MediaCache
import TestSupport
import Testing

/// What vLLM's own cache code leaves in a directory (Tests/vllm runs that
/// code itself; these check the library's side of it quickly).
@Suite("vLLM's hazards, through the library")
struct VLLMHazardTests {
    /// Renames a new file over `path`, as vLLM's `_put_cached_bytes` does.
    static func vllmReplace(_ path: String, with bytes: [UInt8]) throws {
        let temp = (path as NSString).deletingLastPathComponent + "/tmpabcd1234"
        Files.write(temp, bytes)
        #expect(rename(temp, path) == 0)
    }

    @Test func aSidecarOfBytesVLLMReplacedIsStaleNotCorrupt() async throws {
        try await withStore { store, dir in
            // Given an entry whose metadata went to a sidecar (too large for an ext4 attribute)
            let url = "https://h/" + String(repeating: "a", count: 60_000) + ".png"
            let result = try store.store(Array("mediacache".utf8), for: url)
            try #require(Files.names(dir + "/.mediacache/meta") == [result.key.name], "metadata went to an attribute here")
            // When vLLM renames its own download over it (same size, other bytes)
            try Self.vllmReplace(result.path, with: Array("vLLM bytes".utf8))
            // Then verify reports a stale record, no problem, and --fix keeps vLLM's bytes
            let report = try store.verify()
            #expect(report.findings.map(\.status) == [.stale, .foreign])
            #expect(!report.hasProblems)
            #expect(store.metadata(for: result.key) == nil)
            _ = try store.verify(fix: true)
            #expect(Files.read(result.path) == Array("vLLM bytes".utf8))
            #expect(Files.names(dir + "/.mediacache/meta").isEmpty)
        }
    }

    @Test func aSidecarLeftByVLLMsEvictionIsRoutine() async throws {
        try await withStore { store, dir in
            let url = "https://h/" + String(repeating: "b", count: 60_000) + ".png"
            let result = try store.store(Array("x".utf8), for: url)
            try #require(Files.names(dir + "/.mediacache/meta") == [result.key.name], "metadata went to an attribute here")
            #expect(unlink(result.path) == 0)  // vLLM's eviction
            let report = try store.verify()
            #expect(report.findings.map(\.status) == [.missing] && !report.hasProblems)
        }
    }

    @Test func anEmptyFileVLLMsTouchMadeIsPoisoned() async throws {
        try await withStore { store, dir in
            // Given an empty body mediacache stored itself, and the empty file vLLM's touch() leaves
            // (in this order: a store enforcing the limits would remove the poisoned file at once)
            let real = try store.store([], for: "https://h/empty.png")
            let poisoned = try CacheKey(url: "https://h/p.png")
            Files.write(dir + "/" + poisoned.name, [])
            // Then the first is poisoned: counted, a miss, and removed; the second is a real entry
            #expect(try store.stats().onDisk.poisoned == 1)
            #expect(try store.verify().findings.map(\.status) == [.poisoned])
            #expect(try store.open(url: "https://h/p.png") == nil)
            #expect(!FileManager.default.fileExists(atPath: dir + "/" + poisoned.name))
            #expect(try store.open(url: "https://h/empty.png")?.size == 0)
            #expect(real.size == 0)
            // And prune removes another whatever its age
            Files.write(dir + "/" + poisoned.name, [])
            #expect(try store.prune().result?.removed.map(\.reason) == [.poisoned])
        }
    }

    @Test func vllmTempFilesAreNotEntriesAndGoOnlyWhenStale() async throws {
        try await withStore { store, dir in
            _ = try store.store(Array("a".utf8), for: "https://h/a.png")
            Files.write(dir + "/tmpk3j9_x2a", Array("in flight".utf8))
            Files.write(dir + "/tmpold00000", Array("crashed".utf8))
            let old = Date().addingTimeInterval(-7200)
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: dir + "/tmpold00000")
            #expect(try store.list().map(\.name) == [try CacheKey(url: "https://h/a.png").name])
            #expect(try store.stats().entries == 1 && store.stats().onDisk.vllmTempFiles == 2)
            _ = try store.prune()
            #expect(Set(Files.names(dir).filter { $0.hasPrefix("tmp") }) == ["tmpk3j9_x2a"])
        }
    }

    @Test func maxEntriesKeepsTheMostRecentlyUsed() async throws {
        try await withTempDir { dir in
            // Given four entries stored without a count limit
            var config = CacheConfiguration(directory: dir + "/cache")
            let unlimited = try CacheStore(config)
            for (index, name) in ["a", "b", "c", "d"].enumerated() {
                let result = try unlimited.store(Array(name.utf8), for: "https://h/\(name).png")
                let used = Date().addingTimeInterval(Double(index - 10))
                try FileManager.default.setAttributes([.modificationDate: used], ofItemAtPath: result.path)
            }
            // When prune runs with --max-entries 2
            config.maxEntries = 2
            let store = try CacheStore(config)
            let report = try store.prune()
            #expect(report.result?.removed.map(\.reason) == [.count, .count])
            #expect(try Set(store.list().compactMap(\.url)) == ["https://h/c.png", "https://h/d.png"])
            // And a store enforcing the limit evicts down to 90% of it (here 1), never the entry just written
            let put = try store.store(Array("e".utf8), for: "https://h/e.png")
            #expect(put.eviction?.removed.count == 2)
            #expect(try store.list().compactMap(\.url) == ["https://h/e.png"])
        }
    }
}

import Foundation
import TestSupport
import Testing

@testable import MediaCache

@Suite("Eviction: evict and prune")
struct EvictionTests {
    @Test func pruneRemovesExpiredThenLeastRecentlyUsedDownToTheLimit() async throws {
        try await withStore(ttl: 3600) { writer, dir in
            var paths: [String: String] = [:]
            for name in ["expired", "oldest", "middle", "newest"] {
                paths[name] = try writer.store([UInt8](repeating: 7, count: 400), for: "https://h/\(name).bin").path
            }
            // prune --max-size 1000, as cron would run it
            let store = try CacheStore(CacheConfiguration(directory: dir, maxBytes: 1000, ttl: 3600))
            Files.backdate(paths["expired"]!, secondsAgo: 7200)
            Files.backdate(paths["oldest"]!, secondsAgo: 300)
            Files.backdate(paths["middle"]!, secondsAgo: 200)
            Files.backdate(paths["newest"]!, secondsAgo: 100)

            let dry = try store.prune(dryRun: true)
            #expect(dry.result == nil)
            #expect(Files.entries(dir).count == 4)

            let report = try store.prune()
            let reasons = Dictionary(grouping: report.result!.removed, by: \.reason).mapValues(\.count)
            #expect(reasons[.expired] == 1 && reasons[.size] == 1)
            #expect(report.bytesAfter == 800 && report.entriesAfter == 2)
            let left = Set(Files.entries(dir))
            #expect(left == Set(["middle", "newest"].map { URL(fileURLWithPath: paths[$0]!).lastPathComponent }))
            #expect(dry.plan.removals.map(\.entry.name) == report.result!.removed.map(\.entry.name))
        }
    }

    @Test func anEntryUsedBetweenPlanAndApplyIsKept() async throws {
        try await withStore(ttl: 3600) { store, dir in
            let used = try store.store([UInt8](repeating: 1, count: 50), for: "https://h/a.bin")
            let idle = try store.store([UInt8](repeating: 2, count: 50), for: "https://h/b.bin")
            Files.backdate(used.path, secondsAgo: 7200)
            Files.backdate(idle.path, secondsAgo: 7200)
            // Given a plan that expires both
            let plan = try store.prune(dryRun: true).plan
            #expect(plan.removals.count == 2)
            // When a reader touches one before the plan is applied
            Files.backdate(used.path, secondsAgo: 0)
            let result = try EvictionEngine.apply(plan, in: store.layout)
            // Then only the idle one goes
            #expect(result.removed.map(\.entry.name) == [idle.key.name])
            #expect(result.skipped == 1)
            #expect(Files.entries(dir) == [used.key.name])
        }
    }

    @Test func evictByURLKeyAgeAndAll() async throws {
        try await withStore { store, dir in
            let a = try store.store(Array("a".utf8), for: "https://h/a.png")
            let b = try store.store(Array("bb".utf8), for: "https://h/b.png")
            let c = try store.store(Array("ccc".utf8), for: "https://h/c.png")
            let d = try store.store(Array("dddd".utf8), for: "https://h/d.png")
            try EntryRecord.moveToSidecar(cache: dir, key: a.key.name)  // sidecars go with their entries too
            try EntryRecord.moveToSidecar(cache: dir, key: c.key.name)
            Files.backdate(c.path, secondsAgo: 8 * 86400)

            let byURL = try store.evict(.keys([a.key, a.key]))
            #expect(byURL.result?.removed.count == 1 && byURL.result?.removedBytes == 1)
            let named = try CacheKey(name: b.key.name)
            let byName = try store.evict(.keys([named]))
            #expect(byName.result?.removedBytes == 2)
            let dry = try store.evict(.olderThan(7 * 86400), dryRun: true)
            #expect(dry.result == nil && dry.plan.removals.map(\.entry.name) == [c.key.name])
            #expect(Files.entries(dir).count == 2)
            _ = try store.evict(.olderThan(7 * 86400))
            #expect(Files.entries(dir) == [d.key.name])
            let all = try store.evict(.all)
            #expect(all.result?.removed.count == 1)
            #expect(Files.entries(dir).isEmpty)
            #expect(Files.names(dir + "/.mediacache/meta").isEmpty)
            #expect(store.counters().evictedEntries == 4 && store.counters().evictedBytes == 10)
        }
    }

    @Test func anEntryAlreadyGoneIsNotAnError() async throws {
        try await withStore { store, dir in
            let a = try store.store(Array("a".utf8), for: "https://h/a.png")
            unlink(a.path)  // another process evicted it first
            let result = try store.evict(.keys([a.key]))
            #expect(result.result?.removed.isEmpty == true)
            #expect(store.counters().evictedEntries == 0)
        }
    }

    @Test func pruneRemovesOldTempFilesAndOrphanedMetadataOnly() async throws {
        try await withStore { store, dir in
            let kept = try store.store(Array("k".utf8), for: "https://h/k.png")
            let gone = try store.store(Array("g".utf8), for: "https://h/g.png")
            // Sidecar records (a file system without extended attributes) can outlive their data
            try EntryRecord.moveToSidecar(cache: dir, key: kept.key.name)
            try EntryRecord.moveToSidecar(cache: dir, key: gone.key.name)
            unlink(gone.path)
            Files.write(dir + "/.tmp-old-1-x", [1, 2, 3])
            Files.write(dir + "/.tmp-new-1-y", [1, 2, 3])
            Files.backdate(dir + "/.tmp-old-1-x", secondsAgo: 7200)
            let report = try store.prune()
            #expect(report.result?.tempFilesRemoved == 1 && report.result?.metadataRemoved == 1)
            #expect(Files.names(dir).contains(".tmp-new-1-y"))
            #expect(!Files.names(dir).contains(".tmp-old-1-x"))
            #expect(Files.names(dir + "/.mediacache/meta") == [kept.key.name])
        }
    }
}

@Suite("Files vLLM wrote itself, and damaged files")
struct ForeignFileTests {
    @Test func aVLLMWrittenFileIsAFullEntry() async throws {
        try await withStore(ttl: 3600) { store, dir in
            // Given a file named and written the way vLLM does: no metadata
            let key = try CacheKey(url: "https://cdn.example/cat.jpg")
            Files.write(dir + "/" + key.name, Array("jpeg bytes".utf8))
            // Then it is listed, counted, read and evicted like any other entry
            let listed = try store.list()
            #expect(listed.map(\.name) == [key.name] && listed[0].url == nil && listed[0].size == 10)
            #expect(try store.stats().entries == 1)
            #expect(try store.open(key).map(readAll) == Array("jpeg bytes".utf8))
            Files.backdate(dir + "/" + key.name, secondsAgo: 7200)
            #expect(try store.prune().result?.removed.map(\.entry.name) == [key.name])
            #expect(Files.entries(dir).isEmpty)
        }
    }

    @Test func garbledMetadataAndStateNeverBreakReads() async throws {
        try await withStore { store, dir in
            let a = try store.store(Array("a".utf8), for: "https://h/a.png")
            try EntryRecord.attach(Array("mediacache-meta 1\nurl ht".utf8), to: a.path)
            Files.write(dir + "/.mediacache/meta/" + a.key.name, Array("mediacache-meta 1\nurl ht".utf8))
            Files.write(dir + "/.mediacache/state", [0xFF, 0x00, 0x13])
            #expect(try store.list().first?.url == nil)
            #expect(try store.open(a.key).map(readAll) == Array("a".utf8))
            #expect(try store.stats().entries == 1)
            #expect(store.counters().hits == 1)
        }
    }

    @Test func aPlantedSymlinkIsAMissAndIsNeverFollowed() async throws {
        try await withStore { store, dir in
            let target = dir + "/../secret"
            Files.write(target, Array("secret".utf8))
            Files.backdate(target, secondsAgo: 5000)
            let before = Files.mtime(target)
            let key = try CacheKey(url: "https://h/link.png")
            symlink(target, dir + "/" + key.name)
            #expect(try store.open(key) == nil)
            #expect(Files.mtime(target) == before)
            let report = try store.prune()
            #expect(report.result?.removed.map(\.reason) == [.hostile])
            #expect(Files.read(target) == Array("secret".utf8))
            #expect(Files.entries(dir).isEmpty)
        }
    }
}

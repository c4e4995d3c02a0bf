import Foundation
import MediaCache
import TestSupport
import Testing

/// Opens a store in a fresh temp directory for one test.
func withStore<T>(
    maxBytes: Int64 = CacheConfiguration.defaultMaxBytes, ttl: Double = CacheConfiguration.defaultTTL,
    _ body: (CacheStore, String) async throws -> T
) async throws -> T {
    try await withTempDir { dir in
        let store = try CacheStore(CacheConfiguration(directory: dir + "/cache", maxBytes: maxBytes, ttl: ttl))
        return try await body(store, dir + "/cache")
    }
}

func readAll(_ entry: CacheStore.OpenEntry) -> [UInt8] {
    Files.read(entry.path) ?? []
}

@Suite("Store: put and get")
struct StoreTests {
    @Test("round trips bodies of every size", arguments: [0, 1, 50 * 1_048_576])
    func roundTrip(size: Int) async throws {
        try await withStore { store, dir in
            // Given a body streamed from a file
            let body = TestServer.body("round-\(size)", size: size)
            let source = dir + "/../body"
            Files.write(source, body)
            let fd = open(source, O_RDONLY)
            defer { close(fd) }
            // When it is stored and read back
            let result = try store.store(contentsOf: fd, sourceName: source, for: "https://h/r.bin", contentType: "x/y")
            let key = try CacheKey(url: "https://h/r.bin")
            let entry = try #require(try store.open(key))
            // Then the bytes, size, hash and metadata agree
            #expect(entry.size == Int64(size))
            #expect(Files.sha256(readAll(entry)) == Files.sha256(body))
            #expect(result.sha256 == Files.sha256(body))
            let metadata = try #require(store.metadata(for: result.key))
            #expect(metadata.url == "https://h/r.bin" && metadata.size == Int64(size) && metadata.contentType == "x/y")
            #expect(Files.entries(dir) == [result.key.name])
        }
    }

    @Test func aMissCreatesNothingAndIsCounted() async throws {
        try await withStore { store, dir in
            let before = Files.names(dir)
            let key = try CacheKey(url: "https://h/none.png")
            #expect(try store.open(key) == nil)
            #expect(Files.entries(dir).isEmpty)
            #expect(Files.names(dir) == before)
            #expect(store.counters().misses == 1 && store.counters().hits == 0)
        }
    }

    @Test func aHitTouchesMtimeAndIsCounted() async throws {
        try await withStore { store, dir in
            let result = try store.store(Array("abc".utf8), for: "https://h/t.png")
            Files.backdate(result.path, secondsAgo: 3600)
            let entry = try store.open(result.key)
            #expect(entry.map(readAll) == Array("abc".utf8))
            #expect(Date().timeIntervalSince1970 - Files.mtime(result.path) < 60)
            #expect(store.counters().hits == 1)
        }
    }

    @Test func anExpiredEntryIsAMissAndIsRemoved() async throws {
        try await withStore(ttl: 600) { store, dir in
            let result = try store.store(Array("old".utf8), for: "https://h/old.png")
            try EntryRecord.moveToSidecar(cache: dir, key: result.key.name)  // a sidecar goes with its entry
            Files.backdate(result.path, secondsAgo: 601)
            #expect(try store.open(result.key) == nil)
            #expect(Files.entries(dir).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: dir + "/.mediacache/meta/" + result.key.name))
        }
    }

    @Test func metadataIsAttachedToTheDataFileAndOldSidecarsStillRead() async throws {
        try await withStore { store, dir in
            // Given an entry stored on a file system with extended attributes
            let first = try store.store(Array("one".utf8), for: "https://h/m.png", contentType: "image/png")
            // Then its record rides on the data file, and there is no sidecar
            let record = String(decoding: try #require(EntryRecord.attached(to: first.path)), as: UTF8.self)
            #expect(record.hasPrefix("mediacache-meta 1\n") && record.contains("\nurl https://h/m.png\n"))
            #expect(Files.names(dir + "/.mediacache/meta").isEmpty)
            let metadata = try #require(store.metadata(for: first.key))
            #expect(metadata.url == "https://h/m.png" && metadata.sha256 == first.sha256 && metadata.contentType == "image/png")
            // Given the record moved to a sidecar (a cache written where attributes were missing)
            try EntryRecord.moveToSidecar(cache: dir, key: first.key.name)
            #expect(store.metadata(for: first.key)?.sha256 == first.sha256)
            // When new bytes replace the entry
            let second = try store.store(Array("two".utf8), for: "https://h/m.png")
            // Then the new record is attached and the old sidecar is gone, not left to shadow it
            #expect(second.sha256 != first.sha256 && store.metadata(for: second.key)?.sha256 == second.sha256)
            #expect(EntryRecord.attached(to: second.path) != nil)
            #expect(Files.names(dir + "/.mediacache/meta").isEmpty)
        }
    }

    @Test func metadataTooLargeForAnAttributeGoesToASidecar() async throws {
        try await withStore { store, dir in
            // Given a URL near the 64 KiB limit: more than ext4 keeps in one attribute (this machine's file system)
            let url = "https://h/" + String(repeating: "a", count: 60_000) + ".png"
            let result = try store.store(Array("long".utf8), for: url)
            // Then its metadata reads back whole, from exactly one place: a sidecar file
            // where the attribute was refused (ext4), else the attribute (XFS takes 64 KiB)
            let attached = EntryRecord.attached(to: result.path) != nil
            #expect(Files.names(dir + "/.mediacache/meta") == (attached ? [] : [result.key.name]))
            #expect(store.metadata(for: result.key)?.url == url)
        }
    }

    @Test func replacingAnEntryKeepsOneFileWithTheNewBytes() async throws {
        try await withStore { store, dir in
            _ = try store.store(Array("one".utf8), for: "https://h/r.png")
            let second = try store.store(Array("two!".utf8), for: "https://h/r.png")
            #expect(second.replaced)
            #expect(Files.read(second.path) == Array("two!".utf8))
            #expect(store.metadata(for: second.key)?.size == 4)
            #expect(Files.entries(dir).count == 1)
        }
    }

    @Test func putNeverEvictsTheEntryJustWrittenEvenWhenItAloneIsTooBig() async throws {
        try await withStore(maxBytes: 1000) { store, dir in
            _ = try store.store([UInt8](repeating: 1, count: 400), for: "https://h/a.bin")
            let big = try store.store([UInt8](repeating: 2, count: 1500), for: "https://h/big.bin")
            #expect(big.overLimit)
            #expect(Files.entries(dir) == [big.key.name])
        }
    }

    @Test func putEvictsLeastRecentlyUsedFirst() async throws {
        try await withStore(maxBytes: 1000) { store, dir in
            var paths: [String] = []
            for i in 0..<4 { paths.append(try store.store([UInt8](repeating: 0, count: 200), for: "https://h/\(i).bin").path) }
            // 0 is the most recently used, then 3, 2, 1 (oldest)
            for (i, age) in [(0, 10.0), (1, 400), (2, 300), (3, 200)] { Files.backdate(paths[i], secondsAgo: age) }
            let last = try store.store([UInt8](repeating: 0, count: 400), for: "https://h/new.bin")
            // 1200 > 1000: evict down to 900 (the low-water mark): 1, then 2, go
            let names = Set(Files.entries(dir))
            #expect(names.contains(last.key.name))
            #expect(!names.contains(URL(fileURLWithPath: paths[1]).lastPathComponent))
            #expect(!names.contains(URL(fileURLWithPath: paths[2]).lastPathComponent))
            #expect(names.contains(URL(fileURLWithPath: paths[0]).lastPathComponent))
            #expect(store.counters().evictedEntries == 2 && store.counters().evictedBytes == 400)
        }
    }

    @Test func theSizeAccountFollowsPutsAndEvictions() async throws {
        try await withStore { store, dir in
            for i in 0..<5 { _ = try store.store([UInt8](repeating: 0, count: 100 * (i + 1)), for: "https://h/\(i).bin") }
            _ = try store.evict(.keys([CacheKey(url: "https://h/0.bin")]))
            let state = String(decoding: Files.read(dir + "/.mediacache/state") ?? [], as: UTF8.self)
            #expect(state.contains("account_bytes 1400\n"))
            #expect(state.contains("account_entries 4\n"))
        }
    }
}

import Foundation
import TestSupport
import Testing

@testable import MediaCache

/// The state file: two checksummed slots, so a torn write never loses counts silently.
@Suite("State record: torn writes are detected")
struct StateRecordTests {
    static func counted(_ store: CacheStore, hits: Int) throws {
        for _ in 0..<hits { _ = try store.open(url: "https://h/missing.png") }
    }

    @Test func aTornSlotFallsBackToTheOtherWhole() async throws {
        try await withStore { store, dir in
            // Given counters saved many times (the slots alternate)
            try Self.counted(store, hits: 7)
            #expect(store.counters().misses == 7)
            let path = dir + "/.mediacache/state"
            var bytes = try #require(Files.read(path))
            #expect(bytes.count == 1024)
            // When the slot written last (the one holding 7 misses) is torn midway
            let slots = [Array(bytes[0..<512]), Array(bytes[512..<1024])].map { String(decoding: $0, as: UTF8.self) }
            let newest = try #require(slots.firstIndex { $0.contains("misses 7\n") })
            #expect(slots[1 - newest].contains("misses 6\n"))
            for index in (newest * 512 + 100)..<(newest * 512 + 300) { bytes[index] = UInt8(ascii: "x") }
            Files.write(path, bytes)
            // Then the other slot's whole record is read: the one update being written is lost, no more
            let counters = store.counters()
            #expect(counters.misses == 6)
            #expect(!counters.restartedAfterDamage)
        }
    }

    @Test func bothSlotsTornRestartsTheCountersAndSaysSo() async throws {
        try await withStore { store, dir in
            try Self.counted(store, hits: 3)
            let path = dir + "/.mediacache/state"
            var bytes = try #require(Files.read(path))
            for index in stride(from: 40, to: bytes.count, by: 512) { bytes[index] = UInt8(ascii: "#") }
            Files.write(path, bytes)
            let counters = store.counters()
            #expect(counters.misses == 0 && counters.restartedAfterDamage)
            // And the flag is kept with the next save, until a reset
            try Self.counted(store, hits: 1)
            #expect(store.counters().restartedAfterDamage && store.counters().misses == 1)
            try store.resetCounters()
            #expect(!store.counters().restartedAfterDamage)
        }
    }

    @Test func aVersion1StateFileStillReads() async throws {
        try await withStore { store, dir in
            let v1 = """
                mediacache-state 1
                since 1795000000.0
                hits 5
                misses 2
                stored 3
                evicted_entries 1
                evicted_bytes 10
                account_bytes 0
                account_entries 0
                account_known 0

                """
            Files.write(dir + "/.mediacache/state", Array(v1.utf8))
            #expect(store.counters().hits == 5 && store.counters().misses == 2)
            try Self.counted(store, hits: 1)
            #expect(store.counters().hits == 5 && store.counters().misses == 3)
        }
    }

    @Test func aRecordWithAWrongSumIsRefused() {
        var record = KeyValueRecord(header: "h 1")
        record.append("a", "1\nb 2")  // a line break in a value cannot make a second field
        let text = record.encoded(summed: true)
        #expect(KeyValueRecord(decoding: text, header: "h 1", requireSum: true)?["a"] == "1b 2")
        let tampered = text.replacingOccurrences(of: "a 1b", with: "a 9b")
        #expect(KeyValueRecord(decoding: tampered, header: "h 1", requireSum: true) == nil)
        #expect(KeyValueRecord(decoding: "h 1\nno-space\n", header: "h 1") == nil)
    }
}

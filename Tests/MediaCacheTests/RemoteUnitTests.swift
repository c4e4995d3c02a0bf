import Testing

@testable import MediaCache

@Suite("shared tier: specs, shards, records, counters")
struct RemoteUnitTests {
    @Test func specsParseAsCcacheWritesThem() throws {
        let spec = try RemoteSpec.parse(
            "http://user:pw@cache-*.internal:8080/m/|read-only|layout=bazel|connect-timeout=250ms|timeout=3s|header=X-Team:%20media|bearer-token-env=TOKEN|shards=a,b,c(2)"
        )
        #expect(spec.readOnly && spec.layout == .bazel && spec.connectTimeout == 0.25 && spec.timeout == 3)
        #expect(spec.headers == [RemoteHeader(name: "X-Team", value: "media")])
        #expect(
            spec.shards == [
                RemoteShard(name: "a", weight: 1), RemoteShard(name: "b", weight: 1), RemoteShard(name: "c", weight: 2),
            ])
        #expect(spec.name == "http://cache-*.internal:8080/m")  // no user information, no trailing slash
        for bad in [
            "ftp://x/y", "http://h/x|bogus", "http://h/x|timeout=0", "http://h/*/x", "http://h/x|shards=a,b",
            "http://h/*|shards=a,a",
        ] {
            #expect(throws: MediaCacheError.self, "\(bad)") { try RemoteSpec.parse(bad) }
        }
        #expect(try RemoteSpec.parseList(" http://a/x  http://b/y|read-only\n").count == 2)
        // The fleet's claims: on unless turned off, and how long a node waits for another's
        let plain = try RemoteSpec.parse("http://h/x")
        #expect(plain.claims && plain.claimWait == 30)
        let tuned = try RemoteSpec.parse("http://h/x|no-claims|claim-wait=1m")
        #expect(!tuned.claims && tuned.claimWait == 60)
        #expect(throws: MediaCacheError.self) { try RemoteSpec.parse("http://h/x|claim-wait=soon") }
    }

    @Test func rendezvousMovesOnlyTheNewShardsShare() {
        let three = [RemoteShard(name: "a", weight: 1), RemoteShard(name: "b", weight: 1), RemoteShard(name: "c", weight: 1)]
        let four = three + [RemoteShard(name: "d", weight: 1)]
        let keys = (0..<4000).map { "key\($0).jpg" }
        var moved = 0
        var counts = [0, 0, 0, 0]
        for key in keys {
            let before = Rendezvous.pick(key, among: three)
            let after = Rendezvous.pick(key, among: four)
            counts[after] += 1
            if before != after {
                moved += 1
                #expect(after == 3, "a key moved between old shards")
            }
        }
        #expect((800...1200).contains(moved), "\(moved)")  // about a quarter
        let weighted = [RemoteShard(name: "a", weight: 1), RemoteShard(name: "b", weight: 3)]
        let toB = keys.filter { Rendezvous.pick($0, among: weighted) == 1 }.count
        #expect((2800...3200).contains(toB), "\(toB)")  // about three quarters
    }

    @Test func recordsRoundTripAndSignaturesHold() {
        let record = RemoteRecord(
            key: "0123456789abcdef0123.jpg", sha256: String(repeating: "ab", count: 32), size: 42, url: "http://h/a.jpg",
            contentType: "image/jpeg", etag: "\"e\"", lastModified: nil)
        let key = Array("secret".utf8)
        #expect(RemoteRecord.decode(record.encoded(), signingKey: nil) == .valid(record))
        #expect(RemoteRecord.decode(record.encoded(signedWith: key), signingKey: key) == .valid(record))
        #expect(RemoteRecord.decode(record.encoded(signedWith: key), signingKey: nil) == .valid(record))
        #expect(RemoteRecord.decode(record.encoded(), signingKey: key) == .unsigned)
        if case .invalid = RemoteRecord.decode(record.encoded(signedWith: Array("other".utf8)), signingKey: key) {
        } else {
            Issue.record("a record signed with another key was taken")
        }
        var tampered = record.encoded(signedWith: key)
        tampered[tampered.count - 80] ^= 1  // inside the size or sha256 line, before the hmac
        #expect(RemoteRecord.decode(tampered, signingKey: key) != .valid(record))
        // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?")
        #expect(
            RecordSignature.hex(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func oldStateFilesReadAndLevelsRoundTrip() {
        let old =
            "mediacache-state 1\nsince 1\nhits 2\nmisses 3\nstored 4\nevicted_entries 0\nevicted_bytes 0\naccount_bytes 0\naccount_entries 0\naccount_known 1\n"
        let state = CacheState(decoding: old)
        #expect(state?.counters.hits == 2 && state?.counters.remote == [])
        var changed = state!
        var counts = RemoteCounters()
        counts.hits = 5
        counts.uploadsDropped = 2
        changed.counters.addRemote(counts, level: "http://h:1/cache")
        changed.counters.addRemote(counts, level: "http://h:1/cache")
        let back = CacheState(decoding: changed.encoded())
        #expect(back == changed)
        #expect(back?.counters.remote.first?.counters.hits == 10 && back?.counters.remote.first?.counters.uploadsDropped == 4)
    }
}

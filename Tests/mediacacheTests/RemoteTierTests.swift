import Foundation
import TestSupport
import Testing

/// The shared tier against real nginx WebDAV: what one node fetched, others
/// get from the tier; push; shards; signed records.
@Suite("shared tier: nginx WebDAV", .enabled(if: Remote.nginx, "needs Debian's nginx (apt-get install nginx-light)"))
struct RemoteTierTests {
    @Test("a second node gets what the first fetched from the tier, checked, and the origin serves each URL once")
    func secondNodeHitsTheTier() async throws {
        try await withOrigin { (server, dir) async throws in
            let nginx = try NginxServer.start(in: dir)
            defer { nginx.stop() }
            let media = Remote.media(server, "hit", count: 6, size: 100 * 1024, varied: true)
            let urls = media.map(\.url)
            // Given: node A fetched through the tier (and uploaded in the background, waited for at exit)
            let a = try Remote.fetch(dir + "/a", urls, remotes: [nginx.url])
            #expect(a.status == 0, "\(a.stderr)")
            #expect(nginx.files(under: "records").count == 6 && nginx.files(under: "sha256").count == 6)
            // When: node B fetches the same list, and node C reads one through get --fetch
            let b = try CLI.run(["fetch", "--json", "--cache-dir", dir + "/b", "--remote", nginx.url] + urls)
            let c = try CLI.run(["get", "--fetch", "-q", "--cache-dir", dir + "/c", "--remote", nginx.url, urls[0]])
            // Then: every body came from the tier, whole; the origin served each URL once
            #expect(b.status == 0 && c.status == 0, "\(b.stderr) \(c.stderr)")
            #expect(
                Reliability.jsonLines(b).allSatisfy {
                    $0["remote"] as? String == nginx.url && $0["status"] as? String == "fetched"
                })
            #expect([UInt8](c.stdout) == media[0].bytes)
            try Remote.expectServed(dir + "/b", media)
            Remote.expectOriginServed(server, media, times: 1)
            // And: the counters, persisted with the others
            let countsA = try Remote.counters(dir + "/a")[nginx.url]
            let countsB = try Remote.counters(dir + "/b")[nginx.url]
            #expect(
                countsA?["misses"] == 6 && countsA?["uploads"] == 6 && countsA?["uploads_dropped"] == 0,
                "\(String(describing: countsA))")
            #expect(
                countsB?["hits"] == 6 && countsB?["bytes_down"] == media.reduce(0) { $0 + $1.bytes.count },
                "\(String(describing: countsB))")
            let verify = try CLI.run(["verify", "--cache-dir", dir + "/b"])
            #expect(verify.status == 0, "\(verify.out)")
            let text = try CLI.run(["stats", "--cache-dir", dir + "/b"])
            #expect(text.out.contains("remote levels") && text.out.contains(nginx.url))
        }
    }

    @Test("layout=bazel: records under ac/, bodies under cas/<sha256>, no claims; a second node hits")
    func bazelLayout() async throws {
        try await withOrigin { (server, dir) async throws in
            // nginx stands in for bazel-remote's HTTP paths (bazel-remote itself is neither in Debian nor on PyPI).
            let nginx = try NginxServer.start(in: dir)
            defer { nginx.stop() }
            let media = Remote.media(server, "bazel", count: 3, size: 8_000, varied: true)
            let urls = media.map(\.url)
            let spec = nginx.url + "|layout=bazel"
            #expect(try Remote.fetch(dir + "/a", urls, remotes: [spec]).status == 0)
            #expect(Set(nginx.files(under: "cas")) == Set(media.map { Files.sha256($0.bytes) }))
            #expect(nginx.files(under: "ac").count == 3 && nginx.files(under: "records").isEmpty)
            #expect(!FileManager.default.fileExists(atPath: nginx.file("claims")), "bazel-remote has no MKCOL: no claims")
            #expect(try Remote.fetch(dir + "/b", urls, remotes: [spec]).status == 0)
            #expect(try Remote.counters(dir + "/b")[nginx.url]?["hits"] == 3)
            try Remote.expectServed(dir + "/b", media)
            Remote.expectOriginServed(server, media, times: 1)
        }
    }

    @Test("push uploads what the tier lacks, vLLM's entries included; again, nothing; --dry-run sends nothing")
    func pushIsIdempotent() async throws {
        try await withOrigin { (server, dir) async throws in
            let nginx = try NginxServer.start(in: dir)
            defer { nginx.stop() }
            let node = dir + "/a"
            let media = Remote.media(server, "push", count: 3, size: 50_000, varied: true)
            #expect(try Remote.fetch(node, media.map(\.url), remotes: []).status == 0)
            // Given: an entry vLLM wrote itself (a bare file under its name, no metadata)
            let vllmURL = server.url("/file/vllm0?size=7000")
            let vllmBytes = TestServer.body("vllm0", size: 7000)
            let key = try CLI.run(["key", vllmURL]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            Files.write(node + "/" + key, vllmBytes)

            let dry = try CLI.run(["push", "--dry-run", "--cache-dir", node, "--remote", nginx.url])
            #expect(dry.status == 0 && dry.lines.filter { $0.hasPrefix("would-push\t") }.count == 4, "\(dry.out) \(dry.stderr)")
            #expect(nginx.files(under: "records").isEmpty)

            let push = try CLI.run(["push", "--json", "-j", "2", "--cache-dir", node, "--remote", nginx.url])
            #expect(
                push.status == 0 && Reliability.jsonLines(push).filter { $0["status"] as? String == "pushed" }.count == 4,
                "\(push.out) \(push.stderr)")
            let again = try CLI.run(["push", "--cache-dir", node, "--remote", nginx.url])
            #expect(
                again.status == 0 && again.lines.count == 4 && again.lines.allSatisfy { $0.hasPrefix("present\t") },
                "\(again.out)")

            // Then: another node gets all four from the tier, vLLM's by its file name; the origin is not asked
            let before = server.totalRequests
            let b = try Remote.fetch(dir + "/b", media.map(\.url) + [vllmURL], remotes: [nginx.url])
            #expect(b.status == 0, "\(b.stderr)")
            #expect(server.totalRequests == before)
            try Remote.expectServed(dir + "/b", media + [(vllmURL, vllmBytes)])
        }
    }

    @Test("shards: keys spread over three servers by rendezvous hashing; a second node finds each on its shard")
    func shards() async throws {
        try await withOrigin { (server, dir) async throws in
            let servers = try (0..<3).map { index -> NginxServer in
                try FileManager.default.createDirectory(atPath: dir + "/n\(index)", withIntermediateDirectories: true)
                return try NginxServer.start(in: dir + "/n\(index)")
            }
            defer { for server in servers { server.stop() } }
            let spec = "http://127.0.0.1:*/cache|shards=\(servers.map { "\($0.port)" }.joined(separator: ","))|timeout=10"
            let media = Remote.media(server, "shard", count: 30, size: 2000, varied: true)
            #expect(try Remote.fetch(dir + "/a", media.map(\.url), remotes: [spec]).status == 0)
            let records = servers.map { $0.files(under: "records").count }
            #expect(records.reduce(0, +) == 30 && records.allSatisfy { $0 > 0 }, "\(records)")
            let b = try Remote.fetch(dir + "/b", media.map(\.url), remotes: [spec])
            #expect(b.status == 0, "\(b.stderr)")
            Remote.expectOriginServed(server, media, times: 1)
            #expect(try Remote.counters(dir + "/b")["http://127.0.0.1:*/cache"]?["hits"] == 30)
        }
    }

    @Test(
        "signed records: the same key reads them; another key, or a record edited on the server, is refused and the origin serves"
    )
    func signing() async throws {
        try await withOrigin { (server, dir) async throws in
            let nginx = try NginxServer.start(in: dir)
            defer { nginx.stop() }
            Files.write(dir + "/k1", Array("first-key-0123456789\n".utf8))
            Files.write(dir + "/k2", Array("second-key-987654321\n".utf8))
            let media = Remote.media(server, "sig", count: 2, size: 4096)  // same size: an edited SHA-256 passes the size check
            let urls = media.map(\.url)
            #expect(try Remote.fetch(dir + "/a", urls, remotes: [nginx.url], extra: ["--remote-key", dir + "/k1"]).status == 0)
            let record = try String(contentsOfFile: nginx.file(Remote.recordPath(urls[0])), encoding: .utf8)
            #expect(record.contains("\nhmac "))

            // The same key: hits
            #expect(try Remote.fetch(dir + "/b", urls, remotes: [nginx.url], extra: ["--remote-key", dir + "/k1"]).status == 0)
            #expect(try Remote.counters(dir + "/b")[nginx.url]?["hits"] == 2)
            // Another key: refused as corrupt, the origin serves
            let c = try Remote.fetch(dir + "/c", urls, remotes: [nginx.url], jobs: 1, extra: ["--remote-key", dir + "/k2"])
            #expect(c.status == 0 && Remote.disabledLines(c).count == 1, "\(c.stderr)")
            #expect(try Remote.counters(dir + "/c")[nginx.url]?["corrupt"] == 1)
            try Remote.expectServed(dir + "/c", media)

            // A record pointed at another body of the same size on the server: refused under signing
            let path = nginx.file(try Remote.recordPath(urls[0]))
            let edited = record.replacingOccurrences(of: Files.sha256(media[0].bytes), with: Files.sha256(media[1].bytes))
            try edited.write(toFile: path, atomically: true, encoding: .utf8)
            let d = try Remote.fetch(dir + "/d", [urls[0]], remotes: [nginx.url], extra: ["--remote-key", dir + "/k1"])
            #expect(d.status == 0)
            #expect(try Remote.counters(dir + "/d")[nginx.url]?["corrupt"] == 1)
            try Remote.expectServed(dir + "/d", [media[0]])

            // Unsigned records, read with a key: plain misses
            let plainNginx = try NginxServer.start(in: dir + "/plain-n")
            defer { plainNginx.stop() }
            #expect(try Remote.fetch(dir + "/e", urls, remotes: [plainNginx.url]).status == 0)
            #expect(
                try Remote.fetch(dir + "/f", urls, remotes: [plainNginx.url], extra: ["--remote-key", dir + "/k1"]).status == 0)
            let f = try Remote.counters(dir + "/f")[plainNginx.url]
            #expect(f?["misses"] == 2 && f?["corrupt"] == 0, "\(String(describing: f))")
        }
    }

    @Test("a fleet: four nodes started together prewarm one list through one new tier; the origin serves each URL once")
    func fleetOfFour() async throws {
        try await withOrigin { (server, dir) async throws in
            let nginx = try NginxServer.start(in: dir)
            defer { nginx.stop() }
            // A level under a folder that does not exist yet: claims must work on a new tier too.
            let level = nginx.url + "/fleet"
            // Each body takes the origin about 40 ms, so the four nodes' runs overlap throughout.
            let media = (0..<40).map { index in
                let name = "fleet\(index)"
                return (url: server.url("/slow/\(name)?size=20000&chunks=2&delay=20"), bytes: TestServer.body(name, size: 20_000))
            }
            let urls = media.map(\.url)
            let nodes = try (0..<4).map { node in
                try CLI.launch(["fetch", "-q", "-j", "4", "--cache-dir", dir + "/node\(node)", "--remote", level] + urls)
            }
            for process in nodes {
                let result = try process.wait(timeout: 120)
                #expect(result.status == 0, "\(result.stderr)")
            }
            Remote.expectOriginServed(server, media, times: 1)
            var totals: [String: Int] = [:]
            for node in 0..<4 {
                // Each URL is one local miss, even one put off and read from the tier later.
                let local = try Remote.localCounters(dir + "/node\(node)")
                #expect(local["misses"] == 40 && local["hits"] == 0, "node \(node): \(local)")
                try Remote.expectServed(dir + "/node\(node)", media)
                let counters = try Remote.counters(dir + "/node\(node)")[level] ?? [:]
                for (name, value) in counters { totals[name, default: 0] += value }
            }
            // Each URL was claimed by one node, which asked the origin; the other 120 reads came from the tier.
            #expect(totals["claims"] == 40 && totals["hits"] == 3 * 40, "\(totals)")
            // The nodes met on claims (they ran together), and nobody had to break one.
            #expect((totals["claim_waits"] ?? 0) > 0 && totals["claims_broken"] == 0, "\(totals)")
            // Every claim was let go.
            let claims =
                (try? FileManager.default.contentsOfDirectory(atPath: nginx.file("fleet/claims"))) ?? ["(no claims folder)"]
            #expect(claims.isEmpty, "claims left: \(claims)")
        }
    }

    @Test("claims left by a killed node cost one claim-wait in all, are broken, and every URL is served")
    func staleClaims() async throws {
        try await withOrigin { (server, dir) async throws in
            let nginx = try NginxServer.start(in: dir)
            defer { nginx.stop() }
            let media = Remote.media(server, "orphan", count: 4, size: 5_000)
            let urls = media.map(\.url)
            var names: [String] = []
            for url in urls.prefix(3) {
                let key = try CLI.run(["key", "--cache-dir", dir + "/a", url])
                names.append(String(decoding: key.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            for name in names {
                try FileManager.default.createDirectory(atPath: nginx.file("claims/\(name)"), withIntermediateDirectories: true)
            }
            // One worker: the three waits overlap only because each runs from when its URL was put off.
            let started = Date()
            let result = try Remote.fetch(dir + "/a", urls, remotes: [nginx.url + "|claim-wait=3s"], jobs: 1)
            let took = Date().timeIntervalSince(started)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(took >= 3, "the node waited for the claims before breaking them")
            #expect(took < 7, "three claims, waited out one after another, would take 9 s or more (took \(took) s)")
            Remote.expectOriginServed(server, media, times: 1)
            try Remote.expectServed(dir + "/a", media)
            let counters = try Remote.counters(dir + "/a")[nginx.url]
            #expect(
                counters?["claims_broken"] == 3 && counters?["claim_waits"] == 3 && counters?["claims"] == 4,
                "\(String(describing: counters))")
            let left = (try? FileManager.default.contentsOfDirectory(atPath: nginx.file("claims"))) ?? []
            #expect(left.isEmpty, "claims left: \(left)")
            // Uploaded all the same: the next node takes them from the tier.
            #expect(try Remote.fetch(dir + "/b", urls, remotes: [nginx.url]).status == 0)
            #expect(try Remote.counters(dir + "/b")[nginx.url]?["hits"] == 4)
        }
    }

    @Test("a node whose uploads are refused lets its claims go: the other node does not wait them out")
    func refusedUploadsReleaseClaims() async throws {
        try await withOrigin { (server, dir) async throws in
            // Node A's uploads are refused (507, as from a full disk); node B's are taken.
            let nginx = try NginxServer.start(
                in: dir, http: #"map "$request_method:$http_x_node" $refuse { "PUT:a" 1; default 0; }"#,
                location: "if ($refuse) { return 507; }")
            defer { nginx.stop() }
            let media = (0..<24).map { index in
                let name = "refused\(index)"
                return (url: server.url("/slow/\(name)?size=8000&chunks=2&delay=25"), bytes: TestServer.body(name, size: 8000))
            }
            let urls = media.map(\.url)
            let nodes = try ["a", "b"].map { node in
                try CLI.launch(
                    [
                        "fetch", "-q", "-j", "4", "--cache-dir", dir + "/" + node, "--remote",
                        nginx.url + "|header=X-Node:%20\(node)|claim-wait=100s",
                    ] + urls)
            }
            for process in nodes {
                let result = try process.wait(timeout: 300)
                #expect(result.status == 0, "\(result.stderr)")
            }
            // Node B never had to wait a claim out (each would have taken 100 s, and been counted).
            let broken = try Remote.counters(dir + "/b")[nginx.url]?["claims_broken"]
            #expect(broken == 0, "node B broke \(String(describing: broken)) claims node A never let go")
            for node in ["a", "b"] { try Remote.expectServed(dir + "/" + node, media) }
            let claims = (try? FileManager.default.contentsOfDirectory(atPath: nginx.file("claims"))) ?? []
            #expect(claims.isEmpty, "claims left: \(claims)")
        }
    }

    @Test("a server without MKCOL: no claims, and the tier works as before")
    func serverWithoutClaims() async throws {
        try await withOrigin { (server, dir) async throws in
            let nginx = try NginxServer.start(in: dir, davMethods: "PUT DELETE")
            defer { nginx.stop() }
            let media = Remote.media(server, "noclaim", count: 6, size: 5_000)
            let urls = media.map(\.url)
            let a = try Remote.fetch(dir + "/a", urls, remotes: [nginx.url])
            #expect(a.status == 0 && a.stderr.isEmpty, "\(a.stderr)")
            #expect(try Remote.fetch(dir + "/b", urls, remotes: [nginx.url]).status == 0)
            Remote.expectOriginServed(server, media, times: 1)
            let counters = try Remote.counters(dir + "/b")[nginx.url]
            #expect(counters?["hits"] == 6 && counters?["errors"] == 0, "\(String(describing: counters))")
            // Not one URL taken as claimed by another node (each would have cost a claim-wait).
            for node in ["a", "b"] {
                let claims = try Remote.counters(dir + "/" + node)[nginx.url]
                #expect(claims?["claims"] == 0 && claims?["claim_waits"] == 0, "\(node): \(String(describing: claims))")
            }
        }
    }
}

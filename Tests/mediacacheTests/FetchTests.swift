import Foundation
import MediaCache
import TestSupport
import Testing

/// Runs a test against a fresh origin on 127.0.0.1 and a fresh cache directory.
func withOrigin(_ body: (TestServer, String) async throws -> Void) async throws {
    let server = try await TestServer.start()
    do {
        try await withTempDir { dir in try await body(server, dir) }
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// The tab-separated fields of each stdout line of `fetch`.
func rows(_ result: ProcessResult) -> [[String]] {
    result.lines.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
}

func cached(_ dir: String, _ url: String) throws -> [UInt8]? {
    let get = try mc(dir, "get", "-q", url)
    return get.status == 0 ? [UInt8](get.stdout) : nil
}

@Suite("fetch against a local origin")
struct FetchTests {
    @Test func plainChunkedAndLargeBodiesAreStoredWhole() async throws {
        try await withOrigin { (server, dir) async throws in
            let urls = [
                server.url("/file/plain?size=10000"), server.url("/chunked/chunky?size=300000"),
                server.url("/file/large?size=20000000"),
            ]
            let result = try mc(dir, "fetch", urls[0], urls[1], urls[2])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(Set(rows(result).map { $0[0] }) == ["fetched"])
            #expect(try cached(dir, urls[0]) == TestServer.body("plain", size: 10000))
            #expect(try cached(dir, urls[1]) == TestServer.body("chunky", size: 300_000))
            #expect(try cached(dir, urls[2]).map(Files.sha256) == Files.sha256(TestServer.body("large", size: 20_000_000)))
            #expect(result.stderr.contains("3 fetched, 0 cached, 0 revalidated, 0 failed"))
        }
    }

    // Each stream is hashed on its writing thread; the hasher itself: SHA256Tests.
    @Test func concurrentLargeBodiesAreHashedRight() async throws {
        try await withOrigin { (server, dir) async throws in
            // Given: six 3 MiB bodies fetched at once, their batches hashed on the thread pool side by side
            let names = (0..<6).map { "pair\($0)" }
            let urls = names.map { server.url("/file/\($0)?size=3145728") }
            let result = try CLI.run(["fetch", "-j", "6", "--cache-dir", dir] + urls)
            #expect(result.status == 0, "\(result.stderr)")
            // Then: every entry holds its own bytes, and verify (hashing each alone) agrees with the stored SHA-256
            for (name, url) in zip(names, urls) {
                #expect(try cached(dir, url) == TestServer.body(name, size: 3_145_728))
            }
            let verify = try mc(dir, "verify")
            #expect(verify.status == 0 && verify.out.contains("checked 6: 6 ok"), "\(verify.out) \(verify.stderr)")
        }
    }

    @Test func aSlowBodyArrivesWhole() async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/slow/trickle?size=5000&chunks=5&delay=150")
            #expect(try mc(dir, "fetch", url).status == 0)
            #expect(try cached(dir, url) == TestServer.body("trickle", size: 5000))
        }
    }

    @Test func aFreshEntryIsNotDownloadedAgainUnlessForced() async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/file/once?size=100")
            #expect(try rows(mc(dir, "fetch", url))[0][0] == "fetched")
            #expect(try rows(mc(dir, "fetch", url))[0][0] == "cached")
            #expect(server.requests(to: "/file/once?size=100") == 1)
            #expect(try rows(mc(dir, "fetch", "--force", url))[0][0] == "fetched")
            #expect(server.requests(to: "/file/once?size=100") == 2)
        }
    }

    @Test func errorStatusesCreateNoEntryAndAreNotRetriedWhenFinal() async throws {
        try await withOrigin { (server, dir) async throws in
            let result = try mc(dir, "fetch", server.url("/status/404"))
            #expect(result.status == 1)
            #expect(rows(result)[0][0] == "failed")
            #expect(result.stderr.contains("HTTP 404"))
            #expect(server.requests(to: "/status/404") == 1)
            #expect(Files.entries(dir).isEmpty)
        }
    }

    @Test func serverErrorsAreRetriedThenSucceed() async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/flaky/f500?fail=1&code=500&size=700")
            let result = try mc(dir, "fetch", "--json", url)
            #expect(result.status == 0)
            #expect(result.out.contains("\"attempts\":2"))
            #expect(server.requests(prefix: "/flaky/f500") == 2)
            #expect(try cached(dir, url) == TestServer.body("f500", size: 700))
        }
    }

    @Test func retriesGiveUpAfterTheLimit() async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/flaky/always?fail=100&code=503")
            let result = try mc(dir, "fetch", "--retries", "1", url)
            #expect(result.status == 1 && result.stderr.contains("HTTP 503"))
            #expect(server.requests(prefix: "/flaky/always") == 2)
            #expect(Files.entries(dir).isEmpty)
        }
    }

    @Test func tooManyRequestsHonoursRetryAfter() async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/retryafter/ra?fail=1&after=1&size=50")
            let started = Date()
            let result = try mc(dir, "fetch", url)
            #expect(result.status == 0)
            #expect(Date().timeIntervalSince(started) >= 1.0)  // waited as told: a lower bound, not a timing assertion
            #expect(server.requests(prefix: "/retryafter/ra") == 2)
        }
    }

    @Test func redirectChainsAreFollowedAndKeyedByTheURLAsGiven() async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/redirect/3/hop?size=64")
            let result = try mc(dir, "fetch", url)
            #expect(result.status == 0)
            let key = try CacheKey(url: url)
            #expect(rows(result)[0][2] == dir + "/" + key.name)
            #expect(try cached(dir, url) == TestServer.body("hop", size: 64))
            let refused = try mc(dir, "fetch", "--no-redirects", server.url("/redirect/1/no?size=1"))
            #expect(refused.status == 1 && refused.stderr.contains("--no-redirects"))
        }
    }

    @Test func aRedirectLoopFails() async throws {
        try await withOrigin { (server, dir) async throws in
            let result = try mc(dir, "fetch", server.url("/loop/a"))
            #expect(result.status == 1 && result.stderr.contains("redirect loop"))
            #expect(server.requests(prefix: "/loop/") <= 3)
            #expect(Files.entries(dir).isEmpty)
        }
    }

    @Test func anExpiredEntryIsRevalidatedWithItsETag() async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/file/etag?size=2000")
            _ = try mc(dir, "fetch", url)
            let path = dir + "/" + (try CacheKey(url: url)).name
            Files.backdate(path, secondsAgo: 7200)
            let again = try mc(dir, "fetch", "--ttl", "1h", url)
            #expect(rows(again)[0][0] == "revalidated")
            #expect(server.requests(to: "/file/etag?size=2000") == 2)
            #expect(Date().timeIntervalSince1970 - Files.mtime(path) < 60)
            // When the origin changes, the next revalidation downloads the new bytes.
            server.bumpVersion("etag")
            Files.backdate(path, secondsAgo: 7200)
            #expect(try rows(mc(dir, "fetch", "--ttl", "1h", url))[0][0] == "fetched")
            #expect(try cached(dir, url) == TestServer.body("etag", size: 2000, version: 1))
        }
    }

    @Test func anExpiredEntryIsRevalidatedWithLastModified() async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/lastmod/lm?size=300")
            _ = try mc(dir, "fetch", url)
            Files.backdate(dir + "/" + (try CacheKey(url: url)).name, secondsAgo: 7200)
            #expect(try rows(mc(dir, "fetch", "--ttl", "1h", url))[0][0] == "revalidated")
        }
    }

    @Test func aBodyCutOffMidTransferLeavesNoEntry() async throws {
        try await withOrigin { (server, dir) async throws in
            let result = try mc(dir, "fetch", "--retries", "0", server.url("/cutoff/cut?size=100000"))
            #expect(result.status == 1)
            #expect(Files.entries(dir).isEmpty)
            #expect(Files.names(dir).filter { $0.hasPrefix(".tmp-") }.isEmpty)
        }
    }

    @Test func aBodyOverMaxBytesIsRefused() async throws {
        try await withOrigin { (server, dir) async throws in
            let declared = try mc(dir, "fetch", "--max-bytes", "1K", server.url("/file/big?size=5000"))
            #expect(declared.status == 1 && declared.stderr.contains("--max-bytes"))
            let streamed = try mc(dir, "fetch", "--max-bytes", "1K", server.url("/chunked/bigc?size=5000"))
            #expect(streamed.status == 1 && streamed.stderr.contains("--max-bytes"))
            #expect(Files.entries(dir).isEmpty)
            #expect(Files.names(dir).filter { $0.hasPrefix(".tmp-") }.isEmpty)
        }
    }

    @Test func badLinesAreReportedWithTheirNumberAndTheRestGoOn() async throws {
        try await withOrigin { (server, dir) async throws in
            let list = """
                # prewarm list
                \(server.url("/file/l1?size=10"))

                   \(server.url("/file/l2?size=20"))   
                ftp://example.com/x.png
                \(server.url("/file/l1?size=10"))
                """
            Files.write(dir + "/urls.txt", Array(list.utf8))
            let result = try mc(dir + "/c", "fetch", "-i", dir + "/urls.txt")
            #expect(result.status == 1)
            #expect(result.stderr.contains("urls.txt:5: unsupported URL scheme"))
            #expect(rows(result).filter { $0[0] == "fetched" }.count == 2)
            #expect(server.requests(to: "/file/l1?size=10") == 1)
            let stdin = try mc(dir + "/c", "fetch", "-i", "-", stdin: Data(server.url("/file/l3?size=5").utf8))
            #expect(stdin.status == 0)
        }
    }

    @Test func anUnreachablePortFailsClearly() async throws {
        try await withOrigin { (server, dir) async throws in
            // Bind and close a socket to find a port nobody listens on.
            let socket = try await TestServer.start()
            let port = socket.port
            await socket.stop()
            let result = try mc(dir, "fetch", "--retries", "0", "http://127.0.0.1:\(port)/x.png")
            #expect(result.status == 1 && result.stderr.contains("connection refused"))
            #expect(Files.entries(dir).isEmpty)
        }
    }

    @Test func aServerThatNeverAnswersTimesOut() async throws {
        try await withOrigin { (server, dir) async throws in
            let result = try mc(dir, "fetch", "--timeout", "1", "--retries", "0", server.url("/hang"))
            #expect(result.status == 1 && result.stderr.contains("--timeout"))
            #expect(Files.entries(dir).isEmpty)
        }
    }

    @Test("Ctrl-C mid-download leaves no temp file and exits 130", arguments: TempKind.allCases)
    func ctrlCMidDownloadRemovesTheTempFileAndExits130(_ kind: TempKind) async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/slow/interrupted?size=4000000&chunks=40&delay=100")
            let process = try CLI.launch(["fetch", "--cache-dir", dir, url], environment: kind.environment)
            // Wait until the body has started arriving (its temp file exists), then interrupt.
            let pid = process.process.processIdentifier
            var waited = 0
            while Reliability.tempFile(of: pid, in: dir, kind: kind, atLeast: 1, besides: []) == nil && waited < 500 {
                usleep(10_000)
                waited += 1
            }
            #expect(Reliability.tempFile(of: pid, in: dir, kind: kind, atLeast: 1, besides: []) != nil)
            process.signal(SIGINT)
            let result = try process.wait()
            #expect(result.status == 130)
            #expect(Reliability.tempFiles(dir).isEmpty)
            #expect(Files.entries(dir).isEmpty)
        }
    }

    @Test func allowDomainRestrictsHosts() async throws {
        try await withOrigin { (server, dir) async throws in
            let result = try mc(dir, "fetch", "--allow-domain", "cdn.example", server.url("/file/nope?size=1"))
            #expect(result.status == 1 && result.stderr.contains("--allow-domain"))
            #expect(server.totalRequests == 0)
            #expect(try mc(dir, "fetch", "--allow-domain", "127.0.0.1", server.url("/file/yes?size=1")).status == 0)
        }
    }

    @Test func jsonLinesHaveTheDocumentedFields() async throws {
        try await withOrigin { (server, dir) async throws in
            let result = try mc(
                dir, "fetch", "--json", server.url("/file/j?size=10"), server.url("/status/500"), "ftp://h/x.png", "--retries",
                "0")
            let objects = try result.lines.map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            #expect(objects.count == 3)
            #expect(objects.filter { $0["source"] as? String == "argument" }.count == 1)
            for object in objects {
                for key in ["status", "url", "key", "path", "size", "bytes_transferred", "http_status", "attempts", "error"] {
                    #expect(object.keys.contains(key), "missing \(key)")
                }
            }
            let failed = try #require(objects.first { $0["status"] as? String == "failed" && $0["source"] == nil })
            #expect(failed["http_status"] as? Int == 500 && (failed["error"] as? String)?.contains("HTTP 500") == true)
        }
    }

    @Test func twoConcurrentFetchesDownloadEachURLOnce() async throws {
        try await withOrigin { (server, dir) async throws in
            // Given: twelve slow URLs, and for each process a gate the origin
            // answers only once the other process has reached its own gate:
            // neither run can finish before both have started fetching
            let urls = (0..<12).map { server.url("/slow/c\($0)?size=40000&chunks=4&delay=50") }
            let gates = [server.url("/gate/a?with=b&size=100"), server.url("/gate/b?with=a&size=100")]
            for (index, gate) in gates.enumerated() {
                Files.write(dir + "/urls\(index).txt", Array(([gate] + urls).joined(separator: "\n").utf8))
            }

            // When: two processes fetch the same list at once
            let first = try CLI.launch(["fetch", "-j", "4", "-i", dir + "/urls0.txt", "--cache-dir", dir + "/c"])
            let second = try CLI.launch(["fetch", "-j", "4", "-i", dir + "/urls1.txt", "--cache-dir", dir + "/c"])
            let a = try first.wait()
            let b = try second.wait()

            // Then: both passed their gates, so they overlapped; each URL was downloaded once, whole
            #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
            #expect(server.requests(prefix: "/gate/a") == 1 && server.requests(prefix: "/gate/b") == 1)
            for (i, url) in urls.enumerated() {
                #expect(server.requests(to: "/slow/c\(i)?size=40000&chunks=4&delay=50") == 1)
                #expect(try cached(dir + "/c", url) == TestServer.body("c\(i)", size: 40000))
            }
            let statuses = rows(a).map { $0[0] } + rows(b).map { $0[0] }
            #expect(statuses.filter { $0 == "fetched" }.count == 12 + 2 && statuses.filter { $0 == "cached" }.count == 12)
        }
    }

    @Test func getFetchReadsThroughAndCountsAMiss() async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/file/rt?size=999")
            let first = try mc(dir, "get", "--fetch", url)
            #expect(first.status == 0 && [UInt8](first.stdout) == TestServer.body("rt", size: 999))
            let second = try mc(dir, "get", "--fetch", url)
            #expect(second.status == 0 && second.stdout == first.stdout)
            #expect(server.requests(to: "/file/rt?size=999") == 1)
            let stats = try #require(
                try JSONSerialization.jsonObject(with: try mc(dir, "stats", "--json").stdout) as? [String: Any])
            #expect(stats["misses"] as? Int == 1 && stats["hits"] as? Int == 1)
            let failed = try mc(dir, "get", "--fetch", server.url("/status/404"))
            #expect(failed.status == 69 && failed.stderr.contains("HTTP 404"))
        }
    }

    @Test func theSizeLimitIsEnforcedAfterTheRunEvictingItsEntriesLast() async throws {
        try await withOrigin { (server, dir) async throws in
            _ = try mc(dir, "put", "https://h/old.bin", stdin: Data(repeating: 0, count: 3000))
            let urls = (0..<3).map { server.url("/file/run\($0)?size=1000") }
            let result = try mc(dir, "fetch", "--max-size", "3500", urls[0], urls[1], urls[2])
            #expect(result.status == 0)
            let oldKey = try CacheKey(url: "https://h/old.bin")
            #expect(!Files.entries(dir).contains(oldKey.name))
            #expect(Files.entries(dir).count == 3)
            let over = try mc(
                dir, "fetch", "--max-size", "1500", server.url("/file/run3?size=1000"), server.url("/file/run4?size=1000"))
            #expect(over.stderr.contains("alone exceed the size limit"))
        }
    }
}

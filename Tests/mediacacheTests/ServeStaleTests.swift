import Foundation
import MediaCache
import TestSupport
import Testing

/// How an origin fails, for the serve-stale tests.
enum OriginFailure: String, CaseIterable, Sendable {
    case serverError, refused, timeout

    /// A URL that fails this way.
    func url(_ server: TestServer, closedPort: Int) -> String {
        switch self {
        case .serverError: return server.url("/status/503")
        case .refused: return "http://127.0.0.1:\(closedPort)/gone.png"
        case .timeout: return server.url("/hang")
        }
    }
}

/// A port nothing listens on: one the kernel gave a server that has stopped.
func closedPort() async throws -> Int {
    let server = try await TestServer.start()
    let port = server.port
    await server.stop()
    return port
}

/// Stores `bytes` under `url` and makes the entry expired `ago` seconds ago under a 1h TTL.
func expiredEntry(_ dir: String, _ url: String, _ bytes: [UInt8], expiredAgo: Double) throws -> String {
    let put = try mc(dir, "put", url, stdin: Data(bytes))
    #expect(put.status == 0, "\(put.stderr)")
    let path = String(put.out.dropLast())
    Files.backdate(path, secondsAgo: 3600 + expiredAgo)
    return path
}

@Suite("serve stale: an expired entry outlives an origin that is down")
struct ServeStaleTests {
    static let quick = ["--ttl", "1h", "--retries", "0", "--timeout", "1"]

    @Test(arguments: OriginFailure.allCases)
    func getFetchServesTheExpiredBytesWhenTheOriginFails(_ failure: OriginFailure) async throws {
        let port = try await closedPort()
        try await withOrigin { (server, dir) async throws in
            // Given: an entry expired 10 minutes ago whose origin fails
            let url = failure.url(server, closedPort: port)
            let body = TestServer.body("stale", size: 2000)
            let path = try expiredEntry(dir, url, body, expiredAgo: 600)
            let before = Files.mtime(path)
            // When: read through with --stale-if-error
            let result = try CLI.run(["get", "--fetch", "--stale-if-error", url, "--cache-dir", dir] + Self.quick)
            // Then: the old bytes, exit 0, one warning line; the entry stays, still expired
            #expect(result.status == 0, "\(result.stderr)")
            #expect([UInt8](result.stdout) == body)
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("stale"), "\(result.stderr)")
            #expect(Files.mtime(path) == before)
            #expect(try statsJSON(dir)["stale_served"] as? Int == 1)
        }
    }

    @Test func theDurationBoundsHowStaleAndTheEntryIsKeptEitherWay() async throws {
        try await withOrigin { (server, dir) async throws in
            let url = server.url("/status/503")
            let body = Array("old bytes".utf8)
            let path = try expiredEntry(dir, url, body, expiredAgo: 3600)
            // Expired an hour ago: too stale for 30m, fine for 2h
            let strict = try CLI.run(["get", "--fetch", "--stale-if-error=30m", url, "--cache-dir", dir] + Self.quick)
            #expect(strict.status == 69 && strict.stderr.contains("HTTP 503"), "\(strict.stderr)")
            #expect(FileManager.default.fileExists(atPath: path))
            let loose = try CLI.run(["get", "--fetch", "--stale-if-error=2h", url, "--cache-dir", dir] + Self.quick)
            #expect(loose.status == 0 && [UInt8](loose.stdout) == body, "\(loose.stderr)")
            // Without the flag the origin's failure stands, and the entry still stays
            let plain = try CLI.run(["get", "--fetch", url, "--cache-dir", dir] + Self.quick)
            #expect(plain.status == 69)
            #expect(FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func aMissingURLIsNotServedStale() async throws {
        try await withOrigin { (server, dir) async throws in
            // The origin says the URL is gone: that is an answer, not an outage
            let url = server.url("/status/404")
            _ = try expiredEntry(dir, url, Array("old".utf8), expiredAgo: 60)
            let result = try CLI.run(["get", "--fetch", "--stale-if-error", url, "--cache-dir", dir] + Self.quick)
            #expect(result.status == 69 && result.stderr.contains("HTTP 404"), "\(result.stderr)")
            #expect(try mc(dir, "get", "--stale-if-error", url).status == 64)  // needs --fetch
        }
    }

    @Test func fetchKeepsAnExpiredEntryWhoseOriginIsDown() async throws {
        let port = try await closedPort()
        try await withOrigin { (server, dir) async throws in
            // Given: an expired entry whose origin is down, fetched in one run with a URL that works
            let down = "http://127.0.0.1:\(port)/down.png"
            let path = try expiredEntry(dir, down, Array("keep me".utf8), expiredAgo: 60)
            // and an empty file vLLM's touch() left, so the run ends with an eviction pass (which expires entries)
            Files.write(dir + "/0123456789abcdef0123.png", [])
            let result = try CLI.run(["fetch", down, server.url("/file/ok?size=10"), "--cache-dir", dir] + Self.quick)
            // Then: that URL failed, the other was stored, and the expired entry is still there to serve stale
            #expect(result.status == 1)
            #expect(Set(rows(result).map { $0[0] }) == ["failed", "fetched"])
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(!FileManager.default.fileExists(atPath: dir + "/0123456789abcdef0123.png"))  // the pass did run
            let stale = try CLI.run(["get", "--fetch", "--stale-if-error", down, "--cache-dir", dir] + Self.quick)
            #expect(stale.status == 0 && stale.out == "keep me", "\(stale.stderr)")
        }
    }
}

import Foundation
import TestSupport
import Testing

/// A shared tier may make a run slower, never broken. Each fault ends the
/// same way: every URL served right by the origin, exit 0, the fault counted
/// once, one line on stderr.
@Suite("shared tier: faults")
struct RemoteFaultTests {
    /// Fetches `media` on a fresh node through `spec` (one transfer at a time,
    /// so the counts are exact) and checks the common ending.
    private func fetchThroughFault(
        _ server: TestServer, _ dir: String, _ media: [(url: String, bytes: [UInt8])], spec: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (ProcessResult, [String: Int]) {
        let node = dir + "/node"
        let result = try Remote.fetch(node, media.map(\.url), remotes: [spec], jobs: 1, extra: ["--remote-wait", "5"])
        #expect(result.status == 0, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(Remote.disabledLines(result).count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        try Remote.expectServed(node, media, sourceLocation: sourceLocation)
        let level = RemoteSpecName.of(spec)
        return (result, try Remote.counters(node)[level] ?? [:])
    }

    @Test("a stopped server: one connection error, then the origin for everything")
    func serverStopped() async throws {
        try await withOrigin { (server, dir) async throws in
            let port = NginxServer.freePort()  // nothing listens there
            let media = Remote.media(server, "stopped", count: 5, size: 3000)
            let (_, counts) = try fetchThroughFault(server, dir, media, spec: "http://127.0.0.1:\(port)/cache")
            #expect(counts["errors"] == 1 && counts["hits"] == 0 && counts["uploads"] == 0, "\(counts)")
            #expect(counts["uploads_dropped"] == 5, "\(counts)")
            Remote.expectOriginServed(server, media, times: 1)
        }
    }

    @Test("a socket that accepts and never answers: one timeout per run, not one per URL")
    func silentSocket() async throws {
        try await withOrigin { (server, dir) async throws in
            let silent = SilentSocket()
            let media = Remote.media(server, "silent", count: 5, size: 3000)
            let (_, counts) = try fetchThroughFault(server, dir, media, spec: "http://127.0.0.1:\(silent.port)/cache|timeout=1")
            #expect(counts["timeouts"] == 1 && counts["errors"] == 0, "\(counts)")
            Remote.expectOriginServed(server, media, times: 1)
            withExtendedLifetime(silent) {}
        }
    }

    @Test("500 and 401 answers: one error each run", arguments: [500, 401])
    func errorAnswers(code: Int) async throws {
        try await withOrigin { (server, dir) async throws in
            let media = Remote.media(server, "status\(code)-", count: 4, size: 3000)
            let (result, counts) = try fetchThroughFault(server, dir, media, spec: server.url("/status/\(code)"))
            #expect(counts["errors"] == 1 && counts["hits"] == 0, "\(counts)")
            #expect(result.stderr.contains("HTTP \(code)"))
            Remote.expectOriginServed(server, media, times: 1)
        }
    }

    @Test(
        "a body corrupted on the server's disk is a miss counted corrupt, never stored", .enabled(if: Remote.nginx, "needs nginx")
    )
    func corruptBody() async throws {
        try await withOrigin { (server, dir) async throws in
            let nginx = try NginxServer.start(in: dir)
            defer { nginx.stop() }
            let media = Remote.media(server, "rot", count: 3, size: 10_000)
            #expect(try Remote.fetch(dir + "/a", media.map(\.url), remotes: [nginx.url]).status == 0)
            // Given: one byte of the first body flipped on the server's disk (same size)
            let body = nginx.file(Remote.bodyPath(media[0].bytes))
            var bytes = try #require(Files.read(body))
            bytes[5000] ^= 0xFF
            Files.write(body, bytes)
            let (_, counts) = try fetchThroughFault(server, dir, media, spec: nginx.url)
            #expect(counts["corrupt"] == 1 && counts["hits"] == 0, "\(counts)")
            Remote.expectOriginServed(server, media, times: 2)
            #expect(try CLI.run(["verify", "--cache-dir", dir + "/node"]).status == 0)
        }
    }

    @Test("a record pointing at the wrong body is a miss counted corrupt", .enabled(if: Remote.nginx, "needs nginx"))
    func recordAtWrongBody() async throws {
        try await withOrigin { (server, dir) async throws in
            let nginx = try NginxServer.start(in: dir)
            defer { nginx.stop() }
            let media = Remote.media(server, "wrong", count: 3, size: 10_000, varied: true)
            #expect(try Remote.fetch(dir + "/a", media.map(\.url), remotes: [nginx.url]).status == 0)
            // Given: the first URL's record names the second body
            let path = nginx.file(try Remote.recordPath(media[0].url))
            let record = try String(contentsOfFile: path, encoding: .utf8)
            try record.replacingOccurrences(of: Files.sha256(media[0].bytes), with: Files.sha256(media[1].bytes))
                .write(toFile: path, atomically: true, encoding: .utf8)
            let (_, counts) = try fetchThroughFault(server, dir, media, spec: nginx.url)
            #expect(counts["corrupt"] == 1 && counts["hits"] == 0, "\(counts)")
        }
    }

    @Test(
        "a full server disk: uploads fail, counted; the run ends well",
        .enabled(if: Remote.nginx, "needs nginx"), .enabled(if: Remote.canMountTmpfs, "needs root and mount -t tmpfs"))
    func fullServerDisk() async throws {
        try await withOrigin { (server, dir) async throws in
            let mount = dir + "/mnt"
            #expect(Reliability.mountTmpfs(mount, size: "1m"))
            defer { Reliability.unmount(mount) }
            let nginx = try NginxServer.start(in: dir, root: mount)
            defer { nginx.stop() }
            let media = Remote.media(server, "full", count: 6, size: 300 * 1024)
            let (_, counts) = try fetchThroughFault(server, dir, media, spec: nginx.url)
            #expect((counts["errors"] ?? 0) >= 1, "\(counts)")  // uploads in flight together may each fail
            #expect((counts["uploads"] ?? 0) < 6 && (counts["uploads"] ?? 0) + (counts["uploads_dropped"] ?? 0) == 6, "\(counts)")
            Remote.expectOriginServed(server, media, times: 1)
        }
    }

    @Test("a remote that dies in the middle of a prewarm", .enabled(if: Remote.nginx, "needs nginx"))
    func diesMidPrewarm() async throws {
        try await withOrigin { (server, dir) async throws in
            let nginx = try NginxServer.start(in: dir)
            let names = (0..<20).map { "dies\($0)" }
            let media = names.map {
                (server.url("/slow/\($0)?size=20000&chunks=2&delay=100&length=1"), TestServer.body($0, size: 20000))
            }
            let node = dir + "/node"
            let process = try CLI.launch(
                ["fetch", "-q", "-j", "2", "--cache-dir", node, "--remote", nginx.url + "|timeout=2", "--remote-wait", "5"]
                    + media.map(\.0))
            // When: nginx is killed once a few uploads have landed
            let deadline = Date().addingTimeInterval(60)
            while nginx.files(under: "records").count < 3 && Date() < deadline { usleep(20_000) }
            nginx.stop()
            let result = try process.wait(timeout: 120)
            // Then: every URL served, exit 0, the failure reported once, every upload counted either way
            #expect(result.status == 0, "\(result.stderr)")
            #expect(Remote.disabledLines(result).count == 1, "\(result.stderr)")
            try Remote.expectServed(node, media.map { (url: $0.0, bytes: $0.1) })
            let counts = try Remote.counters(node)[nginx.url] ?? [:]
            // One per request in flight at the kill.
            #expect((counts["errors"] ?? 0) + (counts["timeouts"] ?? 0) >= 1, "\(counts)")
            #expect(
                (counts["uploads"] ?? 0) >= 3 && (counts["uploads"] ?? 0) + (counts["uploads_dropped"] ?? 0) == 20, "\(counts)")
        }
    }
}

/// A SPEC's level name as the counters use it (the URL before the first `|`).
enum RemoteSpecName {
    static func of(_ spec: String) -> String { String(spec.split(separator: "|").first ?? "") }
}

import Foundation
import TestSupport
import Testing

/// Invariant 1 across `kill -9`: a writer killed mid-body leaves no entry
/// (or the old entry, whole). An unnamed temp file leaves nothing at all; a
/// named one leaves a `.tmp-*` file that `prune` later removes.
@Suite("Reliability: kill -9")
struct ReliabilityCrashTests {
    @Test(
        "kill -9 of two puts and a fetch mid-body: no partial entry, old bytes kept, no temp file outlives prune",
        arguments: TempKind.allCases)
    func killWritersMidBody(_ kind: TempKind) async throws {
        signal(SIGPIPE, SIG_IGN)  // the killed put's stdin pipe must not take the test down
        let server = try await TestServer.start()
        try await withTempDir { dir in
            // Given: a cache holding an old entry for the URL the second put replaces
            let cache = dir + "/cache"
            let common = ["--cache-dir", cache]
            let freshURL = "http://crash.invalid/fresh.bin"
            let replacedURL = "http://crash.invalid/replaced.bin"
            let old = Array("old bytes, complete".utf8)
            #expect(try CLI.run(["put", "-q", replacedURL] + common, stdin: Data(old)).status == 0)
            let big = TestServer.body("crash", size: 8 << 20)

            // When: each put gets 2 MiB of an 8 MiB body through a pipe, then kill -9
            var temps: [String] = []
            for url in [freshURL, replacedURL] {
                let put = try PipedProcess(["put", url] + common, environment: kind.environment)
                try await Reliability.blocking { put.feed(Array(big.prefix(2 << 20))) }
                let pid = put.process.processIdentifier
                temps.append(
                    try await Self.waitForTemp(of: pid, in: cache, kind: kind, besides: temps, for: url) { put.killNow() })
                #expect(put.reap() == .uncaughtSignal)
            }
            // And: a fetch of a slow 4 MiB body (6 s), killed once its first MiB is on disk
            let slowURL = server.url("/slow/crash?size=4194304&chunks=40&delay=150")
            let fetch = try CLI.launch(["fetch", "-q", slowURL] + common, environment: kind.environment)
            let pid = fetch.process.processIdentifier
            temps.append(
                try await Self.waitForTemp(of: pid, in: cache, kind: kind, besides: temps, for: slowURL) { fetch.signal(SIGKILL) }
            )
            _ = try await Reliability.blocking { try fetch.wait() }
            #expect(fetch.process.terminationReason == .uncaughtSignal)

            // Then: no entry or partial entry; the replaced URL still has its old bytes
            #expect(try CLI.run(["get", freshURL] + common).status == 1)
            #expect(try CLI.run(["get", slowURL] + common).status == 1)
            let kept = try CLI.run(["get", replacedURL] + common)
            #expect(kept.status == 0 && [UInt8](kept.stdout) == old)
            #expect(Files.entries(cache) == [try Self.key(replacedURL)])

            switch kind {
            case .unnamed:
                // And: the killed writers' files died with them; prune has nothing to do
                #expect(Reliability.tempFiles(cache).isEmpty, "\(Reliability.tempFiles(cache))")
                let prune = try CLI.run(["prune", "--json", "--leftover-age", "1s"] + common)
                #expect(Reliability.int(Reliability.jsonLines(prune).first ?? [:], "temp_files") == 0, "\(prune.out)")
            case .named:
                #expect(Set(Reliability.tempFiles(cache)) == Set(temps))
                // And: the default prune leaves young temp files alone (a writer may still own them) …
                let young = try CLI.run(["prune", "--json"] + common)
                #expect(Reliability.int(Reliability.jsonLines(young).first ?? [:], "temp_files") == 0)
                #expect(Reliability.tempFiles(cache).count == 3)
                // … and `--leftover-age 1s`, once they are older than that, removes all three
                try await Task.sleep(nanoseconds: 1_500_000_000)
                let prune = try CLI.run(["prune", "--json", "--leftover-age", "1s"] + common)
                #expect(Reliability.int(Reliability.jsonLines(prune).first ?? [:], "temp_files") == 3, "\(prune.out)")
                #expect(Reliability.tempFiles(cache).isEmpty, "\(Reliability.tempFiles(cache))")
            }
            #expect(Files.entries(cache) == [try Self.key(replacedURL)])

            // And: the killed fetch's lock died with it: the URL downloads now, whole
            let quick = server.url("/slow/crash?size=4194304&chunks=4&delay=1")
            #expect(try CLI.run(["fetch", "-q", quick] + common, environment: kind.environment).status == 0)
            let fetched = try CLI.run(["get", quick] + common)
            #expect(Files.sha256([UInt8](fetched.stdout)) == Files.sha256(TestServer.body("crash", size: 4_194_304)))
        }
        await server.stop()
    }

    static func key(_ url: String) throws -> String {
        let result = try CLI.run(["key", url])
        return result.out.trimmingCharacters(in: .newlines)
    }

    /// The temp file process `pid` is writing in `cache` once it holds at least 1 MiB.
    ///
    /// Polls on its own thread: a cooperative pool busy with other tests'
    /// blocking waits must not make it miss the window before the body ends.
    /// `then` runs on that thread the moment the file is found (the kill must not wait for a free task thread).
    static func waitForTemp(
        of pid: Int32, in cache: String, kind: TempKind, besides known: [String], for url: String,
        then: @escaping @Sendable () -> Void
    ) async throws -> String {
        let found = try await Reliability.blocking { () -> String? in
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if let path = Reliability.tempFile(of: pid, in: cache, kind: kind, atLeast: 1 << 20, besides: known) {
                    then()
                    return path
                }
                usleep(2_000)
            }
            return nil
        }
        guard let found else { throw CrashTestError.noTempFile(url) }
        return found
    }

    enum CrashTestError: Error { case noTempFile(String) }
}

/// A `mediacache` child whose stdin is a pipe the test writes into.
final class PipedProcess: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()].merging(environment) { _, new in new }
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Writes into the child's stdin, blocking while the pipe is full; stops if the child is gone.
    func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = Reliability.writeAll(input.fileHandleForWriting.fileDescriptor, $0) }
    }

    /// Sends SIGKILL.
    func killNow() { kill(process.processIdentifier, SIGKILL) }

    /// Reaps the child and closes the pipe; returns how it ended.
    func reap() -> Process.TerminationReason {
        process.waitUntilExit(timeout: 60)
        try? input.fileHandleForWriting.close()
        return process.terminationReason
    }
}

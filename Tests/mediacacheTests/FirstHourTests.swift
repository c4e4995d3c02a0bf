import Foundation
import MediaCache
import TestSupport
import Testing

/// Runs the binary on a pseudo-terminal, as a person at a shell would.
enum OnTerminal {
    /// `script` (util-linux) gives the command a terminal for stdin, stdout and stderr.
    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/script") }

    /// Runs `mediacache ARGS` on a terminal, typing `input`; stdout and stderr come back mixed, `\r\n` as `\n`.
    static func run(_ arguments: [String], input: String = "", timeout: Double = 60) throws -> (status: Int32, text: String) {
        let quoted = ([CLI.binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", quoted.joined(separator: " "), "/dev/null"]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "TERM": "dumb"]
        let stdin = Pipe()
        let output = NSTemporaryDirectory() + "mediacache-tty-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: output) }
        process.standardInput = stdin
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Typed after a moment, as a person would; then end of input.
        usleep(300_000)
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let text = String(decoding: FileManager.default.contents(atPath: output) ?? Data(), as: UTF8.self)
        return (process.terminationStatus, text.replacingOccurrences(of: "\r\n", with: "\n"))
    }
}

@Suite("A new user's first hour (issue 13): bugs")
struct FirstHourBugTests {
    static var canSwitchUser: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    }

    /// Runs the binary as uid/gid 65534 (nobody) with no supplementary groups.
    static func asNobody(_ arguments: [String]) throws -> (status: Int32, out: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", CLI.binary] + arguments
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), stderr)
    }

    @Test(
        "a vLLM cache another user owns: get --fetch, fetch and stats --reset fail with a permission error, exit 77",
        .enabled(if: canSwitchUser, "needs root and setpriv to run the binary as another user"))
    func readOnlyVLLMCacheOfAnotherUser() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        try await withTempDir { (dir) async throws in
            // Given: a directory root owns (0755), holding one file vLLM wrote, no .mediacache
            chmod(dir, 0o755)
            let cache = dir + "/vllm"
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            chmod(cache, 0o755)
            let key = try CacheKey(url: "https://cdn.example/cat.jpg")
            Files.write(cache + "/" + key.name, Array("vllm bytes".utf8))
            chmod(cache + "/" + key.name, 0o644)
            let before = Files.names(cache)

            // When / Then: reads work for the other user
            let get = try Self.asNobody(["get", "--cache-dir", cache, "https://cdn.example/cat.jpg"])
            #expect(get.status == 0 && get.out == "vllm bytes", "\(get.stderr)")

            // and every write is one permission error, exit 77, nothing changed
            let url = server.url("/file/new.png")
            for arguments in [["get", "--fetch", url], ["fetch", url], ["stats", "--reset"]] {
                let result = try Self.asNobody(arguments + ["--cache-dir", cache])
                #expect(result.status == 77, "\(arguments): \(result.stderr)")
                #expect(
                    result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("permission denied"),
                    "\(arguments): \(result.stderr)")
                #expect(!result.stderr.contains("bad file descriptor"))
            }
            #expect(server.requests(prefix: "/file/new.png") == 0, "nothing is downloaded that cannot be kept")
            #expect(Files.names(cache) == before)
        }
    }

    @Test("a cache dir below a regular file: read commands say it does not exist; writers cannot create it")
    func cacheDirBelowAFile() async throws {
        try await withTempDir { (dir) async throws in
            Files.write(dir + "/afile", Array("x".utf8))
            let stats = try CLI.run(["stats", "--cache-dir", dir + "/afile/sub"])
            #expect(stats.status == 66)
            #expect(
                stats.stderr
                    == "mediacache: no cache at \(dir)/afile/sub (\(dir)/afile is a file, not a directory); nothing was ever stored there (check --cache-dir, MEDIACACHE_DIR, VLLM_MEDIA_CACHE)\n"
            )
            #expect(!stats.stderr.contains("exists"))
            let put = try CLI.run(["put", "--cache-dir", dir + "/afile/sub", "https://h/x.png"], stdin: Data("x".utf8))
            #expect(put.status == 73)
            #expect(
                put.stderr.contains(
                    "cannot create cache directory \(dir)/afile/sub: not a directory (a part of the path is a file)"))
            #expect(!put.stderr.contains("exists"))
        }
    }

    @Test("fetch --bogus names the unknown option")
    func unknownOptionIsNamed() throws {
        let result = try CLI.run(["fetch", "--bogus"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--bogus"), "\(result.stderr)")
        #expect(!result.stderr.contains("give URLs"))
    }

    @Test("stats prints a TTL that --ttl accepts (1h30m), and '1 entry', not '1 entries'")
    func whatStatsPrintsTTLAccepts() async throws {
        try await withTempDir { (dir) async throws in
            try mc(dir, "put", "https://h/a.png", stdin: Data("a".utf8))
            try mc(dir, "evict", "https://h/a.png")
            let stats = try mc(dir, "stats", "--ttl", "90m")
            #expect(stats.out.contains("ttl:         1h30m\n"), "\(stats.out)")
            #expect(stats.out.contains("  evicted:         1 entry, 1 B\n"), "\(stats.out)")
            let again = try mc(dir, "stats", "--json", "--ttl", "1h30m")
            #expect(again.status == 0 && again.out.contains("\"ttl_seconds\":5400.0"), "\(again.stderr)")
            #expect(try mc(dir, "stats", "--json", "--ttl", "1d12h").out.contains("\"ttl_seconds\":129600.0"))
            for bad in ["1h-30m", "h", "1hs", "30m5", "0h0m"] {
                #expect(try mc(dir, "stats", "--ttl", bad).status == 64, "\(bad)")
            }
        }
    }

    @Test("a get on a cache dir that does not exist creates nothing and says so")
    func getMissOnANewDirectoryCreatesNothing() async throws {
        try await withTempDir { (dir) async throws in
            let cache = dir + "/new"
            let get = try CLI.run(["get", "--cache-dir", cache, "https://h/a.png"])
            #expect(get.status == 66 && get.stderr.hasPrefix("mediacache: no cache at \(cache);"), "\(get.stderr)")
            #expect(!FileManager.default.fileExists(atPath: cache))
        }
    }
}

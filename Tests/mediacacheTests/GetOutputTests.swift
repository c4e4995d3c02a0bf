import Foundation
import TestSupport
import Testing

/// `get -o FILE` goes through the atomic writer: FILE is the whole entry or
/// is left as it was. And the plain `get` the fast path serves ends exactly
/// as the full command does.
@Suite("get: -o writes whole files or none; the fast path and the full command agree")
struct GetOutputTests {
    /// Runs the binary under bash with files limited to `fileSizeKiB` and
    /// SIGXFSZ ignored, so a write past the limit fails with EFBIG.
    static func runLimited(_ arguments: [String], fileSizeKiB: Int, environment: [String: String]) throws -> (
        status: Int32, stderr: String
    ) {
        let script = "trap '' XFSZ; ulimit -f \(fileSizeKiB); exec \"$0\" \"$@\""
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script, CLI.binary] + arguments
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()].merging(environment) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit(timeout: 120)  // a line or two on stderr: the pipe never fills
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        return (process.terminationStatus, String(decoding: stderr, as: UTF8.self))
    }

    @Test("a copy that fails part-way leaves no partial file, and an older file whole", arguments: TempKind.allCases)
    func failedCopyLeavesNoPartialFile(_ kind: TempKind) async throws {
        try await withTempDir { (dir) async throws in
            // Given: a 3 MiB entry, and an output directory holding an older file
            let cache = dir + "/cache"
            let url = "http://h.invalid/big.bin"
            let body = TestServer.body("big", size: 3 << 20)
            #expect(try CLI.run(["put", "-q", "--cache-dir", cache, url], stdin: Data(body)).status == 0)
            try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
            Files.write(dir + "/out/old.bin", Array("old".utf8))

            // When: get -o runs where no file may grow past 1 MiB, to a new file and over the old one
            for name in ["new.bin", "old.bin"] {
                let arguments = ["get", "--cache-dir", cache, "-o", dir + "/out/" + name, url]
                let result = try Self.runLimited(arguments, fileSizeKiB: 1024, environment: kind.environment)
                // Then: one line naming the output, exit 74 (I/O error)
                #expect(result.status == 74, "\(name): \(result.stderr)")
                let lines = result.stderr.split(separator: "\n")
                #expect(lines.count == 1 && lines[0].contains("file too large") && lines[0].contains(name), "\(result.stderr)")
            }
            // And: no partial file, no temp file; the old file is as it was
            #expect(Files.names(dir + "/out") == ["old.bin"])
            #expect(Files.read(dir + "/out/old.bin") == Array("old".utf8))

            // When: there is room again, then Then: the whole entry replaces the old file
            #expect(
                try CLI.run(["get", "--cache-dir", cache, "-o", dir + "/out/old.bin", url], environment: kind.environment).status
                    == 0)
            #expect(Files.read(dir + "/out/old.bin") == body)
            #expect(Files.names(dir + "/out") == ["old.bin"])
        }
    }

    @Test(
        "get -o onto a full file system: one line, exit 74, no partial file",
        .enabled(if: Reliability.canMountTmpfs, "needs to mount a tmpfs (root, and a kernel or container that allows it)"))
    func fullOutputFileSystem() async throws {
        try await withTempDir { (dir) async throws in
            // Given: a 2 MiB entry, and a 1 MiB file system to write it to
            let cache = dir + "/cache"
            let url = "http://h.invalid/big.bin"
            #expect(
                try CLI.run(["put", "-q", "--cache-dir", cache, url], stdin: Data(TestServer.body("big", size: 2 << 20))).status
                    == 0)
            try #require(Reliability.mountTmpfs(dir + "/small", size: "1m"))
            defer { Reliability.unmount(dir + "/small") }

            // When
            let result = try CLI.run(["get", "--cache-dir", cache, "-o", dir + "/small/out.bin", url])

            // Then
            #expect(result.status == 74, "\(result.stderr)")
            let lines = Reliability.stderrLines(result)
            #expect(lines.count == 1 && lines[0].contains("no space left on device"), "\(result.stderr)")
            #expect(Files.names(dir + "/small").isEmpty)
        }
    }

    @Test("-o to a device writes in place: /dev/null stays a device")
    func outputToADevice() async throws {
        try await withTempDir { (dir) async throws in
            #expect(try mc(dir, "put", "-q", "https://h/a.bin", stdin: Data("bytes".utf8)).status == 0)
            #expect(try mc(dir, "get", "-o", "/dev/null", "https://h/a.bin").status == 0)
            var info = stat()
            #expect(lstat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
        }
    }

    @Test("the fast path and the full command end a hit, a miss, a quiet miss, --path, -o and a bad URL alike")
    func fastPathAndFullCommandAgree() async throws {
        try await withTempDir { (dir) async throws in
            // Given: one entry
            let cache = dir + "/cache"
            let hit = "https://h/hit.png"
            #expect(try CLI.run(["put", "-q", "--cache-dir", cache, hit], stdin: Data("hit bytes".utf8)).status == 0)
            let out = dir + "/out.png"
            let cases = [
                [hit], ["https://h/miss.png"], ["-q", "https://h/miss.png"], ["--path", hit], ["-o", out, hit], ["ftp://h/x.png"],
            ]
            for arguments in cases {
                // When: the plain form (fast path), then the same with a flag only the full parser takes
                try? FileManager.default.removeItem(atPath: out)
                let fast = try CLI.run(["get"] + arguments + ["--cache-dir", cache])
                let fastFile = Files.read(out)
                try? FileManager.default.removeItem(atPath: out)
                let full = try CLI.run(["get", "--max-size", "5G"] + arguments + ["--cache-dir", cache])

                // Then: the same exit code, output and message
                #expect(fast.status == full.status, "\(arguments)")
                #expect(fast.stdout == full.stdout, "\(arguments)")
                #expect(fast.stderr == full.stderr, "\(arguments)")
                #expect(fastFile == Files.read(out), "\(arguments)")
            }
        }
    }
}

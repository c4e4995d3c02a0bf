import Foundation
import TestSupport
import Testing

/// Invariant 6: every bad input gets exactly one line on stderr
/// (`mediacache: …`, naming the value or path), a documented exit code,
/// and leaves the cache directory — names, sizes, mtimes, modes — as it was.
///
/// Argument *syntax* (an unknown flag) is swift-argument-parser's to report:
/// its usage block, first line naming the problem, exit 64 (see the last test).
@Suite("Reliability: bad input")
struct ReliabilityBadInputTests {
    struct BadInput: Sendable, CustomTestStringConvertible {
        var name: String
        /// `{cache}` and `{dir}` are replaced by the test's cache and temp directory.
        var arguments: [String]
        var environment: [String: String] = [:]
        var status: Int32
        /// Text the one stderr line must contain.
        var says: String
        var testDescription: String { name }
    }

    static let longURL = "http://h.invalid/" + String(repeating: "a", count: 70_000)

    static let table: [BadInput] = [
        .init(name: "malformed URL", arguments: ["get", "http//h.invalid/a"], status: 64, says: "invalid URL"),
        .init(
            name: "ftp:// URL", arguments: ["put", "ftp://h.invalid/a", "{dir}/input"], status: 64, says: "unsupported URL scheme"
        ),
        .init(name: "URL longer than 64 KiB", arguments: ["get", longURL], status: 64, says: "longer than 65536 bytes"),
        .init(name: "empty URL", arguments: ["put", "", "{dir}/input"], status: 64, says: "the URL is empty"),
        .init(
            name: "control character in URL", arguments: ["get", "http://h.invalid/a\u{7}b"], status: 64,
            says: "control character"),
        .init(
            name: "NUL byte in a list file", arguments: ["fetch", "-q", "-i", "{dir}/nul.txt"], status: 1,
            says: "control character"),
        .init(
            name: "list file that does not exist", arguments: ["fetch", "-i", "{dir}/missing.txt"], status: 66,
            says: "missing.txt"),
        .init(
            name: "input file that does not exist", arguments: ["put", "http://h.invalid/a", "{dir}/missing"], status: 66,
            says: "missing"),
        .init(
            name: "cache dir is a regular file", arguments: ["get", "--cache-dir", "{dir}/plain", "http://h.invalid/a"],
            status: 73, says: "not a directory"),
        .init(
            name: "cache dir below a regular file",
            arguments: ["put", "--cache-dir", "{dir}/plain/sub", "http://h.invalid/a", "{dir}/input"], status: 73,
            says: "not a directory"),
        .init(
            name: "stats of a cache dir below a regular file", arguments: ["stats", "--cache-dir", "{dir}/plain/sub"], status: 66,
            says: "no cache at"),
        .init(
            name: "stats of a cache dir that does not exist", arguments: ["stats", "--cache-dir", "{dir}/typo"], status: 66,
            says: "no cache at"),
        .init(
            name: "bad URL with a cache dir not yet created", arguments: ["get", "--cache-dir", "{dir}/new", "ftp://h/a"],
            status: 64, says: "unsupported"),
        .init(
            name: "missing input with a cache dir not yet created",
            arguments: ["put", "--cache-dir", "{dir}/new", "http://h.invalid/a", "{dir}/missing"], status: 66, says: "missing"),
        .init(
            name: "--max-size 0", arguments: ["put", "--max-size", "0", "http://h.invalid/a", "{dir}/input"], status: 64,
            says: "'0' for --max-size"),
        .init(name: "--max-size -5", arguments: ["stats", "--max-size", "-5"], status: 64, says: "'-5' for --max-size"),
        .init(
            name: "--max-size 12Q", arguments: ["get", "--max-size", "12Q", "http://h.invalid/a"], status: 64,
            says: "'12Q' for --max-size"),
        .init(name: "--max-size 1e30", arguments: ["prune", "--max-size", "1e30"], status: 64, says: "--max-size"),
        .init(name: "--ttl 0", arguments: ["get", "--ttl", "0", "http://h.invalid/a"], status: 64, says: "'0' for --ttl"),
        .init(name: "--ttl abc", arguments: ["prune", "--ttl", "abc"], status: 64, says: "'abc' for --ttl"),
        .init(name: "--older-than -1d", arguments: ["evict", "--older-than", "-1d"], status: 64, says: "'-1d' for --older-than"),
        .init(name: "--older-than 5x", arguments: ["evict", "--older-than", "5x"], status: 64, says: "'5x' for --older-than"),
        .init(name: "--leftover-age 0", arguments: ["prune", "--leftover-age", "0"], status: 64, says: "--leftover-age"),
        .init(
            name: "--max-bytes -1", arguments: ["fetch", "--max-bytes", "-1", "http://127.0.0.1:9/a"], status: 64,
            says: "'-1' for --max-bytes"),
        .init(name: "evict --key ../x", arguments: ["evict", "--key", "../x"], status: 64, says: "--key"),
        .init(
            name: "MEDIACACHE_MAX_SIZE=junk", arguments: ["stats"], environment: ["MEDIACACHE_MAX_SIZE": "junk"], status: 64,
            says: "MEDIACACHE_MAX_SIZE"),
        .init(
            name: "MEDIACACHE_TTL=-3h", arguments: ["get", "http://h.invalid/a"], environment: ["MEDIACACHE_TTL": "-3h"],
            status: 64, says: "MEDIACACHE_TTL"),
        .init(
            name: "VLLM_MEDIA_CACHE_MAX_SIZE_MB=abc", arguments: ["prune"], environment: ["VLLM_MEDIA_CACHE_MAX_SIZE_MB": "abc"],
            status: 64, says: "VLLM_MEDIA_CACHE_MAX_SIZE_MB"),
        // vLLM reads 0 as "expire everything" (Python's float); 0x10 it refuses, and so must mediacache.
        .init(
            name: "VLLM_MEDIA_CACHE_TTL_HOURS=0x10", arguments: ["list"], environment: ["VLLM_MEDIA_CACHE_TTL_HOURS": "0x10"],
            status: 64, says: "VLLM_MEDIA_CACHE_TTL_HOURS"),
    ]

    @Test("one stderr line, the documented exit code, the cache unchanged", arguments: table)
    func badInput(_ row: BadInput) async throws {
        try await withTempDir { dir in
            // Given: a cache with one entry, an input file, a list file holding a NUL, a plain file
            let cache = dir + "/cache"
            #expect(
                try CLI.run(["put", "-q", "--cache-dir", cache, "http://h.invalid/kept"], stdin: Data("kept".utf8)).status == 0)
            Files.write(dir + "/input", Array("bytes".utf8))
            Files.write(dir + "/nul.txt", Array("http://h.invalid/a\0b\n".utf8))
            Files.write(dir + "/plain", Array("a plain file".utf8))
            let before = Reliability.snapshot(dir)

            // When
            var arguments = row.arguments.map {
                $0.replacingOccurrences(of: "{dir}", with: dir).replacingOccurrences(of: "{cache}", with: cache)
            }
            if !arguments.contains("--cache-dir") { arguments += ["--cache-dir", cache] }
            let result = try CLI.run(arguments, environment: row.environment)

            // Then
            #expect(result.status == row.status, "\(result.stderr)")
            let lines = Reliability.stderrLines(result)
            #expect(lines.count == 1, "\(result.stderr)")
            #expect(lines.first?.hasPrefix("mediacache: ") == true && lines.first?.contains(row.says) == true, "\(result.stderr)")
            #expect((lines.first?.utf8.count ?? 0) < 1000, "the line stays readable")
            #expect(Reliability.snapshot(dir) == before)
        }
    }

    @Test(
        "an unwritable cache directory: one line, exit 77, nothing changed",
        .enabled(
            if: !Reliability.isRoot || Reliability.canMountTmpfs,
            "as root (whom permissions do not stop) needs a read-only tmpfs, and mounting one is not allowed here"))
    func unwritableCache() async throws {
        try await withTempDir { dir in
            // Given: a cache with one entry, then made unwritable (read-only tmpfs as root, chmod otherwise)
            let cache = dir + "/mnt/cache"
            let root = Reliability.isRoot
            if root { try #require(Reliability.mountTmpfs(dir + "/mnt", size: "1m")) }
            defer { if root { Reliability.unmount(dir + "/mnt") } }
            #expect(
                try CLI.run(["put", "-q", "--cache-dir", cache, "http://h.invalid/kept"], stdin: Data("kept".utf8)).status == 0)
            Files.write(dir + "/input", Array("bytes".utf8))
            let directories = ["", "/.mediacache", "/.mediacache/meta", "/.mediacache/locks"].map { cache + $0 }
            if root {
                #expect(Reliability.remountReadOnly(dir + "/mnt"))
            } else {
                for directory in directories { chmod(directory, 0o500) }
            }
            defer { if !root { for directory in directories { chmod(directory, 0o700) } } }
            let before = Reliability.snapshot(cache)
            let says = root ? "read-only file system" : "permission denied"

            for (arguments, status) in [
                (["put", "http://h.invalid/new", dir + "/input"], Int32(77)), (["fetch", "-q", "http://127.0.0.1:9/x"], 1),
                (["get", "--fetch", "http://127.0.0.1:9/x"], 77), (["evict", "http://h.invalid/kept"], 77),
                (["prune", "--max-size", "1"], 77),
            ] {
                // When
                let result = try CLI.run(arguments + ["--cache-dir", cache])
                // Then
                #expect(result.status == status, "\(arguments[0]): \(result.stderr)")
                let lines = Reliability.stderrLines(result)
                #expect(lines.count == 1 && lines[0].contains(says), "\(arguments[0]): \(result.stderr)")
            }
            #expect(Reliability.snapshot(cache) == before)
        }
    }

    @Test("argument syntax errors: swift-argument-parser's usage, the first line names the problem, exit 64")
    func argumentSyntax() async throws {
        for arguments in [
            ["get", "--no-such-flag", "http://h.invalid/a"], ["fetch", "--jobs", "0", "http://h.invalid/a"], ["put"],
        ] {
            let result = try CLI.run(arguments + ["--cache-dir", "/nonexistent/never-created"])
            #expect(result.status == 64)
            #expect(Reliability.stderrLines(result).first?.hasPrefix("Error: ") == true, "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "/nonexistent"))
        }
    }
}

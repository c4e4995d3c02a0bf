import Foundation
import MediaCache
import TestSupport
import Testing

/// `mediacache ARGS --cache-dir DIR`.
@discardableResult
func mc(_ dir: String, _ arguments: String..., stdin: Data? = nil, env: [String: String] = [:]) throws -> ProcessResult {
    try CLI.run(arguments + ["--cache-dir", dir], stdin: stdin, environment: env)
}

@Suite("put, get, evict, list, stats and prune through the binary")
struct CommandsTests {
    @Test("put then get returns the same bytes", arguments: [0, 1, 50 * 1_048_576])
    func roundTrip(size: Int) async throws {
        try await withTempDir { (dir) async throws in
            let body = TestServer.body("cli-\(size)", size: size)
            let file = dir + "/body"
            Files.write(file, body)
            let put = try mc(dir + "/c", "put", "--allow-empty", "https://h/a/cat.png?x=1", file)
            #expect(put.status == 0)
            #expect(put.out == dir + "/c/aaa4109d0b1848a16b16.png\n")
            let get = try mc(dir + "/c", "get", "https://h/a/cat.png?x=1")
            #expect(get.status == 0)
            #expect(Files.sha256([UInt8](get.stdout)) == Files.sha256(body))
            let out = dir + "/out"
            #expect(try mc(dir + "/c", "get", "-o", out, "https://h/a/cat.png?x=1").status == 0)
            #expect(Files.read(out).map(Files.sha256) == Files.sha256(body))
        }
    }

    @Test func putReadsStdinAndGetPathPrintsThePath() async throws {
        try await withTempDir { (dir) async throws in
            let put = try mc(dir, "put", "https://h/s.jpg", "--content-type", "image/jpeg", stdin: Data("from stdin".utf8))
            #expect(put.status == 0)
            let path = try mc(dir, "get", "--path", "https://h/s.jpg")
            #expect(path.out == put.out)
            #expect(Files.read(String(path.out.dropLast())) == Array("from stdin".utf8))
            let list = try mc(dir, "list", "--json")
            #expect(list.out.contains("\"content_type\":\"image/jpeg\""))
        }
    }

    @Test func aMissExitsOneWithAMessageUnlessQuiet() async throws {
        try await withTempDir { (dir) async throws in
            let miss = try mc(dir, "get", "https://h/none.png")
            #expect(miss.status == 1 && miss.stdout.isEmpty)
            #expect(miss.stderr == "mediacache: miss: https://h/none.png\n")
            let quiet = try mc(dir, "get", "-q", "https://h/none.png")
            #expect(quiet.status == 1 && quiet.stderr.isEmpty)
            #expect(Files.entries(dir).isEmpty)
        }
    }

    @Test func anExpiredEntryIsAMissAndIsRemoved() async throws {
        try await withTempDir { (dir) async throws in
            let put = try mc(dir, "put", "https://h/e.png", stdin: Data("e".utf8))
            Files.backdate(String(put.out.dropLast()), secondsAgo: 120)
            #expect(try mc(dir, "get", "--ttl", "90s", "https://h/e.png").status == 1)
            #expect(Files.entries(dir).isEmpty)
        }
    }

    @Test func evictByURLKeyAgeAllAndDryRun() async throws {
        try await withTempDir { (dir) async throws in
            for name in ["a", "b", "c", "d"] { try mc(dir, "put", "https://h/\(name).png", stdin: Data(name.utf8)) }
            let key = try mc(dir, "key", "https://h/b.png").out.trimmingCharacters(in: .whitespacesAndNewlines)
            Files.backdate(dir + "/" + (try mc(dir, "key", "https://h/c.png").out.dropLast()), secondsAgo: 8 * 86400)

            #expect(try mc(dir, "evict", "https://h/a.png").out == "evicted 1 entry, 1 B\n")
            #expect(try mc(dir, "evict", "--key", key).status == 0)
            let dry = try mc(dir, "evict", "--older-than", "7d", "--dry-run")
            #expect(dry.out.hasSuffix("would evict 1 entry, 1 B\n"))
            #expect(Files.entries(dir).count == 2)
            #expect(try mc(dir, "evict", "--older-than", "7d", "--json").out.contains("\"entries\":1"))
            #expect(try mc(dir, "evict", "--all").out == "evicted 1 entry, 1 B\n")
            #expect(Files.entries(dir).isEmpty)
            #expect(try mc(dir, "evict").status == 64)
        }
    }

    @Test func statsJSONHasTheDocumentedKeys() async throws {
        try await withTempDir { (dir) async throws in
            try mc(dir, "put", "https://h/a.png", stdin: Data("abc".utf8))
            try mc(dir, "get", "https://h/a.png")
            try mc(dir, "get", "https://h/b.png")
            let stats = try mc(dir, "stats", "--json", "--max-size", "1M")
            let json = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])
            for key in [
                "cache_dir", "entries", "bytes", "max_bytes", "ttl_seconds", "expired_entries", "hits", "misses",
                "hit_ratio", "stored", "evicted_entries", "evicted_bytes", "since",
            ] {
                #expect(json[key] != nil, "missing \(key)")
            }
            #expect(json["entries"] as? Int == 1 && json["bytes"] as? Int == 3 && json["max_bytes"] as? Int == 1_048_576)
            #expect(json["hits"] as? Int == 1 && json["misses"] as? Int == 1 && json["hit_ratio"] as? Double == 0.5)
            #expect(try mc(dir, "stats", "--reset").status == 0)
            let reset = try #require(
                try JSONSerialization.jsonObject(with: try mc(dir, "stats", "--json").stdout) as? [String: Any])
            #expect(reset["hits"] as? Int == 0 && reset["stored"] as? Int == 0 && reset["entries"] as? Int == 1)
            #expect(try mc(dir, "stats").out.contains("hit ratio:"))
        }
    }

    @Test func listSortsAndPrintsJSON() async throws {
        try await withTempDir { (dir) async throws in
            try mc(dir, "put", "https://h/small.png", stdin: Data("s".utf8))
            try mc(dir, "put", "https://h/large.png", stdin: Data(repeating: 1, count: 100))
            let small = try mc(dir, "key", "--path", "https://h/small.png").out.dropLast()
            Files.backdate(String(small), secondsAgo: 60)
            let bySize = try mc(dir, "ls", "--sort", "size").lines
            #expect(bySize.count == 3 && bySize[1].hasSuffix("https://h/large.png"))
            let byUse = try mc(dir, "list", "--json", "--sort", "used").lines
            #expect(byUse.count == 2 && byUse[0].contains("large.png") && byUse[1].contains("small.png"))
        }
    }

    @Test func pruneReportsAndDryRunChangesNothing() async throws {
        try await withTempDir { (dir) async throws in
            for i in 0..<5 { try mc(dir, "put", "https://h/\(i).bin", stdin: Data(repeating: 0, count: 1000)) }
            let before = Files.entries(dir)
            let dry = try mc(dir, "prune", "--dry-run", "--json", "--max-size", "2500")
            #expect(dry.out.contains("\"removed_entries\":3"))
            #expect(Files.entries(dir) == before)
            let real = try mc(dir, "prune", "--max-size", "2500")
            #expect(real.status == 0 && real.out.hasPrefix("removed 3 entries"))
            #expect(Files.entries(dir).count == 2)
            #expect(try mc(dir, "prune", "-q").out.isEmpty)
        }
    }

    @Test func aFileWrittenByPythonTheWayVLLMWritesItIsAFullEntry() async throws {
        try await withTempDir { (dir) async throws in
            // vLLM: sha256(url)[:20] + pathlib suffix, bytes written straight into the directory
            let script = """
                import hashlib, pathlib, sys
                url = sys.argv[2]
                name = hashlib.sha256(url.encode()).hexdigest()[:20] + pathlib.Path(url.split("?", 1)[0]).suffix
                pathlib.Path(sys.argv[1], name).write_bytes(b"written by vllm")
                """
            let python = Process()
            python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            python.arguments = ["python3", "-c", script, dir, "https://cdn.example/img/cat.webp?w=640"]
            try python.run()
            #expect(python.waitUntilExit(timeout: 60))
            #expect(python.terminationStatus == 0)

            let get = try mc(dir, "get", "https://cdn.example/img/cat.webp?w=640")
            #expect(get.status == 0 && get.out == "written by vllm")
            let list = try mc(dir, "list")
            #expect(list.lines.count == 2 && list.lines[1].hasSuffix("  -"))
            let stats = try #require(
                try JSONSerialization.jsonObject(with: try mc(dir, "stats", "--json").stdout) as? [String: Any])
            #expect(stats["entries"] as? Int == 1 && stats["bytes"] as? Int == 15)
            let prune = try mc(dir, "prune", "--max-size", "10")
            #expect(prune.out.hasPrefix("removed 1 entry "))
            #expect(Files.entries(dir).isEmpty)
        }
    }

    @Test func theCacheDirectoryComesFromVLLMsVariable() async throws {
        try await withTempDir { (dir) async throws in
            let put = try CLI.run(
                ["put", "https://h/v.png"], stdin: Data("v".utf8), environment: ["VLLM_MEDIA_CACHE": dir + "/vllm"])
            #expect(put.status == 0 && put.out.hasPrefix(dir + "/vllm/"))
            let mine = try CLI.run(
                ["get", "https://h/v.png"], environment: ["VLLM_MEDIA_CACHE": dir + "/vllm", "MEDIACACHE_DIR": dir + "/mine"])
            #expect(mine.status == 66 && mine.stderr.hasPrefix("mediacache: no cache at \(dir)/mine;"), "MEDIACACHE_DIR wins")
        }
    }

    @Test(
        "bad values are one line on stderr and exit 64",
        arguments: [
            ["get", "--max-size", "0", "https://h/a.png"], ["get", "--ttl", "abc", "https://h/a.png"],
            ["get", "ftp://h/a.png"], ["put", "not-a-url"], ["evict", "--older-than", "-1d"],
        ])
    func badValues(arguments: [String]) async throws {
        try await withTempDir { (dir) async throws in
            let result = try CLI.run(arguments + ["--cache-dir", dir], stdin: Data())
            #expect(result.status == 64)
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stderr.hasPrefix("mediacache: "))
        }
    }
}

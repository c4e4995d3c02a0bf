import Foundation
import MediaCache
import TestSupport
import Testing

@Suite("A new user's first hour (issue 13): output for people and for scripts")
struct FirstHourOutputTests {
    @Test(
        "fetch: aligned columns and human sizes on a terminal, tab-separated when piped, nothing but errors with -q",
        .enabled(if: OnTerminal.available, "needs util-linux script for a pseudo-terminal"))
    func fetchOutputForms() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        try await withTempDir { (dir) async throws in
            let good = server.url("/file/cat.jpg?size=2048")
            let bad = server.url("/status/404")
            // On a terminal
            let shown = try OnTerminal.run(["fetch", "--cache-dir", dir, good, bad])
            #expect(shown.status == 1)
            let key = try CacheKey(url: good).name
            #expect(
                shown.text.contains(
                    "fetched       2.0 KiB  \(key)" + String(repeating: " ", count: 24 - key.count) + "  \(good)\n"),
                "\(shown.text)")
            #expect(shown.text.contains("failed              -  \(try CacheKey(url: bad).name)"), "\(shown.text)")
            #expect(shown.text.contains("1 fetched, 0 cached, 0 revalidated, 1 failed"))
            // Piped: the stable tab-separated form
            let piped = try CLI.run(["fetch", "--cache-dir", dir, good, bad])
            #expect(piped.lines.contains("cached\t2048\t\(dir)/\(key)\t\(good)"), "\(piped.out)")
            #expect(piped.lines.contains("failed\t0\t-\t\(bad)"))
            // -q: only errors
            let quiet = try CLI.run(["fetch", "-q", "--cache-dir", dir, good, bad])
            #expect(quiet.status == 1 && quiet.stdout.isEmpty)
            // (the 404 is remembered now: the line says so, still one line)
            #expect(quiet.stderr.hasPrefix("mediacache: \(bad): HTTP 404, remembered from "), "\(quiet.stderr)")
            #expect(quiet.stderr.split(separator: "\n").count == 1)
            // --json: one object per line, as before, -q or not
            #expect(try CLI.run(["fetch", "-q", "--json", "--cache-dir", dir, good]).lines.count == 1)
        }
    }

    @Test(
        "the progress bar's ETA comes from bytes: one large body left is not 'ETA 0s'",
        .enabled(if: OnTerminal.available, "needs util-linux script for a pseudo-terminal"))
    func etaCountsBytes() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        try await withTempDir { (dir) async throws in
            // Given: 20 small bodies and one of 4 MiB sent in 8 pieces 400 ms apart (about 3 s)
            let large = server.url("/slow/big.bin?size=4194304&chunks=8&delay=400&length=1")
            // None of the small ones shares the large one's lock stripe (the key's first two hex
            // digits), which would hold it back until the large one is done: one chance in 256 each.
            let stripe = try CacheKey(url: large).name.prefix(2)
            let small = try (0..<40).map { server.url("/file/s\($0).bin?size=100") }
                .filter { try CacheKey(url: $0).name.prefix(2) != stripe }.prefix(20)
            let run = try OnTerminal.run(["fetch", "-j", "4", "--cache-dir", dir, large] + small)
            #expect(run.status == 0)
            // Then: while only the large body is left (its first half: over a second
            // to go), the ETA is not 0s; counting URLs gave elapsed / 20, which is
            let frames = run.text.components(separatedBy: "\r").filter { $0.contains("20/21 URLs") && $0.contains("ETA") }
            #expect(frames.count >= 4, "\(run.text.suffix(2000))")
            let early = frames.prefix(frames.count / 2)
            #expect(early.allSatisfy { !$0.contains("ETA 0s") }, "\(early)")
        }
    }

    @Test("prune --dry-run shows the URL where known and sizes for people")
    func pruneDryRunShowsURLs() async throws {
        try await withTempDir { (dir) async throws in
            try mc(dir, "put", "https://h/old.mp4", stdin: Data(repeating: 1, count: 3000))
            let old = try mc(dir, "key", "--path", "https://h/old.mp4").out.dropLast()
            Files.backdate(String(old), secondsAgo: 3 * 86400)
            Files.write(dir + "/0123456789abcdef0123.jpg", Array("vllm".utf8))
            Files.backdate(dir + "/0123456789abcdef0123.jpg", secondsAgo: 3 * 86400)
            let dry = try mc(dir, "prune", "--dry-run")
            let name = String(old.split(separator: "/").last ?? "")
            #expect(dry.lines.contains("would remove\texpired\t\(name)\t2.9 KiB\thttps://h/old.mp4"), "\(dry.out)")
            #expect(dry.lines.contains("would remove\texpired\t0123456789abcdef0123.jpg\t4 B\t-"), "\(dry.out)")
            #expect(dry.lines.contains { $0.hasPrefix("would remove 2 entries (2.9 KiB): 2 expired") })
        }
    }

    @Test("list: --limit, --reverse, -q for keys only, --filter on size and age")
    func listOptions() async throws {
        try await withTempDir { (dir) async throws in
            for (name, size, age) in [("a", 10, 10.0), ("b", 2_000_000, 8 * 86400.0), ("c", 300, 3600.0)] {
                let put = try mc(dir, "put", "https://h/\(name).png", stdin: Data(repeating: 1, count: size))
                Files.backdate(String(put.out.dropLast()), secondsAgo: age)
            }
            let key = { (name: String) in try CacheKey(url: "https://h/\(name).png").name }
            #expect(try mc(dir, "list", "-q").lines == [key("a"), key("c"), key("b")])
            #expect(try mc(dir, "ls", "-q", "--reverse").lines == [key("b"), key("c"), key("a")])
            #expect(try mc(dir, "ls", "-q", "--sort", "size", "--limit", "2").lines == [key("b"), key("c")])
            #expect(try mc(dir, "ls", "-q", "--filter", "size>1M").lines == [key("b")])
            #expect(try mc(dir, "ls", "-q", "-f", "used>7d").lines == [key("b")])
            #expect(try mc(dir, "ls", "-q", "-f", "used<2h", "-f", "size<1K").lines == [key("a"), key("c")])
            #expect(try mc(dir, "ls", "--json", "--limit", "1").lines.count == 1)
            let bad = try mc(dir, "ls", "-f", "colour>1")
            #expect(bad.status == 64 && bad.stderr.contains("--filter"))
        }
    }

    @Test("dir prints the resolved directory; -v names the setting behind each value")
    func dirCommand() async throws {
        try await withTempDir { (dir) async throws in
            #expect(try CLI.run(["dir"], environment: ["VLLM_MEDIA_CACHE": dir + "/v"]).out == dir + "/v\n")
            #expect(try CLI.run(["dir", "--cache-dir", dir]).out == dir + "\n")
            #expect(try CLI.run(["dir"], environment: ["HOME": dir]).out == dir + "/.cache/mediacache\n")
            let verbose = try CLI.run(
                ["dir", "-v", "--ttl", "1h30m"], environment: ["MEDIACACHE_DIR": dir, "VLLM_MEDIA_CACHE_MAX_SIZE_MB": "10"])
            #expect(verbose.lines.count == 3)
            #expect(
                verbose.lines[0].hasPrefix("cache dir:") && verbose.lines[0].hasSuffix("(MEDIACACHE_DIR=\(dir))"),
                "\(verbose.out)")
            #expect(verbose.lines[1].contains("10.0 MiB") && verbose.lines[1].hasSuffix("(VLLM_MEDIA_CACHE_MAX_SIZE_MB=10)"))
            #expect(verbose.lines[2].contains("1h30m") && verbose.lines[2].hasSuffix("(--ttl 1h30m)"))
            #expect(Files.names(dir).isEmpty, "touches nothing")
        }
    }

    @Test("help pages show only the options that matter to each command")
    func helpShowsWhatMatters() throws {
        let key = try CLI.run(["key", "--help"]).out
        for option in ["--durable", "--shared", "--max-size", "--ttl", "--json"] {
            #expect(!key.contains(option), "key: \(option)")
        }
        #expect(key.contains("--cache-dir"))
        let list = try CLI.run(["list", "--help"]).out
        for option in ["--durable", "--shared", "--max-size"] { #expect(!list.contains(option), "list: \(option)") }
        let put = try CLI.run(["put", "--help"]).out
        for option in ["--durable", "--shared", "--max-size", "--ttl", "--allow-empty"] {
            #expect(put.contains(option), "put: \(option)")
        }
        #expect(!put.contains("--json"))
    }
}

@Suite("A new user's first hour (issue 13): completions and the man page")
struct FirstHourDocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// What bash completion offers for `words` (the last one being completed).
    static func bashCompletion(_ words: [String]) throws -> [String] {
        let script = """
            source '\(root)/completions/mediacache.bash'
            COMP_WORDS=(\(words.map { "'\($0)'" }.joined(separator: " ")))
            COMP_CWORD=\(words.count - 1)
            COMP_LINE='\(words.joined(separator: " "))'
            COMP_POINT=${#COMP_LINE}
            _mediacache mediacache '\(words[words.count - 1])' '\(words[words.count - 2])'
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test("bash: ls --sort <TAB> offers the orders, as list does")
    func bashCompletesTheAlias() throws {
        #expect(try Self.bashCompletion(["mediacache", "list", "--sort", ""]).sorted() == ["name", "size", "used"])
        #expect(try Self.bashCompletion(["mediacache", "ls", "--sort", ""]).sorted() == ["name", "size", "used"])
        #expect(try Self.bashCompletion(["mediacache", "ls", "--rev"]) == ["--reverse"])
    }

    @Test("zsh and fish scripts dispatch ls to list")
    func zshAndFishKnowTheAlias() throws {
        let zsh = try String(contentsOfFile: Self.root + "/completions/_mediacache", encoding: .utf8)
        #expect(zsh.contains("|list|ls|"))
        #expect(zsh.contains("_mediacache_ls() {\n    _mediacache_list \"$@\"\n}"))
        let fish = try String(contentsOfFile: Self.root + "/completions/mediacache.fish", encoding: .utf8)
        #expect(fish.contains("case 'list' 'ls'"))
        #expect(fish.contains("set -a commands (string replace -r '^ls$' 'list' -- $unparsed_tokens[1])"))
    }

    @Test("the man page has every exit code and every JSON schema of docs/cli.md")
    func manPageHasItAll() throws {
        let man = try String(contentsOfFile: Self.root + "/docs/mediacache.1", encoding: .utf8)
        let cli = try String(contentsOfFile: Self.root + "/docs/cli.md", encoding: .utf8)
        let exitTable = cli.components(separatedBy: "## Exit codes")[1].components(separatedBy: "## JSON output")[0]
        let codes = exitTable.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| "), let code = line.dropFirst(2).split(separator: " ").first, Int(code) != nil else {
                return nil
            }
            return String(code)
        }
        #expect(codes.count >= 12)
        for code in codes + ["129", "141", "143"] { #expect(man.contains(code), "exit code \(code)") }
        #expect(man.contains(".Sh \"JSON OUTPUT\""))
        let json = cli.components(separatedBy: "## JSON output")[1]
        for schema in ["stats --json", "list --json", "fetch --json", "prune --json", "evict --json", "verify --json"] {
            #expect(man.contains(".Ss \"\(schema)\""), "\(schema)")
        }
        for line in json.split(separator: "\n") where line.hasPrefix("| `") {
            let key = line.dropFirst(3).prefix { $0 != "`" }
            #expect(man.contains(".It Li \(key)\n"), "key \(key)")
        }
    }
}

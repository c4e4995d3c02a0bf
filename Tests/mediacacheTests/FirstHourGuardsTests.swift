import Foundation
import MediaCache
import TestSupport
import Testing

@Suite("A new user's first hour (issue 13): guards")
struct FirstHourGuardsTests {
    @Test("put refuses empty input (exit 65) unless --allow-empty, storing nothing")
    func putRefusesEmptyInput() async throws {
        try await withTempDir { (dir) async throws in
            let cache = dir + "/c"
            let empty = try mc(cache, "put", "https://h/cat.jpg", stdin: Data())
            #expect(empty.status == 65)
            #expect(empty.stderr.hasPrefix("mediacache: refusing to store empty input for https://h/cat.jpg"))
            #expect(!FileManager.default.fileExists(atPath: cache), "nothing created")
            let file = dir + "/empty"
            Files.write(file, [])
            #expect(try mc(cache, "put", "https://h/cat.jpg", file).status == 65)
            let allowed = try mc(cache, "put", "--allow-empty", "https://h/cat.jpg", stdin: Data())
            #expect(allowed.status == 0 && Files.entries(cache).count == 1)
        }
    }

    @Test("put refuses an HTML page under a media URL (exit 65) unless --allow-html; other URLs are stored")
    func putRefusesAnHTMLErrorPage() async throws {
        try await withTempDir { (dir) async throws in
            let page = Data("\n<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n".utf8)
            let refused = try mc(dir, "put", "https://h/cat.jpg?v=1", stdin: page)
            #expect(refused.status == 65 && refused.stderr.contains("HTML page"), "\(refused.stderr)")
            #expect(Files.entries(dir).isEmpty)
            #expect(try mc(dir, "put", "--allow-html", "https://h/cat.jpg", stdin: page).status == 0)
            #expect(try mc(dir, "put", "https://h/index.html", stdin: page).status == 0)
            #expect(try mc(dir, "put", "--content-type", "text/html", "https://h/page.png", stdin: page).status == 0)
            // A large body is stored whole after the look at its head
            let big = Data(repeating: 7, count: 3 * 1_048_576 + 5)
            let put = try mc(dir, "put", "https://h/big.mp4", stdin: big)
            #expect(put.status == 0)
            #expect(Files.read(String(put.out.dropLast())) == [UInt8](big))
        }
    }

    @Test(
        "put reading a terminal says it waits for stdin",
        .enabled(if: OnTerminal.available, "needs util-linux script for a pseudo-terminal"))
    func putSaysItWaitsForATerminal() async throws {
        try await withTempDir { (dir) async throws in
            let result = try OnTerminal.run(["put", "--cache-dir", dir, "https://h/typed.txt"], input: "typed\n\u{4}")
            #expect(
                result.text.contains("mediacache: reading the bytes for https://h/typed.txt from the terminal; end with Ctrl-D"),
                "\(result.text)")
        }
    }

    @Test(
        "get refuses to write binary bytes to a terminal unless -o -; text and --path are fine",
        .enabled(if: OnTerminal.available, "needs util-linux script for a pseudo-terminal"))
    func getRefusesBinaryToATerminal() async throws {
        try await withTempDir { (dir) async throws in
            try mc(dir, "put", "https://h/b.png", stdin: Data([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 13, 1, 2]))
            try mc(dir, "put", "https://h/t.txt", stdin: Data("hello text".utf8))
            let refused = try OnTerminal.run(["get", "--cache-dir", dir, "https://h/b.png"])
            #expect(refused.status == 64)
            #expect(refused.text.hasPrefix("mediacache: not writing binary bytes to a terminal"), "\(refused.text)")
            let forced = try OnTerminal.run(["get", "-o", "-", "--cache-dir", dir, "https://h/b.png"])
            #expect(forced.status == 0 && forced.text.contains("PNG"), "\(forced.text)")
            #expect(try OnTerminal.run(["get", "--cache-dir", dir, "https://h/t.txt"]).text == "hello text")
            #expect(try OnTerminal.run(["get", "--path", "--cache-dir", dir, "https://h/b.png"]).status == 0)
            // Piped, the bytes flow as always
            #expect(try mc(dir, "get", "https://h/b.png").stdout.count == 10)
            #expect(!FileManager.default.fileExists(atPath: dir + "/-"))
        }
    }

    @Test("stats, list, get and verify on a directory that does not exist: 'no cache at DIR', exit 66, nothing created")
    func readOnlyCommandsSayNoCache() async throws {
        try await withTempDir { (dir) async throws in
            let typo = dir + "/typo"
            for arguments in [
                ["stats"], ["stats", "--json"], ["list"], ["ls", "--json"], ["get", "https://h/a.png"],
                ["get", "--path", "https://h/a.png"], ["verify"],
            ] {
                let result = try CLI.run(arguments + ["--cache-dir", typo])
                #expect(result.status == 66, "\(arguments)")
                #expect(result.stdout.isEmpty)
                #expect(
                    result.stderr
                        == "mediacache: no cache at \(typo); nothing was ever stored there (check --cache-dir, MEDIACACHE_DIR, VLLM_MEDIA_CACHE)\n",
                    "\(arguments)")
            }
            let viaEnvironment = try CLI.run(["stats"], environment: ["VLLM_MEDIA_CACHE": typo])
            #expect(viaEnvironment.status == 66)
            #expect(!FileManager.default.fileExists(atPath: typo))
            // An existing, empty directory is an empty cache
            try FileManager.default.createDirectory(atPath: typo, withIntermediateDirectories: true)
            #expect(try CLI.run(["stats", "--cache-dir", typo]).status == 0)
        }
    }

    @Test(
        "evict --all asks on a terminal; no keeps everything (exit 1), yes removes; --yes and a pipe do not ask",
        .enabled(if: OnTerminal.available, "needs util-linux script for a pseudo-terminal"))
    func evictAllAsksOnATerminal() async throws {
        try await withTempDir { (dir) async throws in
            for name in ["a", "b"] { try mc(dir, "put", "https://h/\(name).png", stdin: Data(name.utf8)) }
            let declined = try OnTerminal.run(["evict", "--all", "--cache-dir", dir], input: "n\n")
            #expect(declined.text.contains("mediacache: remove all 2 entries (2 B) from \(dir)? [y/N]"), "\(declined.text)")
            #expect(declined.status == 1 && Files.entries(dir).count == 2)
            let accepted = try OnTerminal.run(["evict", "--all", "--cache-dir", dir], input: "y\n")
            #expect(accepted.status == 0 && accepted.text.contains("evicted 2 entries, 2 B"), "\(accepted.text)")
            #expect(Files.entries(dir).isEmpty)
            try mc(dir, "put", "https://h/c.png", stdin: Data("c".utf8))
            let yes = try OnTerminal.run(["evict", "--all", "--yes", "--cache-dir", dir])
            #expect(yes.status == 0 && !yes.text.contains("[y/N]") && Files.entries(dir).isEmpty)
            try mc(dir, "put", "https://h/d.png", stdin: Data("d".utf8))
            #expect(try mc(dir, "evict", "--all").out == "evicted 1 entry, 1 B\n")
        }
    }
}

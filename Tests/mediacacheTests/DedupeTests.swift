import Foundation
import TestSupport
import Testing

/// `--dedupe`: a write whose bytes another entry already holds becomes a
/// hard link to that entry's file: one inode, many names, each a plain file.
@Suite("Identical bodies stored once (--dedupe)")
struct DedupeTests {
    /// inode and link count of a file, not following symlinks.
    private func inode(_ path: String) -> (inode: UInt64, links: Int) {
        var info = stat()
        lstat(path, &info)
        return (UInt64(info.st_ino), Int(info.st_nlink))
    }

    private func json(_ result: ProcessResult) -> [String: Any] { Reliability.jsonLines(result).first ?? [:] }

    @Test("put, fetch and get --fetch of one body under several URLs store one file, counted once; every name reads back")
    func oneFileManyNames() async throws {
        let server = try await TestServer.start()
        try await withTempDir { (dir) async throws in
            let size = 300 << 10
            let body = TestServer.body("same", size: size)
            // Given: the same bytes under four URLs (signed-URL style query parameters)
            let putURL = "https://cdn.example/a/cat.jpg"
            let aliasURL = "https://alias.example/cat.jpg"
            let fetchURL = server.url("/file/same?size=\(size)&sig=1")
            let getURL = server.url("/file/same?size=\(size)&sig=2")

            // When: each is stored with dedupe on (flag or environment)
            let put = try mc(dir, "put", "--dedupe", putURL, stdin: Data(body))
            let alias = try mc(dir, "put", aliasURL, stdin: Data(body), env: ["MEDIACACHE_DEDUPE": "1"])
            let fetch = try mc(dir, "fetch", "-q", "--dedupe", fetchURL)
            let get = try mc(dir, "get", "--fetch", "--dedupe", "-o", "/dev/null", getURL)
            for result in [put, alias, fetch, get] { #expect(result.status == 0, "\(result.stderr)") }

            // Then: four names, one inode with four links
            let names = Files.entries(dir)
            #expect(names.count == 4)
            let inodes = Set(names.map { inode(dir + "/" + $0).inode })
            #expect(inodes.count == 1 && names.allSatisfy { inode(dir + "/" + $0).links == 4 })
            // And: every name reads back the bytes, with its own URL and metadata
            for url in [putURL, aliasURL, fetchURL, getURL] {
                let read = try mc(dir, "get", url)
                #expect(read.status == 0 && Files.sha256([UInt8](read.stdout)) == Files.sha256(body))
            }
            let urls = Set(Reliability.jsonLines(try mc(dir, "list", "--json")).compactMap { $0["url"] as? String })
            #expect(urls == Set([putURL, aliasURL, fetchURL, getURL]))
            #expect(try mc(dir, "verify").status == 0)
            // And: stats counts the bytes once and says what was saved
            let stats = json(try mc(dir, "stats", "--json"))
            #expect(Reliability.int(stats, "entries") == 4 && Reliability.int(stats, "bytes") == size)
            #expect(Reliability.int(stats, "bytes_saved") == 3 * size && Reliability.int(stats, "shared_entries") == 4)
            #expect(try mc(dir, "stats").out.contains("4 entries share their bytes with another, 900 KiB saved"))

            // When: one name is evicted
            #expect(try mc(dir, "evict", "-q", aliasURL).status == 0)
            // Then: the others are intact and still one file
            #expect(Files.entries(dir).count == 3)
            for url in [putURL, fetchURL, getURL] {
                #expect(Files.sha256([UInt8](try mc(dir, "get", url).stdout)) == Files.sha256(body))
            }
            let after = json(try mc(dir, "stats", "--json"))
            #expect(Reliability.int(after, "bytes") == size && Reliability.int(after, "bytes_saved") == 2 * size)
        }
        await server.stop()
    }

    @Test("without --dedupe identical bodies are stored twice, as before")
    func offByDefault() async throws {
        try await withTempDir { (dir) async throws in
            let body = Data(TestServer.body("twice", size: 4096))
            #expect(try mc(dir, "put", "https://h/1.bin", stdin: body).status == 0)
            #expect(try mc(dir, "put", "https://h/2.bin", stdin: body).status == 0)
            let names = Files.entries(dir)
            #expect(Set(names.map { inode(dir + "/" + $0).inode }).count == 2)
            #expect(try mc(dir, "put", "https://h/3.bin", stdin: body, env: ["MEDIACACHE_DEDUPE": "maybe"]).status == 64)
        }
    }

    @Test("the size limit, prune and evict count a shared file once and free it only with its last name")
    func evictionCountsAnInodeOnce() async throws {
        try await withTempDir { (dir) async throws in
            let size = 400 << 10
            let shared = Data(TestServer.body("shared", size: size))
            // Given: one body under two names and another body, 1200 KiB by name, 800 KiB on disk
            #expect(try mc(dir, "put", "--dedupe", "--max-size", "1000K", "https://h/a.bin", stdin: shared).status == 0)
            #expect(try mc(dir, "put", "--dedupe", "--max-size", "1000K", "https://h/b.bin", stdin: shared).status == 0)
            let other = try mc(
                dir, "put", "--dedupe", "--max-size", "1000K", "https://h/d.bin",
                stdin: Data(TestServer.body("other", size: size)))
            // Then: under a 1000 KiB limit nothing was evicted
            #expect(other.status == 0 && Files.entries(dir).count == 3)
            #expect(Reliability.int(json(try mc(dir, "prune", "--json", "--max-size", "1000K")), "removed_entries") == 0)

            // When: the shared file is the least recently used and the limit drops to 500 KiB
            let a = try mc(dir, "key", "--path", "https://h/a.bin").out.trimmingCharacters(in: .newlines)
            Files.backdate(a, secondsAgo: 600)  // both names: they share the mtime
            let prune = json(try mc(dir, "prune", "--json", "--max-size", "500K"))
            // Then: both of its names went (one alone frees nothing), 400 KiB left the disk, the other body stays
            #expect(Reliability.int(prune, "over_size") == 2 && Reliability.int(prune, "removed_bytes") == size)
            #expect(Reliability.int(prune, "bytes_before") == 2 * size && Reliability.int(prune, "bytes") == size)
            #expect(try mc(dir, "get", "-q", "-o", "/dev/null", "https://h/d.bin").status == 0)
            #expect(Files.entries(dir).count == 1)
        }
    }

    @Test("a corrupted file is reported by verify under every name it has, and --fix removes them all")
    func corruptionUnderEveryName() async throws {
        try await withTempDir { (dir) async throws in
            let body = Data(TestServer.body("rot", size: 8192))
            for name in ["x", "y"] { #expect(try mc(dir, "put", "--dedupe", "https://h/\(name).png", stdin: body).status == 0) }
            // When: the shared file's bytes change in place (bit rot, a stray writer)
            let path = try mc(dir, "key", "--path", "https://h/x.png").out.trimmingCharacters(in: .newlines)
            let fd = open(path, O_WRONLY)
            #expect(pwrite(fd, "rotten", 6, 100) == 6)
            close(fd)
            // Then: both names are corrupt, each with its own URL
            let verify = try mc(dir, "verify", "--json")
            #expect(verify.status == 1)
            let corrupt = Reliability.jsonLines(verify).filter { $0["status"] as? String == "corrupt" }
            #expect(Set(corrupt.compactMap { $0["url"] as? String }) == ["https://h/x.png", "https://h/y.png"])
            _ = try mc(dir, "verify", "--fix")
            #expect(Files.entries(dir).isEmpty)
        }
    }

    @Test("names that vLLM replaced or deleted behind the index are never linked to; later writes relink")
    func toleratesVLLMChangesBehindTheIndex() async throws {
        try await withTempDir { (dir) async throws in
            let body = Data(TestServer.body("vllm", size: 8192))
            #expect(try mc(dir, "put", "--dedupe", "https://h/first.jpg", stdin: body).status == 0)
            let first = try mc(dir, "key", "--path", "https://h/first.jpg").out.trimmingCharacters(in: .newlines)
            // Given: vLLM renames its own download of the same bytes over the entry (a new inode, no metadata)
            let vllmTemp = dir + "/tmpab12cd34"
            Files.write(vllmTemp, [UInt8](body))
            #expect(rename(vllmTemp, first) == 0)
            // When: the same bytes are stored under a second URL
            #expect(try mc(dir, "put", "--dedupe", "https://h/second.jpg", stdin: body).status == 0)
            let second = try mc(dir, "key", "--path", "https://h/second.jpg").out.trimmingCharacters(in: .newlines)
            // Then: it is stored whole, not linked to vLLM's file
            #expect(inode(first).links == 1 && inode(second).links == 1)

            // Given: vLLM deletes the first name
            #expect(unlink(first) == 0)
            // When: a third URL of the same bytes
            #expect(try mc(dir, "put", "--dedupe", "https://h/third.jpg", stdin: body).status == 0)
            let third = try mc(dir, "key", "--path", "https://h/third.jpg").out.trimmingCharacters(in: .newlines)
            // Then: it shares the second's file
            #expect(inode(third).inode == inode(second).inode && inode(third).links == 2)

            // When: every name goes; then prune drops the index record that leads nowhere
            #expect(try mc(dir, "evict", "-q", "--all", "--yes").status == 0)
            #expect(!Files.names(dir + "/.mediacache/content").isEmpty)
            #expect(try mc(dir, "prune", "-q").status == 0)
            #expect(Files.names(dir + "/.mediacache/content").isEmpty)
        }
    }
}

import Foundation
import TestSupport
import Testing

/// Invariant 6 for a full disk: on a 2 MiB tmpfs, writes that do not fit fail
/// with one clear line and a documented code, and nothing else changes.
@Suite("Reliability: full disk")
struct ReliabilityFullDiskTests {
    @Test(
        "put, fetch and get --fetch on a full tmpfs fail cleanly; old entries stay readable; freeing space heals it",
        .enabled(if: Reliability.canMountTmpfs, "needs to mount a tmpfs (root, and a kernel or container that allows it)"))
    func fullDisk() async throws {
        let server = try await TestServer.start()
        try await withTempDir { dir in
            let mount = dir + "/mnt"
            try #require(Reliability.mountTmpfs(mount, size: "2m"))
            defer { Reliability.unmount(mount) }

            // Given: three 256 KiB entries on a 2 MiB file system (about 1.2 MiB left)
            let cache = mount + "/cache"
            let common = ["--cache-dir", cache]
            var kept: [(url: String, sha: String)] = []
            for index in 0..<3 {
                let url = "http://disk.invalid/kept\(index).bin"
                let bytes = TestServer.body("kept\(index)", size: 256 << 10)
                #expect(try CLI.run(["put", "-q", url] + common, stdin: Data(bytes)).status == 0)
                kept.append((url, Files.sha256(bytes)))
            }
            let bigFile = dir + "/big.bin"
            Files.write(bigFile, TestServer.body("big", size: 3 << 19))  // 1.5 MiB: does not fit
            let bigURL = "http://disk.invalid/big.bin"
            let bigFetch = server.url("/file/bigfetch?size=\(3 << 19)")

            // When: put, fetch and get --fetch each try to store 1.5 MiB
            let put = try CLI.run(["put", bigURL, bigFile] + common)
            let fetch = try CLI.run(["fetch", "-q", bigFetch] + common)
            let readThrough = try CLI.run(["get", "--fetch", "-o", dir + "/out", bigFetch] + common)

            // Then: one clear line each, the documented codes (fetch: 1, "a URL failed")
            for (result, code) in [(put, Int32(74)), (fetch, 1), (readThrough, 74)] {
                #expect(result.status == code, "\(result.stderr)")
                let lines = Reliability.stderrLines(result)
                #expect(lines.count == 1 && lines[0].contains("no space left on device"), "\(result.stderr)")
            }
            // And: no new entry, no temp file, old entries whole
            #expect(try CLI.run(["get", bigURL] + common).status == 1)
            #expect(try CLI.run(["get", bigFetch] + common).status == 1)
            #expect(Reliability.tempFiles(cache).isEmpty, "\(Reliability.tempFiles(cache))")
            #expect(Files.entries(cache).count == 3)
            for entry in kept {
                let get = try CLI.run(["get", entry.url] + common)
                #expect(get.status == 0 && Files.sha256([UInt8](get.stdout)) == entry.sha)
            }
            let verify = try CLI.run(["verify"] + common)
            #expect(verify.status == 0, "\(verify.out)")

            // When: two entries are evicted to make room
            #expect(try CLI.run(["evict", "-q", kept[0].url, kept[1].url] + common).status == 0)

            // Then: a 1 MiB put and a 256 KiB fetch work again, and read back whole
            let smaller = Array(TestServer.body("big", size: 1 << 20))
            #expect(try CLI.run(["put", "-q", bigURL] + common, stdin: Data(smaller)).status == 0)
            let after = server.url("/file/after?size=\(256 << 10)")
            #expect(try CLI.run(["fetch", "-q", after] + common).status == 0)
            #expect(Files.sha256([UInt8](try CLI.run(["get", bigURL] + common).stdout)) == Files.sha256(smaller))
            let fetched = try CLI.run(["get", after] + common)
            #expect(Files.sha256([UInt8](fetched.stdout)) == Files.sha256(TestServer.body("after", size: 256 << 10)))
            #expect(Reliability.tempFiles(cache).isEmpty)
        }
        await server.stop()
    }
}

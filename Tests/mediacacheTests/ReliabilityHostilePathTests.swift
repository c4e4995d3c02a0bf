import Foundation
import MediaCache
import TestSupport
import Testing

/// Nothing planted in a cache directory is ever followed, touched through, or
/// clobbered; new directories get the modes the docs promise.
@Suite("Reliability: hostile paths")
struct ReliabilityHostilePathTests {
    @Test("a symlink named like an entry is a miss; get never follows it; prune, evict and verify --fix remove only the link")
    func plantedLinks() async throws {
        try await withTempDir { dir in
            // Given: links (and a FIFO) under the names of three URLs, pointing at a file outside the cache
            let cache = dir + "/cache"
            let common = ["--cache-dir", cache]
            #expect(try CLI.run(["put", "-q", "http://h.invalid/good"] + common, stdin: Data("good".utf8)).status == 0)
            let target = dir + "/target.jpg"
            Files.write(target, Array("secret outside the cache".utf8))
            Files.backdate(target, secondsAgo: 3600)
            let before = Reliability.snapshot(target)
            let urls = ["http://h.invalid/a.jpg", "http://h.invalid/b.jpg", "http://h.invalid/c.jpg"]
            let links = try urls.map { cache + "/" + (try CacheKey(url: $0).name) }
            for link in links { try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target) }
            let fifoURL = "http://h.invalid/fifo.jpg"
            let fifo = cache + "/" + (try CacheKey(url: fifoURL).name)
            #expect(mkfifo(fifo, 0o600) == 0)

            // When / Then: get (bytes, --path, -o) misses without following, and returns at once for the FIFO
            for url in urls + [fifoURL] {
                for extra in [[], ["--path"], ["-o", dir + "/out"]] {
                    let get = try CLI.run(["get"] + extra + [url] + common, timeout: 20)
                    #expect(get.status == 1 && get.stdout.isEmpty, "\(get.brief([url]))")
                }
            }
            #expect(Reliability.snapshot(target) == before)
            #expect(Files.read(target) == Array("secret outside the cache".utf8))

            // When: stats counts them; evict takes one, verify --fix another, prune the rest
            let stats = Reliability.jsonLines(try CLI.run(["stats", "--json"] + common)).first ?? [:]
            #expect(Reliability.int(stats, "hostile_entries") == 4 && Reliability.int(stats, "entries") == 1)
            #expect(try CLI.run(["evict", "-q", urls[0]] + common).status == 0)
            #expect(
                !FileManager.default.fileExists(atPath: links[0])
                    && (try? FileManager.default.destinationOfSymbolicLink(atPath: links[0])) == nil)
            let fix = try CLI.run(["verify", "--fix", "--json"] + common)
            #expect(fix.status == 0)
            #expect(Reliability.snapshot(cache)["./" + (links[1] as NSString).lastPathComponent] == nil)
            #expect(Reliability.snapshot(cache)["./" + (fifo as NSString).lastPathComponent] == nil)
            // verify --fix took both remaining links and the FIFO; put one back for prune
            try FileManager.default.createSymbolicLink(atPath: links[2], withDestinationPath: target)
            let prune = try CLI.run(["prune", "--json"] + common)
            #expect(Reliability.int(Reliability.jsonLines(prune).first ?? [:], "hostile") == 1, "\(prune.out)")

            // Then: only the good entry is left, and the target was never touched
            #expect(Files.entries(cache) == [try CacheKey(url: "http://h.invalid/good").name])
            #expect(Reliability.snapshot(target) == before)
            #expect(Files.read(target) == Array("secret outside the cache".utf8))
        }
    }

    @Test("put over a planted link replaces the link, never writes through it; temp-like names are never clobbered")
    func writesNeverFollowOrClobber() async throws {
        try await withTempDir { dir in
            // Given: a link under an entry's name, and files and links with temp-like names in every cache directory
            let cache = dir + "/cache"
            let common = ["--cache-dir", cache]
            #expect(try CLI.run(["prune"] + common).status == 0)
            let target = dir + "/target"
            Files.write(target, Array("outside".utf8))
            Files.backdate(target, secondsAgo: 60)
            let url = "http://h.invalid/put-over-link"
            let key = try CacheKey(url: url).name
            try FileManager.default.createSymbolicLink(atPath: cache + "/" + key, withDestinationPath: target)
            let pid = ProcessInfo.processInfo.processIdentifier
            var planted: [String] = []
            for sub in ["", "/.mediacache", "/.mediacache/meta"] {
                for tag in [key.prefix(20), "state"] {
                    let file = cache + sub + "/.tmp-\(tag)-\(pid)-planted"
                    Files.write(file, Array("planted".utf8))
                    let link = cache + sub + "/.tmp-\(tag)-\(pid)-link"
                    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
                    planted += [file, link]
                }
            }
            let before = Reliability.snapshot(target)
            let plantedBefore = planted.map { Reliability.snapshot($0) }

            // When: the URL is put (entry, metadata and state all go through the atomic writer)
            #expect(try CLI.run(["put", "-q", url] + common, stdin: Data("inside".utf8)).status == 0)

            // Then: the link became a regular entry; the target and every planted name are as they were
            #expect(Files.read(target) == Array("outside".utf8) && Reliability.snapshot(target) == before)
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: cache + "/" + key)) == nil)
            #expect(Files.read(cache + "/" + key) == Array("inside".utf8))
            #expect(planted.map { Reliability.snapshot($0) } == plantedBefore)

            // And: prune removes old temp-like names (links as links) without following them
            for path in planted { Files.backdate(path, secondsAgo: 7200) }
            #expect(try CLI.run(["prune", "-q"] + common).status == 0)
            #expect(planted.allSatisfy { Reliability.snapshot($0).isEmpty })
            #expect(Files.read(target) == Array("outside".utf8))
        }
    }

    @Test("a .mediacache planted as a symlink is refused, never written through")
    func plantedPrivateDirectory() async throws {
        try await withTempDir { dir in
            // Given: a cache directory whose .mediacache is a link to a directory elsewhere
            let cache = dir + "/cache"
            let elsewhere = dir + "/elsewhere"
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: cache + "/.mediacache", withDestinationPath: elsewhere)

            // When: put and prune run
            let put = try CLI.run(["put", "--cache-dir", cache, "http://h.invalid/x"], stdin: Data("x".utf8))
            let prune = try CLI.run(["prune", "--cache-dir", cache])

            // Then: one clear line and exit 74 each; nothing was written on either side of the link
            for result in [put, prune] {
                #expect(result.status == 74 && Reliability.stderrLines(result).count == 1, "\(result.stderr)")
                #expect(result.stderr.contains(".mediacache"))
            }
            #expect(Files.names(elsewhere).isEmpty)
            #expect(Files.names(cache) == [".mediacache"])
        }
    }

    @Test("a new cache directory is 0700; with --shared 2770, private directories too")
    func directoryModes() async throws {
        try await withTempDir { (dir) async throws in
            let mode = { (path: String) -> mode_t? in Reliability.snapshot(path)["."]?.mode }
            #expect(try CLI.run(["prune", "--cache-dir", dir + "/private/cache"]).status == 0)
            for sub in ["", "/.mediacache", "/.mediacache/meta", "/.mediacache/locks"] {
                #expect(mode(dir + "/private/cache" + sub) == 0o700, "\(sub)")
            }
            let shared = dir + "/shared/cache"
            #expect(
                try CLI.run(["put", "-q", "--shared", "--cache-dir", shared, "http://h.invalid/one"], stdin: Data("one".utf8))
                    .status == 0)
            for sub in ["", "/.mediacache", "/.mediacache/meta", "/.mediacache/locks"] {
                #expect(mode(shared + sub) == 0o2770, "\(sub)")
            }
            // An existing directory keeps its mode
            #expect(try CLI.run(["stats", "--shared", "--cache-dir", dir + "/private/cache"]).status == 0)
            #expect(mode(dir + "/private/cache") == 0o700)
        }
    }

    @Test(
        "another user in a --shared cache's group can write and read it",
        .enabled(if: Reliability.isRoot, "needs root to run a command as another user"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs /usr/bin/setpriv"))
    func sharedCacheServesAnotherGroupMember() async throws {
        try await withTempDir { (dir) async throws in
            // Given: a shared cache made by root, with one entry
            let shared = dir + "/shared/cache"
            #expect(
                try CLI.run(["put", "-q", "--shared", "--cache-dir", shared, "http://h.invalid/one"], stdin: Data("one".utf8))
                    .status == 0)
            chmod(dir, 0o755)
            chmod(dir + "/shared", 0o755)
            Files.write(dir + "/two", Array("two".utf8))
            chmod(dir + "/two", 0o644)

            // When: user nobody, in root's group, puts and gets
            let nobody = ["setpriv", "--reuid", "65534", "--regid", "65534", "--groups", "0", CLI.binary]
            #expect(Reliability.shell(nobody + ["put", "-q", "--cache-dir", shared, "http://h.invalid/two", dir + "/two"]) == 0)
            #expect(
                Reliability.shell(nobody + ["get", "-q", "-o", "/dev/null", "--cache-dir", shared, "http://h.invalid/one"]) == 0)

            // Then: root reads what nobody stored
            #expect(try CLI.run(["get", "--cache-dir", shared, "http://h.invalid/two"]).out == "two")
        }
    }
}

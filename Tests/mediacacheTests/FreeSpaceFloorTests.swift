import Foundation
import TestSupport
import Testing

/// Small file systems mounted for one test: whether this machine allows it,
/// found out once by mounting and unmounting a scratch one.
enum Mounts {
    static let tmpfs = probe("tmpfs", options: "size=1m")
    static let ramfs = probe("ramfs", options: "mode=755")

    private static func probe(_ type: String, options: String) -> Bool {
        guard Reliability.isRoot else { return false }
        let path = NSTemporaryDirectory() + "mediacache-mount-probe-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard Reliability.shell(["mount", "-t", type, "-o", options, type, path]) == 0 else { return false }
        Reliability.unmount(path)
        return true
    }

    /// Mounts a file system of `type` on `path`.
    static func mount(_ type: String, options: String, on path: String) -> Bool {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return Reliability.shell(["mount", "-t", type, "-o", options, type, path]) == 0
    }

    /// Bytes free for unprivileged users, as the floor counts them.
    static func free(_ path: String) -> Int {
        var info = statvfs()
        statvfs(path, &info)
        return Int(info.f_bavail) * Int(info.f_frsize)
    }
}

/// `--min-free` (nginx's `min_free`): prune and the writes that enforce the
/// limit also evict least recently used entries until the file system has
/// that much free.
@Suite("Free-space floor (--min-free) on a small tmpfs")
struct FreeSpaceFloorTests {
    /// Six 512 KiB entries (3 MiB) on a 4 MiB tmpfs, oldest first; their keys.
    private func fill(_ cache: String) throws -> [String] {
        var keys: [String] = []
        for index in 0..<6 {
            let put = try CLI.run(
                ["put", "http://floor.invalid/\(index).bin", "--cache-dir", cache],
                stdin: Data(TestServer.body("floor\(index)", size: 512 << 10)))
            #expect(put.status == 0, "\(put.stderr)")
            let path = put.out.trimmingCharacters(in: .newlines)
            Files.backdate(path, secondsAgo: Double(3600 - index * 60))
            keys.append(URL(fileURLWithPath: path).lastPathComponent)
        }
        return keys
    }

    /// Whether the entries left of `keys` are its newest ones (LRU order kept).
    private func newestKept(_ keys: [String], in cache: String) -> Bool {
        let left = keys.filter(Files.entries(cache).contains)
        return left == Array(keys.suffix(left.count))
    }

    @Test(
        "stats and doctor show free space and the floor; prune evicts the least recently used until the floor is free",
        .enabled(if: Mounts.tmpfs, "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)"))
    func pruneKeepsTheFloorFree() async throws {
        try await withTempDir { (dir) async throws in
            let mount = dir + "/mnt"
            try #require(Mounts.mount("tmpfs", options: "size=4m,mode=755", on: mount))
            defer { Reliability.unmount(mount) }
            let cache = mount + "/cache"
            let common = ["--cache-dir", cache, "--min-free", "2M"]
            // Given: 3 MiB of entries on a 4 MiB file system, under 1 MiB free
            let keys = try fill(cache)
            #expect(Mounts.free(mount) < 1 << 20)

            // Then: stats and doctor show free space against the floor
            let stats = Reliability.jsonLines(try CLI.run(["stats", "--json"] + common)).first ?? [:]
            #expect(Reliability.int(stats, "free_bytes") == Mounts.free(mount))
            #expect(Reliability.int(stats, "min_free_bytes") == 2 << 20)
            #expect(try CLI.run(["stats"] + common).out.contains("(floor 2.0 MiB; below it"))
            let doctor = try CLI.run(["doctor", "--no-calibration"] + common)
            #expect(doctor.status == 1 && doctor.out.contains("floor 2.0 MiB (--min-free): below the floor"), "\(doctor.out)")
            let doctorJSON = Reliability.jsonLines(try CLI.run(["doctor", "--no-calibration", "--json"] + common)).first ?? [:]
            #expect(Reliability.int(doctorJSON, "min_free_bytes") == 2 << 20)

            // When: prune with the floor, dry run first
            let dry = try CLI.run(["prune", "--dry-run"] + common)
            #expect(dry.lines.filter { $0.hasPrefix("would remove\tfree_space\t") }.count >= 2, "\(dry.out)")
            #expect(Files.entries(cache).count == 6)
            let prune = try CLI.run(["prune", "--json"] + common)

            // Then: the oldest entries went, just enough to free 2 MiB; the newest stay
            let report = Reliability.jsonLines(prune).first ?? [:]
            let removed = Reliability.int(report, "over_free") ?? 0
            #expect((2...4).contains(removed), "\(prune.out)")
            #expect(Reliability.int(report, "over_size") == 0 && Reliability.int(report, "min_free_bytes") == 2 << 20)
            #expect(Mounts.free(mount) >= 2 << 20)
            #expect(Files.entries(cache).count == 6 - removed && newestKept(keys, in: cache))
            #expect(try CLI.run(["doctor", "--no-calibration"] + common).status == 0)
        }
    }

    @Test(
        "put (MEDIACACHE_MIN_FREE), fetch and get --fetch keep the floor free, never evicting what they just wrote",
        .enabled(if: Mounts.tmpfs, "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)"))
    func writesKeepTheFloorFree() async throws {
        let server = try await TestServer.start()
        try await withTempDir { (dir) async throws in
            let mount = dir + "/mnt"
            try #require(Mounts.mount("tmpfs", options: "size=4m,mode=755", on: mount))
            defer { Reliability.unmount(mount) }
            let cache = mount + "/cache"
            let keys = try fill(cache)

            // When: a put with the floor in the environment
            let put = try CLI.run(
                ["put", "http://floor.invalid/new.bin", "--cache-dir", cache],
                stdin: Data(TestServer.body("new", size: 256 << 10)),
                environment: ["MEDIACACHE_MIN_FREE": "1M"])
            // Then: least recently used entries went until 1 MiB is free; the new entry stays
            #expect(put.status == 0, "\(put.stderr)")
            #expect(Mounts.free(mount) >= 1 << 20)
            #expect(
                Files.entries(cache).contains(URL(fileURLWithPath: put.out.trimmingCharacters(in: .newlines)).lastPathComponent))
            #expect(Files.entries(cache).count < 7 && newestKept(keys, in: cache))

            // When: fetch and get --fetch with a higher floor
            let fetched = server.url("/file/floor-fetch?size=\(256 << 10)")
            let fetch = try CLI.run(["fetch", "-q", "--min-free", "2M", "--cache-dir", cache, fetched])
            #expect(fetch.status == 0, "\(fetch.stderr)")
            #expect(Mounts.free(mount) >= 2 << 20)
            let readThrough = server.url("/file/floor-get?size=\(256 << 10)")
            let get = try CLI.run([
                "get", "--fetch", "-o", dir + "/out", "--min-free", "2400K", "--cache-dir", cache, readThrough,
            ])
            #expect(get.status == 0, "\(get.stderr)")
            #expect(Mounts.free(mount) >= 2400 << 10)
            // Then: both new entries are there, and what left was the oldest
            #expect(try CLI.run(["get", "-q", "-o", "/dev/null", "--cache-dir", cache, fetched]).status == 0)
            #expect(try CLI.run(["get", "-q", "-o", "/dev/null", "--cache-dir", cache, readThrough]).status == 0)
            #expect(newestKept(keys, in: cache))
        }
        await server.stop()
    }

    @Test(
        "on ramfs, which reports no capacity, free space is unknown and the floor evicts nothing",
        .enabled(if: Mounts.ramfs, "cannot mount a ramfs here (needs root with CAP_SYS_ADMIN)"))
    func unknownFreeSpaceEvictsNothing() async throws {
        try await withTempDir { (dir) async throws in
            let mount = dir + "/mnt"
            try #require(Mounts.mount("ramfs", options: "mode=755", on: mount))
            defer { Reliability.unmount(mount) }
            let cache = mount + "/cache"
            let common = ["--cache-dir", cache, "--min-free", "1T"]
            for index in 0..<2 {
                #expect(
                    try CLI.run(["put", "-q", "http://ramfs.invalid/\(index).bin"] + common, stdin: Data("bytes \(index)".utf8))
                        .status == 0)
            }
            let prune = Reliability.jsonLines(try CLI.run(["prune", "--json"] + common)).first ?? [:]
            #expect(Reliability.int(prune, "over_free") == 0 && Reliability.int(prune, "entries") == 2)
            let stats = Reliability.jsonLines(try CLI.run(["stats", "--json"] + common)).first ?? [:]
            #expect(stats["free_bytes"] is NSNull && Reliability.int(stats, "min_free_bytes") == 1 << 40)
            #expect(Files.entries(cache).count == 2)
        }
    }
}

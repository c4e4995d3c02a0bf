import Foundation
import MediaCache
import TestSupport
import Testing

@Suite("A cache this process may read but not write")
struct ReadOnlyCacheTests {
    /// Whether a directory can be bind-mounted read-only here (root, in a
    /// kernel and container that allow it); found out once, by doing it.
    static let canBindMountReadOnly: Bool = {
        guard geteuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "mediacache-bind-probe-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: probe + "/src", withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: probe + "/ro", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard ReadOnlyCacheTests.sh("mount --bind '\(probe)/src' '\(probe)/ro'") else { return false }
        defer { _ = ReadOnlyCacheTests.sh("umount '\(probe)/ro'") }
        return ReadOnlyCacheTests.sh("mount -o remount,ro,bind '\(probe)/ro'")
    }()

    /// Runs `command` with bash; true when it exits 0.
    static func sh(_ command: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        return process.waitUntilExit(timeout: 60) && process.terminationStatus == 0
    }

    @Test(
        "a vLLM cache on a read-only mount: get, list, stats and verify work; writes fail clearly and change nothing",
        .enabled(
            if: canBindMountReadOnly, "needs to bind-mount a directory read-only (root, and a kernel or container that allows it)"
        ))
    func readOnlyVLLMCache() async throws {
        try await withTempDir { (dir) async throws in
            // Given a directory vLLM filled, mounted read-only, with no .mediacache yet
            let key = try CacheKey(url: "https://cdn.example/cat.jpg")
            try FileManager.default.createDirectory(atPath: dir + "/src", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: dir + "/ro", withIntermediateDirectories: true)
            Files.write(dir + "/src/" + key.name, Array("vllm bytes".utf8))
            try #require(Self.sh("mount --bind '\(dir)/src' '\(dir)/ro' && mount -o remount,ro,bind '\(dir)/ro'"))
            defer { _ = Self.sh("umount '\(dir)/ro'") }
            let cache = dir + "/ro"

            // Then reads work
            let get = try CLI.run(["get", "--cache-dir", cache, "https://cdn.example/cat.jpg"])
            #expect(get.status == 0 && get.out == "vllm bytes")
            #expect(try CLI.run(["get", "-q", "--cache-dir", cache, "https://cdn.example/dog.jpg"]).status == 1)
            #expect(try CLI.run(["list", "--cache-dir", cache]).lines.count == 2)
            #expect(try CLI.run(["stats", "--json", "--cache-dir", cache]).out.contains("\"entries\":1"))
            #expect(try CLI.run(["verify", "--cache-dir", cache]).status == 0)

            // And writes fail with one line and exit 77, changing nothing
            for arguments in [["put", "https://h/x.png"], ["evict", "--all"], ["prune", "--max-size", "1"]] {
                let result = try CLI.run(arguments + ["--cache-dir", cache], stdin: Data("x".utf8))
                #expect(result.status == 77, "\(arguments)")
                #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("read-only file system"))
            }
            #expect(Files.names(dir + "/src") == [key.name])
        }
    }
}

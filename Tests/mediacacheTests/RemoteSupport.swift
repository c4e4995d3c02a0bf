import Foundation
import TestSupport
import Testing

/// Helpers for the shared-tier tests: media on the test origin, nodes
/// (each a cache directory of its own), and the per-level counters.
enum Remote {
    /// Whether Debian's nginx is installed (`.ci/run` installs it when missing).
    static let nginx = NginxServer.isAvailable

    /// `count` media URLs on `server`, each of `size` bytes (or sizes growing from it), and their expected bytes.
    static func media(_ server: TestServer, _ prefix: String, count: Int, size: Int, varied: Bool = false) -> [(
        url: String, bytes: [UInt8]
    )] {
        (0..<count).map { index in
            let name = "\(prefix)\(index)"
            let bytes = size + (varied ? index * 1000 : 0)
            return (server.url("/file/\(name)?size=\(bytes)"), TestServer.body(name, size: bytes))
        }
    }

    /// Runs `mediacache fetch` on one node through the given levels.
    @discardableResult
    static func fetch(_ node: String, _ urls: [String], remotes: [String], jobs: Int = 4, extra: [String] = []) throws
        -> ProcessResult
    {
        try CLI.run(["fetch", "-q", "-j", "\(jobs)", "--cache-dir", node] + remotes.flatMap { ["--remote", $0] } + extra + urls)
    }

    /// Every URL's bytes are cached on `node`, whole and right.
    static func expectServed(
        _ node: String, _ media: [(url: String, bytes: [UInt8])], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for item in media {
            let get = try CLI.run(["get", "-q", "--cache-dir", node, item.url])
            #expect(
                get.status == 0 && [UInt8](get.stdout) == item.bytes, "\(item.url): \(get.stderr)", sourceLocation: sourceLocation
            )
        }
    }

    /// The origin served each URL exactly `times` times.
    static func expectOriginServed(
        _ server: TestServer, _ media: [(url: String, bytes: [UInt8])], times: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for item in media {
            let uri = String(item.url.dropFirst("http://127.0.0.1:\(server.port)".count))
            #expect(server.requests(to: uri) == times, "\(uri)", sourceLocation: sourceLocation)
        }
    }

    /// The node's own counters (`stats --json`'s numbers at the top level: `hits`, `misses`, `stored`...).
    static func localCounters(_ node: String) throws -> [String: Int] {
        let stats = try CLI.run(["stats", "--json", "--cache-dir", node])
        let object = (try? JSONSerialization.jsonObject(with: stats.stdout)) as? [String: Any] ?? [:]
        return object.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    /// The node's persisted counters for each level (`stats --json`'s `remote`), by level name.
    static func counters(_ node: String) throws -> [String: [String: Int]] {
        let stats = try CLI.run(["stats", "--json", "--cache-dir", node])
        let object = (try? JSONSerialization.jsonObject(with: stats.stdout)) as? [String: Any]
        var result: [String: [String: Int]] = [:]
        for level in (object?["remote"] as? [[String: Any]]) ?? [] {
            guard let name = level["level"] as? String else { continue }
            var fields: [String: Int] = [:]
            for (key, value) in level { if let number = value as? NSNumber, key != "level" { fields[key] = number.intValue } }
            result[name] = fields
        }
        return result
    }

    /// Lines on stderr that report a level turned off.
    static func disabledLines(_ result: ProcessResult) -> [String] {
        result.stderr.split(separator: "\n").map(String.init).filter { $0.contains("not used for the rest of this run") }
    }

    /// The tier's record file name for a URL on the default layout.
    static func recordPath(_ url: String) throws -> String {
        let key = try CLI.run(["key", url]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        return "records/\(key.prefix(2))/\(key)"
    }

    static func bodyPath(_ bytes: [UInt8]) -> String {
        let sha = Files.sha256(bytes)
        return "sha256/\(sha.prefix(2))/\(sha)"
    }

    /// Mounts a small tmpfs, once, to learn whether this machine lets the tests do it.
    static let canMountTmpfs: Bool = {
        guard Reliability.isRoot else { return false }
        let probe = NSTemporaryDirectory() + "mediacache-tmpfs-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard Reliability.shell(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe]) == 0 else { return false }
        Reliability.unmount(probe)
        return true
    }()
}

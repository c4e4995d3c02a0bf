import Foundation
import MediaCache
import TestSupport

/// The URLs a stress run works on, each with bytes every process can predict.
///
/// Half are served by the test origin (`/file/sN`), half exist only through
/// `put`; `put` of an origin URL stores exactly what the origin serves, so a
/// put and a fetch of one URL race for the same key with the same bytes.
/// Put-only URLs have two versions of different sizes, so a replacement
/// really changes the bytes, and metadata paired with the wrong version shows.
struct StressUniverse: Sendable {
    struct Version: Sendable {
        var sha256: String
        var size: Int
        /// A file holding the bytes, for `put URL FILE`.
        var file: String
    }

    struct Item: Sendable {
        var url: String
        var versions: [Version]
        var fetchable: Bool

        /// Whether `bytes` are one of this URL's versions, whole.
        func accepts(_ bytes: [UInt8]) -> Bool {
            let sha = Files.sha256(bytes)
            return versions.contains { $0.sha256 == sha }
        }
    }

    let items: [Item]
    var fetchable: [Item] { items.filter(\.fetchable) }

    static let sizes = [2_000, 7_000, 15_000, 30_000, 45_000]

    init(server: TestServer, bodies: String, count: Int = 12) {
        try? FileManager.default.createDirectory(atPath: bodies, withIntermediateDirectories: true)
        var items: [Item] = []
        for index in 0..<count {
            let size = Self.sizes[index % Self.sizes.count]
            for fetchable in [true, false] {
                let name = fetchable ? "s\(index)" : "p\(index)"
                let url = fetchable ? server.url("/file/\(name)?size=\(size)") : "http://stress.invalid/\(name).bin"
                let versions = (fetchable ? [(name, size)] : [(name, size), (name + "v2", size + 1000)]).map { name, size in
                    let bytes = TestServer.body(name, size: size)
                    Files.write(bodies + "/" + name, bytes)
                    return Version(sha256: Files.sha256(bytes), size: size, file: bodies + "/" + name)
                }
                items.append(Item(url: url, versions: versions, fetchable: fetchable))
            }
        }
        self.items = items
    }

    func item(for url: String) -> Item? { items.first { $0.url == url } }
}

/// What the stress workers did, merged under a lock.
final class StressTally: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var operations: [String: Int] = [:]
    private(set) var failures: [String] = []
    private(set) var gets = 0
    private(set) var hits = 0
    private(set) var puts = 0
    private(set) var fetched = 0
    /// What `fetch` counted: a fresh entry is a hit, a download or revalidation a miss.
    private(set) var fetchHits = 0
    private(set) var fetchMisses = 0
    private(set) var wrongBytes = 0
    /// Commands killed with SIGKILL before they ended.
    private(set) var killed = 0

    func count(_ operation: String) { lock.withLock { operations[operation, default: 0] += 1 } }
    func got(hit: Bool) {
        lock.withLock {
            gets += 1
            if hit { hits += 1 }
        }
    }
    func put() { lock.withLock { puts += 1 } }
    func fetched(_ count: Int) { lock.withLock { fetched += count } }
    /// Books the lines of a `fetch --json`: how many were fetched, and the hits and misses it counted.
    func fetched(_ lines: [[String: Any]]) {
        let status = lines.map { $0["status"] as? String }
        lock.withLock {
            fetched += status.filter { $0 == "fetched" }.count
            fetchHits += status.filter { $0 == "cached" }.count
            fetchMisses += status.filter { $0 == "fetched" || $0 == "revalidated" }.count
        }
    }
    func wrong(_ what: String) {
        lock.withLock {
            wrongBytes += 1
            failures.append(what)
        }
    }
    func fail(_ what: String) { lock.withLock { failures.append(what) } }
    func killedOne() { lock.withLock { killed += 1 } }

    var total: Int { lock.withLock { operations.values.reduce(0, +) } }
    var summary: String {
        lock.withLock { operations.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
    }
}

extension ProcessResult {
    /// A short account of a run, for failure messages.
    func brief(_ arguments: [String]) -> String {
        "\(arguments.prefix(4).joined(separator: " ")) -> exit \(status): \(stderr.prefix(300))"
    }
}

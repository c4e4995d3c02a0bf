import Foundation
import MediaCache
import TestSupport
import Testing

/// `python3` with `prometheus_client` (`pip install prometheus_client`), when this machine has both.
enum PrometheusParser {
    static let python: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/python3"
            guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
            let check = Process()
            check.executableURL = URL(fileURLWithPath: candidate)
            check.arguments = ["-c", "import prometheus_client.parser"]
            check.standardOutput = FileHandle.nullDevice
            check.standardError = FileHandle.nullDevice
            guard (try? check.run()) != nil else { continue }
            check.waitUntilExit()
            return check.terminationStatus == 0 ? candidate : nil
        }
        return nil
    }()

    static var available: Bool { python != nil }

    /// One sample as the parser read it: name, labels, value (as Python printed it), timestamp.
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
        var timestamp: String?
    }

    struct Family {
        var name: String
        var type: String
        var help: String
        var samples: [Sample]
    }

    /// Parses exposition text with `prometheus_client.parser.text_string_to_metric_families`.
    static func parse(_ text: String) throws -> [Family] {
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for f in text_string_to_metric_families(sys.stdin.read()):
                out.append({"name": f.name, "type": f.type, "help": f.documentation,
                            "samples": [[s.name, s.labels, repr(float(s.value)),
                                         None if s.timestamp is None else str(s.timestamp)] for s in f.samples]})
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(python))
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "prometheus_client refused the text: \(problem)\n\(text)")
        let families = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        return families.map { family in
            Family(
                name: family["name"] as? String ?? "", type: family["type"] as? String ?? "",
                help: family["help"] as? String ?? "",
                samples: (family["samples"] as? [[Any]] ?? []).map { sample in
                    Sample(
                        name: sample[0] as? String ?? "", labels: sample[1] as? [String: String] ?? [:],
                        value: Double(sample[2] as? String ?? "") ?? .nan, timestamp: sample[3] as? String)
                })
        }
    }
}

@Suite("stats --format prometheus, read by prometheus_client's parser")
struct MetricsTests {
    /// Where each figure of `stats --json` goes: metric name, labels, and the factor from JSON to base units.
    /// Every key of `stats --json` must be here (the test fails on a new one without a metric).
    static let mapping: [String: (metric: String, labels: [String: String], scale: Double)] = [
        "entries": ("mediacache_entries", [:], 1),
        "bytes": ("mediacache_size_bytes", [:], 1),
        "max_bytes": ("mediacache_max_size_bytes", [:], 1),
        "fill_percent": ("mediacache_fill_ratio", [:], 0.01),
        "max_entries": ("mediacache_max_entries", [:], 1),
        "ttl_seconds": ("mediacache_ttl_seconds", [:], 1),
        "expired_entries": ("mediacache_expired_entries", [:], 1),
        "hostile_entries": ("mediacache_hostile_entries", [:], 1),
        "poisoned_entries": ("mediacache_poisoned_entries", [:], 1),
        "oldest_use": ("mediacache_oldest_use_timestamp_seconds", [:], 1),
        "newest_use": ("mediacache_newest_use_timestamp_seconds", [:], 1),
        "hits": ("mediacache_hits_total", [:], 1),
        "misses": ("mediacache_misses_total", [:], 1),
        "hit_ratio": ("mediacache_hit_ratio", [:], 1),
        "stored": ("mediacache_stored_total", [:], 1),
        "evicted_entries": ("mediacache_evicted_entries_total", [:], 1),
        "evicted_bytes": ("mediacache_evicted_bytes_total", [:], 1),
        "since": ("mediacache_counters_since_timestamp_seconds", [:], 1),
        "negative_hits": ("mediacache_negative_hits_total", [:], 1),
        "negative_entries": ("mediacache_negative_entries", [:], 1),
        "stale_served": ("mediacache_stale_served_total", [:], 1),
        "counters_restarted_after_damage": ("mediacache_counters_restarted_after_damage", [:], 1),
        "free_bytes": ("mediacache_free_bytes", [:], 1),
        "min_free_bytes": ("mediacache_min_free_bytes", [:], 1),
        "shared_entries": ("mediacache_shared_entries", [:], 1),
        "bytes_saved": ("mediacache_dedupe_saved_bytes", [:], 1),
        "on_disk.used_last_hour": ("mediacache_disk_used_entries", ["window": "1h"], 1),
        "on_disk.bytes_used_last_hour": ("mediacache_disk_used_bytes", ["window": "1h"], 1),
        "on_disk.used_last_day": ("mediacache_disk_used_entries", ["window": "1d"], 1),
        "on_disk.bytes_used_last_day": ("mediacache_disk_used_bytes", ["window": "1d"], 1),
        "on_disk.stored_last_day": ("mediacache_disk_stored_entries", ["window": "1d"], 1),
        "on_disk.reused_entries": ("mediacache_disk_reused_entries", [:], 1),
        "on_disk.poisoned_entries": ("mediacache_poisoned_entries", [:], 1),
        "on_disk.vllm_temp_files": ("mediacache_vllm_temp_files", [:], 1),
    ]

    /// How far a metric may be from its `stats --json` figure, read a moment apart.
    static func tolerance(_ key: String, _ expected: Double) -> Double {
        // Free space is the shared file system's, live: other tests write meanwhile.
        if key == "free_bytes" { return 1e9 }
        return max(0.0001, abs(expected) * 0.0001)
    }

    /// The numbers of a `stats --json` object, keyed as in `mapping` (times as seconds since the epoch).
    static func figures(_ json: [String: Any]) -> [String: Double?] {
        var result: [String: Double?] = [:]
        func value(_ any: Any) -> Double? {
            if let number = any as? NSNumber { return number.doubleValue }
            if let text = any as? String {
                let parser = ISO8601DateFormatter()
                return parser.date(from: text)?.timeIntervalSince1970
            }
            return nil
        }
        // `remote` is a list of levels, exported as families labelled `level` (checked in RemoteTierTests).
        for (key, any) in json where key != "cache_dir" && key != "remote" {
            if let nested = any as? [String: Any] {
                for (inner, innerValue) in nested { result["\(key).\(inner)"] = .some(value(innerValue)) }
            } else {
                result[key] = .some(value(any))
            }
        }
        return result
    }

    /// A cache with some of everything: entries, a hit, a miss, an eviction, a poisoned file, an entry limit.
    static func busyCache(_ server: TestServer, _ dir: String) throws {
        #expect(try mc(dir, "fetch", server.url("/file/a?size=3000"), server.url("/file/b?size=500")).status == 0)
        #expect(try mc(dir, "get", "-q", server.url("/file/a?size=3000")).status == 0)
        #expect(try mc(dir, "get", "-q", server.url("/file/never")).status == 1)
        #expect(try mc(dir, "evict", server.url("/file/b?size=500")).status == 0)
        Files.write(dir + "/0123456789abcdef0123.png", [])  // vLLM's touch() leftover
    }

    @Test(.enabled(if: PrometheusParser.available, "needs python3 with prometheus_client (pip install prometheus_client)"))
    func everyFigureOfStatsJSONIsAMetricInBaseUnits() async throws {
        try await withOrigin { (server, dir) async throws in
            // Given: a cache that has seen some of everything, with an entry limit set
            try Self.busyCache(server, dir)
            let json = try #require(
                try JSONSerialization.jsonObject(with: try mc(dir, "stats", "--json", "--max-entries", "100").stdout)
                    as? [String: Any])
            // When: the same cache's stats as Prometheus text
            let result = try mc(dir, "stats", "--format", "prometheus", "--max-entries", "100")
            #expect(result.status == 0, "\(result.stderr)")
            let families = try PrometheusParser.parse(result.out)
            // Then: one HELP and one TYPE per family, no timestamps, counters end in _total
            // (the parser names a counter's family without _total; the text names it as its samples are named)
            for family in families {
                let exposed = family.type == "counter" ? family.name + "_total" : family.name
                #expect(result.out.components(separatedBy: "# TYPE \(exposed) ").count == 2, "TYPE of \(exposed)")
                #expect(result.out.components(separatedBy: "# HELP \(exposed) ").count == 2, "HELP of \(exposed)")
                #expect(!family.help.isEmpty && ["counter", "gauge"].contains(family.type))
                for sample in family.samples {
                    #expect(sample.timestamp == nil, "\(sample.name) has a timestamp")
                    #expect(sample.labels["cache_dir"] == dir)
                    if family.type == "counter" { #expect(sample.name.hasSuffix("_total"), "\(sample.name)") }
                }
            }
            let samples = families.flatMap(\.samples)
            // and every figure of --json is there, with the same value
            let figures = Self.figures(json)
            for (key, value) in figures {
                let target = try #require(Self.mapping[key], "stats --json has \(key) but no metric is mapped for it")
                let matching = samples.filter { sample in
                    sample.name == target.metric && target.labels.allSatisfy { sample.labels[$0.key] == $0.value }
                }
                guard let value else {
                    #expect(matching.isEmpty, "\(key) is null but \(target.metric) has a sample")
                    continue
                }
                let sample = try #require(matching.first, "no sample \(target.metric) \(target.labels) for \(key)")
                #expect(matching.count == 1)
                let expected = value * target.scale
                #expect(
                    abs(sample.value - expected) <= Self.tolerance(key, expected)
                        + (key.hasSuffix("_use") || key == "since" ? 1 : 0), "\(key): \(sample.value) vs \(expected)")
            }
            #expect(figures["hits"] == 1 && figures["misses"] == 3 && figures["evicted_entries"] == 1)
            #expect(samples.contains { $0.name == "mediacache_max_entries" && $0.value == 100 })
            #expect(samples.contains { $0.name == "mediacache_poisoned_entries" && $0.value == 1 })
        }
    }

    @Test(.enabled(if: PrometheusParser.available, "needs python3 with prometheus_client (pip install prometheus_client)"))
    func aTTLThatNeverExpiresIsInfinityAndNullFiguresAreLeftOut() async throws {
        try await withTempDir { (dir) async throws in
            // Given: an empty cache whose TTL is vLLM's "inf"
            #expect(try mc(dir, "put", "https://h/a.png", stdin: Data("abc".utf8)).status == 0)
            #expect(try mc(dir, "evict", "--all", "--yes").status == 0)
            let result = try mc(dir, "stats", "--format", "prometheus", env: ["VLLM_MEDIA_CACHE_TTL_HOURS": "inf"])
            let samples = try PrometheusParser.parse(result.out).flatMap(\.samples)
            // Then: +Inf parses, and figures with no value (no uses, no entry limit, no lookups) have no sample
            #expect(samples.first { $0.name == "mediacache_ttl_seconds" }?.value == .infinity)
            for absent in ["mediacache_oldest_use_timestamp_seconds", "mediacache_max_entries", "mediacache_hit_ratio"] {
                #expect(!samples.contains { $0.name == absent }, "\(absent)")
            }
        }
    }

    @Test(.enabled(if: PrometheusParser.available, "needs python3 with prometheus_client (pip install prometheus_client)"))
    func outputFileIsReplacedAtomicallyForTheTextfileCollector() async throws {
        try await withTempDir { (dir) async throws in
            // Given: a cache, and node_exporter's textfile directory
            let cache = dir + "/cache"
            let textfiles = dir + "/textfile"
            try FileManager.default.createDirectory(atPath: textfiles, withIntermediateDirectories: true)
            #expect(try mc(cache, "put", "https://h/a.png", stdin: Data("abc".utf8)).status == 0)
            let target = textfiles + "/mediacache.prom"
            // When: written twice with -o
            let first = try mc(cache, "stats", "--format", "prometheus", "-o", target)
            #expect(first.status == 0 && first.out.isEmpty, "\(first.stderr)")
            let inode = try #require(try FileManager.default.attributesOfItem(atPath: target)[.systemFileNumber] as? Int)
            #expect(try mc(cache, "put", "https://h/b.png", stdin: Data("defg".utf8)).status == 0)
            #expect(try mc(cache, "stats", "--format", "prometheus", "-o", target).status == 0)
            // Then: a new file took the name (a rename, never a rewrite in place), readable by others, nothing else left
            let attributes = try FileManager.default.attributesOfItem(atPath: target)
            #expect(attributes[.systemFileNumber] as? Int != inode)
            #expect((attributes[.posixPermissions] as? Int ?? 0) & 0o044 == 0o044)
            #expect(Files.names(textfiles) == ["mediacache.prom"])
            let text = String(decoding: Files.read(target) ?? [], as: UTF8.self)
            let samples = try PrometheusParser.parse(text).flatMap(\.samples)
            #expect(samples.first { $0.name == "mediacache_entries" }?.value == 2)
            #expect(samples.first { $0.name == "mediacache_stored_total" }?.value == 2)
        }
    }

    @Test func jsonStaysAndFormatIsChecked() async throws {
        try await withTempDir { (dir) async throws in
            #expect(try mc(dir, "put", "https://h/a.png", stdin: Data("abc".utf8)).status == 0)
            let alias = try mc(dir, "stats", "--json")
            let format = try mc(dir, "stats", "--format", "json")
            #expect(alias.status == 0 && format.status == 0)
            let a = try #require(try JSONSerialization.jsonObject(with: alias.stdout) as? [String: Any])
            let b = try #require(try JSONSerialization.jsonObject(with: format.stdout) as? [String: Any])
            #expect(Set(a.keys) == Set(b.keys) && a["entries"] as? Int == 1)
            #expect(try mc(dir, "stats", "--format", "xml").status == 64)
            #expect(try mc(dir, "stats", "--json", "--format", "prometheus").status == 64)
        }
    }
}

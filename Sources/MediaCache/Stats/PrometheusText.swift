extension CacheStats {
    /// The stats in Prometheus's text exposition format (0.0.4), for
    /// node_exporter's textfile collector or a `/metrics` endpoint.
    ///
    /// Base units (bytes, seconds, ratios 0-1), `_total` on counters, one
    /// `# HELP` and `# TYPE` per family and no timestamps, which the textfile
    /// collector refuses. Every sample carries `cache_dir`, so several caches
    /// on one host can each write a file. A figure with no value (no entry
    /// limit, no lookups yet, no birth times) is left out, family and all.
    public func prometheusText() -> String {
        var out = PrometheusText(labels: [("cache_dir", directory)])
        out.gauge("mediacache_entries", "Data files in the cache (every writer's, vLLM's included).", entries)
        out.gauge("mediacache_size_bytes", "Total size of the data files.", bytes)
        out.gauge("mediacache_max_size_bytes", "The size limit.", maxBytes)
        out.gauge("mediacache_fill_ratio", "Size over the size limit (0 to 1, more when over).", fillPercent / 100)
        out.gauge("mediacache_max_entries", "The entry limit (--max-entries).", maxEntries.map(Int64.init))
        // A TTL of inf or nan (vLLM's float()) never expires anything: +Inf.
        out.gauge("mediacache_ttl_seconds", "Time to live since last use.", ttl.isFinite ? ttl : .infinity)
        out.gauge("mediacache_expired_entries", "Entries unused for longer than the TTL.", expiredEntries)
        out.gauge("mediacache_hostile_entries", "Symlinks and other non-regular files under entry names.", hostileEntries)
        out.gauge(
            "mediacache_poisoned_entries", "Empty files vLLM's touch() recreated, which vLLM serves as hits.", onDisk.poisoned)
        out.gauge("mediacache_oldest_use_timestamp_seconds", "Earliest last use among entries (Unix time).", oldestUse)
        out.gauge("mediacache_newest_use_timestamp_seconds", "Latest last use among entries (Unix time).", newestUse)
        out.counter("mediacache_hits_total", "Lookups by mediacache that found a fresh entry.", counters.hits)
        out.counter(
            "mediacache_misses_total", "Lookups by mediacache that found none (downloads, revalidations, remembered failures).",
            counters.misses)
        out.gauge("mediacache_hit_ratio", "Hits over lookups since the counters started.", hitRatio)
        out.counter("mediacache_stored_total", "Entries written by put and fetch.", counters.stored)
        out.counter(
            "mediacache_evicted_entries_total", "Entries removed by evict, prune, expiry and the size limit.",
            counters.evictedEntries)
        out.counter("mediacache_evicted_bytes_total", "Bytes of the evicted entries.", counters.evictedBytes)
        out.counter(
            "mediacache_negative_hits_total", "Fetches answered from a remembered 404 or 410 without asking the origin.",
            counters.negativeHits)
        out.counter(
            "mediacache_stale_served_total", "Expired entries served because the origin failed (--stale-if-error).",
            counters.staleServed)
        out.gauge(
            "mediacache_counters_since_timestamp_seconds", "When the counters started (first use or last reset, Unix time).",
            counters.since)
        out.gauge("mediacache_negative_entries", "URLs remembered as missing right now (--negative-ttl).", negativeEntries)
        out.gauge(
            "mediacache_counters_restarted_after_damage", "1 when the counters restarted because the state file was damaged.",
            counters.restartedAfterDamage ? 1 : 0)
        out.gauge(
            "mediacache_free_bytes", "Free bytes on the cache's file system for this user (absent when unknown).", freeBytes)
        out.gauge("mediacache_min_free_bytes", "The free-space floor (--min-free; absent when none).", minFreeBytes)
        out.gauge("mediacache_shared_entries", "Entries whose bytes are shared with another name (--dedupe).", sharedEntries)
        out.gauge("mediacache_dedupe_saved_bytes", "Bytes that identical bodies stored once save on disk.", bytesSaved)
        out.family(
            "mediacache_disk_used_entries", "gauge", "Entries used by any process, vLLM included, in the window (mtime).",
            [(["window": "1h"], .int(Int64(onDisk.usedLastHour))), (["window": "1d"], .int(Int64(onDisk.usedLastDay)))])
        out.family(
            "mediacache_disk_used_bytes", "gauge", "Bytes of the entries used by any process in the window.",
            [(["window": "1h"], .int(onDisk.bytesUsedLastHour)), (["window": "1d"], .int(onDisk.bytesUsedLastDay))])
        if let stored = onDisk.storedLastDay {
            out.family(
                "mediacache_disk_stored_entries", "gauge", "Entries stored by any process in the window (birth time).",
                [(["window": "1d"], .int(Int64(stored)))])
        }
        out.gauge(
            "mediacache_disk_reused_entries", "Entries used again after they were stored (birth time).",
            onDisk.reused.map(Int64.init))
        out.gauge(
            "mediacache_vllm_temp_files", "vLLM's temp files (tmpXXXXXXXX): writes in flight or crash leftovers.",
            onDisk.vllmTempFiles)
        // Per shared level (--remote), labelled by level.
        if !counters.remote.isEmpty, let names = counters.remote.first?.counters.namedFields.map(\.name) {
            for name in names {
                let unit = name.hasPrefix("bytes") ? "_bytes" : ""
                let metric =
                    "mediacache_remote_" + (unit.isEmpty ? name : String(name.dropFirst("bytes_".count))) + unit + "_total"
                out.family(
                    metric, "counter", "Remote level counter \(name) (docs/remote.md).",
                    counters.remote.map { level in
                        (["level": level.level], .int(level.counters.namedFields.first { $0.name == name }?.value ?? 0))
                    })
            }
        }
        return out.text
    }
}

/// Writes families of the text exposition format.
struct PrometheusText {
    enum Value {
        case int(Int64)
        case double(Double)

        var rendered: String {
            switch self {
            case .int(let value): return String(value)
            case .double(let value):
                if value.isNaN { return "NaN" }
                if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
                return String(value)
            }
        }
    }

    /// Labels every sample carries.
    let labels: [(String, String)]
    private(set) var text = ""

    init(labels: [(String, String)]) { self.labels = labels }

    mutating func gauge(_ name: String, _ help: String, _ value: Int) { family(name, "gauge", help, [([:], .int(Int64(value)))]) }
    mutating func gauge(_ name: String, _ help: String, _ value: Int64?) {
        if let value { family(name, "gauge", help, [([:], .int(value))]) }
    }
    mutating func gauge(_ name: String, _ help: String, _ value: Double?) {
        if let value { family(name, "gauge", help, [([:], .double(value))]) }
    }
    mutating func counter(_ name: String, _ help: String, _ value: Int64) { family(name, "counter", help, [([:], .int(value))]) }

    /// One family: its HELP and TYPE lines, then its samples.
    mutating func family(_ name: String, _ type: String, _ help: String, _ samples: [([String: String], Value)]) {
        text += "# HELP \(name) \(Self.escape(help, quotes: false))\n# TYPE \(name) \(type)\n"
        for (extra, value) in samples {
            let all = labels + extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            let rendered = all.map { "\($0.0)=\"\(Self.escape($0.1, quotes: true))\"" }.joined(separator: ",")
            text += "\(name){\(rendered)} \(value.rendered)\n"
        }
    }

    /// Backslash and newline escaped (and double quotes, in a label value), as the format requires.
    static func escape(_ text: String, quotes: Bool) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quotes: out += "\\\""
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

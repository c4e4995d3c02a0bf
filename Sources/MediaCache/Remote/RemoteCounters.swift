/// What one remote level did, counted per run and added to the cache's
/// shared counters (`.mediacache/state`) when the run ends.
public struct RemoteCounters: Sendable, Equatable {
    /// Lookups answered with a record and a body that passed the checks.
    public var hits: Int64 = 0
    /// Lookups the level had nothing for (or only an unsigned record, when signing).
    public var misses: Int64 = 0
    /// Refused connections, 5xx, 401/403, 507 and other failed requests.
    public var errors: Int64 = 0
    public var timeouts: Int64 = 0
    /// Records or bodies that failed a check (size, SHA-256, key, signature).
    public var corrupt: Int64 = 0
    public var bytesDown: Int64 = 0
    public var bytesUp: Int64 = 0
    /// Entries uploaded (body and record).
    public var uploads: Int64 = 0
    /// Uploads given up: queue full, level disabled, or still waiting at exit.
    public var uploadsDropped: Int64 = 0
    /// URLs this node claimed on the level and asked the origin for, for the fleet.
    public var claims: Int64 = 0
    /// URLs another node had claimed when this node missed them (put off, or waited for).
    public var claimWaits: Int64 = 0
    /// Claims waited out (`claim-wait`) and deleted: left by a crashed node, or a slow download.
    public var claimsBroken: Int64 = 0

    public init() {}

    /// The fields in the order and under the names the state file and `stats --json` use.
    static var fieldNames: [String] { columns.map(\.name) }

    /// Each counter's name and field: the one list to extend with a new counter.
    private static var columns: [(name: String, field: WritableKeyPath<RemoteCounters, Int64>)] {
        [
            ("hits", \.hits), ("misses", \.misses), ("errors", \.errors), ("timeouts", \.timeouts), ("corrupt", \.corrupt),
            ("bytes_down", \.bytesDown), ("bytes_up", \.bytesUp), ("uploads", \.uploads),
            ("uploads_dropped", \.uploadsDropped), ("claims", \.claims), ("claim_waits", \.claimWaits),
            ("claims_broken", \.claimsBroken),
        ]
    }

    var fields: [Int64] { Self.columns.map { self[keyPath: $0.field] } }

    public var namedFields: [(name: String, value: Int64)] { zip(Self.fieldNames, fields).map { (name: $0, value: $1) } }

    init(fields values: [String: Int64]) {
        for column in Self.columns { self[keyPath: column.field] = values[column.name] ?? 0 }
    }

    static func + (lhs: RemoteCounters, rhs: RemoteCounters) -> RemoteCounters {
        var values: [String: Int64] = [:]
        for (name, (a, b)) in zip(fieldNames, zip(lhs.fields, rhs.fields)) {
            values[name] = min(CacheState.maxCount, a + b)
        }
        return RemoteCounters(fields: values)
    }

    var isZero: Bool { fields.allSatisfy { $0 == 0 } }
}

/// One level's counters under its name (see `RemoteSpec.name`).
public struct RemoteLevelCounters: Sendable, Equatable {
    public var level: String
    public var counters: RemoteCounters

    public init(level: String, counters: RemoteCounters) {
        self.level = level
        self.counters = counters
    }
}

extension CacheState {
    /// The state record's `remote` field for each level: `NAME hits=1 misses=2 ...`.
    /// Old state files have none and read as no levels.
    static func encodeRemote(_ levels: [RemoteLevelCounters]) -> [String] {
        levels.map { level in
            RemotePath.segment(level.level) + " "
                + level.counters.namedFields.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
        }
    }

    /// The levels' counters out of the state record's `remote` fields; garbled ones are skipped.
    static func decodeRemote(_ fields: [String]) -> [RemoteLevelCounters] {
        var levels: [RemoteLevelCounters] = []
        for field in fields {
            let words = field.split(separator: " ")
            guard words.count >= 1 else { continue }
            var values: [String: Int64] = [:]
            for word in words.dropFirst(1) {
                guard let equals = word.firstIndex(of: "="),
                    let value = Int64(word[word.index(after: equals)...]), (0...maxCount).contains(value)
                else { continue }
                values[String(word[..<equals])] = value
            }
            levels.append(
                RemoteLevelCounters(level: RemoteSpec.percentDecoded(String(words[0])), counters: RemoteCounters(fields: values)))
        }
        return levels
    }
}

extension CacheCounters {
    /// Adds a run's counts for `level`.
    mutating func addRemote(_ counts: RemoteCounters, level: String) {
        if let index = remote.firstIndex(where: { $0.level.utf8.elementsEqual(level.utf8) }) {
            remote[index].counters = remote[index].counters + counts
        } else {
            remote.append(RemoteLevelCounters(level: level, counters: counts))
        }
    }
}

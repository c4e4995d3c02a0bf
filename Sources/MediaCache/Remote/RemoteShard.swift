#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One server of a sharded level: the name that replaces the `*` in the
/// level's URL, and its weight.
public struct RemoteShard: Sendable, Equatable {
    public var name: String
    public var weight: Double

    /// `a,b,c(2)`: names, each with an optional positive weight (default 1).
    static func parseList(_ text: String) throws(MediaCacheError) -> [RemoteShard] {
        var shards: [RemoteShard] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            var name = Substring(part)
            var weight = 1.0
            if part.hasSuffix(")"), let open = part.firstIndex(of: "(") {
                guard let value = Double(part[part.index(after: open)..<part.index(before: part.endIndex)]), value > 0,
                    value.isFinite
                else {
                    throw .invalidSetting(
                        name: "--remote attribute shards", value: String(part),
                        expected: "NAME or NAME(WEIGHT) with a positive weight")
                }
                weight = value
                name = part[..<open]
            }
            guard !name.isEmpty, !name.contains("/"), !name.contains("("),
                !shards.contains(where: { $0.name == String(name) })
            else {
                throw .invalidSetting(
                    name: "--remote attribute shards", value: text,
                    expected: "distinct names separated by commas, such as a,b,c(2)")
            }
            shards.append(RemoteShard(name: String(name), weight: weight))
        }
        return shards
    }
}

/// Weighted rendezvous (highest random weight) hashing: each key goes to the
/// shard with the highest `weight / -ln(h)`, where `h` is a hash of the shard's
/// name and the key mapped into (0, 1). Adding a shard moves only the keys it
/// now wins (its share); removing one moves only its own keys; every node of
/// a fleet computes the same choice with no coordination.
enum Rendezvous {
    /// The index of the shard `key` belongs to.
    static func pick(_ key: String, among shards: [RemoteShard]) -> Int {
        var best = 0
        var bestScore = -Double.infinity
        for (index, shard) in shards.enumerated() {
            let score = shard.weight / -log(unitHash(shard.name, key))
            if score > bestScore {
                best = index
                bestScore = score
            }
        }
        return best
    }

    /// SHA-256 of `shard NUL key`, its first 8 bytes as a number in (0, 1).
    static func unitHash(_ shard: String, _ key: String) -> Double {
        let hex = SHA256Hasher.hex(of: Array(shard.utf8) + [0] + Array(key.utf8))
        let value = UInt64(hex.prefix(16), radix: 16) ?? 0
        // 53 bits of the value, offset by half a step so neither 0 nor 1 is reached.
        return (Double(value >> 11) + 0.5) / Double(1 << 53)
    }
}

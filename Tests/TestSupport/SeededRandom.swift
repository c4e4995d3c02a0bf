/// A small deterministic generator (SplitMix64): tests that use randomness
/// seed it, so a failing run can be replayed with the same numbers.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`.
    public mutating func next(_ bound: Int) -> Int { Int.random(in: 0..<bound, using: &self) }
}

/// Waits until `condition` holds, checking every `interval` seconds; throws
/// `WaitTimedOut` after `timeout` seconds, so a bug fails a test instead of hanging it.
public func waitUntil(
    _ what: String, timeout: Double = 30, interval: Double = 0.005, _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimedOut(what: what, seconds: timeout) }
        try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
    }
}

/// A wait that ran out of time.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public var what: String
    public var seconds: Double
    public var description: String { "gave up after \(seconds) s waiting for \(what)" }
}

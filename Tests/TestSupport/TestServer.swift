import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 origin on 127.0.0.1 with an ephemeral port, for tests.
///
/// Each route plays one behaviour a real CDN or origin shows; the server
/// counts requests per URI so tests can prove "downloaded once".
///
///     /file/NAME?size=N[&type=T]          200 with Content-Length, ETag, Last-Modified; 304 on a match
///     /lastmod/NAME?size=N                 like /file, but Last-Modified only
///     /chunked/NAME?size=N                 chunked, no Content-Length
///     /slow/NAME?size=N&chunks=K&delay=MS  chunked, K pieces MS apart (&length=1: with Content-Length)
///     /status/CODE                         that status
///     /flaky/NAME?fail=K&code=C&size=N     C for the first K requests, then 200
///     /retryafter/NAME?fail=K&after=S&size=N  429 + Retry-After: S for the first K, then 200
///     /redirect/N/NAME?size=N              a chain of N redirects ending at /file/NAME
///     /loop/a, /loop/b                     redirect to each other
///     /cutoff/NAME?size=N                  Content-Length N, then closes halfway
///     /hang                                never answers
///     /gate/NAME?with=OTHER&size=N         answers (like /file) only once /gate/OTHER has been
///                                          requested too; 504 after 120 s without it
public final class TestServer: Sendable {
    public let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    let state = NIOLockedValueBox(State())

    struct State {
        var counts: [String: Int] = [:]
        var versions: [String: Int] = [:]
        var connections = 0
        /// Gates that have been requested, and the answers waiting for their partner.
        var gatesReached: Set<String> = []
        var gatesWaiting: [String: @Sendable () -> Void] = [:]
    }

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup) {
        self.port = port
        self.channel = channel
        self.group = group
    }

    /// Starts a server on 127.0.0.1 with a port the kernel picks.
    public static func start() async throws -> TestServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = NIOLockedValueBox<TestServer?>(nil)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                box.withLockedValue { $0 }?.state.withLockedValue { $0.connections += 1 }
                return channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(OriginHandler(server: { box.withLockedValue { $0 } }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = TestServer(port: channel.localAddress?.port ?? 0, channel: channel, group: group)
        box.withLockedValue { $0 = server }
        return server
    }

    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// `http://127.0.0.1:PORT` + path.
    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Requests received for one URI (path and query), or for all URIs with that path prefix.
    public func requests(to uri: String) -> Int { state.withLockedValue { $0.counts[uri, default: 0] } }
    public func requests(prefix: String) -> Int {
        state.withLockedValue { $0.counts.filter { $0.key.hasPrefix(prefix) }.values.reduce(0, +) }
    }
    public var totalRequests: Int { state.withLockedValue { $0.counts.values.reduce(0, +) } }

    /// TCP connections accepted so far.
    public var acceptedConnections: Int { state.withLockedValue { $0.connections } }

    /// Waits until the origin has seen `count` requests with `prefix`; throws after `timeout` seconds.
    public func waitForRequests(prefix: String, count: Int = 1, timeout: Double = 30) async throws {
        try await waitUntil("\(count) request(s) to \(prefix)", timeout: timeout) { requests(prefix: prefix) >= count }
    }

    /// Marks gate `name` reached. Returns the answers to send now: this one
    /// and its partner's when `partner` was reached already, else none (this
    /// one waits, kept with `answer`).
    func reachGate(_ name: String, partner: String, answer: @escaping @Sendable () -> Void) -> [@Sendable () -> Void] {
        state.withLockedValue { state in
            state.gatesReached.insert(name)
            guard state.gatesReached.contains(partner) else {
                state.gatesWaiting[name] = answer
                return []
            }
            return [answer] + (state.gatesWaiting.removeValue(forKey: partner).map { [$0] } ?? [])
        }
    }

    /// Takes the waiting answer of gate `name`, if it still waits.
    func abandonGate(_ name: String) -> Bool { state.withLockedValue { $0.gatesWaiting.removeValue(forKey: name) != nil } }

    /// Changes what /file/NAME serves (and its ETag), as an origin updating a file would.
    public func bumpVersion(_ name: String) { state.withLockedValue { $0.versions[name, default: 0] += 1 } }
    func version(_ name: String) -> Int { state.withLockedValue { $0.versions[name, default: 0] } }

    /// The bytes /file/NAME?size=N serves at version 0 (and every other body route with that name).
    public static func body(_ name: String, size: Int, version: Int = 0) -> [UInt8] {
        var seed: UInt64 = 1_469_598_103_934_665_603 &+ UInt64(version)
        for byte in name.utf8 { seed = (seed ^ UInt64(byte)) &* 1_099_511_628_211 }
        return fill(seed: seed, from: 0, count: size)
    }

    static func fill(seed: UInt64, from start: Int, count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            let x = UInt64(start + i) &* 0x9E37_79B9_7F4A_7C15 ^ seed
            out[i] = UInt8(truncatingIfNeeded: (x >> 29) ^ (x >> 7))
        }
        return out
    }

    static func seed(_ name: String, version: Int) -> UInt64 {
        var seed: UInt64 = 1_469_598_103_934_665_603 &+ UInt64(version)
        for byte in name.utf8 { seed = (seed ^ UInt64(byte)) &* 1_099_511_628_211 }
        return seed
    }

    /// Counts a request and returns how many this URI (path only, for flaky routes) has had.
    func count(_ uri: String) -> Int {
        state.withLockedValue {
            $0.counts[uri, default: 0] += 1
            return $0.counts[uri]!
        }
    }
}

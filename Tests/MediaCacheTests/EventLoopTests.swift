import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import MediaCache

/// Runs task jobs on a NIO event loop, as a server that prefers its loop would.
final class EventLoopExecutor: TaskExecutor {
    let loop: any EventLoop
    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}

/// The library counts every disk call made on an event loop in every build
/// (`EventLoopGuard.violations`), and debug builds also stop at the first
/// one. These tests assert on the count, so they hold a release build
/// (`swift test -c release`) to the invariant too. Serialized: the second
/// test provokes violations on purpose.
@Suite("Invariant 7: no disk I/O on an event loop", .serialized)
struct EventLoopTests {
    /// Every async call here starts on an event loop; an API that did its
    /// file work inline would be counted (and stop a debug build).
    @Test func theAsyncAPIRunsItsFileWorkOffTheCallingEventLoop() async throws {
        let server = try await TestServer.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executor = EventLoopExecutor(group.next())
        let before = EventLoopGuard.violations
        try await withTempDir { (dir) async throws in
            try await withTaskExecutorPreference(executor) {
                #expect(MultiThreadedEventLoopGroup.currentEventLoop != nil)  // really on the loop
                try await withMediaCache(CacheConfiguration(directory: dir)) { cache in
                    let url = server.url("/file/loop?size=3000000")
                    #expect(try await cache.data(for: url) == nil)
                    #expect(try await cache.fetch(url).status == .fetched)
                    #expect(try await cache.data(for: url)?.count == 3_000_000)
                    _ = try await cache.fileURL(for: url)
                    try await cache.store([1, 2, 3], for: "https://h/loop.bin")
                    #expect(try await cache.stats().entries == 2)
                    _ = try await cache.prune()
                    #expect(try await cache.evict(.all)?.removed.count == 2)
                }
            }
        }
        #expect(EventLoopGuard.violations == before, "disk I/O on an event loop in: \(EventLoopGuard.violators)")
        try await group.shutdownGracefully()
        await server.stop()
    }

    /// The check itself is live in this build: blocking store calls made on
    /// an event loop on purpose are counted.
    @Test func aBlockingStoreCallOnAnEventLoopIsCounted() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        EventLoopGuard.stopsDebugBuilds.store(false, ordering: .relaxed)
        defer { EventLoopGuard.stopsDebugBuilds.store(true, ordering: .relaxed) }
        let before = EventLoopGuard.violations
        try await withTempDir { dir in
            let store = try CacheStore(CacheConfiguration(directory: dir))
            try await group.next().submit { _ = try store.store([1, 2, 3], for: "https://h/on-the-loop.bin") }.get()
        }
        #expect(EventLoopGuard.violations > before)
        try await group.shutdownGracefully()
    }
}

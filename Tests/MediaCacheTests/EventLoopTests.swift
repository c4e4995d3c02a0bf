import MediaCache
import NIOCore
import NIOPosix
import Testing
import TestSupport

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

@Suite("Invariant 7: no disk I/O on an event loop")
struct EventLoopTests {
    /// The library asserts (in debug builds, so in every test run) that no
    /// blocking disk call runs on an event loop. Here every async call starts
    /// on one; an API that did its file work inline would stop the run.
    @Test func theAsyncAPIRunsItsFileWorkOffTheCallingEventLoop() async throws {
        let server = try await TestServer.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executor = EventLoopExecutor(group.next())
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
        try await group.shutdownGracefully()
        await server.stop()
    }
}

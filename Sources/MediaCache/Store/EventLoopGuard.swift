import NIOPosix

/// Invariant 7, checked: blocking disk calls never run on a NIO event loop.
///
/// Every entry point that touches the disk calls this. In debug builds
/// (and so in every test run) a call from an event loop thread stops the
/// process at once; release builds compile it away.
enum EventLoopGuard {
    @inline(__always)
    static func assertNotOnEventLoop(_ function: StaticString = #function) {
        assert(
            MultiThreadedEventLoopGroup.currentEventLoop == nil,
            "\(function): blocking disk I/O on an event loop; run it on the thread pool (invariant 7)")
    }
}

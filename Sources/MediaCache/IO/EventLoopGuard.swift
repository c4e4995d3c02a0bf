import NIOPosix
import Synchronization

/// Invariant 7, checked: blocking disk calls never run on a NIO event loop.
///
/// Every entry point that touches the disk calls this. A call from an event
/// loop thread is counted in every build, so a test can prove the invariant
/// against a release build too (`violations`); debug builds also stop the
/// process at once, unless a test turned that off to count instead.
enum EventLoopGuard {
    /// Disk calls made on an event loop since the process started.
    static var violations: Int { counted.load(ordering: .relaxed) }
    /// The functions that made them, for a failing test's message.
    static var violators: [String] { names.withLock { $0 } }
    /// Whether a violation stops a debug build (tests that provoke one on purpose turn it off).
    static let stopsDebugBuilds = Atomic<Bool>(true)

    private static let counted = Atomic<Int>(0)
    private static let names = Mutex<[String]>([])

    @inline(__always)
    static func assertNotOnEventLoop(_ function: StaticString = #function) {
        // A thread-local read: cheap enough to leave on in release builds.
        guard MultiThreadedEventLoopGroup.currentEventLoop != nil else { return }
        counted.add(1, ordering: .relaxed)
        names.withLock { if $0.count < 100 { $0.append("\(function)") } }
        assert(
            !stopsDebugBuilds.load(ordering: .relaxed),
            "\(function): blocking disk I/O on an event loop; run it on the thread pool (invariant 7)")
    }
}

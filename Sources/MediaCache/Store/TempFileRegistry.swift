import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The temp files this process is writing right now.
///
/// A process that is interrupted (Ctrl-C, `kill`) never reaches the atomic
/// writer's cleanup; `removeAll()` lets its signal handling delete the
/// half-written files at once instead of leaving them to the next `prune`.
/// A `kill -9` still leaves them; `prune` removes those after an hour.
public enum TempFileRegistry {
    private static let paths = Mutex<Set<String>>([])

    static func add(_ path: String) { _ = paths.withLock { $0.insert(path) } }
    static func remove(_ path: String) { _ = paths.withLock { $0.remove(path) } }

    /// Deletes every temp file this process has open for writing; returns how many.
    @discardableResult
    public static func removeAll() -> Int {
        paths.withLock { set in
            let count = set.filter { unlink($0) == 0 }.count
            set.removeAll()
            return count
        }
    }
}

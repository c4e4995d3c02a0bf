#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What one vLLM store costs at a given entry count, measured here.
///
/// vLLM's `_maybe_evict` runs after every store: it lists the whole cache
/// directory, `stat`s every name and sorts the lot, in Python, on a thread
/// of its pool, for every cache miss. Its cost grows with the entry count
/// (seen with vLLM 0.33's own code on the benchmark machine: 5 ms at 1,000
/// entries, 54 ms at 10,000, 757 ms at 100,000). The cost per entry depends
/// on the machine, the file system and the Python, so `doctor` measures it:
/// it fills a scratch directory on the cache's own file system and times
/// the same pass in the machine's `python3`, best of three. Without python3
/// it times the pass's system calls alone, which is a lower bound.
public struct VLLMStoreCost: Sendable {
    /// Seconds per entry for one pass.
    public var secondsPerEntry: Double
    /// `python3`, or `system calls only` when no python3 could be run.
    public var measuredWith: String
    /// Entries in the scratch directory.
    public var sample: Int

    /// The cost of one vLLM store with `entries` files in the directory, in seconds.
    public func seconds(at entries: Int) -> Double { secondsPerEntry * Double(entries) }

    /// The most entries at which one vLLM store stays within `budget` seconds.
    public func entries(within budget: Double) -> Int {
        secondsPerEntry > 0 ? Int(budget / secondsPerEntry) : Int.max
    }

    /// The pass that vLLM runs after each store, in Python, timed best of three.
    static let script = """
        import sys, time
        from pathlib import Path
        d = Path(sys.argv[1])
        best = None
        for _ in range(3):
            t = time.perf_counter()
            entries = []
            for f in d.iterdir():
                if f.name.startswith("."):
                    continue
                try:
                    st = f.stat()
                except OSError:
                    continue
                entries.append((st.st_mtime, st.st_size, f))
            entries.sort(key=lambda e: e[0], reverse=True)
            elapsed = time.perf_counter() - t
            best = elapsed if best is None else min(best, elapsed)
        print(best)
        """

    /// Measures in a scratch directory made inside `parent` (removed afterwards).
    /// - Important: Disk I/O: creates and deletes `sample` empty files; runs python3.
    static func measure(in parent: String, sample: Int = 2000) throws(MediaCacheError) -> VLLMStoreCost {
        var template = Array("\(parent)/.calibration-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .io(operation: "cannot create a scratch directory in", path: parent, errno: errno)
        }
        let scratch = String(cString: made)
        let dirFD = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer {
            for index in 0..<sample { unlinkat(dirFD, name(index), 0) }
            Posix.closeQuietly(dirFD)
            rmdir(scratch)
        }
        for index in 0..<sample {
            let fd = openat(dirFD, name(index), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .io(operation: "cannot create a scratch file in", path: scratch, errno: errno) }
            Posix.closeQuietly(fd)
        }
        if let output = PythonRunner.run(script: script, arguments: [scratch]),
            let seconds = Double(output.trimmingSpaces()), seconds >= 0
        {
            return VLLMStoreCost(secondsPerEntry: seconds / Double(sample), measuredWith: "python3", sample: sample)
        }
        var best = Double.infinity
        for _ in 0..<3 {
            let start = Posix.now()
            if let names = try? Posix.listDirectory(dirFD, path: scratch) {
                for (name, _) in names { _ = Posix.lstat(at: dirFD, name) }
            }
            best = min(best, Posix.now() - start)
        }
        return VLLMStoreCost(secondsPerEntry: best / Double(sample), measuredWith: "system calls only", sample: sample)
    }

    private static func name(_ index: Int) -> String {
        let hex = String(index, radix: 16)
        return String(repeating: "0", count: 20 - hex.count) + hex + ".jpg"
    }
}

/// Runs `python3 -c SCRIPT ARGS...` and returns its standard output; nil
/// when there is no python3 or it fails.
enum PythonRunner {
    static func run(script: String, arguments: [String]) -> String? {
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = (["python3", "-c", script] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let spawned = posix_spawnp(&pid, "python3", &actions, nil, argv, environ)
        close(pipeFDs[1])
        defer { close(pipeFDs[0]) }
        guard spawned == 0 else { return nil }
        let output = Posix.readAll(pipeFDs[0], limit: 1 << 20)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0, let output else { return nil }
        return String(decoding: output, as: UTF8.self)
    }
}

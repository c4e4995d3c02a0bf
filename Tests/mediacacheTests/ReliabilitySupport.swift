import Foundation
import MediaCache
import TestSupport

/// Helpers shared by the reliability suites: running many real processes,
/// snapshotting a directory, mounting small file systems.
enum Reliability {
    /// The exit codes `mediacache --help` documents. Anything else (70, a signal) is a bug.
    static let documentedExitCodes: Set<Int32> = [0, 1, 64, 66, 69, 73, 74, 77]

    /// Whether a finished process ended the way the CLI promises: a documented
    /// code and no Swift runtime trap or backtrace on stderr.
    static func endedCleanly(_ result: ProcessResult) -> Bool {
        documentedExitCodes.contains(result.status) && !result.stderr.contains("Swift runtime failure")
            && !result.stderr.contains("Fatal error") && !result.stderr.contains("Backtracing")
    }

    /// The non-empty lines a command printed on stderr.
    static func stderrLines(_ result: ProcessResult) -> [String] {
        result.stderr.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    static var isRoot: Bool { geteuid() == 0 }

    // MARK: - Real threads for blocking process launches

    /// Runs `body(i)` for i in 0..<count, each on its own thread, and returns when all are done.
    ///
    /// `CLI.run` blocks while its process runs; on real threads eight workers
    /// overlap for real instead of queueing on the small cooperative pool.
    static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let group = DispatchGroup()
            for index in 0..<count {
                group.enter()
                Thread {
                    body(index)
                    group.leave()
                }.start()
            }
            group.notify(queue: .global()) { done.resume() }
        }
    }

    /// Runs one blocking call on its own thread.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// Writes all of `bytes` to `fd` (a pipe), blocking while it is full; false once the reader is gone.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    // MARK: - Directory snapshots

    /// One file as `lstat` sees it.
    struct FileState: Equatable, CustomStringConvertible {
        var type: mode_t
        var size: Int64
        var modified: Double
        var mode: mode_t
        var description: String { "type \(String(type, radix: 8)) size \(size) mtime \(modified) mode \(String(mode, radix: 8))" }
    }

    /// Every path under `root` (and `root` itself) with type, size, mtime and mode; symlinks are not followed.
    static func snapshot(_ root: String) -> [String: FileState] {
        var result: [String: FileState] = [:]
        func visit(_ path: String, _ relative: String) {
            var info = stat()
            guard lstat(path, &info) == 0 else { return }
            result[relative] = FileState(
                type: info.st_mode & S_IFMT, size: Int64(info.st_size),
                modified: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9, mode: info.st_mode & 0o7777)
            if info.st_mode & S_IFMT == S_IFDIR {
                for name in Files.names(path) { visit(path + "/" + name, relative + "/" + name) }
            }
        }
        visit(root, ".")
        return result
    }

    /// A temp file of at least `bytes` that process `pid` is writing into
    /// `cache`: a `.tmp-*` name there, or an unnamed file it holds open
    /// (its /proc link reads "<cache>/#<inode> (deleted)"); nil if none yet.
    static func tempFile(of pid: Int32, in cache: String, kind: TempKind, atLeast bytes: Int64, besides known: [String])
        -> String?
    {
        var info = stat()
        switch kind {
        case .named:
            return tempFiles(cache).first { path in
                !known.contains(path) && lstat(path, &info) == 0 && Int64(info.st_size) >= bytes
            }
        case .unnamed:
            let descriptors = "/proc/\(pid)/fd"
            for fd in Files.names(descriptors) {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: descriptors + "/" + fd),
                    target.hasPrefix(cache + "/"), target.hasSuffix(" (deleted)"), !known.contains(target),
                    stat(descriptors + "/" + fd, &info) == 0, Int64(info.st_size) >= bytes
                else { continue }
                return target
            }
            return nil
        }
    }

    /// Names of temp files (`.tmp-*`) anywhere in a cache directory.
    static func tempFiles(_ cache: String) -> [String] {
        [cache, cache + "/.mediacache", cache + "/.mediacache/meta"].flatMap { dir in
            Files.names(dir).filter { $0.hasPrefix(".tmp-") }.map { dir + "/" + $0 }
        }
    }

    // MARK: - Mounts (root only)

    /// Whether this process may mount a tmpfs: root, in a kernel and
    /// container that allow it. Found out once, by mounting one; tests that
    /// need a mount are `.enabled(if:)` this, so they show as skipped without.
    static let canMountTmpfs: Bool = {
        guard Reliability.isRoot else { return false }
        let probe = NSTemporaryDirectory() + "mediacache-mount-probe-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard Reliability.shell(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]) == 0 else { return false }
        Reliability.shell(["umount", probe])
        return true
    }()

    /// Mounts a tmpfs of `size` (e.g. "2m") on `path`; false when that fails.
    /// Tests `#require` it, under `.enabled(if: canMountTmpfs)`.
    static func mountTmpfs(_ path: String, size: String) -> Bool {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return shell(["mount", "-t", "tmpfs", "-o", "size=\(size),mode=755", "tmpfs", path]) == 0
    }

    static func remountReadOnly(_ path: String) -> Bool { shell(["mount", "-o", "remount,ro", path]) == 0 }

    static func unmount(_ path: String) { _ = shell(["umount", "-l", path]) }

    /// Runs a system tool (mount, setpriv) and returns its exit status.
    @discardableResult
    static func shell(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        guard process.waitUntilExit(timeout: 60) else { return -1 }
        return process.terminationStatus
    }

    // MARK: - JSON

    /// Each stdout line parsed as a JSON object.
    static func jsonLines(_ result: ProcessResult) -> [[String: Any]] {
        result.lines.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    static func int(_ object: [String: Any], _ key: String) -> Int? { (object[key] as? NSNumber)?.intValue }
}

/// The two kinds of temp file a writer can have: unnamed (`O_TMPFILE`, used
/// wherever the file system has it, so on the test machine) and named
/// `.tmp-*` files (other file systems; forced through the test hook).
enum TempKind: String, CaseIterable, Sendable {
    case unnamed, named

    /// What a `mediacache` child needs in its environment to write this kind.
    var environment: [String: String] { self == .named ? ["MEDIACACHE_TEST_NAMED_TEMP_FILES": "1"] : [:] }
}

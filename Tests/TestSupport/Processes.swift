import Foundation
import MediaCache

/// A temporary directory for one test, removed by `withTempDir` afterwards.
public func withTempDir<T>(_ body: (String) async throws -> T) async rethrows -> T {
    let path = NSTemporaryDirectory() + "mediacache-test-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// What a finished process printed and how it ended.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: String
    public var out: String { String(decoding: stdout, as: UTF8.self) }
    public var lines: [String] { out.split(separator: "\n").map(String.init) }
}

/// Runs and finds the built `mediacache` binary.
public enum CLI {
    /// The binary beside the test bundle (`.build/debug/mediacache`), or `$MEDIACACHE_BIN`.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["MEDIACACHE_BIN"] { return path }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("mediacache").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        for config in ["debug", "release"] {
            let candidate = FileManager.default.currentDirectoryPath + "/.build/\(config)/mediacache"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "mediacache"
    }

    /// Runs `mediacache ARGS` to completion with `stdin` fed in, isolated from the caller's environment.
    @discardableResult
    public static func run(
        _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], timeout: Double = 120
    ) throws -> ProcessResult {
        let process = try launch(arguments, stdin: stdin, environment: environment)
        return try process.wait(timeout: timeout)
    }

    /// Starts `mediacache ARGS`; call `wait` on the result.
    public static func launch(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws
        -> RunningProcess
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        for (key, value) in environment { env[key] = value }
        process.environment = env
        return try RunningProcess(process, stdin: stdin)
    }
}

extension Process {
    /// Waits at most `timeout` seconds for the process to end, then kills it
    /// (SIGKILL) and reaps it; returns false when it had to be killed.
    /// Every wait for a child in the tests goes through this, so a hung child
    /// fails its test instead of hanging the run.
    @discardableResult
    public func waitUntilExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(2_000) }
        let ended = !isRunning
        if !ended { kill(processIdentifier, SIGKILL) }
        waitUntilExit()
        return ended
    }
}

/// A child process whose output is collected while it runs (no pipe ever fills up).
public final class RunningProcess: @unchecked Sendable {
    public let process: Process
    private let outFile: String
    private let errFile: String

    init(_ process: Process, stdin: Data?) throws {
        self.process = process
        let base = NSTemporaryDirectory() + "mediacache-proc-" + UUID().uuidString
        outFile = base + ".out"
        errFile = base + ".err"
        _ = FileManager.default.createFile(atPath: outFile, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: outFile)
        process.standardError = FileHandle(forWritingAtPath: errFile)
        if let stdin {
            let input = base + ".in"
            _ = FileManager.default.createFile(atPath: input, contents: stdin)
            process.standardInput = FileHandle(forReadingAtPath: input)
            defer { try? FileManager.default.removeItem(atPath: input) }
            try process.run()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
    }

    public var pid: Int32 { process.processIdentifier }

    /// Sends a signal (e.g. `SIGKILL`).
    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to end (killing it after `timeout` seconds) and collects its output.
    public func wait(timeout: Double = 120) throws -> ProcessResult {
        process.waitUntilExit(timeout: timeout)
        defer {
            try? FileManager.default.removeItem(atPath: outFile)
            try? FileManager.default.removeItem(atPath: errFile)
        }
        let out = FileManager.default.contents(atPath: outFile) ?? Data()
        let err = String(decoding: FileManager.default.contents(atPath: errFile) ?? Data(), as: UTF8.self)
        return ProcessResult(status: process.terminationStatus, stdout: out, stderr: err)
    }
}

/// Small file helpers for tests.
public enum Files {
    public static func write(_ path: String, _ bytes: [UInt8]) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    public static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    /// Names in a directory, without "." and "..".
    public static func names(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// Data file names (not starting with "."): what vLLM sees.
    public static func entries(_ path: String) -> [String] { names(path).filter { !$0.hasPrefix(".") } }

    /// Sets a file's mtime to `secondsAgo` in the past, without following symlinks.
    public static func backdate(_ path: String, secondsAgo: Double) {
        let when = Date().timeIntervalSince1970 - secondsAgo
        var times = [
            timespec(tv_sec: Int(when), tv_nsec: 0), timespec(tv_sec: Int(when), tv_nsec: 0),
        ]
        utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    public static func mtime(_ path: String) -> Double {
        var info = stat()
        lstat(path, &info)
        return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }

    public static func sha256(_ bytes: [UInt8]) -> String { SHA256Hasher.hex(of: bytes) }
}

import Foundation
import TestSupport
import Testing

/// Invariant 4: memory stays flat whatever the size of the media. A process
/// that held a body whole would peak above the body's size; these peak far below it.
@Suite("Reliability: flat memory")
struct ReliabilityMemoryTests {
    /// Peak resident memory allowed, whatever the body size (the runtime alone takes about 25 MiB).
    static let limitKiB = 64 * 1024

    @Test(
        "put (file and pipe), get and fetch of 128-256 MiB bodies stay under 64 MiB resident",
        .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/status"), "needs /proc to read peak memory"))
    func flatMemory() async throws {
        let server = try await TestServer.start()
        try await withTempDir { dir in
            // Given: a 256 MiB file (sparse: zeros, cheap to make) and a 128 MiB origin body
            let cache = dir + "/cache"
            let common = ["--cache-dir", cache]
            let big = dir + "/big"
            _ = FileManager.default.createFile(atPath: big, contents: nil)
            #expect(truncate(big, 256 << 20) == 0)
            let fetchURL = server.url("/file/memory?size=\(128 << 20)")
            let runs: [(String, [String], Int)] = [
                ("put FILE", ["put", "-q", "http://m.invalid/file", big], 0),
                ("put from a pipe", ["put", "-q", "http://m.invalid/pipe"], 256 << 20),
                ("get", ["get", "-o", dir + "/out", "http://m.invalid/file"], 0),
                ("fetch", ["fetch", "-q", fetchURL], 0),
            ]
            for (name, arguments, piped) in runs {
                // When
                let (result, peakKiB) = try await Reliability.blocking {
                    try Self.runMeasured(arguments + common, pipingZeros: piped)
                }
                print("reliability-figures: memory \(name): peak \(peakKiB / 1024) MiB")
                // Then
                #expect(result == 0, "\(name)")
                #expect(peakKiB > 0 && peakKiB < Self.limitKiB, "\(name): peak \(peakKiB) KiB")
            }
            #expect(Files.sha256(Files.read(dir + "/out") ?? []) == Files.sha256([UInt8](repeating: 0, count: 256 << 20)))
        }
        await server.stop()
    }

    /// Runs `mediacache ARGS` (with `pipingZeros` bytes written into a stdin pipe), polling `VmHWM`;
    /// returns the exit status and the peak in KiB.
    static func runMeasured(_ arguments: [String], pipingZeros: Int) throws -> (Int32, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        let pipe = Pipe()
        process.standardInput = pipingZeros > 0 ? pipe : FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        if pipingZeros > 0 {
            Thread {
                let zeros = [UInt8](repeating: 0, count: 1 << 20)
                for _ in 0..<(pipingZeros >> 20) {
                    zeros.withUnsafeBytes { _ = Reliability.writeAll(pipe.fileHandleForWriting.fileDescriptor, $0) }
                }
                try? pipe.fileHandleForWriting.close()
            }.start()
        }
        var peak = 0
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning && Date() < deadline {
            // VmHWM is the high-water mark: the last reading before exit holds the peak so far.
            if let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
            {
                peak = max(peak, kib)
            }
            usleep(5_000)
        }
        process.waitUntilExit(timeout: 0)  // killed if it outlived the deadline
        return (process.terminationStatus, peak)
    }
}

import Foundation

/// Real nginx with WebDAV on 127.0.0.1, as a shared tier for tests: started
/// in the foreground (`daemon off; master_process off`), one process, its
/// files under a directory of the test's.
///
///     let nginx = try NginxServer.start(in: dir)
///     // remote SPEC: nginx.url  (http://127.0.0.1:PORT/cache)
///     nginx.stop()
public final class NginxServer: @unchecked Sendable {
    public let port: Int
    /// The directory nginx serves; the tier's files are under `root + "/cache"`.
    public let root: String
    private let process: Process

    /// Debian's nginx binary, when installed (`apt-get install nginx-light`).
    public static let binary: String? = ["/usr/sbin/nginx", "/usr/bin/nginx"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    public static var isAvailable: Bool { binary != nil }

    private init(port: Int, root: String, process: Process) {
        self.port = port
        self.root = root
        self.process = process
    }

    /// The base URL of the tier on this server.
    public var url: String { "http://127.0.0.1:\(port)/cache" }

    /// Where the server keeps one path of the tier (e.g. `records/3f/3f...jpg`).
    public func file(_ path: String) -> String { root + "/cache/" + path }

    /// Every file the tier holds under `folder` (`records` or `sha256`), as paths below it.
    public func files(under folder: String) -> [String] {
        let base = root + "/cache/" + folder
        let names = (FileManager.default.enumerator(atPath: base)?.allObjects as? [String]) ?? []
        return names.filter {
            !(FileManager.default.fileExists(atPath: base + "/" + $0, isDirectory: nil) && Self.isDirectory(base + "/" + $0))
        }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Starts nginx with its config, logs and temp files in `dir`, serving `root` (default `dir/root`).
    /// `davMethods` are the WebDAV methods it allows (`MKCOL` makes the fleet's claims); `http` is
    /// added to the `http` block and `location` to the tier's location (faults a test injects).
    public static func start(
        in dir: String, root: String? = nil, davMethods: String = "PUT DELETE MKCOL", http: String = "", location: String = ""
    ) throws -> NginxServer {
        guard let binary else { throw NginxError.notInstalled }
        let root = root ?? dir + "/root"
        try FileManager.default.createDirectory(atPath: root + "/cache", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/.tmp", withIntermediateDirectories: true)
        for attempt in 0..<8 {
            let port = freePort()
            let config = dir + "/nginx-\(port).conf"
            let text = """
                daemon off;
                master_process off;
                worker_processes 1;
                error_log \(dir)/nginx-error.log warn;
                pid \(dir)/nginx-\(port).pid;
                events { worker_connections 512; }
                http {
                    access_log off;
                    client_body_temp_path \(root)/.tmp;
                    client_max_body_size 0;
                    \(http)
                    server {
                        listen 127.0.0.1:\(port);
                        root \(root);
                        location /cache/ {
                            dav_methods \(davMethods);
                            create_full_put_path on;
                            dav_access user:rw group:r all:r;
                            \(location)
                        }
                    }
                }

                """
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["-c", config, "-p", dir]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline && process.isRunning {
                if canConnect(port) { return NginxServer(port: port, root: root, process: process) }
                usleep(20_000)
            }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            _ = attempt  // the port was taken meanwhile: try another
        }
        throw NginxError.didNotStart(log: (try? String(contentsOfFile: dir + "/nginx-error.log", encoding: .utf8)) ?? "")
    }

    /// Stops nginx (SIGKILL: as a crashed server; the tests need no graceful end) and waits for it.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }

    /// A port that was free a moment ago.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

public enum NginxError: Error {
    case notInstalled
    case didNotStart(log: String)
}

/// A socket on 127.0.0.1 that completes connections (the kernel's backlog)
/// and never answers: a remote that hangs.
public final class SilentSocket: @unchecked Sendable {
    public let port: Int
    private let fd: Int32

    public init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listen(fd, 128)
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

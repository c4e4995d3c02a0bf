import CFileSystem
import Foundation

/// Where an entry's metadata lives on disk, for tests that inspect or damage it.
///
/// mediacache keeps it in the data file's `user.mediacache` extended
/// attribute, or in `.mediacache/meta/<key>` (a sidecar) where the file
/// system has no extended attributes.
public enum EntryRecord {
    public static let attribute = "user.mediacache"

    /// The record attached to the data file at `path`, or nil.
    public static func attached(to path: String) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { lgetxattr(path, attribute, $0.baseAddress, $0.count) }
        return count >= 0 ? Array(buffer[0..<count]) : nil
    }

    /// Replaces the record attached to the data file at `path`.
    public static func attach(_ bytes: [UInt8], to path: String) throws {
        let status = bytes.withUnsafeBytes { lsetxattr(path, attribute, $0.baseAddress, $0.count, 0) }
        guard status == 0 else { throw Failure.call("setxattr", path: path, errno: errno) }
    }

    /// Moves an entry's record from its data file to a sidecar file, as a
    /// cache on a file system without extended attributes holds it.
    public static func moveToSidecar(cache: String, key: String) throws {
        let path = cache + "/" + key
        guard let bytes = attached(to: path) else { throw Failure.noRecord(path) }
        Files.write(cache + "/.mediacache/meta/" + key, bytes)
        guard lremovexattr(path, attribute) == 0 else { throw Failure.call("removexattr", path: path, errno: errno) }
    }

    public enum Failure: Error {
        case noRecord(String)
        case call(String, path: String, errno: Int32)
    }
}

extension Files {
    /// Overwrites bytes inside an existing file, keeping its inode (and so its extended attributes).
    public static func patch(_ path: String, at offset: Int, _ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY)
        precondition(fd >= 0, "open \(path): errno \(errno)")
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        precondition(written == bytes.count, "pwrite \(path): errno \(errno)")
    }
}

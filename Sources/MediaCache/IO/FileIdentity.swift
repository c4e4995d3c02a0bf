import CFileSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which file a name holds: its inode and, where the file system records
/// it, its birth time.
///
/// Metadata kept in a sidecar file (`.mediacache/meta/<key>`) is not part of
/// the data file, so when vLLM renames its own download over an entry, the
/// sidecar would go on describing bytes that are gone. The sidecar records
/// the identity of the file it was written for; a data file with another
/// identity is a new file (vLLM's), and the record is stale. Inode numbers
/// alone can be reused once a file is deleted, so the birth time (`statx`)
/// makes the identity exact where the file system has one (ext4, xfs,
/// btrfs, tmpfs). Metadata in the extended attribute needs none of this:
/// it lives on the inode and goes with it.
struct FileIdentity: Equatable, Sendable {
    var inode: UInt64
    /// Nanoseconds since the epoch; nil where the file system keeps no birth time.
    var birth: Int64?

    /// `inode` or `inode@birth`: the form kept in a metadata record.
    var text: String { birth.map { "\(inode)@\($0)" } ?? "\(inode)" }

    init(inode: UInt64, birth: Int64?) {
        self.inode = inode
        self.birth = birth
    }

    init?(text: Substring) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let inode = UInt64(parts[0]) else { return nil }
        self.inode = inode
        if parts.count == 2 {
            guard let birth = Int64(parts[1]) else { return nil }
            self.birth = birth
        }
    }

    /// Whether a file seen now is the one recorded: same inode, and same
    /// birth time when both sides know it.
    func matches(_ current: FileIdentity) -> Bool {
        guard inode == current.inode else { return false }
        guard let birth, let other = current.birth else { return true }
        return birth == other
    }

    /// The identity of an open file.
    /// - Important: Disk I/O.
    static func of(descriptor fd: Int32) -> FileIdentity? {
        look(fd, "", flags: emptyPath)
    }

    /// The identity of what `name` in `directory` is, not following a symlink.
    /// - Important: Disk I/O.
    static func of(_ name: String, in directory: Int32) -> FileIdentity? {
        look(directory, name, flags: AT_SYMLINK_NOFOLLOW)
    }

    /// Linux's `AT_EMPTY_PATH`, which glibc defines only under _GNU_SOURCE.
    private static let emptyPath: Int32 = 0x1000

    private static func look(_ directory: Int32, _ name: String, flags: Int32) -> FileIdentity? {
        #if os(Linux)
            var buffer = statx()
            if mc_statx(directory, name, flags, UInt32(STATX_INO | STATX_BTIME), &buffer) == 0 {
                let hasBirth = buffer.stx_mask & UInt32(STATX_BTIME) != 0 && buffer.stx_btime.tv_sec > 0
                let birth = hasBirth ? Int64(buffer.stx_btime.tv_sec) * 1_000_000_000 + Int64(buffer.stx_btime.tv_nsec) : nil
                return FileIdentity(inode: buffer.stx_ino, birth: birth)
            }
        #endif
        var info = stat()
        let result = name.isEmpty ? fstat(directory, &info) : fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW)
        return result == 0 ? FileIdentity(inode: UInt64(info.st_ino), birth: nil) : nil
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Store calls the fetcher makes between transfers (all blocking; run on the thread pool).
extension CacheStore {
    /// If `key` holds a fresh entry, marks it used and returns its size; otherwise nil.
    func touchIfFresh(_ key: CacheKey) -> Int64? { touch(key, onlyIfFresh: true) }

    /// Marks the entry for `key` used (fresh or not) and returns its size; nil if there is none.
    ///
    /// Never creates a file: the mtime is set through a descriptor opened
    /// without following symlinks.
    private func touch(_ key: CacheKey, onlyIfFresh: Bool) -> Int64? {
        EventLoopGuard.assertNotOnEventLoop()
        let fd = openat(layout.rootFD.fd, key.name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { Posix.closeQuietly(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, Posix.isRegular(info) else { return nil }
        if onlyIfFresh && Posix.now() - Posix.seconds(info.st_mtim) > configuration.ttl { return nil }
        futimens(fd, nil)
        return Int64(info.st_size)
    }

    /// The metadata of an existing (expired) entry, when it has an ETag or
    /// Last-Modified to revalidate with.
    func validators(_ key: CacheKey) -> EntryMetadata? {
        guard let info = Posix.lstat(at: layout.rootFD.fd, key.name), Posix.isRegular(info),
            let metadata = layout.readMetadata(key), metadata.size == Int64(info.st_size),
            metadata.etag != nil || metadata.lastModified != nil
        else { return nil }
        return metadata
    }

    /// After a 304: marks the entry used and records the new fetch time.
    /// Returns the entry's size, or nil if it vanished meanwhile (then it must be downloaded).
    func refresh(_ key: CacheKey, metadata: EntryMetadata, etag: String?, lastModified: String?) throws(MediaCacheError) -> Int64? {
        guard let size = touch(key, onlyIfFresh: false) else { return nil }
        var updated = metadata
        updated.storedAt = Posix.now()
        if let etag { updated.etag = etag }
        if let lastModified { updated.lastModified = lastModified }
        try layout.writeMetadata(updated, for: key)
        return size
    }

}

/// A writer or lock handed between the thread pool and the fetch task.
///
/// Used by one task at a time, strictly in sequence, so sharing is safe.
final class Handoff<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

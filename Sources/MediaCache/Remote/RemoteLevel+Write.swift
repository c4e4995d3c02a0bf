import AsyncHTTPClient
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A local entry opened for upload: the descriptor (closed with this object)
/// and its record. The bytes read are those of this one file even if vLLM
/// or another process replaces the entry meanwhile.
final class UploadSource: @unchecked Sendable {
    let fd: Int32
    let record: RemoteRecord

    private init(fd: Int32, record: RemoteRecord) {
        self.fd = fd
        self.record = record
    }

    deinit { Posix.closeQuietly(fd) }

    /// Opens `key`'s data file without touching it (an upload is not a use)
    /// and describes it: from its metadata when that matches the file, else
    /// by hashing the file (an entry vLLM wrote). Nil when there is no entry.
    /// - Important: Disk I/O.
    static func open(_ key: CacheKey, store: CacheStore) throws(MediaCacheError) -> UploadSource? {
        guard let (fd, info) = try store.openDataFile(key) else { return nil }
        _ = fcntl(fd, F_SETFL, 0)
        let size = Int64(info.st_size)
        if let metadata = store.layout.readMetadata(key), metadata.size == size {
            return UploadSource(
                fd: fd,
                record: RemoteRecord(
                    key: key.name, sha256: metadata.sha256, size: size, url: metadata.url, contentType: metadata.contentType,
                    etag: metadata.etag, lastModified: metadata.lastModified))
        }
        let hasher = SHA256Hasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: off_t = 0
        while true {
            let count = Posix.read(fd, into: buffer, at: offset)
            if count < 0 {
                let code = errno
                Posix.closeQuietly(fd)
                throw .io(operation: "cannot read", path: store.path(for: key), errno: code)
            }
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += off_t(count)
        }
        return UploadSource(fd: fd, record: RemoteRecord(key: key.name, sha256: hasher.finalize(), size: Int64(offset)))
    }
}

/// A file's bytes as request body chunks, each read on the thread pool.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let source: UploadSource
    let threadPool: NIOThreadPool

    struct AsyncIterator: AsyncIteratorProtocol {
        let source: UploadSource
        let threadPool: NIOThreadPool
        var offset: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            let remaining = source.record.size - offset
            guard remaining > 0 else { return nil }
            let want = Int(Swift.min(remaining, 1 << 20))
            let (fd, at) = (source.fd, offset)
            let chunk = try await threadPool.runIfActive { () throws -> ByteBuffer in
                var buffer = ByteBufferAllocator().buffer(capacity: want)
                let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { raw in
                    Swift.max(0, Posix.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]), at: off_t(at)))
                }
                guard read > 0 else { throw RemoteFailure.error("the local file shrank while it was uploaded") }
                return buffer
            }
            offset += Int64(chunk.readableBytes)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: source, threadPool: threadPool) }
}

extension RemoteLevel {
    /// Uploads an entry: the body unless the level has it already (bodies
    /// are content-addressed: one copy for every URL with those bytes), then
    /// the record, so a record never points at a body that is not there.
    /// A failure turns the server off; returns whether the entry is now there.
    @discardableResult
    func upload(_ source: UploadSource, threadPool: NIOThreadPool) async -> Bool {
        let record = source.record
        let bodyServer = server(for: record.sha256)
        let recordServer = server(for: record.key)
        guard !spec.readOnly, isEnabled(bodyServer), isEnabled(recordServer) else { return false }
        let bodyURL = RemotePath.join(bodyServer, spec.layout.bodyPath(record.sha256))
        do {
            if try await send(.HEAD, bodyURL) == nil {
                let body = HTTPClientRequest.Body.stream(
                    FileChunks(source: source, threadPool: threadPool), length: .known(record.size))
                guard try await send(.PUT, bodyURL, body: body) != nil else {
                    throw RemoteFailure.refused("HTTP 404 for PUT \(bodyURL)")
                }
                counts.withLockedValue { $0.bytesUp += record.size }
            }
        } catch {
            fail(error, server: bodyServer)
            return false
        }
        do {
            try await putRecord(record)
        } catch {
            fail(error, server: recordServer)
            return false
        }
        counts.withLockedValue { $0.uploads += 1 }
        return true
    }

    /// Whether the level holds a valid record for this entry (same SHA-256)
    /// and its body; nil when asking failed (the server is then off).
    func holds(_ record: RemoteRecord) async -> Bool? {
        let recordServer = server(for: record.key)
        let bodyServer = server(for: record.sha256)
        guard isEnabled(recordServer), isEnabled(bodyServer) else { return nil }
        let found: RemoteRecord?
        do {
            found = try await self.record(for: record.key)
        } catch {
            fail(error, server: recordServer)
            return nil
        }
        guard let found, found.sha256 == record.sha256, found.size == record.size else { return false }
        do {
            return try await send(.HEAD, RemotePath.join(bodyServer, spec.layout.bodyPath(record.sha256))) != nil
        } catch {
            fail(error, server: bodyServer)
            return nil
        }
    }
}

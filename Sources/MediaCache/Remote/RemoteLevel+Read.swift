import AsyncHTTPClient
import NIOCore
import NIOPosix

extension RemoteLevel {
    /// Looks `key` up and, on a hit, stores the body as the entry for `url`.
    ///
    /// The body streams into the one atomic writer (hashed as it streams)
    /// and is published only when its size and SHA-256 match the record;
    /// anything else is discarded, counted corrupt, and a miss. The caller
    /// holds the key's lock. Nil on a miss or any failure.
    /// `countingMiss` false: looking again for a URL already counted as a miss.
    func fetch(_ url: String, key: CacheKey, store: CacheStore, threadPool: NIOThreadPool, countingMiss: Bool = true) async
        -> FetchOutcome?
    {
        let recordServer = server(for: key.name)
        guard isEnabled(recordServer) else { return nil }
        let record: RemoteRecord
        do {
            guard let found = try await self.record(for: key.name) else {
                if countingMiss { counts.withLockedValue { $0.misses += 1 } }
                return nil
            }
            record = found
        } catch {
            fail(error, server: recordServer)
            return nil
        }
        if let recorded = record.url, !recorded.utf8.elementsEqual(url.utf8) {
            fail(.corrupt("the record for \(key.name) names another URL"), server: recordServer)
            return nil
        }
        let bodyServer = server(for: record.sha256)
        guard isEnabled(bodyServer) else { return nil }
        do {
            let bodyURL = RemotePath.join(bodyServer, spec.layout.bodyPath(record.sha256))
            guard let response = try await send(.GET, bodyURL) else {
                if countingMiss { counts.withLockedValue { $0.misses += 1 } }  // a record whose body was pruned
                return nil
            }
            if let length = response.headers.first(name: "content-length").flatMap({ Int64($0) }), length != record.size {
                await Self.discard(response.body)
                throw RemoteFailure.corrupt("the body of \(key.name) has \(length) bytes, its record says \(record.size)")
            }
            let metadata = EntryMetadata(
                url: url, size: 0, sha256: "", storedAt: Posix.now(), contentType: record.contentType, etag: record.etag,
                lastModified: record.lastModified)
            let result = try await receive(
                response.body, record: record, key: key, metadata: metadata, store: store, threadPool: threadPool)
            counts.withLockedValue {
                $0.hits += 1
                $0.bytesDown += result.size
            }
            var outcome = FetchOutcome(
                url: url, status: .fetched, size: result.size, path: result.path, key: key, httpStatus: 200)
            outcome.transferred = result.size
            outcome.attempts = 1
            outcome.remote = name
            return outcome
        } catch let failure as RemoteFailure {
            fail(failure, server: bodyServer)
        } catch {
            // The local store failed (a full disk, say): not the level's fault; the origin gets its turn.
        }
        return nil
    }

    /// Streams a body into a new entry, checking it against its record before publishing.
    ///
    /// A body that fits in one batch (most media) is written, checked and
    /// committed in one thread-pool job: the temp file is made only when a
    /// batch is due, as the origin's downloads do.
    private func receive(
        _ body: HTTPClientResponse.Body, record: RemoteRecord, key: CacheKey, metadata: EntryMetadata, store: CacheStore,
        threadPool: NIOThreadPool
    ) async throws -> StoreResult {
        var written: Handoff<AtomicWriter>?
        var pending: [ByteBuffer] = []
        var pendingBytes = 0
        var total: Int64 = 0
        do {
            for try await chunk in body {
                total += Int64(chunk.readableBytes)
                if total > record.size {
                    throw RemoteFailure.corrupt("the body of \(key.name) is longer than its record says (\(record.size) bytes)")
                }
                Fetcher.append(chunk, to: &pending)
                pendingBytes += chunk.readableBytes
                if pendingBytes >= Fetcher.writeBatch {
                    let (batch, current) = (pending, written)
                    written = try await threadPool.runIfActive {
                        let writer = try current ?? Handoff(store.beginEntry(key))
                        try writer.value.write(batch)
                        return writer
                    }
                    pending.removeAll(keepingCapacity: true)
                    pendingBytes = 0
                }
            }
        } catch {
            if let written { try? await threadPool.runIfActive { written.value.discard() } }
            // A local failure (a full disk) is not the level's: it goes up as it is.
            if error is RemoteFailure || error is MediaCacheError { throw error }
            throw Self.classify(error)
        }
        let (tail, current) = (pending, written)
        return try await threadPool.runIfActive { () throws -> StoreResult in
            let writer = try current?.value ?? store.beginEntry(key)
            defer { writer.discard() }  // a no-op once committed
            try writer.write(tail)
            let sha = writer.finishHash()
            guard writer.bytesWritten == record.size, sha == record.sha256 else {
                throw RemoteFailure.corrupt(
                    "the body of \(key.name) does not match its record (\(writer.bytesWritten) bytes, SHA-256 \(sha.prefix(12))...)"
                )
            }
            return try store.commitEntry(writer, key: key, metadata: metadata, lockHeld: true, enforceLimit: false)
        }
    }
}

import Foundation
import TestSupport
import Testing

@testable import MediaCache

@Suite("Metadata records")
struct MetadataTests {
    @Test("a revalidation records its metadata on the entry's bytes, and not on bytes that replaced them meanwhile")
    func revalidationWritesOnlyOntoItsBytes() async throws {
        try await withStore { store, dir in
            // Given: an entry with its metadata
            let url = "https://h/r.png"
            let stored = try store.store(Array("original".utf8), for: url)
            var metadata = try #require(store.metadata(for: stored.key))

            // When: a revalidation records a new ETag
            metadata.etag = "\"v2\""
            try store.layout.writeMetadata(metadata, for: stored.key)
            // Then: it is on the entry
            #expect(store.metadata(for: stored.key)?.etag == "\"v2\"")

            // When: another program (vLLM takes no lock) replaces the bytes, and then a revalidation lands
            Files.write(stored.path, Array("other, longer bytes".utf8))
            metadata.etag = "\"v3\""
            try store.layout.writeMetadata(metadata, for: stored.key)
            // Then: the new bytes are left without metadata, not given the old entry's SHA-256
            #expect(store.metadata(for: stored.key) == nil)
        }
    }
}

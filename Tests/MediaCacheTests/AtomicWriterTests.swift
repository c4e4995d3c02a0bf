import Foundation
import NIOCore
import TestSupport
import Testing

@testable import MediaCache

@Suite("The atomic writer")
struct AtomicWriterTests {
    @Test(
        "without AT_EMPTY_PATH (Linux before 6.10, no privilege) an unnamed temp file is linked in through /proc",
        .enabled(if: UnnamedFile.flags != 0))
    func linksThroughProc() async throws {
        try await withTempDir { dir in
            // Given: linking by descriptor is taken to be refused, as on older kernels
            UnnamedFile.emptyPathLinks.store(false, ordering: .relaxed)
            defer { UnnamedFile.emptyPathLinks.store(true, ordering: .relaxed) }
            let fd = open(dir, O_RDONLY | O_DIRECTORY)
            defer { close(fd) }

            // When: a new file is written, then replaced
            for content in ["first", "second"] {
                let writer = try AtomicWriter(directory: fd, path: dir, target: "entry", tag: "test")
                #expect(Files.names(dir).isEmpty || Files.names(dir) == ["entry"])  // unnamed while written
                try writer.write(Array(content.utf8))
                try writer.commit()

                // Then: the name holds the whole new content, and no temp name is left
                #expect(Files.read(dir + "/entry") == Array(content.utf8))
                #expect(Files.names(dir) == ["entry"])
            }
        }
    }
}

extension AtomicWriterTests {
    @Test("a writer discarded without commit while a batch of it waits to be hashed is freed, and leaves no file")
    func droppedWithABatchQueued() async throws {
        try await withTempDir { dir in
            let fd = open(dir, O_RDONLY | O_DIRECTORY)
            defer { close(fd) }
            weak var dropped: AtomicWriter?
            do {
                // Given: a writer that has written one batch of received buffers
                let writer = try AtomicWriter(directory: fd, path: dir, target: "entry", tag: "test")
                try writer.write([ByteBuffer(bytes: [UInt8](repeating: 7, count: 300 * 1024))])
                dropped = writer
                // When: it is discarded (deinit does no blocking work: callers discard on every path)
                writer.discard()
            }
            // Then: once dropped it is gone, and so is its temp file
            #expect(dropped == nil)
            #expect(Files.names(dir).isEmpty)
        }
    }
}

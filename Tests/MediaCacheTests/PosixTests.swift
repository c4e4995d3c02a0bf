import Foundation
import TestSupport
import Testing

@testable import MediaCache

@Suite("System call helpers")
struct PosixTests {
    @Test("writeAll of many pieces: every byte in order, empty pieces skipped")
    func gatherWrite() async throws {
        await withTempDir { dir in
            var rng = SeededRandom(seed: 1)
            let pieces: [[UInt8]] = (0..<300).map { index in
                index % 50 == 0
                    ? [] : (0..<Int.random(in: 1...9000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            let path = dir + "/out"
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            let status = withExtendedLifetime(pieces) {
                Posix.writeAll(fd, pieces.map { $0.withUnsafeBytes { $0 } })
            }
            close(fd)
            #expect(status == nil)
            #expect(FileManager.default.contents(atPath: path).map([UInt8].init) == pieces.flatMap { $0 })
        }
    }

    @Test("after a short write, the next writev starts at the first byte not written")
    func skipAfterShortWrite() {
        let base = UnsafeMutableRawPointer.allocate(byteCount: 100, alignment: 1)
        defer { base.deallocate() }
        var vectors = [
            iovec(iov_base: base, iov_len: 10), iovec(iov_base: base + 10, iov_len: 20), iovec(iov_base: base + 30, iov_len: 5),
        ]
        var first = 0
        Posix.skip(14, in: &vectors, from: &first)  // the first vector whole, 4 bytes of the second
        #expect(first == 1 && vectors[1].iov_base == base + 14 && vectors[1].iov_len == 16)
        Posix.skip(16, in: &vectors, from: &first)  // exactly the rest of the second
        #expect(first == 2 && vectors[2].iov_base == base + 30 && vectors[2].iov_len == 5)
        Posix.skip(5, in: &vectors, from: &first)
        #expect(first == 3)
    }
}

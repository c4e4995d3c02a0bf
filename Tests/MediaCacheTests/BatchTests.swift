import NIOCore
import Testing

@testable import MediaCache

@Suite("Download batches")
struct BatchTests {
    @Test("small received pieces are copied together into the batch's own buffers, large ones kept as they are, bytes in order")
    func smallPiecesAreCoalesced() {
        var rng = SystemRandomNumberGenerator()
        let sizes = (0..<200).map { _ in Bool.random(using: &rng) ? Int.random(in: 1...3000, using: &rng) : Int.random(in: 20_000...70_000, using: &rng) }
        // Each piece a slice of a much larger buffer, as a connection's read buffer would be
        let pieces: [ByteBuffer] = sizes.map { size in
            var big = ByteBuffer(bytes: (0..<(size + 5_000)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            return big.readSlice(length: size)!
        }
        var batch: [ByteBuffer] = []
        for piece in pieces { Fetcher.append(piece, to: &batch) }

        #expect(batch.flatMap { $0.readableBytesView } == pieces.flatMap { $0.readableBytesView })
        // Small pieces never stand alone as slices: every buffer under 16 KiB readable is one of our own 64 KiB ones
        #expect(batch.allSatisfy { $0.readableBytes >= 16 * 1024 || $0.capacity == 64 * 1024 })
        #expect(batch.count < pieces.count)
    }
}

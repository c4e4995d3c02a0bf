import NIOCore
import TestSupport
import Testing

@testable import MediaCache

@Suite("Download batches")
struct BatchTests {
    @Test("small received pieces are copied together into the batch's own buffers, large ones kept as they are, bytes in order")
    func smallPiecesAreCoalesced() {
        var rng = SeededRandom(seed: 1)
        let sizes = (0..<200).map { _ in
            Bool.random(using: &rng) ? Int.random(in: 1...3000, using: &rng) : Int.random(in: 20_000...70_000, using: &rng)
        }
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

    @Test("a piece that is a small part of a large read buffer is copied; one that is most of it is kept")
    func piecesSmallBesideTheirReadBufferAreCopied() {
        var read = ByteBuffer(repeating: 7, count: 256 * 1024)  // a socket read buffer at its largest
        let sliver = read.readSlice(length: 40 * 1024)!  // under a quarter of it
        var other = ByteBuffer(repeating: 9, count: 256 * 1024)
        let most = other.readSlice(length: 200 * 1024)!
        var batch: [ByteBuffer] = []
        Fetcher.append(sliver, to: &batch)
        Fetcher.append(most, to: &batch)
        #expect(batch.count == 2)
        // A copy: the read buffer is free to go.
        #expect(batch[0].storageCapacity == 64 * 1024 && batch[0].readableBytes == 40 * 1024)
        #expect(batch[1].storageCapacity >= 256 * 1024)  // as received
        #expect(
            batch.flatMap { $0.readableBytesView } == [UInt8](repeating: 7, count: 40 * 1024)
                + [UInt8](repeating: 9, count: 200 * 1024))
    }
}

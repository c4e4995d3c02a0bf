// mediacache-bench: the cost of one put as the cache grows, through the library.
//
//     mediacache-bench put DIR [--sizes 1000,4000,16000,100000] [--puts 200] [--batches 5] [--entry-bytes 4096]
//
// One cache per size N, in DIR/N, is filled with puts to N entries. Then the
// timed batches of `--puts` puts of new URLs go round-robin over the caches,
// `--batches` rounds, so whatever else the machine is doing weighs on every
// size alike. One line per size goes to stdout, tab-separated:
//
//     entries  median_us_per_put  min_us_per_put  max_us_per_put  fill_seconds
//
// where the per-put figures are over the batches (each batch's mean). The
// timed entries stay in the cache, so each grows a little past N; `bench/run`
// reads these lines. Timing lives here, never in a test.

import MediaCache

#if canImport(Glibc)
    import Glibc
#endif

/// Monotonic seconds.
func monotonic() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func fail(_ message: String) -> Never {
    let line = "mediacache-bench: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(64)
}

struct Options {
    var directory = ""
    var sizes = [1000, 4000, 16000, 100_000]
    var puts = 200
    var batches = 5
    var entryBytes = 4096

    init(_ arguments: [String]) {
        guard arguments.count >= 2, arguments[0] == "put" else {
            fail("usage: mediacache-bench put DIR [--sizes 1000,4000,16000,100000] [--puts N] [--batches N] [--entry-bytes N]")
        }
        directory = arguments[1]
        var rest = arguments.dropFirst(2).makeIterator()
        while let flag = rest.next() {
            guard let value = rest.next() else { fail("\(flag) needs a value") }
            switch flag {
            case "--sizes": sizes = value.split(separator: ",").map { Int($0) ?? 0 }
            case "--puts": puts = Int(value) ?? 0
            case "--batches": batches = Int(value) ?? 0
            case "--entry-bytes": entryBytes = Int(value) ?? 0
            default: fail("unknown option \(flag)")
            }
        }
        guard sizes.allSatisfy({ $0 > 0 }), puts > 0, batches > 0, entryBytes > 0 else {
            fail("sizes and counts must be positive")
        }
        sizes.sort()
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))

/// One cache being timed, and the serial number of its next URL.
final class Subject {
    let size: Int
    let store: CacheStore
    var serial = 0
    var perPut: [Double] = []
    var fillSeconds = 0.0

    init(size: Int) {
        self.size = size
        do {
            // The limit is far above what the run stores, as with vLLM's 5 GiB default
            // and 100k x 4 KiB: the cost measured is bookkeeping, not eviction.
            store = try CacheStore(CacheConfiguration(directory: "\(options.directory)/\(size)", maxBytes: 64 << 30))
        } catch {
            fail("\(error)")
        }
    }

    /// Stores one new entry; the bytes differ per entry (its serial number up front).
    func putNext(_ bytes: inout [UInt8]) {
        serial += 1
        withUnsafeBytes(of: serial.littleEndian) { raw in
            for (index, byte) in raw.enumerated() where index < bytes.count { bytes[index] = byte }
        }
        do {
            _ = try store.store(bytes, for: "https://bench.invalid/put/\(serial).bin", contentType: "application/octet-stream")
        } catch {
            fail("put \(serial) into \(size): \(error)")
        }
    }
}

var bytes = [UInt8](repeating: 0, count: options.entryBytes)
let subjects = options.sizes.map { Subject(size: $0) }
for subject in subjects {
    let start = monotonic()
    while subject.serial < subject.size { subject.putNext(&bytes) }
    subject.fillSeconds = monotonic() - start
}
for _ in 0..<options.batches {
    for subject in subjects {
        let start = monotonic()
        for _ in 0..<options.puts { subject.putNext(&bytes) }
        subject.perPut.append((monotonic() - start) / Double(options.puts) * 1e6)
    }
}
for subject in subjects {
    let perPut = subject.perPut.sorted()
    print("\(subject.size)\t\(perPut[perPut.count / 2])\t\(perPut.first ?? 0)\t\(perPut.last ?? 0)\t\(subject.fillSeconds)")
}

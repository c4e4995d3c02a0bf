// mediacache-bench: the cost of one put as the cache grows, through the library.
//
//     mediacache-bench put DIR [--sizes 1000,4000,16000,100000] [--puts 200] [--batches 5] [--entry-bytes 4096]
//
// For each size N (ascending), the cache in DIR is filled with puts until it
// holds N entries, then `--batches` batches of `--puts` puts of new URLs are
// timed. One line per size goes to stdout, tab-separated:
//
//     entries  median_us_per_put  min_us_per_put  max_us_per_put  fill_seconds
//
// where the per-put figures are over the batches (each batch's mean). The
// timed entries stay in the cache, so the cache grows a little past N;
// `bench/run` reads these lines. Timing lives here, never in a test.

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
        guard sizes.allSatisfy({ $0 > 0 }), puts > 0, batches > 0, entryBytes > 0 else { fail("sizes and counts must be positive") }
        sizes.sort()
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let store: CacheStore
do {
    // The limit is far above what the run stores, as with vLLM's 5 GiB default
    // and 100k x 4 KiB: the cost measured is bookkeeping, not eviction.
    store = try CacheStore(CacheConfiguration(directory: options.directory, maxBytes: 64 << 30))
} catch {
    fail("\(error)")
}

var bytes = [UInt8](repeating: 0, count: options.entryBytes)
var serial = 0

/// Stores one new entry; the bytes differ per entry (its serial number up front).
func putNext() {
    serial += 1
    withUnsafeBytes(of: serial.littleEndian) { raw in
        for (index, byte) in raw.enumerated() where index < bytes.count { bytes[index] = byte }
    }
    do {
        _ = try store.store(bytes, for: "https://bench.invalid/put/\(serial).bin", contentType: "application/octet-stream")
    } catch {
        fail("put \(serial): \(error)")
    }
}

for size in options.sizes {
    let fillStart = monotonic()
    while serial < size { putNext() }
    let fillSeconds = monotonic() - fillStart
    var perPut: [Double] = []
    for _ in 0..<options.batches {
        let start = monotonic()
        for _ in 0..<options.puts { putNext() }
        perPut.append((monotonic() - start) / Double(options.puts) * 1e6)
    }
    perPut.sort()
    let median = perPut[perPut.count / 2]
    print("\(size)\t\(median)\t\(perPut.first ?? 0)\t\(perPut.last ?? 0)\t\(fillSeconds)")
    fflush(nil)  // flush every stream; naming `stdout` is not concurrency-safe in Swift 6
}

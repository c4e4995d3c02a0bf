import CCrypto

/// An incremental SHA-256: the one hash engine, the system's libcrypto.
///
/// Bytes are hashed as they stream past, so no body is ever held in memory
/// whole (invariant 4). Not thread-safe: one hasher per stream. Parallel
/// downloads still hash in parallel: each writer hashes its own stream on
/// the thread that writes it (`AtomicWriter`), so the streams spread over
/// the thread pool's cores. libcrypto uses the CPU's SHA extensions where
/// there are some (about 1.7 GB/s a core on the benchmark machine).
///
/// No hand-written hash: the content hash is what a shared tier trusts, so
/// it comes from the library everyone audits.
///
/// Not libcrypto's EVP interface, on purpose: OpenSSL 3's first
/// `EVP_DigestInit_ex` initialises the library, reads openssl.cnf and fetches
/// a provider, about 5 million instructions, a sixth of a whole
/// `mediacache get` (measured with callgrind, docs/benchmarks.md).
/// OpenSSL 3 marks SHA256_Init/Update/Final deprecated; shim.h silences that.
public struct SHA256Hasher: ~Copyable {
    private let context: UnsafeMutablePointer<SHA256_CTX>

    public init() {
        context = .allocate(capacity: 1)
        SHA256_Init(context)
    }

    deinit { context.deallocate() }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        SHA256_Update(context, base, bytes.count)
    }

    public func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update($0) }
        }
    }

    /// The digest as 64 lower-case hex digits; the hasher starts over afterwards.
    public func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        SHA256_Final(&digest, context)
        SHA256_Init(context)
        return Hex.encode(digest)
    }

    /// The SHA-256 of `bytes`, as hex.
    public static func hex(of bytes: some Sequence<UInt8>) -> String {
        let hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }
}

enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

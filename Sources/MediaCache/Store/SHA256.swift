import CCrypto
import CSHA256

/// An incremental SHA-256.
///
/// Bytes are hashed as they stream past, so no body is ever held in memory
/// whole (invariant 4). Not thread-safe: one hasher per stream.
///
/// Two engines. Where the CPU has the x86-64 SHA extensions, this project's
/// own code (`Sources/CSHA256`), which runs one stream at libcrypto's speed
/// and can also hash two streams at once on one core for about 1.8 times
/// the throughput (`update(_:_:_:_:)`, used by `HashService`). Elsewhere
/// libcrypto's SHA256_Init/Update/Final.
///
/// Not libcrypto's EVP interface, on purpose: OpenSSL 3's first
/// `EVP_DigestInit_ex` initialises the library, reads openssl.cnf and fetches
/// a provider, about 5 million instructions, a sixth of a whole
/// `mediacache get` (measured with callgrind, docs/benchmarks.md).
/// OpenSSL 3 marks the calls used here deprecated; shim.h silences that.
public struct SHA256Hasher: ~Copyable {
    private enum Engine {
        case extensions(UnsafeMutablePointer<mc_sha256_ctx>)
        case library(UnsafeMutablePointer<SHA256_CTX>)
    }

    private let engine: Engine

    /// Whether this CPU has the SHA extensions, so that two streams can be hashed at once.
    static let hasExtensions = mc_sha256_available() != 0

    public init() {
        self.init(extensions: Self.hasExtensions)
    }

    /// A hasher on a chosen engine (tests compare the two); `extensions` must only be true where `hasExtensions` is.
    init(extensions: Bool) {
        if extensions {
            let context = UnsafeMutablePointer<mc_sha256_ctx>.allocate(capacity: 1)
            mc_sha256_init(context)
            engine = .extensions(context)
        } else {
            let context = UnsafeMutablePointer<SHA256_CTX>.allocate(capacity: 1)
            SHA256_Init(context)
            engine = .library(context)
        }
    }

    deinit {
        switch engine {
        case .extensions(let context): context.deallocate()
        case .library(let context): context.deallocate()
        }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        switch engine {
        case .extensions(let context): mc_sha256_update(context, base, bytes.count)
        case .library(let context): SHA256_Update(context, base, bytes.count)
        }
    }

    public func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update($0) }
        }
    }

    /// Hashes `a` into `first` and `b` into `second`: both at once on the
    /// SHA extensions, else one after the other.
    static func update(_ first: borrowing SHA256Hasher, _ a: UnsafeRawBufferPointer, _ second: borrowing SHA256Hasher, _ b: UnsafeRawBufferPointer) {
        guard case .extensions(let one) = first.engine, case .extensions(let two) = second.engine,
            let baseA = a.baseAddress, let baseB = b.baseAddress
        else {
            first.update(a)
            second.update(b)
            return
        }
        mc_sha256_update2(one, baseA, a.count, two, baseB, b.count)
    }

    /// The digest as 64 lower-case hex digits; the hasher starts over afterwards.
    public func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        switch engine {
        case .extensions(let context): mc_sha256_final(context, &digest)
        case .library(let context):
            SHA256_Final(&digest, context)
            SHA256_Init(context)
        }
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

// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mediacache",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "MediaCache", targets: ["MediaCache"]),
        .executable(name: "mediacache", targets: ["mediacache"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // SHA-256 comes from the system's libcrypto (Debian: libssl-dev).
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Extended attributes (a Linux header only, no library).
        .systemLibrary(name: "CFileSystem"),
        // glibc's allocator settings (a header only, no library), for the executable.
        .systemLibrary(name: "CAllocator"),
        .target(
            name: "MediaCache",
            dependencies: [
                "CCrypto",
                "CFileSystem",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "mediacache",
            dependencies: [
                "MediaCache",
                "CAllocator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Start-up is most of a one-shot command (a 64 KiB `get`), so the
            // release executable links the Swift runtime statically (no
            // libswiftCore & co. to load and bind), as a fixed-address
            // executable (no relocations to apply and fault in at every
            // start), without exporting its symbols (the runtime's start-up
            // `dladdr` walks them). docs/install.md measures each and says
            // what -no-pie trades away. Compiling with -static-stdlib too
            // makes the objects name the static Foundation's own libraries.
            // These are unsafe flags, which SwiftPM refuses only in the
            // products a version-based dependent uses: the library product
            // has none, so `MediaCache` stays usable as a dependency.
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))],
            linkerSettings: [
                .unsafeFlags(
                    ["-static-stdlib", "-Xlinker", "-no-pie", "-Xlinker", "--no-export-dynamic"],
                    .when(platforms: [.linux], configuration: .release))
            ]
        ),
        // bench/run's put-cost benchmark (release builds only; see docs/benchmarks.md).
        // A single-threaded timing script; Swift 5 mode spares it the top-level-code isolation rules.
        .executableTarget(
            name: "mediacache-bench", dependencies: ["MediaCache"], path: "bench/Sources/mediacache-bench",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // An HTTP origin on 127.0.0.1 and process helpers, shared by both test targets.
        .target(
            name: "TestSupport",
            dependencies: [
                "MediaCache",
                "CFileSystem",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "MediaCacheTests", dependencies: ["MediaCache", "TestSupport"]),
        // The end-to-end tests run the built binary; they do not link the
        // executable's module, so its static-runtime flags stay out of the
        // test bundle (`swift test -c release` links). `swift test` builds
        // every product, the binary included.
        .testTarget(name: "mediacacheTests", dependencies: ["MediaCache", "TestSupport"]),
    ]
)

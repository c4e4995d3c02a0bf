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
        .testTarget(name: "mediacacheTests", dependencies: ["mediacache", "MediaCache", "TestSupport"]),
    ]
)

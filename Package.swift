// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "pra",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pra", targets: ["pra"]),
        .library(name: "PRACore", targets: ["PRACore"]),
        .library(name: "PRAHarness", targets: ["PRAHarness"]),
        .library(name: "PRADrillResults", targets: ["PRADrillResults"]),
        .library(name: "PRADrill", targets: ["PRADrill"]),
        .library(name: "PRAReport", targets: ["PRAReport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CLibdeflate",
            pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .target(name: "CPosix"),
        .target(name: "CDeflateBlocks"),
        .target(
            name: "PRACore",
            dependencies: [
                "CLibPQ",
                "CZlib",
                "CLibdeflate",
                "CZstd",
                "CLZ4",
                "CDeflateBlocks",
                "CPosix",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            // Test and drill machinery (scratch clusters, fixtures, damage, a local S3 server,
            // loopback listeners): used by the drill runner, `pra cluster`/`fixtures` and the
            // tests, never by production operations.
            name: "PRAHarness",
            dependencies: ["PRACore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "PRADrillResults",
            dependencies: ["PRACore"]
        ),
        .target(
            name: "PRADrill",
            dependencies: [
                "PRACore",
                "PRAHarness",
                "PRADrillResults",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "PRAReport",
            dependencies: ["PRACore", "PRADrillResults"]
        ),
        .executableTarget(
            name: "pra",
            dependencies: [
                "PRACore",
                "PRAHarness",
                "PRADrillResults",
                "PRADrill",
                "PRAReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "PRATestSupport",
            dependencies: ["PRACore", "PRAHarness"],
            path: "Tests/PRATestSupport"
        ),
        // Server-free tests of the pure logic (archive and WAL models, retention, target parsing,
        // shard plans, verdicts, configuration, codecs): no PostgreSQL, no network, no pra binary.
        // `swift test --filter PRAUnitTests` runs them alone in seconds.
        .testTarget(
            name: "PRAUnitTests",
            dependencies: [
                "PRACore", "CDeflateBlocks", "PRADrillResults", "PRADrill", "PRAReport", "PRATestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "PRACoreTests",
            dependencies: ["PRACore", "PRAHarness", "CDeflateBlocks", "PRATestSupport"]
        ),
        .testTarget(
            name: "PRADrillTests",
            dependencies: ["PRACore", "PRAHarness", "PRADrillResults", "PRADrill", "PRATestSupport", "pra"]
        ),
        .testTarget(
            name: "PRAReportTests",
            dependencies: ["PRACore", "PRAHarness", "PRADrillResults", "PRADrill", "PRAReport", "PRATestSupport", "pra"]
        ),
        .testTarget(
            name: "PRACLITests",
            dependencies: ["PRACore", "PRAHarness", "PRATestSupport", "pra"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

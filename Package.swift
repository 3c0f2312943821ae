// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "logdash",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "logdash", targets: ["logdash"]),
        .library(name: "LogdashEngine", targets: ["LogdashEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/CoreOffice/XMLCoder", from: "0.18.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw", providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CDeflate", path: "Sources/CDeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CPCRE2", path: "Sources/CPCRE2", providers: [.apt(["libpcre2-dev"])]),
        // A header only: the compiler's prefetch hint for hash-table probes.
        .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),
        // SQLite is the reference for the query engine's differential test, not a dependency of logdash.
        .systemLibrary(name: "CSQLite", path: "Tests/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "LogdashEngine",
            dependencies: [
                "CZlib", "CZstd", "CDeflate", "CPCRE2", "CPrefetch", .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "XMLCoder", package: "XMLCoder"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"), .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // (The OTLP messages' schema, from which Ingest/OTLP/otlp_logs.pb.swift was generated.)
            exclude: ["Ingest/OTLP/otlp_logs.proto"]
        ),
        .target(name: "LogdashUI", dependencies: ["LogdashEngine", .product(name: "Yams", package: "Yams")]),
        .target(name: "LogdashTerminal", dependencies: ["LogdashUI", "CNcursesw"]),
        .executableTarget(
            name: "logdash",
            dependencies: [
                "LogdashEngine", "LogdashUI", "LogdashTerminal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Fuzz targets: built with libFuzzer by Fuzz/run; in a plain build, a replayer of inputs.
        .target(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .executableTarget(name: "logdash-fuzz", dependencies: ["LogdashEngine", "LogdashUI", "CLibFuzzer"], path: "Fuzz/Targets"),
        // The SQL logic files are read from the source tree by their runner, not bundled.
        // Scratch directories for tests, removed when the test process exits.
        .target(name: "Scratch", path: "Tests/Scratch"),
        .testTarget(name: "LogdashEngineTests", dependencies: ["LogdashEngine", "CSQLite", "Scratch", .product(name: "Yams", package: "Yams"),
                                                           .product(name: "Crypto", package: "swift-crypto")],
                    exclude: ["Query/logic", "Query/duckdb", "Store/fixtures", "Parse/RealShapes", "Cloud/botocore_sign.py"]),
        .testTarget(name: "LogdashUITests", dependencies: ["LogdashUI", "Scratch"], exclude: ["charts", "query"]),  // golden files, read from the tree
        .testTarget(name: "LogdashTerminalTests", dependencies: ["LogdashTerminal", "LogdashUI", "Scratch"]),
        .testTarget(name: "logdashTests", dependencies: ["logdash", "Scratch", "CZstd"], exclude: ["peers"]),  // Python clients the tests run
    ],
    swiftLanguageModes: [.v6]
)

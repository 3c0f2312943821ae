// swift-tools-version: 6.1
// The benchmark harness, a package of its own so that the main build and CI do not pay for it.
import PackageDescription

let package = Package(
    name: "logdash-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "logdash", path: "..")],
    targets: [
        .executableTarget(
            name: "logdash-bench",
            dependencies: [.product(name: "LogdashEngine", package: "logdash")],
            swiftSettings: [.unsafeFlags(["-Ounchecked", "-wmo"])]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "crossrun",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "crossrun", targets: ["crossrun"]),
        .library(name: "CrossRunKit", targets: ["CrossRunKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // libxml2 writes and merges JUnit XML (Debian: libxml2-dev).
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        // Turns the Runners/ folder (the source of truth) into Swift source at build time, so an installed
        // crossrun carries its runner definitions with it.
        .executableTarget(name: "crossrun-embed", path: "Sources/crossrun-embed"),
        .plugin(
            name: "EmbedData",
            capability: .buildTool(),
            dependencies: ["crossrun-embed"]
        ),
        .target(
            name: "CrossRunKit",
            dependencies: [
                "CLibXML2",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            plugins: ["EmbedData"]
        ),
        .executableTarget(
            name: "crossrun",
            dependencies: [
                "CrossRunKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "CrossRunKitTests",
            dependencies: ["CrossRunKit"],
            resources: [.copy("Fixtures")]
        ),
        // Real qemu on real cross-built Examples/. Depends on the executable so that `swift test` builds it.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["CrossRunKit", "crossrun"]
        ),
    ]
)

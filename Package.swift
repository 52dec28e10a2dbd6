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
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swiftwasm/WasmKit", .upToNextMinor(from: "0.4.2")),
    ],
    targets: [
        // libxml2 writes and merges JUnit XML (Debian: libxml2-dev).
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        // libarchive reads .deb files (ar) and their data.tar.* (Debian: libarchive-dev).
        .systemLibrary(
            name: "CLibArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        // libcurl, loaded with dlopen when a sysroot is first downloaded (header: Debian libcurl4-openssl-dev).
        .target(
            name: "CCurlLoader",
            linkerSettings: [.linkedLibrary("dl")]
        ),
        // libxml2's text writer, loaded with dlopen when the first JUnit report is written (Debian: libxml2).
        .target(
            name: "CXMLWriter",
            linkerSettings: [.linkedLibrary("dl")]
        ),
        // fork/exec with a parent-death signal from one long-lived thread, and the subreaper switch (prctl).
        .target(name: "CSpawn"),
        // Turns the Runners/ and Sysroots/ folders (the source of truth) into Swift source at build time, so an
        // installed crossrun carries its runner definitions and sysroot manifests with it.
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
                "CLibArchive",
                "CCurlLoader",
                "CSpawn",
                "CXMLWriter",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmKitWASI", package: "WasmKit"),
            ],
            // A file sees the members of the modules it imports and no others: the cargo path's files import
            // FoundationEssentials, and Foundation's String and Data extensions stay out of them (docs/architecture.md).
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")],
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
        // Fetched sysroots against a real signed Debian-layout repository served on 127.0.0.1.
        .testTarget(
            name: "SysrootFetchTests",
            dependencies: ["CrossRunKit", "crossrun"],
            exclude: ["Support"]
        ),
        // Real qemu on real cross-built Examples/. Depends on the executable so that `swift test` builds it.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["CrossRunKit", "crossrun"]
        ),
    ]
)

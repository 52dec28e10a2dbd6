// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "crossrun",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "crossrun", targets: ["crossrun"]),
        .executable(name: "crossrun-tools", targets: ["crossrun-tools"]),
        .library(name: "CrossRunKit", targets: ["CrossRunKit"]),
        .library(name: "CrossRunTools", targets: ["CrossRunTools"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swiftwasm/WasmKit", .upToNextMinor(from: "0.4.2")),
    ],
    targets: [
        // libxml2 merges JUnit XML in crossrun-tools (Debian: libxml2-dev); the run path writes it through CXMLWriter.
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
        .executableTarget(
            name: "crossrun-embed", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")], path: "Sources/crossrun-embed"),
        .plugin(
            name: "EmbedData",
            capability: .buildTool(),
            dependencies: ["crossrun-embed"]
        ),
        // The run path, what cargo's `crossrun BINARY ARGS` needs: no fetcher, crypto, wasm runtime or libarchive.
        .target(
            name: "CrossRunKit",
            dependencies: [
                "CSpawn",
                "CXMLWriter",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            // A file sees the members of the modules it imports and no others: the run path's files import
            // FoundationEssentials, and Foundation's String and Data extensions stay out of them (docs/architecture.md).
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")],
            plugins: ["EmbedData"]
        ),
        // Everything off the cargo path (the Debian fetcher, doctor, setup, the wasm runtime, system mode's boot,
        // report merging): used by crossrun-tools only. Depends on CrossRunKit, never the other way.
        .target(
            name: "CrossRunTools",
            dependencies: [
                "CrossRunKit",
                "CLibXML2",
                "CLibArchive",
                "CCurlLoader",
                "CSpawn",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmKitWASI", package: "WasmKit"),
            ]
        ),
        // What both executables' command lines share: the fetched-sysroot options and the error → exit status path.
        .target(
            name: "CrossRunCLI",
            dependencies: [
                "CrossRunKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        // The executable cargo starts once per test binary: `run`; the other subcommands are
        // forwarded (execv) to crossrun-tools beside it.
        .executableTarget(
            name: "crossrun",
            dependencies: [
                "CrossRunKit",
                "CrossRunCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        // doctor, setup, sysroot, report, targets, wasm-run, system-run; installed beside crossrun.
        .executableTarget(
            name: "crossrun-tools",
            dependencies: [
                "CrossRunTools",
                "CrossRunCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "CrossRunKitTests",
            dependencies: [
                "CrossRunKit",
                "CrossRunTools",
                // swift-crypto's SHA-256 is the reference the plain one in Support/SHA256.swift is checked against.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Fixtures")]
        ),
        // Fetched sysroots against a real signed Debian-layout repository served on 127.0.0.1.
        .testTarget(
            name: "SysrootFetchTests",
            dependencies: ["CrossRunKit", "CrossRunTools", "crossrun", "crossrun-tools"],
            exclude: ["Support"]
        ),
        // Real qemu on real cross-built Examples/. Depends on the executables so that `swift test` builds them.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["CrossRunKit", "CrossRunTools", "crossrun", "crossrun-tools"]
        ),
    ]
)

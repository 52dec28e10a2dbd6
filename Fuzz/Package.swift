// swift-tools-version:6.0
// Fuzzing harness for crossrun's parsers of untrusted input (libFuzzer with AddressSanitizer). Not part of the
// main build: scripts/fuzz.sh builds it with the sanitizer flags and runs each target for a fixed time.
import PackageDescription

// scripts/fuzz.sh builds every module with coverage and address-sanitizer instrumentation and links libFuzzer
// without its main (libclang_rt.fuzzer_no_main): each target's main.swift calls LLVMFuzzerRunDriver, so the
// package's own build tool (crossrun-embed) keeps its main and links too.

let package = Package(
    name: "crossrun-fuzz",
    dependencies: [.package(name: "crossrun", path: "..")],
    targets: [
        // libFuzzer's driver, shared by the targets.
        .target(name: "FuzzDriver"),
        // ELF / wasm headers (BinaryInspector) and DT_NEEDED reading (GuestLibraries, in CrossRunTools).
        .executableTarget(
            name: "FuzzBinary",
            dependencies: [
                "FuzzDriver", .product(name: "CrossRunKit", package: "crossrun"), .product(name: "CrossRunTools", package: "crossrun"),
            ]),
        // libtest output (pretty, terse, JSON lines) through the collector, as a test process's stdout.
        .executableTarget(name: "FuzzLibtest", dependencies: ["FuzzDriver", .product(name: "CrossRunKit", package: "crossrun")]),
        // crossrun.toml text through the config reader.
        .executableTarget(name: "FuzzConfig", dependencies: ["FuzzDriver", .product(name: "CrossRunKit", package: "crossrun")]),
    ]
)

import Foundation
import Testing

/// The package's root folder, from this file's path.
let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The JUnit schema every report must validate against.
let junitSchema = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/junit/junit-10.xsd").path

/// The `crossrun` executable `swift test` built beside the test bundle.
let crossrunExecutable: String = {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("crossrun").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    return packageRoot.appendingPathComponent(".build/debug/crossrun").path
}()

/// End-to-end tests need real tools. Locally a missing one skips the test with its name; under
/// `CROSSRUN_E2E_REQUIRED=1` (scripts/test.sh, CI) a missing tool fails instead, so CI cannot pass by skipping.
enum Tool {
    static let required = ProcessInfo.processInfo.environment["CROSSRUN_E2E_REQUIRED"] == "1"

    static func find(_ name: String) -> String? {
        for directory in ["/usr/bin", "/usr/local/bin", "/bin"] {
            let path = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static func available(_ names: String...) -> Bool {
        required || names.allSatisfy { find($0) != nil }
    }
}

struct ProcessResult {
    var status: Int32
    /// The signal the process died of, if it did.
    var signal: Int32?
    var stdout: Data
    var stderr: Data

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// The status a shell reports: the code, or 128 + signal.
    var shellStatus: Int32 { signal.map { 128 + $0 } ?? status }
}

/// A sysroot cache for this test process.
let testCache = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-e2e-cache-\(getpid())").path

/// The test process's environment with Debian's Rust first and crossrun's build folder on PATH,
/// no backtraces (they vary between runs), and `changes` applied (nil removes a variable).
func environment(_ changes: [String: String?] = [:]) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    let crossrunFolder = (crossrunExecutable as NSString).deletingLastPathComponent
    environment["PATH"] = "/usr/bin:\(crossrunFolder):" + (environment["PATH"] ?? "/bin")
    environment["RUST_BACKTRACE"] = "0"
    for key in environment.keys where key.hasPrefix("CROSSRUN_") && key != "CROSSRUN_E2E_REQUIRED" {
        environment[key] = nil
    }
    // Fetched sysroots go to a cache of this test process, never the user's.
    environment["CROSSRUN_CACHE_DIR"] = testCache
    for (key, value) in changes { environment[key] = value }
    return environment
}

/// Runs a program to completion and captures its output (no shell involved).
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil, stdin: Data? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment ?? EndToEndTests.environment()
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    // Read both pipes concurrently so a full pipe never blocks the child.
    nonisolated(unsafe) var errData = Data()
    let reader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !reader.isFinished { usleep(1000) }
    let signaled = process.terminationReason == .uncaughtSignal
    return ProcessResult(
        status: process.terminationStatus, signal: signaled ? process.terminationStatus : nil, stdout: outData, stderr: errData)
}

/// cargo's environment variable for a target's runner: `CARGO_TARGET_<TRIPLE>_RUNNER`.
func cargoRunnerVariable(_ triple: String) -> String {
    "CARGO_TARGET_" + triple.uppercased().replacingOccurrences(of: "-", with: "_") + "_RUNNER"
}

/// Runs crossrun with `arguments`.
@discardableResult
func crossrun(_ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil, stdin: Data? = nil) throws -> ProcessResult {
    try run(crossrunExecutable, arguments, environment: environment, in: directory, stdin: stdin)
}

/// A fresh temporary folder.
func temporaryDirectory(_ name: String = "e2e") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Validates a JUnit file against the shared schema with xmllint; returns xmllint's complaint, or nil.
func schemaProblems(_ path: String) throws -> String? {
    let result = try run("/usr/bin/xmllint", ["--noout", "--schema", junitSchema, path])
    return result.status == 0 ? nil : result.stderrText
}

/// The Examples, built once per test process by Examples/build.sh (idempotent).
enum Examples {
    static let root = packageRoot.appendingPathComponent("Examples")
    static let rustDemo = root.appendingPathComponent("rust-demo")

    nonisolated(unsafe) private static var built: Bool?
    private static let lock = NSLock()

    /// Builds the examples (once); throws with the script's output if that fails.
    static func build() throws {
        lock.lock()
        defer { lock.unlock() }
        if built == true { return }
        let result = try run("/bin/bash", [root.appendingPathComponent("build.sh").path], environment: EndToEndTests.environment())
        guard result.status == 0 else {
            throw BuildFailure(message: "Examples/build.sh failed (\(result.status)): \(result.stderrText)")
        }
        built = true
    }

    /// The rust-demo library's unit-test binary for a target triple (`crossrun_demo-<hash>[.wasm]`).
    static func rustDemoLibrary(_ triple: String) throws -> String {
        try build()
        let listed = try run("/bin/bash", [root.appendingPathComponent("build.sh").path, "--print-rust-binaries", triple])
        let binaries = listed.stdoutText.split(separator: "\n").map(String.init)
        guard let library = binaries.first(where: { ($0 as NSString).lastPathComponent.hasPrefix("crossrun_demo-") }) else {
            throw BuildFailure(message: "no crossrun_demo test binary for \(triple) in: \(binaries)")
        }
        return library
    }

    static func c(_ name: String) throws -> String {
        try build()
        return root.appendingPathComponent("c/build/\(name)").path
    }

    /// A bare-metal image from Examples/embedded/build (`pass-rv32.elf`, `rust-tests-cortex-m3.elf`, ...).
    static func embedded(_ name: String) throws -> String {
        try build()
        return root.appendingPathComponent("embedded/build/\(name)").path
    }

    struct BuildFailure: Error, CustomStringConvertible { var message: String; var description: String { message } }

    nonisolated(unsafe) private static var demoVariants: [String: String] = [:]
    private static let demoVariantsLock = NSLock()

    /// rust-demo's aarch64 library test binary built with `rustflags` (`--cfg crossrun_demo_reliability`,
    /// `-C target-feature=+crt-static`) into target/<variant>, once per test process.
    static func demoTests(variant: String, rustflags: String) throws -> String {
        demoVariantsLock.lock()
        defer { demoVariantsLock.unlock() }
        if let binary = demoVariants[variant] { return binary }
        var env = environment(["RUSTFLAGS": rustflags, "CARGO_TARGET_DIR": rustDemo.appendingPathComponent("target/\(variant)").path])
        env["CARGO_TERM_COLOR"] = "never"
        let result = try run(
            "/usr/bin/cargo", ["test", "--offline", "--quiet", "--no-run", "--target", "aarch64-unknown-linux-gnu", "--message-format=json"],
            environment: env, in: rustDemo)
        guard result.status == 0 else {
            throw BuildFailure(message: "building the \(variant) demo failed (\(result.status)): \(result.stderrText)")
        }
        for line in result.stdoutText.split(separator: "\n") where line.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["reason"] as? String == "compiler-artifact",
                let executable = object["executable"] as? String,
                (executable as NSString).lastPathComponent.hasPrefix("crossrun_demo-")
            else { continue }
            demoVariants[variant] = executable
            return executable
        }
        throw BuildFailure(message: "no crossrun_demo test binary in cargo's output: \(result.stdoutText.prefix(2000))")
    }
}

/// libtest's `test result:` counts, read independently of crossrun's parser.
struct LibtestCounts: Equatable {
    var passed = 0, failed = 0, ignored = 0, measured = 0

    static func all(in output: String) -> [LibtestCounts] {
        output.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("test result: ") else { return nil }
            var counts = LibtestCounts()
            for field in line.split(separator: ";") {
                let words = field.split(separator: " ").suffix(2)
                guard words.count == 2, let value = Int(words.first!) else { continue }
                switch words.last! {
                case "passed": counts.passed = value
                case "failed": counts.failed = value
                case "ignored": counts.ignored = value
                case "measured": counts.measured = value
                default: break
                }
            }
            return counts
        }
    }
}

/// Replaces libtest's `finished in 0.05s` timings, the only part of its output that differs run to run.
func normalisedTimings(_ text: String) -> String {
    text.replacingOccurrences(of: #"finished in [0-9.]+s"#, with: "finished in Xs", options: .regularExpression)
}

/// A results JSON file as a dictionary.
func readResults(_ path: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    guard let results = object as? [String: Any] else { throw Examples.BuildFailure(message: "\(path) is not a JSON object") }
    return results
}

import Foundation
import Testing

/// Linux full-system mode: `[target.aarch64] mode = "system"` boots Debian's arm64 kernel (fetched and verified
/// from the real Debian mirror on first use, by the planning crossrun process, into the test cache's
/// `system-aarch64` entry) under qemu-system-aarch64; the rust-demo tests give the same results as under qemu-user.
@Suite(.enabled(if: Tool.available("qemu-system-aarch64", "qemu-aarch64-static", "xmllint")), .serialized)
struct SystemModeEndToEndTests {
    /// test name → outcome from a results JSON.
    func outcomes(_ path: String) throws -> [String: String] {
        let tests = try #require(try readResults(path)["tests"] as? [[String: Any]])
        return Dictionary(tests.compactMap { t in (t["name"] as? String).map { ($0, t["outcome"] as? String ?? "") } }) { a, _ in a }
    }

    @Test("the aarch64 example passes (and fails) in full-system mode exactly as under qemu-user", arguments: [false, true])
    func sameResultsAsQemuUser(failing: Bool) throws {
        let folder = try temporaryDirectory("system-mode")
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        var env = environment()
        if failing { env["CROSSRUN_DEMO_FAIL"] = "1" }
        let userJSON = folder.appendingPathComponent("user.json").path
        let user = try crossrun(["--json", userJSON, "--junit", folder.appendingPathComponent("user.xml").path, binary, "--test-threads=1"], environment: env, in: folder)

        let systemFolder = folder.appendingPathComponent("system")
        try FileManager.default.createDirectory(at: systemFolder, withIntermediateDirectories: true)
        try "[target.aarch64]\nmode = \"system\"\n".write(
            to: systemFolder.appendingPathComponent("crossrun.toml"), atomically: true, encoding: .utf8)
        let systemJSON = folder.appendingPathComponent("system.json").path
        let junit = folder.appendingPathComponent("system.xml").path
        let system = try crossrun(["--json", systemJSON, "--junit", junit, binary, "--test-threads=1"], environment: env, in: systemFolder)

        #expect(system.status == user.status, "\(system.stderrText)")
        #expect(system.status == (failing ? 101 : 0))
        #expect(try outcomes(systemJSON) == outcomes(userJSON))
        #expect(LibtestCounts.all(in: system.stdoutText) == LibtestCounts.all(in: user.stdoutText))
        let launch = try #require(try readResults(systemJSON)["launch"] as? [String: Any])
        #expect(launch["kind"] as? String == "qemu-system-linux")
        let argv = launch["argv"] as? [String] ?? []
        #expect(argv.contains("system-run"))
        // The kernel and busybox were fetched (or found) by the planning process; the child gets their paths.
        let kernel = try #require(argv.firstIndex(of: "--kernel").map { argv[$0 + 1] })
        #expect(kernel.hasPrefix(testCache + "/sysroots/system-aarch64/") && kernel.hasSuffix("/root/vmlinuz"), "\(argv)")
        #expect(argv.contains("--busybox"))
        #expect(!argv.contains("--fetch"))
        #expect(try schemaProblems(junit) == nil)
    }
}

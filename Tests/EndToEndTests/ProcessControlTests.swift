import Foundation
import Testing

/// Live streaming, signal forwarding, configuration overrides and an installed copy of crossrun.
@Suite(.enabled(if: Tool.available("qemu-aarch64-static")))
struct ProcessControlTests {
    @Test("output streams through live, not when the process ends")
    func streamsLive() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: crossrunExecutable)
        process.arguments = ["--no-report", "/bin/sh", "-c", "echo first; sleep 3; echo second"]
        process.environment = environment()
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        let start = Date()
        try process.run()
        let first = out.fileHandleForReading.availableData
        let firstArrived = Date().timeIntervalSince(start)
        process.waitUntilExit()
        #expect(String(decoding: first, as: UTF8.self) == "first\n")
        #expect(firstArrived < 2.5, "the first line took \(firstArrived)s: output was held back")
        #expect(process.terminationStatus == 0)
    }

    @Test("SIGTERM and SIGINT to crossrun reach the whole process group; status 128+N; nothing left running",
          arguments: [SIGTERM, SIGINT])
    func forwardsSignals(signal: Int32) throws {
        // A unique sleep duration names the grandchild so the test can look for it afterwards.
        let marker = "3\(Int.random(in: 100...999)).5"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: crossrunExecutable)
        process.arguments = ["--no-report", "/bin/sh", "-c", "sleep \(marker); echo not reached"]
        process.environment = environment()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.5)
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!process.isRunning)
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 128 + signal)
        let left = try run("/usr/bin/pgrep", ["-f", "sleep \(marker)"])
        #expect(left.stdoutText.isEmpty, "still running: \(left.stdoutText)")
    }

    @Test("crossrun.toml overrides a target's cpu and environment, and flags beat it")
    func configurationOverrides() throws {
        let directory = try temporaryDirectory("toml")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Examples.c("plain_exit-aarch64-static")
        try """
            [target.aarch64-unknown-linux-gnu]
            cpu = "cortex-a53"
            env = { CROSSRUN_E2E_MARKER = "from-config" }
            """.write(to: directory.appendingPathComponent("crossrun.toml"), atomically: true, encoding: .utf8)
        let nested = directory.appendingPathComponent("a/b")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        let json = directory.appendingPathComponent("r.json").path
        let result = try crossrun(["--json", json, "--no-report", path, "0"], in: nested)
        #expect(result.status == 0)
        // --no-report wins over --json: nothing written.
        #expect(!FileManager.default.fileExists(atPath: json))
        let second = try crossrun(["--json", json, path, "0"], in: nested)
        #expect(second.status == 0)
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let argv = (results?["launch"] as? [String: Any])?["argv"] as? [String] ?? []
        #expect(argv.starts(with: ["/usr/bin/qemu-aarch64-static", "-cpu", "cortex-a53"]))
        let flagged = try crossrun(["--json", json, "--cpu", "cortex-a72", path, "0"], in: nested)
        #expect(flagged.status == 0)
        let again = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        #expect(((again?["launch"] as? [String: Any])?["argv"] as? [String] ?? []).contains("cortex-a72"))
    }

    @Test("an installed crossrun carries its runner definitions: it works copied away from the checkout (with the crossrun-tools beside it)")
    func worksAwayFromCheckout() throws {
        let directory = try temporaryDirectory("installed")
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appendingPathComponent("crossrun").path
        try FileManager.default.copyItem(atPath: crossrunExecutable, toPath: copy)
        // `targets` is crossrun-tools', which crossrun starts from its own folder: an installation has both.
        try FileManager.default.copyItem(
            atPath: (crossrunExecutable as NSString).deletingLastPathComponent + "/crossrun-tools",
            toPath: directory.appendingPathComponent("crossrun-tools").path)
        let targets = try run(copy, ["targets"], in: directory)
        #expect(targets.status == 0)
        for name in ["aarch64:", "armv7:", "armel:", "riscv64:"] { #expect(targets.stdoutText.contains(name)) }
        let path = try Examples.c("libtest_style-riscv64")
        let result = try run(copy, ["--no-report", path], in: directory)
        #expect(result.status == 0)
        #expect(result.stderrText.contains("[riscv64 via qemu-riscv64-static]"))
    }
}

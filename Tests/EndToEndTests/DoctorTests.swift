import CrossRunKit
@testable import CrossRunTools
import Foundation
import Testing

/// `crossrun doctor` on this machine and on machines made to lack things (PATH without qemu, no system sysroots,
/// offline, a configured emulator that is not there, a binfmt_misc folder).
@Suite(.enabled(if: Tool.available("qemu-aarch64-static", "qemu-arm-static", "qemu-riscv64-static")))
struct DoctorTests {
    func doctorJSON(_ arguments: [String] = [], environment env: [String: String]? = nil, in directory: URL? = nil) throws -> (ProcessResult, [String: Any]) {
        let result = try crossrun(["doctor", "--json"] + arguments, environment: env, in: directory)
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "not JSON: \(result.stdoutText)")
        return (result, object)
    }

    func target(_ name: String, in report: [String: Any]) throws -> [String: Any] {
        let targets = try #require(report["targets"] as? [[String: Any]])
        return try #require(targets.first { $0["name"] as? String == name })
    }

    @Test("here: every built-in target can run, with the emulator's path and version")
    func everythingHere() throws {
        let text = try crossrun(["doctor", "--target", "aarch64", "--target", "armv7-unknown-linux-gnueabihf", "--target", "riscv64", "--target", "wasm32-wasi"])
        #expect(text.status == 0, "\(text.stdoutText)\(text.stderrText)")
        for name in ["aarch64", "armel", "armv7", "riscv64", "wasm32-wasip1"] {
            #expect(text.stdoutText.contains("\n\(name) "), "no row for \(name)")
        }
        #expect(text.stdoutText.contains("binfmt_misc:"))
        #expect(text.stdoutText.contains("wasm runtime:"))
        #expect(text.stdoutText.contains("qemu-system-riscv64"))

        let (result, report) = try doctorJSON()
        #expect(result.status == 0)
        #expect(report["schema"] as? String == "crossrun-doctor")
        let catalog = try TargetCatalog.builtIn()
        #expect((report["targets"] as? [Any])?.count == catalog.definitions.count)
        let aarch64 = try target("aarch64", in: report)
        #expect(aarch64["canRun"] as? Bool == true)
        let emulator = try #require(aarch64["emulator"] as? [String: Any])
        let path = try #require(emulator["path"] as? String)
        #expect(path.hasSuffix("/qemu-aarch64-static") || path.hasSuffix("/qemu-aarch64"))
        // The version is the emulator's own first line, read independently here.
        let own = try run(path, ["--version"]).stdoutText.split(separator: "\n").first.map(String.init)
        #expect(emulator["version"] as? String == own)
        let wasm = try target("wasm32-wasip1", in: report)
        #expect((wasm["sysroot"] as? [String: Any])?["state"] as? String == "not-needed")
        #expect(wasm["canRun"] as? Bool == true)
    }

    @Test("crossrun targets shows what run would use, crossrun.toml included, as doctor does")
    func targetsHonourConfiguration() throws {
        let directory = try temporaryDirectory("targets-config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let qemu = try #require(Tool.find("qemu-arm-static"))
        let configured = directory.appendingPathComponent("my-qemu-arm").path
        try FileManager.default.createSymbolicLink(atPath: configured, withDestinationPath: qemu)
        try "[target.armv7]\nemulator = \"\(configured)\"\n".write(
            to: directory.appendingPathComponent("crossrun.toml"), atomically: true, encoding: .utf8)

        let listed = try crossrun(["targets"], in: directory)
        #expect(listed.status == 0, "\(listed.stderrText)")
        let armv7 = listed.stdoutText.components(separatedBy: "\narmv7:").dropFirst().first ?? ""
        #expect(armv7.contains("emulator:     \(configured) (set by \(directory.path)/crossrun.toml)"), "\(listed.stdoutText)")
        let (_, report) = try doctorJSON(in: directory)
        let emulator = try #require(try target("armv7", in: report)["emulator"] as? [String: Any])
        #expect(emulator["path"] as? String == configured)

        // The configured emulator missing: both say so, and the list still comes out.
        try FileManager.default.removeItem(atPath: configured)
        let missing = try crossrun(["targets"], in: directory)
        #expect(missing.status == 0)
        #expect(missing.stdoutText.contains("missing: none of \(configured) on PATH"), "\(missing.stdoutText)")
    }

    @Test("no qemu on PATH: --target exits 1 and names the command that fixes it")
    func missingEmulator() throws {
        let env = environment(["PATH": "/nonexistent"])
        let result = try crossrun(["doctor", "--target", "aarch64-unknown-linux-gnu"], environment: env)
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("aarch64: no emulator: none of qemu-aarch64-static, qemu-aarch64 is on PATH"))
        #expect(result.stdoutText.contains("fix: apt-get install qemu-user-static"))
        #expect(result.stderrText.contains("aarch64 cannot run on this machine"))
        // wasm still runs (the embedded runtime needs nothing), so asking only for it succeeds.
        #expect(try crossrun(["doctor", "--target", "wasm32-wasi"], environment: env).status == 0)
        // Without --target the report is printed and doctor succeeds.
        #expect(try crossrun(["doctor"], environment: env).status == 0)
    }

    @Test("an unknown --target is crossrun's own error, 125")
    func unknownTarget() throws {
        let result = try crossrun(["doctor", "--target", "m68k"])
        #expect(result.status == 125)
        #expect(result.stderrText.contains("unknown target m68k"))
    }

    @Test("sysroot states: installed, fetched on first use, missing when offline with none cached")
    func sysrootStates() throws {
        let (_, here) = try doctorJSON()
        #expect((try target("aarch64", in: here)["sysroot"] as? [String: Any])?["state"] as? String == "installed")

        let cache = try temporaryDirectory("doctor-cache")
        defer { try? FileManager.default.removeItem(at: cache) }
        let (_, fetchable) = try doctorJSON(environment: environment(["CROSSRUN_IGNORE_SYSTEM_SYSROOTS": "1", "CROSSRUN_CACHE_DIR": cache.path]))
        let aarch64 = try target("aarch64", in: fetchable)
        #expect((aarch64["sysroot"] as? [String: Any])?["state"] as? String == "fetchable")
        #expect(aarch64["canRun"] as? Bool == true)

        let offline = environment(["CROSSRUN_IGNORE_SYSTEM_SYSROOTS": "1", "CROSSRUN_CACHE_DIR": cache.path, "CROSSRUN_OFFLINE": "1"])
        let (result, report) = try doctorJSON(["--target", "aarch64"], environment: offline)
        #expect(result.status == 1)
        let missing = try target("aarch64", in: report)
        #expect((missing["sysroot"] as? [String: Any])?["state"] as? String == "missing")
        let problems = try #require(missing["problems"] as? [[String: Any]])
        #expect(problems.contains { $0["fix"] as? String == "apt-get install libc6-arm64-cross libgcc-s1-arm64-cross" })
    }

    @Test("a crossrun.toml emulator that is not there is reported with the file that set it")
    func configuredEmulator() throws {
        let project = try temporaryDirectory("doctor-config")
        defer { try? FileManager.default.removeItem(at: project) }
        try "[target.aarch64]\nemulator = \"/nonexistent/qemu-aarch64\"\n".write(
            to: project.appendingPathComponent("crossrun.toml"), atomically: true, encoding: .utf8)
        let (result, report) = try doctorJSON(["--target", "aarch64"], in: project)
        #expect(result.status == 1)
        let emulator = try #require(try target("aarch64", in: report)["emulator"] as? [String: Any])
        #expect(emulator["candidates"] as? [String] == ["/nonexistent/qemu-aarch64"])
        #expect((emulator["configuredBy"] as? String)?.hasSuffix("/crossrun.toml") == true)
        #expect(emulator["path"] == nil)
        // armv7 is not affected.
        #expect(try target("armv7", in: report)["canRun"] as? Bool == true)
    }

    @Test("doctor agrees with run on crossrun.toml: the configured wasm runtime, and a misspelled mode")
    func agreesWithRun() throws {
        let project = try temporaryDirectory("doctor-agrees")
        defer { try? FileManager.default.removeItem(at: project) }
        try "[target.wasm32-wasi]\nemulator = \"embedded\"\n[target.aarch64]\nmode = \"sytem\"\n".write(
            to: project.appendingPathComponent("crossrun.toml"), atomically: true, encoding: .utf8)
        let (result, report) = try doctorJSON(["--target", "aarch64"], in: project)
        #expect(result.status == 1)
        let runtime = try #require(report["wasmRuntime"] as? [String: Any])
        #expect(runtime["selected"] as? String == "embedded")
        #expect((runtime["configuredBy"] as? String)?.hasSuffix("/crossrun.toml") == true)
        #expect((try target("wasm32-wasip1", in: report)["emulator"] as? [String: Any])?["path"] as? String == "embedded")
        let aarch64 = try target("aarch64", in: report)
        #expect(aarch64["canRun"] as? Bool == false)
        let problems = try #require(aarch64["problems"] as? [[String: Any]])
        #expect(problems.contains { ($0["message"] as? String)?.contains("\"sytem\" is not a mode crossrun knows") == true }, "\(problems)")
        let text = try crossrun(["doctor"], in: project)
        #expect(text.status == 0)
        #expect(text.stdoutText.contains("wasm runtime: embedded WasmKit runtime (set by \(project.path)/crossrun.toml)"), "\(text.stdoutText)")
    }

    @Test("binfmt_misc: mounted or not, and its qemu entries")
    func binfmt() throws {
        let folder = try temporaryDirectory("binfmt")
        defer { try? FileManager.default.removeItem(at: folder) }
        var doctor = CrossRunTools.Doctor(
            catalog: try TargetCatalog.builtIn(), configuration: Configuration(options: RunOptions(), environment: [:], files: []),
            environment: ProcessInfo.processInfo.environment)
        doctor.binfmtPath = folder.path
        #expect(doctor.diagnose().binfmt.mounted == false)
        try "enabled\n".write(to: folder.appendingPathComponent("status"), atomically: true, encoding: .utf8)
        try "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\noffset 0\nmagic 7f454c46\n".write(
            to: folder.appendingPathComponent("qemu-aarch64"), atomically: true, encoding: .utf8)
        try "disabled\ninterpreter /usr/bin/qemu-riscv64-static\n".write(
            to: folder.appendingPathComponent("qemu-riscv64"), atomically: true, encoding: .utf8)
        try "enabled\ninterpreter /usr/bin/python3\n".write(to: folder.appendingPathComponent("python"), atomically: true, encoding: .utf8)
        let status = doctor.diagnose().binfmt
        #expect(status.mounted)
        #expect(status.qemuEntries == [
            .init(name: "qemu-aarch64", enabled: true, interpreter: "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"),
            .init(name: "qemu-riscv64", enabled: false, interpreter: "/usr/bin/qemu-riscv64-static"),
        ])
        #expect(doctor.diagnose().text().contains("qemu entries: qemu-aarch64, qemu-riscv64 (disabled)"))
    }
}

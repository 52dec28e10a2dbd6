import Foundation
import Testing

/// Time limits, interruptions and retries on the real aarch64 demo under qemu, with its opt-in reliability tests
/// (Examples/rust-demo/src/reliability.rs, compiled in with `--cfg crossrun_demo_reliability`).
@Suite(.enabled(if: Tool.available("qemu-aarch64-static", "cargo", "aarch64-linux-gnu-gcc")))
struct TimeoutRetryTests {
    /// The demo's aarch64 unit-test binary with the reliability module, built once into its own target dir.
    static func reliabilityDemo() throws -> String {
        try ReliabilityDemo.build()
    }

    /// An environment with a marker variable that every process of this run inherits (qemu and the guest too),
    /// so the test can look for leftovers in /proc afterwards.
    static func markedEnvironment(_ changes: [String: String?] = [:]) -> (environment: [String: String], marker: String) {
        let marker = UUID().uuidString
        var all = changes
        all["CROSSRUN_E2E_RUN_MARKER"] = marker
        return (environment(all), marker)
    }

    /// Processes whose environment holds `CROSSRUN_E2E_RUN_MARKER=marker`.
    static func leftovers(_ marker: String) -> [String] {
        let needle = Data("CROSSRUN_E2E_RUN_MARKER=\(marker)".utf8)
        var found: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
            guard let data = FileManager.default.contents(atPath: "/proc/\(entry)/environ"), data.range(of: needle) != nil else { continue }
            let command = (try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8))?.replacingOccurrences(of: "\0", with: " ") ?? "?"
            found.append("\(entry): \(command)")
        }
        return found
    }

    /// Starts crossrun with `arguments`, waits (up to 60 s) until its stdout so far satisfies `ready`, gives it
    /// half a second more, sends it SIGTERM, and waits up to 15 s for it to end (SIGKILL after that).
    static func interrupt(
        _ arguments: [String], environment: [String: String], in folder: URL, when ready: (String) -> Bool
    ) throws -> (reason: Process.TerminationReason, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: crossrunExecutable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = folder
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = Data()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !ready(String(decoding: seen, as: UTF8.self)) {
            seen.append(out.fileHandleForReading.availableData)
        }
        Thread.sleep(forTimeInterval: 0.5)
        kill(process.processIdentifier, SIGTERM)
        let exited = Date().addingTimeInterval(15)
        while process.isRunning && Date() < exited { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (process.terminationReason, process.terminationStatus)
    }

    static func tests(_ results: [String: Any]) -> [String: [String: Any]] {
        var byName: [String: [String: Any]] = [:]
        for test in results["tests"] as? [[String: Any]] ?? [] {
            if let name = test["name"] as? String { byName[name] = test }
        }
        return byName
    }

    @Test("--test-timeout stops a hanging test: it is a timeout error, every other test still reports, status 124, no qemu left",
          arguments: [[], ["--test-threads=1"], ["-Z", "unstable-options", "--format", "json"]])
    func testTimeout(arguments: [String]) throws {
        let binary = try Self.reliabilityDemo()
        let folder = try temporaryDirectory("test-timeout")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        let junit = folder.appendingPathComponent("r.xml").path
        let (env, marker) = Self.markedEnvironment(["CROSSRUN_DEMO_HANG": "1"])
        let start = Date()
        let result = try crossrun(["--test-timeout", "2s", "--kill-grace", "1s", "--json", json, "--junit", junit, binary] + arguments, environment: env, in: folder)
        let elapsed = Date().timeIntervalSince(start)
        #expect(result.status == 124, "\(result.stderrText)")
        #expect(elapsed < 40, "took \(elapsed)s")
        #expect(Self.leftovers(marker).isEmpty, "still running: \(Self.leftovers(marker))")

        let results = try readResults(json)
        let tests = Self.tests(results)
        let hung = try #require(tests["reliability::hangs"])
        #expect(hung["outcome"] as? String == "error")
        #expect(hung["errorKind"] as? String == "timeout")
        #expect((hung["message"] as? String ?? "").contains("reliability::hangs ran longer than 2s (--test-timeout)"))
        // Every other test has its real result.
        for name in ["tests::add_small_numbers", "tests::reverse_words_works", "crash::aborts", "reliability::flaky", "tests::prints_to_stdout"] {
            #expect(tests[name]?["outcome"] as? String == "passed", "\(name): \(String(describing: tests[name]))")
        }
        #expect(tests["tests::slow_exhaustive_add"]?["outcome"] as? String == "ignored")
        let counts = results["counts"] as? [String: Any] ?? [:]
        #expect(counts["passed"] as? Int == 13)
        #expect(counts["errors"] as? Int == 1)
        #expect(counts["ignored"] as? Int == 2)
        let timeouts = results["timeouts"] as? [[String: Any]] ?? []
        #expect(timeouts.last?["test"] as? String == "reliability::hangs")
        #expect((results["exit"] as? [String: Any])?["status"] as? Int == 124)
        #expect(try schemaProblems(junit) == nil)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("type=\"timeout\""))
        // One clause for however many stops (the pretty run is stopped twice: its silence, then the restart's
        // test limit), naming the hanging test.
        let summary = result.stderrText.split(separator: "\n").last.map(String.init) ?? ""
        #expect(summary.components(separatedBy: "timed out").count == 2, "\(summary)")
        #expect(summary.contains("the test reliability::hangs ran longer than 2s (--test-timeout) (exit status 124)"), "\(summary)")
    }

    @Test("--timeout stops the whole binary: status 124, the tests that finished are reported, the rest is a timeout error, no qemu left")
    func binaryTimeout() throws {
        let binary = try Self.reliabilityDemo()
        let folder = try temporaryDirectory("timeout")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        let junit = folder.appendingPathComponent("r.xml").path
        let (env, marker) = Self.markedEnvironment(["CROSSRUN_DEMO_HANG": "1"])
        let start = Date()
        let result = try crossrun(["--timeout", "3s", "--json", json, "--junit", junit, binary], environment: env, in: folder)
        let elapsed = Date().timeIntervalSince(start)
        #expect(result.status == 124, "\(result.stderrText)")
        #expect(elapsed >= 3 && elapsed < 15, "took \(elapsed)s")
        #expect(Self.leftovers(marker).isEmpty, "still running: \(Self.leftovers(marker))")
        let results = try readResults(json)
        let tests = Self.tests(results)
        #expect(tests["tests::add_small_numbers"]?["outcome"] as? String == "passed")
        let process = try #require(tests["(process)"])
        #expect(process["errorKind"] as? String == "timeout")
        #expect((process["message"] as? String ?? "").contains("the 3s time limit (--timeout) ran out"))
        #expect((results["timeouts"] as? [[String: Any]])?.first?["kind"] as? String == "timeout")
        #expect(results["restarts"] == nil, "no crash-resume after the binary's time limit")
        #expect(try schemaProblems(junit) == nil)
        #expect(result.stderrText.contains("timed out: the 3s time limit (--timeout) ran out"))
    }

    @Test("CROSSRUN_TIMEOUT and timeout in crossrun.toml apply too; a flag beats them")
    func timeoutFromConfig() throws {
        let binary = try Self.reliabilityDemo()
        let folder = try temporaryDirectory("timeout-config")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "[target.aarch64-unknown-linux-gnu]\ntest-timeout = \"1500ms\"\n".write(
            to: folder.appendingPathComponent("crossrun.toml"), atomically: true, encoding: .utf8)
        let json = folder.appendingPathComponent("r.json").path
        let (env, marker) = Self.markedEnvironment(["CROSSRUN_DEMO_HANG": "1", "CROSSRUN_TIMEOUT": "60"])
        let result = try crossrun(["--json", json, "--no-resume", binary, "--test-threads=1"], environment: env, in: folder)
        #expect(result.status == 124, "\(result.stderrText)")
        #expect(Self.leftovers(marker).isEmpty)
        let results = try readResults(json)
        let limits = results["limits"] as? [String: Any] ?? [:]
        #expect(limits["timeout"] as? Double == 60)
        #expect(limits["testTimeout"] as? Double == 1.5)
        #expect(Self.tests(results)["reliability::hangs"]?["message"] as? String != nil)
        #expect((Self.tests(results)["reliability::hangs"]?["message"] as? String ?? "").contains(folder.appendingPathComponent("crossrun.toml").path))
    }

    @Test("SIGTERM to crossrun mid-run: the group is stopped, the report is written and marked interrupted, status 143")
    func interruptedReport() throws {
        let binary = try Self.reliabilityDemo()
        let folder = try temporaryDirectory("interrupt")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        let junit = folder.appendingPathComponent("r.xml").path
        let (env, marker) = Self.markedEnvironment(["CROSSRUN_DEMO_HANG": "1"])
        // Once libtest says the other tests ran, only the hanging one is left.
        let ended = try Self.interrupt(["--json", json, "--junit", junit, binary], environment: env, in: folder) {
            $0.contains("test tests::reverse_words_works ... ok")
        }
        #expect(ended.reason == .exit)
        #expect(ended.status == 143)
        #expect(Self.leftovers(marker).isEmpty, "still running: \(Self.leftovers(marker))")
        let results = try readResults(json)
        let interrupted = results["interrupted"] as? [String: Any] ?? [:]
        #expect(interrupted["signalName"] as? String == "SIGTERM")
        #expect(interrupted["signal"] as? Int == 15)
        #expect((results["exit"] as? [String: Any])?["status"] as? Int == 143)
        #expect(Self.tests(results)["tests::reverse_words_works"]?["outcome"] as? String == "passed")
        #expect(results["restarts"] == nil, "no crash-resume after an interruption")
        #expect(try schemaProblems(junit) == nil)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("name=\"crossrun.interrupted\""))
        #expect(xml.contains("type=\"interrupted\""))
    }

    @Test("--retries: a test that fails once and then passes is flaky (flakyFailure, flaky count), the run succeeds")
    func flakyTest() throws {
        let binary = try Self.reliabilityDemo()
        let folder = try temporaryDirectory("flaky")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        let junit = folder.appendingPathComponent("r.xml").path
        let (env, _) = Self.markedEnvironment(["CROSSRUN_DEMO_FLAKY_DIR": folder.path])
        let result = try crossrun(["--retries", "2", "--json", json, "--junit", junit, binary], environment: env, in: folder)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.contains("1 flaky"))
        let results = try readResults(json)
        let flaky = try #require(Self.tests(results)["reliability::flaky"])
        #expect(flaky["outcome"] as? String == "passed")
        #expect(flaky["flaky"] as? Bool == true)
        let reruns = flaky["reruns"] as? [[String: Any]] ?? []
        #expect(reruns.count == 1)
        #expect((reruns.first?["output"] as? String ?? "").contains("first run: failing on purpose"))
        #expect((results["counts"] as? [String: Any])?["flaky"] as? Int == 1)
        #expect(results["retries"] as? Int == 1)
        #expect(try schemaProblems(junit) == nil)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<flakyFailure"))
        #expect(!xml.contains("<failure"))

        // Without --retries the same first failure fails the run.
        let again = folder.appendingPathComponent("again")
        try FileManager.default.createDirectory(at: again, withIntermediateDirectories: true)
        let plain = try crossrun(["--no-report", binary], environment: Self.markedEnvironment(["CROSSRUN_DEMO_FLAKY_DIR": again.path]).environment, in: folder)
        #expect(plain.status == 101)
    }

    @Test("--retries: a test failing every time keeps its failure and gets one rerunFailure per retry; status 101")
    func persistentFailure() throws {
        let binary = try Self.reliabilityDemo()
        let folder = try temporaryDirectory("rerun")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        let junit = folder.appendingPathComponent("r.xml").path
        let result = try crossrun(["--retries", "2", "--json", json, "--junit", junit, binary], environment: environment(["CROSSRUN_DEMO_FAIL": "1"]), in: folder)
        #expect(result.status == 101)
        let results = try readResults(json)
        let failing = try #require(Self.tests(results)["tests::opt_in_failure"])
        #expect(failing["outcome"] as? String == "failed")
        #expect((failing["reruns"] as? [[String: Any]])?.count == 2)
        #expect((results["counts"] as? [String: Any])?["flaky"] == nil)
        #expect(try schemaProblems(junit) == nil)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.components(separatedBy: "<rerunFailure").count == 3)
    }
}

/// Builds rust-demo's aarch64 tests with the reliability module into target/reliability (once per test process).
enum ReliabilityDemo {
    static func build() throws -> String {
        try Examples.demoTests(variant: "reliability", rustflags: "--cfg crossrun_demo_reliability")
    }
}

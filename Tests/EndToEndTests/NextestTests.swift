import Foundation
import Testing

/// Where scripts/install-deps.sh puts the PyPI tools (cargo-nextest, yamllint).
enum PythonTools {
    static let folder: String = {
        let base = ProcessInfo.processInfo.environment["CROSSRUN_TOOLS_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/opt/crossrun-tools"
        return base + "/venv/bin"
    }()

    static func find(_ name: String) -> String? {
        let path = folder + "/" + name
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    static func available(_ name: String) -> Bool { Tool.required || find(name) != nil }
}

/// `cargo nextest run --target aarch64-unknown-linux-gnu` in Examples/rust-demo, whose .cargo/config.toml names
/// `runner = "crossrun"` (the built crossrun comes first in PATH). nextest lists each binary's tests through the
/// runner, then runs every test in a process of its own: crossrun must pass listings through untouched, report each
/// test's outcome through its exit status, and write no per-test report files unless asked.
@Suite(.serialized, .enabled(if: PythonTools.available("cargo-nextest") && Tool.available("cargo", "qemu-aarch64-static")))
struct NextestTests {
    static let triple = "aarch64-unknown-linux-gnu"

    /// A cargo target folder of this test's own, so other tests' reports in Examples/rust-demo/target never mix in.
    let targetDirectory: URL

    init() throws {
        targetDirectory = try temporaryDirectory("nextest-target")
    }

    func env(_ changes: [String: String?] = [:]) -> [String: String] {
        var env = environment(changes)
        env["PATH"] = env["PATH"]! + ":" + PythonTools.folder
        env["CARGO_TARGET_DIR"] = targetDirectory.path
        env["NO_COLOR"] = "1"
        return env
    }

    func cargo(_ arguments: [String], _ changes: [String: String?] = [:]) throws -> ProcessResult {
        try run("/usr/bin/cargo", arguments, environment: env(changes), in: Examples.rustDemo)
    }

    /// Report files crossrun wrote by default anywhere in this target folder (`target/crossrun/`, or
    /// `target/<triple>/crossrun/` when cargo tagged only that folder).
    var defaultReports: [String] {
        let enumerator = FileManager.default.enumerator(atPath: targetDirectory.path)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.split(separator: "/").contains("crossrun") && (path.hasSuffix(".xml") || path.hasSuffix(".json")) { found.append(path) }
        }
        return found
    }

    /// nextest's name for a test binary: the crate, or `crate::test-target` for an integration test.
    static func binaryID(forFile path: String) -> String {
        let stem = (path as NSString).lastPathComponent.split(separator: "-").dropLast().joined(separator: "-")
        return stem == "crossrun_demo" ? "crossrun-demo" : "crossrun-demo::\(stem)"
    }

    /// What the test binaries list when run by qemu directly (no crossrun, no nextest): `binary-id test-name` lines.
    func listedByQemu(ignoredOnly: Bool = false) throws -> [String] {
        let build = try cargo(["test", "--offline", "--no-run", "--target", Self.triple, "--message-format=json"])
        try #require(build.status == 0, "cargo test --no-run failed: \(build.stderrText)")
        var lines: [String] = []
        for line in build.stdoutText.split(separator: "\n") where line.hasPrefix("{") {
            guard let message = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                message["reason"] as? String == "compiler-artifact",
                let executable = message["executable"] as? String,
                (message["profile"] as? [String: Any])?["test"] as? Bool == true
            else { continue }
            let listed = try run("/usr/bin/qemu-aarch64-static", ["-L", "/usr/aarch64-linux-gnu", executable, "--list", "--format", "terse"] + (ignoredOnly ? ["--ignored"] : []))
            try #require(listed.status == 0)
            for entry in listed.stdoutText.split(separator: "\n") where entry.hasSuffix(": test") {
                lines.append(Self.binaryID(forFile: executable) + " " + entry.dropLast(": test".count))
            }
        }
        return lines.sorted()
    }

    @Test("cargo nextest list: exactly the tests the binaries list, nothing else on stdout, no report files")
    func listPassesThrough() throws {
        defer { try? FileManager.default.removeItem(at: targetDirectory) }
        let expected = try listedByQemu()
        let ignored = try listedByQemu(ignoredOnly: true)
        #expect(expected.count >= 15)
        #expect(ignored.count >= 2)
        let listed = try cargo(["nextest", "list", "--offline", "--target", Self.triple, "--run-ignored", "all"])
        #expect(listed.status == 0, "\(listed.stderrText)")
        #expect(listed.stdoutText.split(separator: "\n").map(String.init).sorted() == expected)
        #expect(!listed.stdoutText.contains("crossrun:"))
        #expect(!listed.stderrText.contains("crossrun:"), "crossrun said something while nextest listed: \(listed.stderrText)")
        #expect(defaultReports == [])

        // The default listing (ignored tests left out) and nextest's own JSON listing parse too.
        let plain = try cargo(["nextest", "list", "--offline", "--target", Self.triple])
        #expect(plain.status == 0)
        #expect(plain.stdoutText.split(separator: "\n").map(String.init).sorted() == expected.filter { !ignored.contains($0) })
        let json = try cargo(["nextest", "list", "--offline", "--target", Self.triple, "--message-format", "json"])
        #expect(json.status == 0)
        #expect((try? JSONSerialization.jsonObject(with: json.stdout)) != nil, "not JSON: \(json.stdoutText.prefix(300))")
    }

    /// `PASS`/`FAIL` per test from nextest's status lines: `        PASS [   0.3s] ( 3/15) crossrun-demo tests::x`.
    static func outcomes(in output: String) -> [String: String] {
        var outcomes: [String: String] = [:]
        let pattern = try! NSRegularExpression(pattern: #"^\s+([A-Z]+) \[\s*[0-9.]+s\] \(\s*\d+/\d+\) (\S+) (\S+)$"#)
        for line in output.split(separator: "\n").map(String.init) {
            let range = NSRange(line.startIndex..., in: line)
            guard let match = pattern.firstMatch(in: line, range: range) else { continue }
            let field = { (i: Int) in String(line[Range(match.range(at: i), in: line)!]) }
            outcomes[field(2) + " " + field(3)] = field(1)
        }
        return outcomes
    }

    @Test("cargo nextest run: every test passes or fails as under cargo test with crossrun, nextest's exit status, no per-test reports")
    func runMatchesCargoTest() throws {
        defer { try? FileManager.default.removeItem(at: targetDirectory) }
        // One failing test (opt_in_failure), one ignored test that fails when run (needs_real_hardware), and two
        // tests that kill their process (crash::aborts, crash::segfaults).
        let failing: [String: String?] = ["CROSSRUN_DEMO_FAIL": "1", "CROSSRUN_DEMO_CRASH": "1"]
        let nextest = try cargo(["nextest", "run", "--offline", "--no-fail-fast", "--run-ignored", "all", "--target", Self.triple], failing)
        let statusLines = Self.outcomes(in: nextest.stderrText + nextest.stdoutText)
        #expect(nextest.status == 100, "nextest exits 100 when tests fail: \(nextest.stderrText.suffix(2000))")
        #expect(statusLines.count >= 15, "\(statusLines)")
        // Under nextest (NEXTEST_* variables) crossrun writes no per-test report files unless asked.
        #expect(defaultReports == [], "crossrun wrote per-test reports under nextest")

        // The same binaries under cargo test, crossrun as runner: crossrun's own results (crash-resume gives every
        // test a result) say what each test did.
        let reports = try temporaryDirectory("nextest-cargo-reports")
        defer { try? FileManager.default.removeItem(at: reports) }
        var changes = failing
        changes["CROSSRUN_REPORT_DIR"] = reports.path
        let cargoTest = try cargo(["test", "--offline", "--no-fail-fast", "--target", Self.triple, "--", "--include-ignored"], changes)
        #expect(cargoTest.status == 101)
        var expected: [String: String] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: reports.path) where file.hasSuffix(".json") {
            let results = try readResults(reports.appendingPathComponent(file).path)
            let id = Self.binaryID(forFile: file)
            for test in results["tests"] as? [[String: Any]] ?? [] {
                let outcome = test["outcome"] as? String
                expected[id + " " + (test["name"] as? String ?? "?")] = outcome == "passed" ? "PASS" : "FAIL"
            }
        }
        #expect(statusLines == expected)
        #expect(statusLines["crossrun-demo tests::opt_in_failure"] == "FAIL")
        #expect(statusLines["crossrun-demo crash::segfaults"] == "FAIL")
        // One test per process: a crash is not resumed (nextest shows crossrun's stderr for failing tests).
        #expect(nextest.stdoutText.contains("uncaught target signal") || nextest.stderrText.contains("uncaught target signal"))
        #expect(!(nextest.stdoutText + nextest.stderrText).contains("in a fresh process"))
        #expect(statusLines["crossrun-demo tests::add_small_numbers"] == "PASS")
    }

    @Test("cargo nextest run of a crashing test: its report has one error, the test's, saying how the process ended, with qemu's stderr")
    func crashIsOneError() throws {
        defer { try? FileManager.default.removeItem(at: targetDirectory) }
        let reports = try temporaryDirectory("nextest-crash-reports")
        defer { try? FileManager.default.removeItem(at: reports) }
        let nextest = try cargo(["nextest", "run", "--offline", "--no-fail-fast", "--target", Self.triple, "crash::segfaults"], ["CROSSRUN_REPORT_DIR": reports.path, "CROSSRUN_DEMO_CRASH": "1"])
        #expect(nextest.status == 100, "\(nextest.stderrText.suffix(2000))")
        #expect((nextest.stderrText + nextest.stdoutText).contains("1 error in"), "\(nextest.stderrText.suffix(2000))")
        let files = try FileManager.default.contentsOfDirectory(atPath: reports.path)
        let json = try #require(files.first { $0.hasSuffix(".json") })
        let results = try readResults(reports.appendingPathComponent(json).path)
        let tests = try #require(results["tests"] as? [[String: Any]])
        #expect(tests.map { $0["name"] as? String } == ["crash::segfaults"], "no (process) case beside the crashed test")
        #expect(tests.first?["outcome"] as? String == "error")
        #expect((tests.first?["message"] as? String)?.contains("killed by SIGSEGV") == true, "\(tests)")
        #expect((tests.first?["output"] as? String)?.contains("uncaught target signal 11") == true, "\(tests)")
        #expect((results["counts"] as? [String: Any])?["errors"] as? Int == 1)
    }

    @Test("cargo nextest run with CROSSRUN_REPORT_DIR: the asked-for reports are written; CROSSRUN_ISOLATE changes nothing under nextest")
    func reportsWhenAsked() throws {
        defer { try? FileManager.default.removeItem(at: targetDirectory) }
        let reports = try temporaryDirectory("nextest-asked-reports")
        defer { try? FileManager.default.removeItem(at: reports) }
        let nextest = try cargo(["nextest", "run", "--offline", "--target", Self.triple, "tests::divide_exact"], ["CROSSRUN_REPORT_DIR": reports.path, "CROSSRUN_ISOLATE": "1"])
        #expect(nextest.status == 0, "\(nextest.stderrText.suffix(2000))")
        #expect(Self.outcomes(in: nextest.stderrText + nextest.stdoutText) == ["crossrun-demo tests::divide_exact": "PASS"])
        let files = try FileManager.default.contentsOfDirectory(atPath: reports.path)
        let json = try #require(files.first { $0.hasSuffix(".json") })
        let results = try readResults(reports.appendingPathComponent(json).path)
        let tests = results["tests"] as? [[String: Any]]
        #expect(results["isolation"] == nil, "nextest already runs one test per process")
        #expect(tests?.map { $0["name"] as? String } == ["tests::divide_exact"])
        #expect(tests?.map { $0["outcome"] as? String } == ["passed"])
    }
}

import Foundation
import Testing

/// Bare-metal images (Examples/embedded) under qemu-system with semihosting: chosen from the header alone,
/// exit statuses passed through, libtest-style output turned into per-test results, hangs stopped by the timeout.
@Suite(.enabled(if: Tool.available("qemu-system-arm", "qemu-system-riscv32", "qemu-system-riscv64", "xmllint")))
struct BareMetalTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var image: String
        var runner: String
        var status: Int32
        /// A line the image prints on stdout.
        var line: String
        var testDescription: String { image }
    }

    static let cases: [Case] = ["cortex-m3": "thumbv7m", "rv32": "riscv32-bare-metal", "rv64": "riscv64-bare-metal"]
        .sorted { $0.key < $1.key }
        .flatMap { board, runner in
            [
                Case(image: "pass-\(board).elf", runner: runner, status: 0, line: "pass: hello from bare metal, 1+..+10 = 55"),
                Case(image: "fail-\(board).elf", runner: runner, status: 3, line: "fail: about to exit with status 3"),
                Case(image: "trap-\(board).elf", runner: runner, status: 70, line: "trap: executing an undefined instruction"),
            ]
        } + [
            Case(image: "sifive-exit-rv32.elf", runner: "riscv32-bare-metal", status: 5, line: "sifive"),
            Case(image: "sifive-exit-rv64.elf", runner: "riscv64-bare-metal", status: 5, line: "sifive"),
        ]

    @Test("C images: pass, fail and trap keep their exit status; one case from the status; right board", arguments: cases)
    func cImage(c: Case) throws {
        let reports = try temporaryDirectory("bare")
        defer { try? FileManager.default.removeItem(at: reports) }
        let junit = reports.appendingPathComponent("junit.xml").path
        let json = reports.appendingPathComponent("results.json").path
        let result = try crossrun(["--junit", junit, "--json", json, try Examples.embedded(c.image)])
        #expect(result.status == c.status, "\(result.stderrText)")
        #expect(result.stdoutText.contains(c.line), "\(result.stdoutText)")
        #expect(try schemaProblems(junit) == nil)
        let results = try readResults(json)
        let launch = try #require(results["launch"] as? [String: Any])
        #expect(launch["kind"] as? String == "qemu-system")
        #expect(launch["target"] as? String == c.runner)
        let argv = try #require(launch["argv"] as? [String])
        #expect(argv.contains("-kernel") && argv.contains("-semihosting-config"))
        let binary = try #require(results["binary"] as? [String: Any])
        #expect((binary["description"] as? String)?.hasSuffix(", bare metal") == true)
        let tests = try #require(results["tests"] as? [[String: Any]])
        #expect(tests.count == 1)
        #expect(tests.first?["outcome"] as? String == (c.status == 0 ? "passed" : "failed"))
    }

    @Test("a hanging image is stopped at the timeout, reported as timed out, and no qemu is left",
          arguments: ["hang-cortex-m3.elf", "hang-rv32.elf", "hang-rv64.elf"])
    func hangingImage(image: String) throws {
        let reports = try temporaryDirectory("bare-hang")
        defer { try? FileManager.default.removeItem(at: reports) }
        let json = reports.appendingPathComponent("results.json").path
        let junit = reports.appendingPathComponent("junit.xml").path
        let marker = UUID().uuidString
        var env = environment()
        env[Fault.markerVariable] = marker
        let started = Date()
        let result = try crossrun(["--timeout", "3s", "--json", json, "--junit", junit, try Examples.embedded(image)], environment: env)
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 124, "\(result.stderrText)")
        #expect(elapsed < 20, "took \(elapsed) s")
        #expect(result.stdoutText.contains("hang: spinning forever"))
        // The summary gives crossrun's status, not the stopped qemu-system's 0, and counts in the singular.
        let summary = try #require(result.stderrText.split(separator: "\n").last { $0.hasPrefix("crossrun: ") })
        #expect(summary.contains("1 error in "), "\(summary)")
        #expect(summary.contains("; timed out: the 3s time limit (--timeout) ran out (exit status 124)"), "\(summary)")
        #expect(!summary.contains("exit status 0"), "\(summary)")
        #expect(Fault.leftovers(marker).isEmpty)
        #expect(try schemaProblems(junit) == nil)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("type=\"timeout\""), "\(xml)")
    }

    @Test("a runner definition's own timeout applies when nothing else sets one")
    func definitionTimeout() throws {
        let folder = try temporaryDirectory("bare-runners")
        defer { try? FileManager.default.removeItem(at: folder) }
        var definition = try String(contentsOf: packageRoot.appendingPathComponent("Runners/riscv32-bare.toml"), encoding: .utf8)
        definition = definition.replacingOccurrences(of: "timeout = \"60s\"", with: "timeout = \"2s\"")
        try definition.write(to: folder.appendingPathComponent("riscv32-bare.toml"), atomically: true, encoding: .utf8)
        var env = environment()
        env["CROSSRUN_RUNNERS_DIR"] = folder.path
        let started = Date()
        let result = try crossrun(["--no-report", try Examples.embedded("hang-rv32.elf")], environment: env)
        #expect(result.status == 124, "\(result.stderrText)")
        #expect(Date().timeIntervalSince(started) < 15)
    }

    @Test("Rust no_std test image: per-test results from its libtest-style lines, same as libtest would count")
    func rustImagePasses() throws {
        let reports = try temporaryDirectory("bare-rust")
        defer { try? FileManager.default.removeItem(at: reports) }
        let json = reports.appendingPathComponent("results.json").path
        let junit = reports.appendingPathComponent("junit.xml").path
        let result = try crossrun(["--json", json, "--junit", junit, try Examples.embedded("rust-tests-cortex-m3.elf")])
        #expect(result.status == 0, "\(result.stderrText)")
        let libtest = try #require(LibtestCounts.all(in: result.stdoutText).first)
        #expect(libtest.passed == 4 && libtest.ignored == 3)
        let results = try readResults(json)
        #expect(results["format"] as? String == "libtest-pretty")
        let counts = try #require(results["counts"] as? [String: Any])
        #expect(counts["passed"] as? Int == 4)
        #expect(counts["ignored"] as? Int == 3)
        let names = try #require(results["tests"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        #expect(names.contains("tests::gcd_and_primes"))
        #expect(try schemaProblems(junit) == nil)
    }

    @Test("Rust image: a failing test fails the run with its panic message; arguments reach the image")
    func rustImageFails() throws {
        let reports = try temporaryDirectory("bare-rust-fail")
        defer { try? FileManager.default.removeItem(at: reports) }
        let json = reports.appendingPathComponent("results.json").path
        let result = try crossrun(["--json", json, try Examples.embedded("rust-tests-cortex-m3.elf"), "--include-ignored", "--skip", "panics"])
        #expect(result.status == 101)
        let tests = try #require(try readResults(json)["tests"] as? [[String: Any]])
        let failed = tests.filter { $0["outcome"] as? String == "failed" }
        #expect(failed.compactMap { $0["name"] as? String } == ["tests::opt_in_failure"])
        #expect(tests.count == 6)
        let message = failed.first?["message"] as? String ?? ""
        #expect(message.contains("assertion failed"), "\(failed)")
    }

    @Test("Rust image: a panic that ends the image mid-run is resumed; every test is reported")
    func rustImageCrashResume() throws {
        let reports = try temporaryDirectory("bare-rust-crash")
        defer { try? FileManager.default.removeItem(at: reports) }
        let json = reports.appendingPathComponent("results.json").path
        let junit = reports.appendingPathComponent("junit.xml").path
        let result = try crossrun(["--json", json, "--junit", junit, try Examples.embedded("rust-tests-cortex-m3.elf"), "--include-ignored"])
        #expect(result.status != 0)
        let results = try readResults(json)
        let tests = try #require(results["tests"] as? [[String: Any]])
        let byName = Dictionary(tests.compactMap { t in (t["name"] as? String).map { ($0, t["outcome"] as? String ?? "") } }) { a, _ in a }
        #expect(byName.count == 7, "\(byName)")
        #expect(byName["tests::panics_without_unwinding"] == "error" || byName["tests::panics_without_unwinding"] == "failed")
        #expect(byName["tests::slow_exhaustive_check"] == "passed")
        #expect(byName["tests::opt_in_failure"] == "failed")
        #expect((results["restarts"] as? Int ?? 0) >= 1)
        #expect(try schemaProblems(junit) == nil)
    }

    @Test("--target names the runner; a target for another machine is refused in one line")
    func explicitTarget() throws {
        let image = try Examples.embedded("pass-cortex-m3.elf")
        let chosen = try crossrun(["--no-report", "--target", "thumbv7m-none-eabi", image])
        #expect(chosen.status == 0, "\(chosen.stderrText)")
        let wrong = try crossrun(["--no-report", "--target", "riscv32imac-unknown-none-elf", image])
        #expect(wrong.status == 125)
        let lines = wrong.stderrText.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("--target riscv32-bare-metal") == true, "\(wrong.stderrText)")
    }
}

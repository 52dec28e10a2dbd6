import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import Testing

/// `cargo test --target T` in Examples/rust-demo with crossrun as the runner, compared with a plain
/// `qemu-<arch> -L <sysroot>` runner on the same binaries.
@Suite(.serialized, .enabled(if: Tool.available("cargo", "qemu-aarch64-static", "qemu-arm-static", "xmllint")))
struct CargoRunnerTests {
    struct Target: CustomTestStringConvertible, Sendable {
        var triple: String
        var qemu: String
        var sysroot: String
        var runner: String
        var testDescription: String { runner }

        /// cargo's runner variable for this target.
        var runnerVariable: String { cargoRunnerVariable(triple) }
    }

    static let targets = [
        Target(triple: "aarch64-unknown-linux-gnu", qemu: "qemu-aarch64-static", sysroot: "/usr/aarch64-linux-gnu", runner: "aarch64"),
        Target(triple: "armv7-unknown-linux-gnueabihf", qemu: "qemu-arm-static", sysroot: "/usr/arm-linux-gnueabihf", runner: "armv7"),
    ]

    /// Runs `cargo test --target` with the given runner (a command line, as cargo splits it on spaces).
    func cargoTest(_ target: Target, runner: String, failing: Bool, reportDir: URL, quiet: Bool = false) throws -> ProcessResult {
        try Examples.build()
        let env = environment([
            target.runnerVariable: runner,
            "CROSSRUN_DEMO_FAIL": failing ? "1" : nil,
            "CROSSRUN_REPORT_DIR": reportDir.path,
        ])
        // One test thread: libtest's order is then fixed, so two runs' stdout can be compared byte for byte.
        // cargo's --quiet also switches libtest to its terse format (one character per test).
        return try run("/usr/bin/cargo", ["test", "--offline", "--target", target.triple] + (quiet ? ["--quiet"] : []) + ["--", "--test-threads=1"],
                       environment: env, in: Examples.rustDemo)
    }

    @Test("crossrun as cargo's runner: same stdout and exit status as plain qemu, JUnit valid and equal to libtest's counts",
          arguments: targets, [(failing: false, quiet: false), (failing: true, quiet: false), (failing: false, quiet: true), (failing: true, quiet: true)])
    func matchesPlainQemu(target: Target, mode: (failing: Bool, quiet: Bool)) throws {
        let failing = mode.failing
        let reports = try temporaryDirectory("cargo-\(target.runner)")
        defer { try? FileManager.default.removeItem(at: reports) }
        let viaCrossrun = try cargoTest(target, runner: crossrunExecutable, failing: failing, reportDir: reports, quiet: mode.quiet)
        let plain = try cargoTest(target, runner: "\(target.qemu) -L \(target.sysroot)", failing: failing, reportDir: reports, quiet: mode.quiet)

        #expect(viaCrossrun.status == plain.status)
        #expect(viaCrossrun.status == (failing ? 101 : 0))
        #expect(normalisedTimings(viaCrossrun.stdoutText) == normalisedTimings(plain.stdoutText))
        #expect(viaCrossrun.stdoutText.contains("test result:"))
        #expect(viaCrossrun.stdoutText.contains("test tests::") != mode.quiet)
        // crossrun's summary goes to stderr, once per binary cargo ran through it.
        let summaries = viaCrossrun.stderrText.split(separator: "\n").filter { $0.hasPrefix("crossrun: ") }
        #expect(summaries.count >= 1)
        #expect(summaries.allSatisfy { $0.contains("[\(target.runner) via \(target.qemu)]") })
        #expect(!viaCrossrun.stdoutText.contains("crossrun:"))

        // With --fail the library's unit tests fail and cargo stops there; otherwise both binaries ran.
        let libtest = LibtestCounts.all(in: viaCrossrun.stdoutText)
        let junitFiles = try FileManager.default.contentsOfDirectory(atPath: reports.path).filter { $0.hasSuffix(".xml") }.sorted()
        #expect(junitFiles.count == libtest.count)
        var totals = (tests: 0, failures: 0, skipped: 0)
        for file in junitFiles {
            let path = reports.appendingPathComponent(file).path
            #expect(try schemaProblems(path) == nil)
            let document = try XMLDocument(contentsOf: URL(fileURLWithPath: path))
            let suite = try #require(try document.nodes(forXPath: "/testsuites/testsuite").first as? XMLElement)
            totals.tests += Int(suite.attribute(forName: "tests")?.stringValue ?? "") ?? -1
            totals.failures += Int(suite.attribute(forName: "failures")?.stringValue ?? "") ?? -1
            totals.skipped += Int(suite.attribute(forName: "skipped")?.stringValue ?? "") ?? -1
            #expect(suite.attribute(forName: "errors")?.stringValue == "0")
            // Every counted test is a <testcase> element too, named even when terse output (cargo -q) named none.
            #expect(try document.nodes(forXPath: "//testcase").count == Int(suite.attribute(forName: "tests")?.stringValue ?? "") ?? -1)
        }
        let expected = libtest.reduce(into: (tests: 0, failures: 0, skipped: 0)) {
            $0.tests += $1.passed + $1.failed + $1.ignored + $1.measured
            $0.failures += $1.failed
            $0.skipped += $1.ignored
        }
        #expect(totals.tests == expected.tests && totals.failures == expected.failures && totals.skipped == expected.skipped)
        #expect(expected.failures == (failing ? 1 : 0))
        if failing {
            let failed = try XMLDocument(contentsOf: reports.appendingPathComponent(junitFiles.first { $0.hasPrefix("crossrun_demo") }!))
            let failure = try #require(try failed.nodes(forXPath: "//testcase/failure").first as? XMLElement)
            // The panic message of the opt-in failure, and its captured output in the element's body.
            #expect(failure.attribute(forName: "message")?.stringValue?.isEmpty == false)
            #expect(failure.stringValue?.contains("panicked") == true)
        }
    }

    @Test("`--list` passes through unchanged and writes no report", arguments: [targets[0]])
    func listPassesThrough(target: Target) throws {
        let reports = try temporaryDirectory("list")
        defer { try? FileManager.default.removeItem(at: reports) }
        try Examples.build()
        let env = environment(["CROSSRUN_REPORT_DIR": reports.path, target.runnerVariable: crossrunExecutable])
        let listed = try run("/usr/bin/cargo", ["test", "--offline", "--quiet", "--target", target.triple, "--", "--list"], environment: env, in: Examples.rustDemo)
        let plainEnv = environment([target.runnerVariable: "\(target.qemu) -L \(target.sysroot)"])
        let plain = try run("/usr/bin/cargo", ["test", "--offline", "--quiet", "--target", target.triple, "--", "--list"], environment: plainEnv, in: Examples.rustDemo)
        #expect(listed.status == 0)
        #expect(listed.stdout == plain.stdout)
        #expect(listed.stdoutText.contains(": test"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: reports.path).isEmpty)
    }

    @Test("`crossrun report merge` combines one cargo run's reports into one valid file")
    func mergeReports() throws {
        let reports = try temporaryDirectory("merge")
        defer { try? FileManager.default.removeItem(at: reports) }
        let target = Self.targets[0]
        let result = try cargoTest(target, runner: crossrunExecutable, failing: false, reportDir: reports)
        #expect(result.status == 0)
        let merged = reports.appendingPathComponent("merged/junit.xml").path
        let merge = try crossrun(["report", "merge", reports.path, "-o", merged])
        #expect(merge.status == 0, "\(merge.stderrText)")
        #expect(try schemaProblems(merged) == nil)
        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: merged))
        let root = try #require(document.rootElement())
        let expected = LibtestCounts.all(in: result.stdoutText).reduce(0) { $0 + $1.passed + $1.failed + $1.ignored }
        #expect(Int(root.attribute(forName: "tests")?.stringValue ?? "") == expected)
        #expect(try document.nodes(forXPath: "/testsuites/testsuite").count == 2)
        #expect(try document.nodes(forXPath: "//testcase").count == expected)
    }

    @Test("merging one crate's reports for two targets keeps every test distinct (GitLab drops duplicate pairs)")
    func mergeAcrossTargets() throws {
        let reports = try temporaryDirectory("merge-targets")
        defer { try? FileManager.default.removeItem(at: reports) }
        for target in Self.targets {
            #expect(try cargoTest(target, runner: crossrunExecutable, failing: false, reportDir: reports).status == 0)
        }
        let merged = reports.appendingPathComponent("merged/junit.xml").path
        #expect(try crossrun(["report", "merge", reports.path, "-o", merged]).status == 0)
        #expect(try schemaProblems(merged) == nil)
        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: merged))
        let cases = try document.nodes(forXPath: "//testcase").compactMap { $0 as? XMLElement }
        let pairs = cases.map { "\($0.attribute(forName: "classname")?.stringValue ?? "")|\($0.attribute(forName: "name")?.stringValue ?? "")" }
        #expect(Set(pairs).count == pairs.count, "duplicate classname+name pairs")
        let suites = try document.nodes(forXPath: "/testsuites/testsuite/@name").compactMap(\.stringValue)
        #expect(suites.contains("crossrun_demo (aarch64)"))
        #expect(suites.contains("crossrun_demo (armv7)"))
        #expect(pairs.contains("crossrun_demo::tests (armv7)|add_small_numbers"))
    }
}

import Foundation
import Testing

@testable import CrossRunKit

/// Durations, the timeout and retry settings, and how timeouts, interruptions and flaky tests are reported.
struct ReliabilityTests {
    static let validDurations: [(String, Int64)] = [
        ("30s", 30_000), ("5m", 300_000), ("1.5s", 1_500), ("250ms", 250), ("2h", 7_200_000), ("30", 30_000),
        ("0.5", 500), (" 10S ", 10_000), ("1ms", 1), ("90m", 5_400_000),
    ]

    @Test("durations: 30s, 5m, 1.5s, 250ms, 2h and plain seconds", arguments: validDurations)
    func parsesDurations(text: String, milliseconds: Int64) {
        #expect(DurationText.parse(text) == .milliseconds(milliseconds))
    }

    @Test("not durations: empty, zero, negative, signs, exponents, unknown units, two points",
          arguments: ["", "0", "0s", "-1s", "+3s", "abc", "1.2.3s", "1e3", "inf", "nan", "10x", "s", ".s", "0.0001s", "5 m"])
    func refusesDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("durations are written back the short way", arguments: [
        (Duration.seconds(30), "30s"), (.milliseconds(1_500), "1.5s"), (.milliseconds(250), "250ms"),
        (.seconds(300), "5m"), (.seconds(7_200), "2h"), (.milliseconds(2_125), "2.125s"),
    ])
    func formatsDurations(duration: Duration, text: String) {
        #expect(DurationText.format(duration) == text)
        #expect(DurationText.parse(text) == duration)
    }

    @Test("crossrun.toml: timeout, test-timeout, kill-grace and retries, globally and per target, as text or seconds")
    func configKeys() throws {
        let file = try ConfigFile.parse(toml: """
            timeout = "5m"
            test-timeout = 30
            kill-grace = 0.5
            retries = 2
            [target.aarch64]
            timeout = "90s"
            test-timeout = "2.5s"
            """, path: "/p/crossrun.toml")
        #expect(file.timeout?.value == .seconds(300))
        #expect(file.testTimeout?.value == .seconds(30))
        #expect(file.killGrace?.value == .milliseconds(500))
        #expect(file.retries == 2)
        #expect(file.target?["aarch64"]?.timeout?.value == .seconds(90))
        #expect(file.target?["aarch64"]?.testTimeout?.value == .milliseconds(2_500))
    }

    @Test("crossrun.toml: a bad duration or retry count is refused with the key's value and what to write",
          arguments: ["timeout = \"soon\"", "test-timeout = 0", "kill-grace = \"-2s\"", "retries = -1", "[target.aarch64]\ntimeout = \"1x\"", "timeout = true", "jobs = 0", "isolate = \"yes\""])
    func badConfigValues(toml: String) throws {
        do {
            _ = try ConfigFile.parse(toml: toml, path: "/p/crossrun.toml")
            Issue.record("accepted: \(toml)")
        } catch let error as CrossRunError {
            #expect(error.exitStatus == 125)
            #expect(error.description.contains("/p/crossrun.toml"))
        }
    }

    @Test("timeout precedence: flag, then variable, then [target.X], then the file's global, then the runner's default")
    func timeoutPrecedence() throws {
        let catalog = try TargetCatalog.load(extraDirectory: nil)
        let aarch64 = try #require(catalog.definitions.first { $0.name == "aarch64" })
        let armv7 = try #require(catalog.definitions.first { $0.name == "armv7" })
        let file = try ConfigFile.parse(toml: """
            timeout = "5m"
            [target.aarch64]
            timeout = "90s"
            test-timeout = "10s"
            """, path: "/p/crossrun.toml")
        func limitsOf(_ options: RunOptions, _ environment: [String: String], _ definition: RunnerDefinition?, files: [ConfigFile]? = nil, builtIn: Duration? = nil) -> RunLimits {
            Configuration(options: options, environment: environment, files: files ?? [file]).limits(for: definition, defaultTimeout: builtIn)
        }
        let none = RunOptions()
        #expect(limitsOf(none, [:], aarch64).timeout?.value == .seconds(90))
        #expect(limitsOf(none, [:], aarch64).timeout?.origin == .file("/p/crossrun.toml"))
        #expect(limitsOf(none, [:], aarch64).testTimeout?.value == .seconds(10))
        #expect(limitsOf(none, [:], armv7).timeout?.value == .seconds(300))
        #expect(limitsOf(none, [:], armv7).testTimeout == nil)
        #expect(limitsOf(none, [:], nil).timeout?.value == .seconds(300))  // a host binary: the global value
        #expect(limitsOf(none, [Configuration.Variable.timeout: "2m"], aarch64).timeout?.value == .seconds(120))
        var flagged = RunOptions()
        flagged.timeout = .seconds(7)
        flagged.testTimeout = .seconds(1)
        #expect(limitsOf(flagged, [Configuration.Variable.timeout: "2m"], aarch64).timeout?.value == .seconds(7))
        #expect(limitsOf(flagged, [:], aarch64).timeout?.origin == .flag("--timeout"))
        #expect(limitsOf(flagged, [:], aarch64).testTimeout?.value == .seconds(1))
        #expect(limitsOf(none, [:], aarch64, files: [], builtIn: .seconds(600)).timeout?.value == .seconds(600))
        #expect(limitsOf(none, [:], aarch64, files: [], builtIn: .seconds(600)).timeout?.origin == .builtIn)
        #expect(limitsOf(none, [:], aarch64, builtIn: .seconds(600)).timeout?.value == .seconds(90))
        #expect(limitsOf(none, [:], aarch64).killGrace == .seconds(2))
        #expect(limitsOf(none, [Configuration.Variable.killGrace: "250ms"], aarch64).killGrace == .milliseconds(250))
    }

    @Test("retries: flag, then CROSSRUN_RETRIES, then the config file, else 0")
    func retriesPrecedence() throws {
        let file = try ConfigFile.parse(toml: "retries = 3", path: "/p/crossrun.toml")
        #expect(Configuration(options: RunOptions(), environment: [:], files: []).retries == 0)
        #expect(Configuration(options: RunOptions(), environment: [:], files: [file]).retries == 3)
        #expect(Configuration(options: RunOptions(), environment: [Configuration.Variable.retries: "1"], files: [file]).retries == 1)
        var options = RunOptions()
        options.retries = 0
        #expect(Configuration(options: options, environment: [Configuration.Variable.retries: "1"], files: [file]).retries == 0)
    }

    @Test("isolate and jobs: flag, then CROSSRUN_ISOLATE / CROSSRUN_JOBS, then the config file, else off and the CPU count")
    func isolationPrecedence() throws {
        let file = try ConfigFile.parse(toml: "isolate = true\njobs = 3", path: "/p/crossrun.toml")
        let none = Configuration(options: RunOptions(), environment: [:], files: [])
        #expect(none.isolate == false)
        #expect(none.jobs == max(1, ProcessInfo.processInfo.activeProcessorCount))
        #expect(Configuration(options: RunOptions(), environment: [:], files: [file]).isolate == true)
        #expect(Configuration(options: RunOptions(), environment: [:], files: [file]).jobs == 3)
        let environment = [Configuration.Variable.isolate: "0", Configuration.Variable.jobs: "5"]
        #expect(Configuration(options: RunOptions(), environment: environment, files: [file]).isolate == false)
        #expect(Configuration(options: RunOptions(), environment: environment, files: [file]).jobs == 5)
        var options = RunOptions()
        options.isolate = true
        options.jobs = 1
        #expect(Configuration(options: options, environment: environment, files: [file]).isolate == true)
        #expect(Configuration(options: options, environment: environment, files: [file]).jobs == 1)
    }

    @Test("bad CROSSRUN_TIMEOUT, CROSSRUN_TEST_TIMEOUT, CROSSRUN_KILL_GRACE and CROSSRUN_RETRIES are refused by name",
          arguments: [("CROSSRUN_TIMEOUT", "soon"), ("CROSSRUN_TEST_TIMEOUT", "0"), ("CROSSRUN_KILL_GRACE", "-1"), ("CROSSRUN_RETRIES", "-2"), ("CROSSRUN_RETRIES", "two"), ("CROSSRUN_JOBS", "0"), ("CROSSRUN_JOBS", "all"), ("CROSSRUN_ISOLATE", "maybe")])
    func badVariables(name: String, value: String) throws {
        let folder = try TemporaryDirectory()
        do {
            _ = try Configuration.load(options: RunOptions(), environment: [name: value, "HOME": folder.path], workingDirectory: folder.path)
            Issue.record("accepted \(name)=\(value)")
        } catch let error as CrossRunError {
            #expect(error.description.contains("\(name)=\(value)"))
            #expect(error.exitStatus == 125)
        }
    }

    // MARK: - Reports

    static func timedOutResult() -> RunResult {
        var hung = TestCase(name: "reliability::hangs", outcome: .error, message: "timed out: the test reliability::hangs ran longer than 2s (--test-timeout); crossrun stopped the test process", output: "about to hang\n")
        hung.errorKind = .timeout
        var tests = [TestCase(name: "tests::adds", outcome: .passed), hung]
        var interrupted = TestCase(name: TestRunCollector.processCaseName, outcome: .error, message: "interrupted: crossrun received SIGTERM and stopped the test process")
        interrupted.errorKind = .interrupted
        tests.append(interrupted)
        var result = makeResult(tests: tests, libtest: nil, format: .pretty, status: 143)
        result.limits = RunResult.Limits(timeout: nil, testTimeout: 2)
        result.timeouts = [RunResult.Timeout(kind: "test-timeout", limit: 2, test: "reliability::hangs", description: "the test reliability::hangs ran longer than 2s (--test-timeout)")]
        result.interrupted = RunResult.Interruption(signal: SIGTERM, signalName: "SIGTERM")
        return result
    }

    static func flakyResult() -> RunResult {
        var flaky = TestCase(name: "reliability::flaky", outcome: .passed, output: "later run: passing\n")
        flaky.flaky = true
        flaky.reruns = [TestCase.Rerun(TestCase(name: "reliability::flaky", outcome: .failed, message: "flaky: fails the first time", output: "first run: failing on purpose\n"))]
        var stubborn = TestCase(name: "tests::opt_in_failure", outcome: .failed, message: "assertion failed", output: "checking\n")
        var again = TestCase(name: "tests::opt_in_failure", outcome: .failed, message: "assertion failed again")
        var hung = TestCase(name: "tests::opt_in_failure", outcome: .error, message: "timed out")
        hung.errorKind = .timeout
        again.duration = 0.25
        stubborn.reruns = [TestCase.Rerun(again), TestCase.Rerun(hung)]
        var result = makeResult(tests: [flaky, stubborn], libtest: nil, format: .pretty, status: 101)
        result.retries = 3
        return result
    }

    @Test("JUnit: a timed-out test is <error type=\"timeout\">, an interruption is a property and the (process) case; the file validates")
    func junitTimeoutAndInterrupt() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("timeout.xml")
        let result = Self.timedOutResult()
        try JUnitReporter.write(result, to: path)
        try JUnitSchema.validate(path)
        #expect(try JUnitSchema.xpath("string(//testcase[@name='hangs']/error/@type)", in: path) == "timeout")
        #expect(try JUnitSchema.xpath("string(//testcase[@name='(process)']/error/@type)", in: path) == "interrupted")
        #expect(try JUnitSchema.xpath("string(//property[@name='crossrun.interrupted']/@value)", in: path).hasPrefix("SIGTERM (signal 15)"))
        #expect(try JUnitSchema.xpath("string(//property[@name='crossrun.test-timeout']/@value)", in: path) == "2.000s")
        #expect(try JUnitSchema.xpath("string(//property[@name='crossrun.timed-out']/@value)", in: path).contains("ran longer than 2s"))
        #expect(!result.succeeded)
    }

    @Test("JUnit: a flaky test passes with <flakyFailure>, a test failing every time has <failure> then <rerunFailure>/<rerunError>; the file validates")
    func junitFlaky() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("flaky.xml")
        let result = Self.flakyResult()
        try JUnitReporter.write(result, to: path)
        try JUnitSchema.validate(path)
        #expect(try JUnitSchema.xpath("count(//testcase[@name='flaky']/flakyFailure)", in: path) == "1")
        #expect(try JUnitSchema.xpath("count(//testcase[@name='flaky']/failure)", in: path) == "0")
        #expect(try JUnitSchema.xpath("string(//testcase[@name='flaky']/flakyFailure/system-out)", in: path).contains("failing on purpose"))
        #expect(try JUnitSchema.xpath("count(//testcase[@name='opt_in_failure']/failure)", in: path) == "1")
        #expect(try JUnitSchema.xpath("count(//testcase[@name='opt_in_failure']/rerunFailure)", in: path) == "1")
        #expect(try JUnitSchema.xpath("string(//testcase[@name='opt_in_failure']/rerunError/@type)", in: path) == "timeout")
        #expect(try JUnitSchema.xpath("string(//testsuite/@failures)", in: path) == "1")
        #expect(try JUnitSchema.xpath("string(//property[@name='crossrun.flaky']/@value)", in: path) == "1")
        #expect(result.counts.flaky == 1)
        #expect(result.counts.passed == 1)
    }

    @Test("results JSON: flaky, reruns, errorKind, timeouts and interrupted round-trip; absent when unused")
    func jsonFields() throws {
        for result in [Self.timedOutResult(), Self.flakyResult()] {
            let data = try JSONReporter.encode(result)
            #expect(try JSONReporter.decode(data) == result)
        }
        let text = String(decoding: try JSONReporter.encode(Self.flakyResult()), as: UTF8.self)
        #expect(text.contains("\"flaky\" : 1"))
        #expect(text.contains("\"reruns\" : ["))
        #expect(!text.contains("\"interrupted\""))
        let timed = String(decoding: try JSONReporter.encode(Self.timedOutResult()), as: UTF8.self)
        #expect(timed.contains("\"errorKind\" : \"timeout\""))
        #expect(timed.contains("\"signalName\" : \"SIGTERM\""))
        #expect(timed.contains("\"testTimeout\" : 2"))
        let plain = String(decoding: try JSONReporter.encode(makeResult(tests: [TestCase(name: "a", outcome: .passed)], libtest: nil, format: .pretty, status: 0)), as: UTF8.self)
        for field in ["flaky", "reruns", "errorKind", "timeouts", "interrupted", "limits", "retries"] {
            #expect(!plain.contains("\"\(field)\""), "\(field) present in a run without it")
        }
    }

    @Test("the summary line counts flaky tests and says what timed out and what interrupted the run")
    func summaryLine() {
        let flaky = TerminalSummary.line(for: Self.flakyResult(), reports: ReportPaths(), workingDirectory: "/", colour: false)
        #expect(flaky.contains("1 passed, 1 failed, 0 ignored, 1 flaky"))
        #expect(flaky.contains("3 retries"))
        let timed = TerminalSummary.line(for: Self.timedOutResult(), reports: ReportPaths(), workingDirectory: "/", colour: false)
        #expect(timed.contains("FAILED"))
        #expect(timed.contains("(interrupted by SIGTERM)"))
        #expect(timed.contains("timed out: the test reliability::hangs ran longer than 2s (--test-timeout)"))
    }

    @Test("a flaky-only failure succeeds: libtest's 101 came from tests that passed when run again")
    func flakyOnlySucceeds() {
        var flaky = TestCase(name: "t", outcome: .passed)
        flaky.flaky = true
        let result = makeResult(tests: [flaky], libtest: nil, format: .pretty, status: 101)
        #expect(result.succeeded)
        let crashed = makeResult(tests: [flaky], libtest: nil, format: .pretty, status: 139)
        #expect(!crashed.succeeded)
    }

    @Test("--test-timeout watch: counts from the last progress, names the test of an unfinished pretty header")
    func progressWatch() throws {
        var progress = TestProgress(limit: Configured(.milliseconds(150), from: .flag("--test-timeout")))
        var collector = TestRunCollector()
        func feed(_ text: String) {
            var bytes = Array(text.utf8)
            bytes.withUnsafeMutableBytes { buffer in
                collector.consumeStdout(UnsafeRawBufferPointer(buffer))
                progress.consume(UnsafeRawBufferPointer(buffer))
            }
        }
        #expect(progress.check(collector) == nil)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(progress.check(collector) == nil, "no suite running yet: only the binary's timeout applies")
        feed("\nrunning 3 tests\ntest a ... ok\ntest b ... ")
        #expect(progress.check(collector) == nil)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(progress.check(collector) == TestProgress.Stall(test: "b", limit: .milliseconds(150), origin: .flag("--test-timeout")))
        feed("ok\ntest c ... ok\n\ntest result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n")
        Thread.sleep(forTimeInterval: 0.2)
        #expect(progress.check(collector) == nil, "the suite finished")

        // Several threads: nothing names the running test.
        var multi = TestProgress(limit: Configured(.milliseconds(100), from: .environment("CROSSRUN_TEST_TIMEOUT")))
        var second = TestRunCollector()
        var bytes = Array("\nrunning 3 tests\ntest a ... ok\n".utf8)
        bytes.withUnsafeMutableBytes { second.consumeStdout(UnsafeRawBufferPointer($0)); multi.consume(UnsafeRawBufferPointer($0)) }
        _ = multi.check(second)
        Thread.sleep(forTimeInterval: 0.15)
        #expect(multi.check(second) == TestProgress.Stall(test: nil, limit: .milliseconds(100), origin: .environment("CROSSRUN_TEST_TIMEOUT")))
    }
}

import Foundation
import Testing

@testable import CrossRunKit

// MARK: - The recorded runs

/// What the libtest README says about one recorded run, plus what each failure must carry.
struct LibtestFixture: Sendable, CustomTestStringConvertible {
    enum Crate: Sendable { case demo, edge, integration, doctest }

    struct Failure: Sendable {
        var name: String
        /// Text the failure's `message` must contain (nil: only that there is one).
        var message: String?
        /// Whether `message` is the text of a `thread '...' panicked at` line (rather than a libtest note or a
        /// JSON `message` field).
        var fromPanic = false
        /// Text the failure's `output` must contain.
        var output: String?
    }

    var name: String
    var crate: Crate
    var format: LibtestFormat
    var passed: Int
    var failed: Int
    var ignored: Int
    var filteredOut: Int
    var failures: [Failure] = []
    /// A passing test whose own output the run shows (--show-output): name and a piece of its output.
    var passedOutput: (name: String, text: String)?
    var reportsTime = false

    var testDescription: String { name }
    var toolchain: String { name.hasPrefix("rust1.95") ? "1.95" : "1.63" }
    var isColour: Bool { name.contains("color-always") }
    var stdoutFile: String { name + ".stdout" }
}

extension LibtestFixture {
    private static func demoFailure(_ toolchain: String) -> Failure {
        Failure(
            name: "tests::opt_in_failure",
            message: toolchain == "1.63" ? "assertion failed: `(left == right)`" : "assertion `left == right` failed",
            fromPanic: true, output: "checking add(2, 2) against 5")
    }

    private static let hardwareFailure = Failure(
        name: "tests::needs_real_hardware", message: "this test only makes sense on real hardware", fromPanic: true)

    /// The edge crate's five failures when their output was captured (pretty, terse, JSON).
    private static func edgeFailures(json: Bool) -> [Failure] {
        [
            Failure(name: "edge::cdata_terminator", message: "message with ]]> and <xml> & \"quotes\"", fromPanic: true,
                    output: "<![CDATA[ inner ]]> and <tag attr=\"v\"> & 'apos'"),
            Failure(name: "edge::control_and_invalid_utf8", message: "failing with control chars", fromPanic: true,
                    output: "control chars: ESC="),
            Failure(name: "edge::did_not_panic", message: "did not panic as expected"),
            Failure(name: "edge::non_string_panic", message: "Box<dyn Any>", fromPanic: true),
            // JSON gives libtest's own message ("panic did not contain expected string ... some other text").
            Failure(name: "edge::wrong_panic_message", message: "some other text", fromPanic: !json),
        ]
    }

    /// With --nocapture the panics go to stderr; only libtest's notes and the tests' stdout are on stdout.
    private static let edgeNocaptureFailures: [Failure] = [
        Failure(name: "edge::cdata_terminator", output: "<![CDATA[ inner ]]>"),
        Failure(name: "edge::control_and_invalid_utf8", output: "control chars: ESC="),
        Failure(name: "edge::did_not_panic", message: "did not panic as expected"),
        Failure(name: "edge::non_string_panic"),
        Failure(name: "edge::wrong_panic_message", message: "panic did not contain expected string"),
    ]

    /// The runs that end with libtest's own summary (README "Files" table; counts are p/f/i/filtered).
    static let results: [LibtestFixture] = ["1.63", "1.95"].flatMap { toolchain -> [LibtestFixture] in
        let prefix = toolchain == "1.63" ? "rust1.63-aarch64-" : "rust1.95-x86_64-"
        let demo = demoFailure(toolchain)
        let passedOutput = (name: "tests::pointer_width_matches_arch", text: "pointer width: 64 bits")
        return [
            .init(name: prefix + "pretty-pass", crate: .demo, format: .pretty, passed: 8, failed: 0, ignored: 2, filteredOut: 0),
            .init(name: prefix + "pretty-fail", crate: .demo, format: .pretty, passed: 7, failed: 1, ignored: 2, filteredOut: 0, failures: [demo]),
            .init(name: prefix + "pretty-fail-backtrace", crate: .demo, format: .pretty, passed: 7, failed: 1, ignored: 2, filteredOut: 0, failures: [demo]),
            .init(name: prefix + "terse-pass", crate: .demo, format: .terse, passed: 8, failed: 0, ignored: 2, filteredOut: 0),
            .init(name: prefix + "terse-fail", crate: .demo, format: .terse, passed: 7, failed: 1, ignored: 2, filteredOut: 0, failures: [demo]),
            .init(name: prefix + "json-pass", crate: .demo, format: .json, passed: 8, failed: 0, ignored: 2, filteredOut: 0),
            .init(name: prefix + "json-fail", crate: .demo, format: .json, passed: 7, failed: 1, ignored: 2, filteredOut: 0, failures: [demo]),
            .init(name: prefix + "json-report-time-fail", crate: .demo, format: .json, passed: 7, failed: 1, ignored: 2, filteredOut: 0,
                  failures: [demo], reportsTime: true),
            .init(name: prefix + "json-show-output-pass", crate: .demo, format: .json, passed: 8, failed: 0, ignored: 2, filteredOut: 0,
                  passedOutput: passedOutput),
            .init(name: prefix + "pretty-report-time-pass", crate: .demo, format: .pretty, passed: 8, failed: 0, ignored: 2, filteredOut: 0,
                  reportsTime: true),
            .init(name: prefix + "nocapture-fail", crate: .demo, format: .pretty, passed: 7, failed: 1, ignored: 2, filteredOut: 0,
                  failures: [Failure(name: "tests::opt_in_failure")]),
            .init(name: prefix + "nocapture-threads1-fail", crate: .demo, format: .pretty, passed: 7, failed: 1, ignored: 2, filteredOut: 0,
                  failures: [Failure(name: "tests::opt_in_failure", output: "checking add(2, 2) against 5")]),
            .init(name: prefix + "show-output-pass", crate: .demo, format: .pretty, passed: 8, failed: 0, ignored: 2, filteredOut: 0,
                  passedOutput: passedOutput),
            .init(name: prefix + "show-output-fail", crate: .demo, format: .pretty, passed: 7, failed: 1, ignored: 2, filteredOut: 0,
                  failures: [demo], passedOutput: passedOutput),
            .init(name: prefix + "ignored", crate: .demo, format: .pretty, passed: 1, failed: 1, ignored: 0, filteredOut: 8, failures: [hardwareFailure]),
            .init(name: prefix + "include-ignored", crate: .demo, format: .pretty, passed: 9, failed: 1, ignored: 0, filteredOut: 0, failures: [hardwareFailure]),
            .init(name: prefix + "filter-substring", crate: .demo, format: .pretty, passed: 2, failed: 0, ignored: 0, filteredOut: 8),
            .init(name: prefix + "filter-exact", crate: .demo, format: .pretty, passed: 1, failed: 0, ignored: 0, filteredOut: 9),
            .init(name: prefix + "filter-none-match", crate: .demo, format: .pretty, passed: 0, failed: 0, ignored: 0, filteredOut: 10),
            .init(name: prefix + "color-always-fail", crate: .demo, format: .pretty, passed: 7, failed: 1, ignored: 2, filteredOut: 0, failures: [demo]),
            .init(name: prefix + "threads1-pass", crate: .demo, format: .pretty, passed: 8, failed: 0, ignored: 2, filteredOut: 0),
            .init(name: prefix + "integration-pass", crate: .integration, format: .pretty, passed: 3, failed: 0, ignored: 0, filteredOut: 0),
            .init(name: prefix + "edge-pretty", crate: .edge, format: .pretty, passed: 1, failed: 5, ignored: 2, filteredOut: 0,
                  failures: edgeFailures(json: false)),
            .init(name: prefix + "edge-terse", crate: .edge, format: .terse, passed: 1, failed: 5, ignored: 2, filteredOut: 0,
                  failures: edgeFailures(json: false)),
            .init(name: prefix + "edge-json", crate: .edge, format: .json, passed: 1, failed: 5, ignored: 2, filteredOut: 0,
                  failures: edgeFailures(json: true)),
            .init(name: prefix + "edge-nocapture", crate: .edge, format: .pretty, passed: 1, failed: 5, ignored: 2, filteredOut: 0,
                  failures: edgeNocaptureFailures),
        ]
    } + [
        .init(name: "rust1.63-x86_64-doctest-pass", crate: .doctest, format: .pretty, passed: 1, failed: 0, ignored: 0, filteredOut: 0),
        .init(name: "rust1.95-x86_64-doctest-pass", crate: .doctest, format: .pretty, passed: 1, failed: 0, ignored: 0, filteredOut: 0),
    ]

    /// 1.63 edge-terse: the first line is `iraw bytes: ... end` (the `i` mark, then a test's uncaptured print).
    static let terseMarkLost = "rust1.63-aarch64-edge-terse"

    static let listings = ["list", "list-terse", "list-ignored"].flatMap { ["rust1.63-aarch64-" + $0, "rust1.95-x86_64-" + $0] }
    static let refusedJSON = [
        "rust1.95-x86_64-json-without-bootstrap", "rust1.95-x86_64-json-without-z", "rust1.95-x86_64-json-without-z-bootstrap",
        "rust1.63-aarch64-json-without-z",
    ]
    static let diedMidRun = ["edge-exit-process", "edge-abort"].flatMap { ["rust1.63-aarch64-" + $0, "rust1.95-x86_64-" + $0] }
}

/// manifest.json, the recorder's own record of each run's exit code.
struct LibtestManifest: Decodable {
    struct Case: Decodable {
        var name: String
        var files: [String]
        var exit_code: Int32
    }

    var cases: [Case]

    static func load() throws -> LibtestManifest {
        try JSONDecoder().decode(LibtestManifest.self, from: Fixtures.libtest("manifest.json"))
    }

    static func status(of name: String) throws -> TerminationStatus {
        let found = try #require(try load().cases.first { $0.name == name }, "\(name) is not in manifest.json")
        // Python's returncode: negative means killed by that signal.
        return found.exit_code < 0 ? .signaled(-found.exit_code) : .exited(found.exit_code)
    }
}

/// Collects a recorded run the way `TestRunner` does: stdout through the collector, then the exit status.
func collectFixture(_ name: String, chunkSize: Int? = nil, withStderr: Bool = false) throws
    -> (collector: TestRunCollector, tests: [TestCase], counts: SuiteCounts?)
{
    let status = try LibtestManifest.status(of: name)
    let stderrURL = try Fixtures.url("libtest/\(name).stderr")
    let stderr = withStderr && FileManager.default.fileExists(atPath: stderrURL.path) ? try Data(contentsOf: stderrURL) : Data()
    return collect(stdout: try Fixtures.libtest(name + ".stdout"), stderr: stderr, status: status, suiteName: "crossrun_demo", chunkSize: chunkSize)
}

// MARK: - Fixtures through the collector

@Suite("libtest fixtures through TestRunCollector")
struct LibtestFixtureTests {
    @Test("every recorded run is covered by one of the tables")
    func everyRunCovered() throws {
        let manifest = try LibtestManifest.load()
        let covered = LibtestFixture.results.map(\.name) + LibtestFixture.listings + LibtestFixture.refusedJSON + LibtestFixture.diedMidRun
        #expect(Set(manifest.cases.map(\.name)) == Set(covered))
        #expect(covered.count == Set(covered).count)
    }

    @Test("counts, format and failed names match libtest's own summary", arguments: LibtestFixture.results)
    func countsMatchSummary(fixture: LibtestFixture) throws {
        try checkCounts(fixture)
    }

    private func checkCounts(_ fixture: LibtestFixture) throws {
        let (collector, tests, counts) = try collectFixture(fixture.name)
        #expect(collector.format == fixture.format)

        // What crossrun reports (named cases plus the ones terse output only counted) equals libtest's summary.
        let unnamed = collector.format == .terse ? collector.unnamedCounts : .none
        let reported = RunResult.Counts(tests: tests, unnamed: unnamed, libtest: counts)
        #expect(reported.passed == fixture.passed)
        #expect(reported.failed == fixture.failed)
        #expect(reported.ignored == fixture.ignored)
        #expect(reported.errors == 0, "\(tests.filter { $0.outcome == .error })")
        #expect(reported.measured == 0)
        #expect(reported.filteredOut == fixture.filteredOut)
        #expect(reported.tests == fixture.passed + fixture.failed + fixture.ignored)

        // libtest's own line, as parsed.
        let summary = try #require(counts)
        #expect(summary.passed == fixture.passed)
        #expect(summary.failed == fixture.failed)
        #expect(summary.ignored == fixture.ignored)
        #expect(summary.measured == 0)
        #expect(summary.filteredOut == fixture.filteredOut)
        #expect(summary.ok == (fixture.failed == 0))

        let failedNames = tests.filter { $0.outcome == .failed }.map(\.name).sorted()
        #expect(failedNames == fixture.failures.map(\.name).sorted())
        // No test is reported twice.
        #expect(Set(tests.map(\.name)).count == tests.count)
        if fixture.format == .terse {
            // Terse output names only failures.
            #expect(tests.allSatisfy { $0.outcome == .failed })
            #expect(unnamed.passed == fixture.passed)
        }
    }

    @Test("failures carry the panic message and the captured output", arguments: LibtestFixture.results.filter { !$0.failures.isEmpty })
    func failureDetails(fixture: LibtestFixture) throws {
        let (_, tests, _) = try collectFixture(fixture.name)
        for expected in fixture.failures {
            let test = try #require(tests.first { $0.name == expected.name }, "\(expected.name) missing")
            #expect(test.outcome == .failed)
            let message = try #require(test.message, "\(expected.name) has no message")
            #expect(!message.isEmpty)
            if let text = expected.output {
                #expect(test.output?.contains(text) == true, "\(expected.name) output: \(String(describing: test.output))")
            }
            if let text = expected.message {
                // Rust 1.95 prints `thread 'NAME' (TID) panicked at FILE:L:C:` and PanicMessage does not
                // recognise the thread id, so it falls back to the first line of output.
                #expect(message.contains(text), "\(expected.name) message: \(message)")
            }
        }
    }

    @Test("ignored tests keep their reason", arguments: LibtestFixture.results.filter {
        $0.crate == .demo && $0.ignored == 2 && $0.format != .terse
    })
    func ignoreReason(fixture: LibtestFixture) throws {
        let (_, tests, _) = try collectFixture(fixture.name)
        let hardware = try #require(tests.first { $0.name == "tests::needs_real_hardware" })
        #expect(hardware.outcome == .ignored)
        #expect(hardware.message == "needs real hardware")
        let slow = try #require(tests.first { $0.name == "tests::slow_exhaustive_add" })
        #expect(slow.outcome == .ignored)
        #expect(slow.message == nil)
    }

    @Test("pretty output keeps the `should panic` mode", arguments: LibtestFixture.results.filter {
        $0.format == .pretty && $0.crate == .demo && !$0.isColour && !$0.name.hasSuffix("-ignored") && !$0.name.contains("filter-exact")
            && !$0.name.contains("none-match")
    })
    func shouldPanicMode(fixture: LibtestFixture) throws {
        let (_, tests, _) = try collectFixture(fixture.name)
        let test = try #require(tests.first { $0.name == "tests::divide_by_zero_panics" })
        #expect(test.outcome == .passed)
        #expect(test.mode == "should panic")
    }

    @Test("--show-output attaches passing tests' output", arguments: LibtestFixture.results.filter { $0.passedOutput != nil })
    func passedOutput(fixture: LibtestFixture) throws {
        let (_, tests, _) = try collectFixture(fixture.name)
        let expected = try #require(fixture.passedOutput)
        let test = try #require(tests.first { $0.name == expected.name })
        #expect(test.outcome == .passed)
        #expect(test.output?.contains(expected.text) == true)
    }

    @Test("--report-time and JSON exec_time give durations", arguments: LibtestFixture.results.filter(\.reportsTime))
    func durations(fixture: LibtestFixture) throws {
        let (_, tests, _) = try collectFixture(fixture.name)
        let timed = tests.filter { $0.outcome == .passed || $0.outcome == .failed }
        #expect(!timed.isEmpty)
        for test in timed {
            let duration = try #require(test.duration, "\(test.name) has no duration")
            #expect(duration >= 0 && duration < 60)
        }
    }

    @Test("doctest names are kept whole", arguments: ["rust1.63-x86_64-doctest-pass", "rust1.95-x86_64-doctest-pass"])
    func doctestNames(name: String) throws {
        let (_, tests, _) = try collectFixture(name)
        #expect(tests.map(\.name) == ["src/lib.rs - add (line 6)"])
        #expect(tests.first?.outcome == .passed)
        #expect(tests.first?.mode == nil)
    }

    @Test("the bytes may arrive in any chunks", arguments: [
        "rust1.63-aarch64-pretty-fail", "rust1.95-x86_64-terse-fail", "rust1.95-x86_64-json-fail", "rust1.63-aarch64-edge-pretty",
        "rust1.95-x86_64-edge-nocapture",
    ])
    func chunking(name: String) throws {
        let whole = try collectFixture(name)
        for size in [1, 7, 64, 4096] {
            let chunked = try collectFixture(name, chunkSize: size)
            #expect(chunked.tests == whole.tests, "chunk size \(size)")
            #expect(chunked.counts == whole.counts, "chunk size \(size)")
        }
    }

    @Test("--nocapture --test-threads=1: a test's prints are credited to it, its result line stands alone",
          arguments: ["rust1.63-aarch64-nocapture-threads1-fail", "rust1.95-x86_64-nocapture-threads1-fail"])
    func nocaptureThreads1(name: String) throws {
        let (_, tests, _) = try collectFixture(name)
        func test(_ name: String) throws -> TestCase { try #require(tests.first { $0.name == name }, "\(name) missing") }
        #expect(try test("tests::opt_in_failure").outcome == .failed)
        #expect(try test("tests::pointer_width_matches_arch").outcome == .passed)
        #expect(try test("tests::pointer_width_matches_arch").output?.trimmingCharacters(in: .newlines) == "pointer width: 64 bits")
        #expect(try test("tests::prints_to_stdout").outcome == .passed)
        #expect(try test("tests::prints_to_stdout").output?.hasPrefix("running on ") == true)
        #expect(try test("tests::add_small_numbers").output == nil)
    }

    @Test("stdout and stderr through one pipe (.combined) still parse", arguments: [
        ("rust1.63-aarch64-nocapture-threads1-fail", 7, 1, 2), ("rust1.95-x86_64-nocapture-threads1-fail", 7, 1, 2),
        ("rust1.63-aarch64-edge-nocapture", 1, 5, 2), ("rust1.95-x86_64-edge-nocapture", 1, 5, 2),
    ])
    func combined(name: String, passed: Int, failed: Int, ignored: Int) throws {
        let data = try Fixtures.libtest(name + ".combined")
        let (_, tests, counts) = collect(stdout: data, status: try LibtestManifest.status(of: name))
        #expect(tests.filter { $0.outcome == .passed }.count == passed)
        #expect(tests.filter { $0.outcome == .failed }.count == failed)
        #expect(tests.filter { $0.outcome == .ignored }.count == ignored)
        #expect(tests.filter { $0.outcome == .error }.isEmpty)
        #expect(counts?.failed == failed)
    }

    @Test("the 1.63 panic in .combined explains the failure (old format, thread 'main')")
    func combinedOldPanic() throws {
        let name = "rust1.63-aarch64-nocapture-threads1-fail"
        let (_, tests, _) = collect(stdout: try Fixtures.libtest(name + ".combined"), status: try LibtestManifest.status(of: name))
        let failure = try #require(tests.first { $0.name == "tests::opt_in_failure" })
        #expect(failure.output?.contains("checking add(2, 2) against 5") == true)
        #expect(failure.output?.contains("panicked at") == true)
    }

    @Test("--color always parses exactly like the same output without colour",
          arguments: ["rust1.63-aarch64-color-always-fail", "rust1.95-x86_64-color-always-fail"])
    func colourIsTransparent(name: String) throws {
        let raw = String(decoding: try Fixtures.libtest(name + ".stdout"), as: UTF8.self)
        // Remove exactly the sequences the README documents: ESC[<n>m and the terminfo sgr0 ESC(B.
        let plain = raw.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
            .replacingOccurrences(of: "\u{1B}(B", with: "")
        #expect(!plain.contains("\u{1B}"))
        let status = try LibtestManifest.status(of: name)
        let coloured = collect(stdout: Data(raw.utf8), status: status)
        let uncoloured = collect(stdout: Data(plain.utf8), status: status)
        // The uncoloured copy parses to the README's counts (this part is independent of ANSI handling).
        #expect(uncoloured.counts?.passed == 7)
        #expect(uncoloured.counts?.failed == 1)
        #expect(uncoloured.counts?.ignored == 2)
        #expect(coloured.collector.format == uncoloured.collector.format)
        #expect(coloured.tests == uncoloured.tests)
        #expect(coloured.counts == uncoloured.counts)
    }

    @Test("--list output yields no test results", arguments: LibtestFixture.listings)
    func listing(name: String) throws {
        let text = String(decoding: try Fixtures.libtest(name + ".stdout"), as: UTF8.self)
        var parser = LibtestLineParser()
        var events: [LibtestEvent] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { events += parser.consume(String(line)) }
        events += parser.finish()
        let invented = events.filter {
            if case .output = $0 { return false }
            return true
        }
        #expect(invented.isEmpty, "\(invented)")
        #expect(parser.format == nil)
    }

    @Test("a refused --format json run is one failed case that carries libtest's complaint", arguments: LibtestFixture.refusedJSON)
    func refusedJSON(name: String) throws {
        let (collector, tests, counts) = try collectFixture(name, withStderr: true)
        #expect(collector.format == .plain)
        #expect(counts == nil)
        #expect(tests.count == 1)
        let test = try #require(tests.first)
        #expect(test.name == "crossrun_demo")
        #expect(test.outcome == .failed)
        #expect(test.message?.contains("101") == true)
        #expect(test.output?.contains("only accepted on the nightly compiler") == true)
    }

    @Test("a run that dies mid-suite becomes a (process) error, never a pass", arguments: LibtestFixture.diedMidRun)
    func diedMidRun(name: String) throws {
        let status = try LibtestManifest.status(of: name)
        let (_, tests, counts) = try collectFixture(name, withStderr: true)
        #expect(counts == nil)
        #expect(tests.filter { $0.outcome == .passed }.isEmpty)
        let process = try #require(tests.first { $0.name == "(process)" })
        #expect(process.outcome == .error)
        #expect(process.message?.contains(status.description) == true, "\(String(describing: process.message))")
        if name == "rust1.63-aarch64-edge-abort" {
            #expect(process.output?.contains("qemu: uncaught target signal 6") == true)
        }
    }
}

// MARK: - Crashes and odd endings, by hand

@Suite("TestRunCollector endings")
struct CollectorEndingTests {
    @Test("pretty output cut off by SIGSEGV: what finished is kept, the process is an error")
    func prettyCrash() throws {
        let output = "\nrunning 3 tests\ntest a::one ... ok\ntest a::two ... ignored\n"
        let (_, tests, counts) = collect(stdout: Data(output.utf8), status: .signaled(11))
        #expect(counts == nil)
        #expect(tests.first { $0.name == "a::one" }?.outcome == .passed)
        #expect(tests.first { $0.name == "a::two" }?.outcome == .ignored)
        let process = try #require(tests.first { $0.name == "(process)" })
        #expect(process.outcome == .error)
        #expect(process.message?.contains("SIGSEGV") == true)
        // Parallel pretty output names no running test, so none is invented.
        #expect(tests.count == 3)
    }

    @Test("pretty --test-threads=1 cut off inside a test: that test is the error")
    func prettyCrashInsideTest() throws {
        let output = "\nrunning 2 tests\ntest a::one ... ok\ntest a::two ... about to crash\n"
        let (_, tests, _) = collect(stdout: Data(output.utf8), status: .signaled(11))
        let two = try #require(tests.first { $0.name == "a::two" })
        #expect(two.outcome == .error)
        #expect(two.message?.contains("SIGSEGV") == true)
        #expect(two.output?.contains("about to crash") == true)
        #expect(tests.contains { $0.name == "(process)" && $0.outcome == .error })
    }

    @Test("JSON: a started test that never finished is an error when the process aborts")
    func jsonAbort() throws {
        let output = """
            { "type": "suite", "event": "started", "test_count": 2 }
            { "type": "test", "event": "started", "name": "a::fine" }
            { "type": "test", "name": "a::fine", "event": "ok" }
            { "type": "test", "event": "started", "name": "a::aborts" }

            """
        let (collector, tests, counts) = collect(stdout: Data(output.utf8), status: .signaled(6))
        #expect(collector.format == .json)
        #expect(counts == nil)
        #expect(tests.first { $0.name == "a::fine" }?.outcome == .passed)
        let aborted = try #require(tests.first { $0.name == "a::aborts" })
        #expect(aborted.outcome == .error)
        #expect(aborted.message?.contains("SIGABRT") == true)
        #expect(tests.contains { $0.name == "(process)" && $0.outcome == .error })
    }

    @Test("libtest said ok but the process failed afterwards")
    func okThenNonZeroExit() throws {
        let output = "\nrunning 1 test\ntest a ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n"
        let (_, tests, _) = collect(stdout: Data(output.utf8), status: .exited(3))
        let process = try #require(tests.first { $0.name == "(process)" })
        #expect(process.outcome == .error)
        #expect(process.message?.contains("exit status 3") == true)
        // ...and a clean exit adds nothing.
        let clean = collect(stdout: Data(output.utf8), status: .exited(0))
        #expect(clean.tests.map(\.name) == ["a"])
    }

    @Test("a program that is not libtest is one case named after the suite", arguments: [
        (TerminationStatus.exited(0), TestCase.Outcome.passed), (.exited(1), .failed), (.signaled(11), .error),
    ])
    func plainProgram(status: TerminationStatus, outcome: TestCase.Outcome) throws {
        let (collector, tests, counts) = collect(stdout: Data("hello from C\nbye\n".utf8), status: status, suiteName: "plain_exit")
        #expect(collector.format == .plain)
        #expect(counts == nil)
        #expect(tests.count == 1)
        #expect(tests.first?.name == "plain_exit")
        #expect(tests.first?.outcome == outcome)
        #expect(tests.first?.output?.contains("hello from C") == true)
    }

    @Test("the last line without a newline is still parsed")
    func lastLineWithoutNewline() throws {
        let output = "\nrunning 1 test\ntest a ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s"
        let (_, tests, counts) = collect(stdout: Data(output.utf8), status: .exited(0))
        #expect(counts?.passed == 1)
        #expect(tests.map(\.name) == ["a"])
    }
}

// MARK: - Single lines

@Suite("LibtestLineParser, line by line")
struct LibtestLineParserTests {
    private func events(_ lines: [String]) -> [LibtestEvent] {
        var parser = LibtestLineParser()
        return lines.flatMap { parser.consume($0) } + parser.finish()
    }

    private func finished(_ line: String) throws -> TestCase {
        struct NotAResult: Error, CustomStringConvertible { var description: String }
        let all = events([line])
        guard all.count == 1, case .testFinished(let test) = all[0] else {
            throw NotAResult(description: "expected one testFinished for \(line.debugDescription), got \(all)")
        }
        return test
    }

    @Test func shouldPanicMode() throws {
        let test = try finished("test a::b - should panic ... ok")
        #expect(test.name == "a::b")
        #expect(test.mode == "should panic")
        #expect(test.outcome == .passed)
    }

    @Test func compileFailMode() throws {
        let test = try finished("test src/lib.rs - add (line 12) - compile fail ... ok")
        #expect(test.name == "src/lib.rs - add (line 12)")
        #expect(test.mode == "compile fail")
    }

    @Test func plainOutcomes() throws {
        #expect(try finished("test x ... ok").outcome == .passed)
        #expect(try finished("test x ... FAILED").outcome == .failed)
        let ignored = try finished("test x ... ignored")
        #expect(ignored.outcome == .ignored)
        #expect(ignored.message == nil)
    }

    @Test func ignoredWithReason() throws {
        let test = try finished("test x ... ignored, reason text")
        #expect(test.name == "x")
        #expect(test.outcome == .ignored)
        #expect(test.message == "reason text")
    }

    @Test func reportTime() throws {
        let test = try finished("test x ... ok <0.003s>")
        #expect(test.outcome == .passed)
        #expect(test.duration == 0.003)
        #expect(try finished("test y ... FAILED <1.250s>").duration == 1.25)
    }

    @Test func timeLimitExceeded() throws {
        let test = try finished("test slow ... FAILED (time limit exceeded)")
        #expect(test.outcome == .failed)
        #expect(test.message == "time limit exceeded")
    }

    @Test func benchmark() throws {
        let test = try finished("test bench_add         ... bench:       1,234 ns/iter (+/- 56)")
        #expect(test.name == "bench_add")
        #expect(test.outcome == .measured)
        #expect(test.benchmark == "1,234 ns/iter (+/- 56)")
    }

    @Test func jsonBenchmark() throws {
        let all = events([#"{ "type": "bench", "name": "b", "median": 1234, "deviation": 56 }"#])
        guard case .testFinished(let test)? = all.first else { Issue.record("\(all)"); return }
        #expect(test.outcome == .measured)
        #expect(test.benchmark == "1234 ns/iter (+/- 56)")
    }

    @Test("running N tests", arguments: [("running 1 test", 1), ("running 0 tests", 0), ("running 12 tests", 12)])
    func running(line: String, count: Int) {
        #expect(events([line]) == [.suiteStarted(testCount: count)])
    }

    @Test("lines that only look like a count", arguments: ["running tests", "running 1 tests now", "running x tests"])
    func notRunning(line: String) {
        #expect(events([line]) == [.output(line)])
    }

    @Test func testResultLine() {
        let all = events(["test result: FAILED. 3 passed; 1 failed; 2 ignored; 4 measured; 5 filtered out; finished in 0.42s"])
        #expect(all == [.suiteFinished(SuiteCounts(passed: 3, failed: 1, ignored: 2, measured: 4, filteredOut: 5, duration: 0.42, ok: false))])
        let ok = events(["test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 10 filtered out; finished in 0.00s"])
        #expect(ok == [.suiteFinished(SuiteCounts(passed: 0, failed: 0, ignored: 0, measured: 0, filteredOut: 10, duration: 0, ok: true))])
    }

    @Test("a header whose result comes after the test's own output")
    func interleavedHeader() {
        var parser = LibtestLineParser()
        #expect(parser.consume("test x ... ") == [.testStarted(name: "x")])
        #expect(parser.pendingTest == "x")
        #expect(parser.consume("hello from x") == [.output("hello from x")])
        #expect(parser.consume("ok") == [.testFinished(TestCase(name: "x", outcome: .passed))])
        #expect(parser.pendingTest == nil)
        // A later lone "ok" is just output again.
        #expect(parser.consume("ok") == [.output("ok")])
    }

    @Test("a header with output on the same line")
    func headerWithOutput() {
        var parser = LibtestLineParser()
        #expect(parser.consume("test x ... checking add(2, 2) against 5") == [.testStarted(name: "x"), .output("checking add(2, 2) against 5")])
        #expect(parser.consume("FAILED") == [.testFinished(TestCase(name: "x", outcome: .failed))])
    }

    @Test("captured sections, the failures list, and a heading without a blank line before it")
    func capturedSections() {
        let all = events([
            "failures:", "",
            "---- a::b stdout ----", "line one", "  indented", "",
            "---- c stdout ----", "note: test did not panic as expected",
            "---- d stderr ----", "err text", "", "",
            "failures:", "    a::b", "    c", "    d", "",
            "test result: FAILED. 0 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
        ])
        #expect(all == [
            .capturedOutput(name: "a::b", text: "line one\n  indented", truncated: false),
            .capturedOutput(name: "c", text: "note: test did not panic as expected", truncated: false),
            .capturedOutput(name: "d", text: "err text", truncated: false),
            .failureListed(name: "a::b"), .failureListed(name: "c"), .failureListed(name: "d"),
            .suiteFinished(SuiteCounts(passed: 0, failed: 3, ignored: 0, measured: 0, filteredOut: 0, duration: 0.01, ok: false)),
        ])
    }

    @Test("a test that prints a libtest-like heading inside its captured output")
    func captureKeepsTestLines() {
        let all = events(["failures:", "", "---- a stdout ----", "test fake ... ok", "running 9 tests", "", "failures:", "    a"])
        #expect(all.first == .capturedOutput(name: "a", text: "test fake ... ok\nrunning 9 tests", truncated: false))
        #expect(!all.contains { if case .testFinished = $0 { return true } else { return false } })
    }

    @Test("terse progress lines", arguments: [("..iF....i.", 7, 1, 2), ("..i 3/10", 2, 0, 1), ("i", 0, 0, 1), ("FFFiF.F", 1, 5, 1)])
    func terse(line: String, passed: Int, failed: Int, ignored: Int) {
        var parser = LibtestLineParser()
        _ = parser.consume("running 10 tests")
        #expect(parser.consume(line) == [.terseResults(passed: passed, failed: failed, ignored: ignored)])
        #expect(parser.format == .terse)
    }

    @Test("prose is not terse progress", arguments: ["i.e. this", "F", "..x", "3/10"])
    func notTerse(line: String) {
        var parser = LibtestLineParser()
        _ = parser.consume("running 1 test")
        _ = parser.consume("test a ... ok")
        // After a pretty line, nothing is terse; even "F" alone is output.
        #expect(parser.consume(line) == [.output(line)])
    }

    @Test("CRLF line ends are tolerated")
    func crlf() throws {
        #expect(try finished("test x ... ok\r").outcome == .passed)
        #expect(events(["running 2 tests\r"]) == [.suiteStarted(testCount: 2)])
    }

    @Test("coloured result lines parse like plain ones", arguments: [
        ("test a ... \u{1B}[32mok\u{1B}[0m", TestCase.Outcome.passed),  // ESC[0m reset
        ("test a ... \u{1B}[32mok\u{1B}(B\u{1B}[m", .passed),  // terminfo sgr0, as --color always really prints
        ("test a ... \u{1B}[31mFAILED\u{1B}(B\u{1B}[m", .failed),
        ("test a ... \u{1B}[33mignored\u{1B}(B\u{1B}[m", .ignored),
    ])
    func colouredResult(line: String, outcome: TestCase.Outcome) {
        let all = events([line])
        #expect(all == [.testFinished(TestCase(name: "a", outcome: outcome))])
    }
}

@Suite("ANSI.strip")
struct ANSITests {
    @Test("escape sequences are removed, text kept", arguments: [
        ("\u{1B}[31mred\u{1B}[0m", "red"),
        ("\u{1B}[1;32mbold green\u{1B}[m", "bold green"),
        ("plain", "plain"),
        ("", ""),
        ("a\u{1B}]0;window title\u{07}b", "ab"),
        ("a\u{1B}]8;;http://x\u{1B}\\link\u{1B}]8;;\u{1B}\\b", "alinkb"),
        ("cursor\u{1B}[2K\u{1B}[1Gline", "cursorline"),
        ("trailing escape\u{1B}", "trailing escape"),
        ("BEL \u{07} stays", "BEL \u{07} stays"),
        ("tab\tand é and 🦀", "tab\tand é and 🦀"),
    ])
    func strip(input: String, expected: String) {
        #expect(ANSI.strip(input) == expected)
    }

    @Test("character-set designation ESC ( B is removed whole", arguments: [
        ("ok\u{1B}(B\u{1B}[m", "ok"),
        ("\u{1B}[31mFAILED\u{1B}(B\u{1B}[m. 7 passed", "FAILED. 7 passed"),
        ("\u{1B}(0line drawing\u{1B}(B", "line drawing"),
        ("a\u{1B})Bb", "ab"),
    ])
    func characterSetDesignation(input: String, expected: String) {
        #expect(ANSI.strip(input) == expected)
    }

    @Test("a stray ESC ] that never ends does not swallow the following lines")
    func unterminatedOSC() {
        let text = "binary junk: \u{1B}]\u{0}\u{1}\nthread 'x' panicked at 'boom', src/lib.rs:1:1\nlast line"
        let stripped = ANSI.strip(text)
        #expect(stripped.contains("panicked at 'boom'"), "\(stripped.debugDescription)")
        #expect(stripped.contains("last line"), "\(stripped.debugDescription)")
        
        #expect(stripped.hasPrefix("binary junk: "))
    }

    @Test("a two-character escape such as ESC = or ESC 7 is removed")
    func twoCharacter() {
        #expect(ANSI.strip("a\u{1B}=b\u{1B}7c") == "abc")
    }
}

@Suite("PanicMessage.extract")
struct PanicMessageTests {
    @Test("Rust < 1.73: panicked at 'MSG', FILE:L:C")
    func oldFormat() {
        #expect(PanicMessage.extract(from: "thread 'main' panicked at 'boom', src/lib.rs:1:2") == "boom")
        // Torn by another thread's panic before its column (Rust < 1.73 with --nocapture and several threads).
        #expect(PanicMessage.extract(from: "thread 'a' panicked at 'boom in a', tests/panics.rs:20:") == "boom in a")
        #expect(PanicMessage.extract(from: "thread 'a' panicked at 'boom in a', tests/panics.rs") == "boom in a")
        let output = """
            checking add(2, 2) against 5
            thread 'tests::opt_in_failure' panicked at 'assertion failed: `(left == right)`
              left: `4`,
             right: `5`', src/lib.rs:98:9
            note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
            """
        #expect(PanicMessage.extract(from: output) == "assertion failed: `(left == right)`\n  left: `4`,\n right: `5`")
    }

    @Test("Rust < 1.73: a message that contains quotes and commas")
    func oldFormatWithQuotes() {
        let output = "thread 't' panicked at 'it's, well, 'quoted'', src/lib.rs:3:4"
        #expect(PanicMessage.extract(from: output) == "it's, well, 'quoted'")
    }

    @Test("Rust 1.73 to 1.87: panicked at FILE:L:C: then the message")
    func newFormat() {
        let output = """

            thread 'tests::opt_in_failure' panicked at src/lib.rs:98:9:
            assertion `left == right` failed
              left: 4
             right: 5
            note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
            """
        #expect(PanicMessage.extract(from: output) == "assertion `left == right` failed\n  left: 4\n right: 5")
    }

    @Test("Rust >= 1.88: the thread id between name and `panicked at`")
    func newFormatWithThreadID() {
        let output = """
            checking add(2, 2) against 5

            thread 'tests::opt_in_failure' (8691) panicked at src/lib.rs:98:9:
            assertion `left == right` failed
              left: 4
             right: 5
            """
        #expect(PanicMessage.extract(from: output) == "assertion `left == right` failed\n  left: 4\n right: 5")
    }

    @Test("Rust >= 1.88 on the main thread (--test-threads=1)")
    func mainThreadWithID() {
        #expect(PanicMessage.extract(from: "thread 'main' (4242) panicked at src/main.rs:2:5:\nexplicit panic") == "explicit panic")
    }

    @Test("no panic: libtest's did-not-panic note, else the first line, else nil")
    func fallbacks() {
        #expect(PanicMessage.extract(from: "note: test did not panic as expected at src/lib.rs:12:8") == "test did not panic as expected at src/lib.rs:12:8")
        #expect(PanicMessage.extract(from: "\n  \nsomething went wrong\nmore") == "something went wrong")
        #expect(PanicMessage.extract(from: "") == nil)
        #expect(PanicMessage.extract(from: "\n\n") == nil)
    }

    @Test("a very long first line is shortened")
    func longLine() throws {
        let message = try #require(PanicMessage.extract(from: String(repeating: "x", count: 10_000)))
        #expect(message.count < 1000)
    }
}

// MARK: - Limits

@Suite("TestRunCollector under large output")
struct CollectorLimitTests {
    @Test("JSON: a failed event longer than the line cap still counts as a failure")
    func hugeJSONFailure() throws {
        let big = String(repeating: "z", count: 1_200_000)
        let lines = [
            #"{ "type": "suite", "event": "started", "test_count": 2 }"#,
            #"{ "type": "test", "event": "started", "name": "a::quiet" }"#,
            #"{ "type": "test", "name": "a::quiet", "event": "ok" }"#,
            #"{ "type": "test", "event": "started", "name": "a::loud" }"#,
            #"{ "type": "test", "name": "a::loud", "event": "failed", "stdout": "\#(big)\nthread 'a::loud' panicked at 'boom', src/lib.rs:1:1\n" }"#,
            #"{ "type": "suite", "event": "failed", "passed": 1, "failed": 1, "ignored": 0, "measured": 0, "filtered_out": 0, "exec_time": 0.1 }"#,
        ]
        let (_, tests, counts) = collect(stdout: Data((lines.joined(separator: "\n") + "\n").utf8), status: .exited(101), chunkSize: 65536)
        #expect(counts?.failed == 1)
        #expect(tests.first { $0.name == "a::quiet" }?.outcome == .passed)
        #expect(tests.first { $0.name == "a::loud" }?.outcome == .failed)
        #expect(tests.filter { $0.outcome == .failed }.count == counts?.failed)
    }

    @Test("pretty: a long captured section is kept to BoundedText's cap and marked truncated")
    func hugeCapturedSection() throws {
        var text = "\nrunning 1 test\ntest a::loud ... FAILED\n\nfailures:\n\n---- a::loud stdout ----\n"
        let line = String(repeating: "w", count: 64 * 1024)
        for _ in 0..<64 { text += line + "\n" }
        text += "thread 'a::loud' panicked at 'boom', src/lib.rs:1:1\n\n\nfailures:\n    a::loud\n\n"
        text += "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n"
        let (_, tests, _) = collect(stdout: Data(text.utf8), status: .exited(101), chunkSize: 65536)
        let loud = try #require(tests.first { $0.name == "a::loud" })
        #expect(loud.outcome == .failed)
        #expect(loud.message == "boom")
        let output = try #require(loud.output)
        #expect(output.hasSuffix("panicked at 'boom', src/lib.rs:1:1"))
        #expect(output.utf8.count <= BoundedText.defaultHead + BoundedText.defaultTail + 200, "\(output.utf8.count) bytes kept")
        #expect(loud.outputTruncated == true)
    }

    @Test("a captured section of many short lines arrives whole")
    func manyCapturedLines() throws {
        // Timings are measured in benchmarks, not here: this checks the section's content over many lines.
        var parser = LibtestLineParser()
        for line in ["failures:", "", "---- a stdout ----"] { _ = parser.consume(line) }
        let count = 16_000
        for _ in 0..<count { _ = parser.consume("line of output") }
        let events = parser.consume("") + parser.consume("failures:")
        #expect(events.contains {
            if case .capturedOutput("a", let text, false) = $0 { return text.utf8.count == count * 15 - 1 } else { return false }
        })
    }
}

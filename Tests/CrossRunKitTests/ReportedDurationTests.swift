import Foundation
import Testing

@testable import CrossRunKit

// Issue 14, item 5: durations a test prints that are none (the end-to-end cases are in
// Tests/EndToEndTests/FaultCasesSmall.swift).

@Suite("Durations a test prints: non-finite, negative or absurd ones are absent")
struct ReportedDurationTests {
    static let finishedLines: [(String, Double?)] = [
        ("finished in 0.01s", 0.01),
        ("finished in 0s", 0),
        ("finished in infs", nil),
        ("finished in -infs", nil),
        ("finished in NaNs", nil),
        ("finished in nans", nil),
        ("finished in -1.00s", nil),
        ("finished in 1e400s", nil),
        ("finished in 1e12s", nil),
        ("finished in abcs", nil),
    ]

    @Test("test result: ... finished in X", arguments: finishedLines)
    func suiteDuration(_ finished: String, _ expected: Double?) throws {
        let counts = try #require(LibtestLineParser.suiteResult("test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; \(finished)"))
        #expect(counts.duration == expected)
        #expect(counts.passed == 2)
    }

    static let reportTimes: [(String, Double?)] = [("<0.001s>", 0.001), ("<infs>", nil), ("<NaNs>", nil), ("<-2s>", nil)]

    @Test("--report-time's <Xs> after a result", arguments: reportTimes)
    func testDuration(_ suffix: String, _ expected: Double?) throws {
        let test = try #require(LibtestLineParser.result("ok \(suffix)", name: "a::b"))
        #expect(test.outcome == .passed)
        #expect(test.duration == expected)
    }

    @Test("JSON exec_time that is not a duration", arguments: ["\"infs\"", "\"NaN\"", "-1", "1e400", "\"-0.5s\""])
    func jsonExecTime(_ value: String) throws {
        let lines = [
            #"{ "type": "suite", "event": "started", "test_count": 1 }"#,
            #"{ "type": "test", "event": "started", "name": "a::b" }"#,
            #"{ "type": "test", "name": "a::b", "event": "ok", "exec_time": \#(value) }"#,
            #"{ "type": "suite", "event": "ok", "passed": 1, "failed": 0, "ignored": 0, "measured": 0, "filtered_out": 0, "exec_time": \#(value) }"#,
        ]
        let (_, tests, counts) = collect(stdout: Data((lines.joined(separator: "\n") + "\n").utf8), status: .exited(0))
        #expect(tests.map(\.name) == ["a::b"])
        #expect(tests.first?.duration == nil)
        #expect(counts?.duration == nil)
    }

    @Test("a run whose libtest says `finished in infs` still gives a results JSON", arguments: ["infs", "NaNs", "-1.00s"])
    func reportWritten(_ took: String) throws {
        let output = "\nrunning 1 test\ntest a::b ... ok <\(took)>\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in \(took)\n\n"
        let (collector, tests, counts) = collect(stdout: Data(output.utf8), status: .exited(0))
        let result = makeResult(tests: tests, libtest: counts, format: collector.format, status: 0)
        let decoded = try JSONReporter.decode(try JSONReporter.encode(result))
        #expect(decoded.tests.map(\.name) == ["a::b"])
        #expect(decoded.libtest?.duration == nil)
    }

    @Test("merged JUnit times ignore a time that is not a number of seconds")
    func reportedSeconds() {
        #expect(DurationText.reportedSeconds(Double("inf")) == nil)
        #expect(DurationText.reportedSeconds(Double("nan")) == nil)
        #expect(DurationText.reportedSeconds(-0.5) == nil)
        #expect(DurationText.reportedSeconds(nil) == nil)
        #expect(DurationText.reportedSeconds(12.5) == 12.5)
    }
}

import Foundation
import Testing

@testable import CrossRunKit

@Suite("the summary line's time-outs")
struct SummaryTimeoutTests {
    static func timeout(_ description: String) -> RunResult.Timeout {
        RunResult.Timeout(kind: "test-timeout", limit: 2, test: nil, description: description)
    }

    @Test("one time-out, several, repeats and many each stay one clause of one line", arguments: [
        (["A"], "timed out: A"),
        (["the binary printed nothing for 5s", "the test t ran longer than 2s (--test-timeout)"],
         "timed out 2 times: the binary printed nothing for 5s, then the test t ran longer than 2s (--test-timeout)"),
        (["A", "A", "B"], "timed out 3 times: A (2 times), then B"),
        (["A", "B", "C", "D", "E"], "timed out 5 times: A, then B, then C, and 2 more (see the report)"),
    ])
    func clause(descriptions: [String], expected: String) {
        #expect(TerminalSummary.timedOut(descriptions.map(Self.timeout)) == expected)
    }

    @Test("a run stopped twice names both time-outs once, after 'timed out' once, and ends with crossrun's 124")
    func line() {
        var result = ReliabilityTests.timedOutResult()
        result.interrupted = nil
        result.exit = RunResult.Exit(status: 124, code: 124, signal: nil, signalName: nil, interruptedBy: nil, description: "exit status 124")
        result.timeouts = [Self.timeout("the binary printed nothing for 5s"), Self.timeout("the test reliability::hangs ran longer than 2s (--test-timeout)")]
        let line = TerminalSummary.line(for: result, reports: ReportPaths(), workingDirectory: "/", colour: false)
        #expect(line.components(separatedBy: "timed out").count == 2, "\(line)")
        #expect(line.contains("timed out 2 times: the binary printed nothing for 5s, then the test reliability::hangs ran longer than 2s (--test-timeout) (exit status 124)"), "\(line)")
        #expect(!line.contains("\n"))
    }
}

import Foundation
import Testing

@testable import CrossRunKit

/// The hand-written results JSON against JSONEncoder, the reference: every field of every results type set, awkward
/// strings and numbers; and a check that no stored property of a results type is left out of the writer.
@Suite("the results JSON written without Codable")
struct ResultsJSONWriterTests {
    /// A run with every optional field of every results type set.
    static func everything() -> RunResult {
        var failed = TestCase(name: "tests::\"quoted\" \\ / tab\there\u{1}", outcome: .failed, duration: 1e-07, message: "assertion failed: `left == right`\n  left: 1é€😀", output: "line\r\nbell\u{7}\u{1b}[0m")
        failed.outputTruncated = true
        failed.benchmark = "1,234 ns/iter (+/- 56)"
        failed.mode = "should panic"
        failed.errorKind = .timeout
        failed.flaky = false
        var rerun = TestCase(name: failed.name, outcome: .error, duration: 2, message: "timed out", output: "")
        rerun.errorKind = .interrupted
        failed.reruns = [TestCase.Rerun(rerun), TestCase.Rerun(TestCase(name: "x", outcome: .failed))]
        var result = makeResult(
            tests: [failed, TestCase(name: "plain", outcome: .passed), TestCase(name: "timed", outcome: .passed, duration: 123456789012345680)],
            libtest: SuiteCounts(passed: 2, failed: 1, ignored: 0, measured: 0, filteredOut: 3, duration: 0.1, ok: false), format: .json,
            unnamed: UnnamedCounts(passed: 4, ignored: 5), output: "stray\n", stderr: "", duration: 3.0000000000000004, status: 137)
        result.arguments = []
        result.exit = RunResult.Exit(status: 137, code: 137, signal: 9, signalName: "SIGKILL", interruptedBy: "SIGTERM", description: "killed by SIGKILL (signal 9)")
        result.counts.flaky = 1
        result.restarts = 2
        result.retries = 0
        result.limits = RunResult.Limits(timeout: 1e21, testTimeout: 0.25)
        result.timeouts = [RunResult.Timeout(kind: "test-timeout", limit: 0.25, test: "timed", description: "the test timed ran longer than 250ms")]
        result.interrupted = RunResult.Interruption(signal: 15, signalName: "SIGTERM")
        result.partition = "hash:1/3"
        result.package = "crossrun-demo"
        result.isolation = RunResult.Isolation(jobs: 2, processes: 3, successors: 1, siblings: 1)
        return result
    }

    @Test("every field set, escapes, non-ASCII, exponents, empty arrays: the same bytes as JSONEncoder")
    func sameBytes() throws {
        let result = Self.everything()
        #expect(try JSONReporter.encode(result) == JSONReporter.makeEncoder().encode(result))
        var empty = result
        empty.tests = []
        #expect(try JSONReporter.encode(empty) == JSONReporter.makeEncoder().encode(empty))
        #expect(try JSONReporter.decode(JSONReporter.encode(result)) == result)
    }

    @Test("doubles are written as JSONEncoder writes them", arguments: [0, 2, -0.5, 0.1, 1e-07, 0.00012, 123.456, 12345678.9, 1e15, 1e16, 1e21, 3.0000000000000004, 9007199254740991, 9007199254740992])
    func doubles(value: Double) throws {
        let reference = String(decoding: try JSONReporter.makeEncoder().encode([value]), as: UTF8.self)
        #expect(reference == "[\n  \(ResultsJSONWriter.number(value))\n]")
    }

    /// The keys of a written object, and of every object below it, by the object's key path.
    static func keys(_ value: ResultsJSONWriter.Value, path: String = "", into found: inout [String: Set<String>]) {
        switch value {
        case .object(let fields):
            found[path, default: []].formUnion(fields.map(\.0))
            for (key, field) in fields { keys(field, path: path + "." + key, into: &found) }
        case .array(let values):
            for element in values { keys(element, path: path + "[]", into: &found) }
        default: break
        }
    }

    /// A struct's stored property names (a TestCase keeps its rarer fields in one `details` box: its keys are
    /// checked through JSONEncoder's output instead).
    static func properties(_ value: Any) -> Set<String> {
        Set(Mirror(reflecting: value).children.compactMap(\.label))
    }

    @Test("no stored property of a results type is missing from the writer")
    func everyProperty() throws {
        let result = Self.everything()
        var written: [String: Set<String>] = [:]
        Self.keys(ResultsJSONWriter.value(result), into: &written)
        #expect(written[""] == Self.properties(result))
        #expect(written[".binary"] == Self.properties(result.binary))
        #expect(written[".launch"] == Self.properties(result.launch))
        #expect(written[".exit"] == Self.properties(result.exit))
        #expect(written[".counts"] == Self.properties(result.counts))
        #expect(written[".libtest"] == Self.properties(result.libtest!))
        #expect(written[".limits"] == Self.properties(result.limits!))
        #expect(written[".timeouts[]"] == Self.properties(result.timeouts![0]))
        #expect(written[".interrupted"] == Self.properties(result.interrupted!))
        #expect(written[".isolation"] == Self.properties(result.isolation!))
        #expect(written[".tests[].reruns[]"] == Self.properties(result.tests[0].reruns![0]))
        // TestCase: what JSONEncoder writes of a test with every field set.
        let encoded = try JSONSerialization.jsonObject(with: JSONReporter.makeEncoder().encode(result.tests[0])) as? [String: Any]
        #expect(written[".tests[]"] == Set(encoded?.keys.map { $0 } ?? []))
    }
}

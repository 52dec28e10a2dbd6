import Foundation

/// Streams a test process's output into test cases: splits bytes into lines, feeds ``LibtestLineParser``,
/// and keeps each test's output and outcome. Memory stays bounded: every kept text is a ``BoundedText``.
public struct TestRunCollector: Sendable {
    private var parser = LibtestLineParser()
    private var lineBuffer: [UInt8] = []
    /// Longer lines are cut (the bytes still pass through to the terminal untouched).
    private let maximumLineLength = 1 << 20

    private(set) var tests: [TestCase] = []
    private var index: [String: Int] = [:]
    private var captures: [String: String] = [:]
    private var listedFailures: [String] = []
    private var started: [String] = []
    private var pendingOutput: [String: BoundedText] = [:]
    private(set) var suites: [SuiteCounts] = []
    private(set) var suitesStarted = 0
    private(set) var terse = (passed: 0, failed: 0, ignored: 0)
    /// Lines libtest did not print and no test can be credited with.
    private(set) var unattributed = BoundedText()
    /// Everything on stdout, for a binary that turns out not to be a libtest one.
    private(set) var allStdout = BoundedText()
    private(set) var stderr = BoundedText()

    public init() {}

    /// The format seen so far; `plain` until a libtest line appears.
    public var format: LibtestFormat {
        if let format = parser.format { return format }
        return suitesStarted > 0 ? .pretty : .plain
    }

    // MARK: - Input

    public mutating func consumeStdout(_ chunk: UnsafeRawBufferPointer) {
        allStdout.append(chunk)
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
            appendToLine(chunk[start..<newline])
            endLine()
            start = newline + 1
        }
        appendToLine(chunk[start...])
    }

    public mutating func consumeStdout(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { consumeStdout(UnsafeRawBufferPointer($0)) }
    }

    public mutating func consumeStderr(_ chunk: UnsafeRawBufferPointer) {
        stderr.append(chunk)
    }

    private mutating func appendToLine(_ bytes: Slice<UnsafeRawBufferPointer>) {
        let room = maximumLineLength - lineBuffer.count
        if room > 0 { lineBuffer.append(contentsOf: bytes.prefix(room)) }
    }

    private mutating func endLine() {
        let line = String(decoding: lineBuffer, as: UTF8.self)
        lineBuffer.removeAll(keepingCapacity: true)
        for event in parser.consume(line) { apply(event) }
    }

    /// Delivers a last line without a newline and any open section.
    public mutating func finishInput() {
        if !lineBuffer.isEmpty { endLine() }
        for event in parser.finish() { apply(event) }
    }

    // MARK: - Events

    mutating func apply(_ event: LibtestEvent) {
        switch event {
        case .suiteStarted:
            suitesStarted += 1
        case .testStarted(let name):
            if !started.contains(name) { started.append(name) }
        case .testFinished(var test):
            started.removeAll { $0 == test.name }
            if let text = pendingOutput.removeValue(forKey: test.name), test.output == nil {
                test.output = text.text
                if text.isTruncated { test.outputTruncated = true }
            }
            record(test)
        case .capturedOutput(let name, let text):
            captures[name] = text
        case .failureListed(let name):
            listedFailures.append(name)
        case .terseResults(let passed, let failed, let ignored):
            terse.passed += passed
            terse.failed += failed
            terse.ignored += ignored
        case .suiteFinished(let counts):
            suites.append(counts)
        case .output(let line):
            // Credit a print to the one test that is running, when exactly one is.
            if started.count == 1, let name = started.first {
                pendingOutput[name, default: BoundedText()].append(line: line)
            } else {
                unattributed.append(line: line)
            }
        }
    }

    private mutating func record(_ test: TestCase) {
        if let existing = index[test.name] {
            tests[existing] = test
        } else {
            index[test.name] = tests.count
            tests.append(test)
        }
    }

    // MARK: - Result

    /// The test cases once the process has ended with `status`. Tests that started but never reported, and a
    /// process that died before libtest finished, become explicit cases: nothing is silently dropped.
    public mutating func finish(status: TerminationStatus, suiteName: String) -> (tests: [TestCase], counts: SuiteCounts?) {
        finishInput()
        if format == .plain {
            return ([plainCase(status: status, name: suiteName)], nil)
        }
        // Names libtest listed as failed but printed no line for (terse mode).
        for name in listedFailures where index[name] == nil {
            record(TestCase(name: name, outcome: .failed))
        }
        // Captured sections attach to their tests and explain failures.
        for (name, text) in captures {
            if let position = index[name] {
                tests[position].output = text
            } else {
                var test = TestCase(name: name, outcome: listedFailures.contains(name) ? .failed : .passed)
                test.output = text
                record(test)
            }
        }
        for position in tests.indices where tests[position].outcome == .failed && tests[position].message == nil {
            tests[position].message = tests[position].output.flatMap(PanicMessage.extract) ?? "failed"
        }
        let finished = !suites.isEmpty
        // A test that started and never reported: libtest lists every failure, so after a finished suite it
        // passed (its result went into its own output without a newline); otherwise the process died in it.
        for name in started {
            let output = pendingOutput.removeValue(forKey: name)
            var test: TestCase
            if finished {
                test = TestCase(name: name, outcome: listedFailures.contains(name) ? .failed : .passed)
            } else {
                test = TestCase(name: name, outcome: .error, message: "the test process ended (\(status.description)) while this test was running")
            }
            test.output = output?.text
            record(test)
        }
        started.removeAll()
        if !finished || (status.isSuccess == false && suites.allSatisfy(\.ok)) {
            var process = TestCase(name: "(process)", outcome: .error)
            let reported = tests.count
            if finished {
                process.message = "libtest reported success but the test process ended with \(status.description)"
            } else {
                process.message = "the test process ended (\(status.description)) before libtest reported its result; \(reported) test\(reported == 1 ? "" : "s") reported"
            }
            if !stderr.isEmpty { process.output = stderr.text }
            record(process)
        }
        return (tests, combinedCounts)
    }

    /// The sum of the suites' `test result:` lines, if libtest printed one.
    var combinedCounts: SuiteCounts? {
        guard var total = suites.first else { return nil }
        for suite in suites.dropFirst() {
            total.passed += suite.passed
            total.failed += suite.failed
            total.ignored += suite.ignored
            total.measured += suite.measured
            total.filteredOut += suite.filteredOut
            total.duration = (total.duration ?? 0) + (suite.duration ?? 0)
            total.ok = total.ok && suite.ok
        }
        return total
    }

    /// Terse mode names only failures: the passed and ignored tests it counted but did not name.
    public var unnamedCounts: (passed: Int, ignored: Int) {
        let namedPassed = tests.filter { $0.outcome == .passed }.count
        let namedIgnored = tests.filter { $0.outcome == .ignored }.count
        return (max(0, terse.passed - namedPassed), max(0, terse.ignored - namedIgnored))
    }

    private func plainCase(status: TerminationStatus, name: String) -> TestCase {
        var output = allStdout
        if !stderr.isEmpty {
            output.append(stderr.text.utf8)
        }
        var test: TestCase
        switch status {
        case .exited(0):
            test = TestCase(name: name, outcome: .passed)
        case .exited:
            test = TestCase(name: name, outcome: .failed, message: "the program ended with \(status.description)")
        case .signaled:
            test = TestCase(name: name, outcome: .error, message: "the program was \(status.description)")
        }
        if !output.isEmpty { test.output = output.text }
        if output.isTruncated { test.outputTruncated = true }
        return test
    }
}

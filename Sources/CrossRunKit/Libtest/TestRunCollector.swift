import FoundationEssentials
import Glibc

/// Streams a test process's output into test cases: splits bytes into lines, feeds ``LibtestLineParser``,
/// and keeps each test's output and outcome. Memory stays bounded: every kept text is a ``BoundedText``.
public struct TestRunCollector: Sendable {
    /// The name of the case that stands for a process that died before libtest reported.
    public static let processCaseName = "(process)"

    private var parser = LibtestLineParser()
    private var lineBuffer: [UInt8] = []
    /// Longer lines are cut (the bytes still pass through to the terminal untouched). Large enough for a JSON
    /// event carrying a big captured output; a test whose event is cut is reported as an error, never a pass.
    private let maximumLineLength = 8 << 20

    private(set) var tests: [TestCase] = []
    private var captures: [String: (text: String, truncated: Bool)] = [:]
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
    /// Panics libtest printed on stderr (`--nocapture`), credited to their tests (StderrPanics.swift).
    private(set) var stderrPanics = StderrPanics()

    public init() {}

    /// Tests that started and have not reported yet (JSON `started` events, pretty one-thread headers).
    public var runningTests: [String] { started }

    /// The format seen so far; `plain` until a libtest line appears.
    public var format: LibtestFormat {
        if let format = parser.format { return format }
        return suitesStarted > 0 ? .pretty : .plain
    }

    // MARK: - Input

    public mutating func consumeStdout(_ chunk: UnsafeRawBufferPointer) {
        allStdout.append(chunk)
        guard var start = chunk.baseAddress, !chunk.isEmpty else { return }
        let end = start + chunk.count
        // Lines found with memchr; a whole line inside the chunk is parsed where it lies, without a copy.
        while let found = memchr(start, 0x0A, end - start) {
            let newline = UnsafeRawPointer(found)
            let piece = UnsafeRawBufferPointer(start: start, count: newline - start)
            if lineBuffer.isEmpty {
                endLine(piece)
            } else {
                appendToLine(piece)
                endBufferedLine()
            }
            start = newline + 1
        }
        appendToLine(UnsafeRawBufferPointer(start: start, count: end - start))
    }

    public mutating func consumeStdout(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { consumeStdout(UnsafeRawBufferPointer($0)) }
    }

    public mutating func consumeStderr(_ chunk: UnsafeRawBufferPointer) {
        stderr.append(chunk)
        stderrPanics.consume(chunk)
    }

    private mutating func appendToLine(_ bytes: UnsafeRawBufferPointer) {
        let room = maximumLineLength - lineBuffer.count
        if room > 0, !bytes.isEmpty { lineBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes.prefix(room))) }
    }

    /// The line collected in ``lineBuffer`` (it came in pieces) is complete.
    private mutating func endBufferedLine() {
        var line: [UInt8] = []
        swap(&line, &lineBuffer)
        line.withUnsafeBytes { endLine($0) }
        line.removeAll(keepingCapacity: true)
        swap(&line, &lineBuffer)
    }

    /// Off only in tests, which check that the fast path changes nothing.
    var usesFastPath = true

    private mutating func endLine(_ bytes: UnsafeRawBufferPointer) {
        switch usesFastPath ? parser.consumeFast(bytes) : .needsParse {
        case .captured:
            break
        case .output:
            appendOutput(bytes)
        case .needsParse:
            for event in parser.consume(String(decoding: bytes, as: UTF8.self)) { apply(event) }
        }
    }

    /// A line of the tests' own output: credited to the one test that is running, when exactly one is.
    private mutating func appendOutput(_ line: UnsafeRawBufferPointer) {
        if started.count == 1, let name = started.first {
            pendingOutput[name, default: BoundedText()].append(line: line)
        } else {
            unattributed.append(line: line)
        }
    }

    /// Delivers a last line without a newline and any open section.
    public mutating func finishInput() {
        if !lineBuffer.isEmpty { endBufferedLine() }
        stderrPanics.finish()
        for event in parser.finish() { apply(event) }
    }

    // MARK: - Events

    mutating func apply(_ event: LibtestEvent) {
        switch event {
        case .suiteStarted(let count):
            suitesStarted += 1
            // Room for the announced tests at once: no doubling copies on large suites (capped, as the count is
            // only what the binary printed).
            tests.reserveCapacity(tests.count + min(max(count, 0), 1 << 20))
        case .testStarted(let name):
            if !started.contains(name) { started.append(name) }
        case .testFinished(var test):
            if !started.isEmpty { started.removeAll { $0 == test.name } }
            if !pendingOutput.isEmpty, let text = pendingOutput.removeValue(forKey: test.name), test.output == nil {
                test.output = text.text
                if text.isTruncated { test.outputTruncated = true }
            }
            record(test)
        case .capturedOutput(let name, let text, let truncated):
            captures[name] = (text, truncated)
        case .failureListed(let name):
            listedFailures.append(name)
        case .terseResults(let passed, let failed, let ignored):
            terse.passed = SuiteCounts.adding(terse.passed, passed)
            terse.failed = SuiteCounts.adding(terse.failed, failed)
            terse.ignored = SuiteCounts.adding(terse.ignored, ignored)
        case .suiteFinished(let counts):
            suites.append(counts)
        case .output(var line):
            line.withUTF8 { appendOutput(UnsafeRawBufferPointer($0)) }
        }
    }

    private mutating func record(_ test: TestCase) {
        var test = test
        // JSON events carry their output inline: keep it to the same cap as every other kept text.
        if let output = test.output, output.utf8.count > BoundedText.defaultHead + BoundedText.defaultTail {
            var bounded = BoundedText()
            bounded.append(output.utf8)
            test.output = bounded.text
            test.outputTruncated = true
        }
        // A name reported twice (two results for one name) keeps both: replacing the first would hide a failure
        // behind a later pass. Captured output attaches to the first (see ``finish(status:suiteName:)``).
        tests.append(test)
    }

    // MARK: - Result

    /// The test cases once the process has ended with `status`. Tests that started but never reported, and a
    /// process that died before libtest finished, become explicit cases: nothing is silently dropped.
    public mutating func finish(status: TerminationStatus, suiteName: String) -> (tests: [TestCase], counts: SuiteCounts?) {
        finishInput()
        if format == .plain {
            return ([plainCase(status: status, name: suiteName)], nil)
        }
        // Where the first test of each name that a failures list or a captured section names is: found in one
        // pass at the end, instead of a dictionary of every name kept all along.
        var wanted = Set(listedFailures)
        wanted.formUnion(captures.keys)
        var index: [String: Int] = [:]
        if !wanted.isEmpty {
            for (position, test) in tests.enumerated() where index[test.name] == nil && wanted.contains(test.name) {
                index[test.name] = position
            }
        }
        // Names libtest listed as failed but printed no line for (terse mode).
        for name in listedFailures where index[name] == nil {
            index[name] = tests.count
            record(TestCase(name: name, outcome: .failed))
        }
        // Captured sections attach to their tests and explain failures.
        for (name, capture) in captures {
            if let position = index[name] {
                tests[position].output = capture.text
                tests[position].outputTruncated = capture.truncated ? true : nil
            } else {
                var test = TestCase(name: name, outcome: listedFailures.contains(name) ? .failed : .passed)
                test.output = capture.text
                test.outputTruncated = capture.truncated ? true : nil
                index[name] = tests.count
                record(test)
            }
        }
        let mainThreadPanics = panicsOnMainThread()
        for position in tests.indices where tests[position].outcome == .failed && tests[position].message == nil {
            // The panic in the test's own captured output, else the one its thread printed on stderr
            // (`--nocapture`), else the output's first line.
            let output = tests[position].output
            tests[position].message = output.flatMap(PanicMessage.panic(in:))
                ?? stderrPanics.message(for: tests[position].name) ?? mainThreadPanics[position]
                ?? output.flatMap(PanicMessage.extract) ?? "failed"
        }
        // A test whose header came without its result and whose failures list or captured section made its case
        // above: that case is its one, with the header's output when it has none of its own (`--nocapture`:
        // another test's print can tear the result off its header, `test x ... FAILEDtheir text`). Added after
        // the messages: that text is not the test's failure.
        for name in started {
            guard let position = index[name] else { continue }
            let output = pendingOutput.removeValue(forKey: name)
            if tests[position].output == nil, let output {
                tests[position].output = output.text
                if output.isTruncated { tests[position].outputTruncated = true }
            }
        }
        started.removeAll { index[$0] != nil }
        let finished = !suites.isEmpty
        // A test that started and never reported. In pretty output its result can be lost in its own print
        // (`test x ... printed textok`): libtest lists every failure, so when the counts agree it passed.
        // A JSON test always gets a result event, so a missing one is an error, and so is a process death.
        let namedPassed = count(.passed)
        let countsAgree = combinedCounts.map { namedPassed + started.count <= $0.passed } ?? false
        for name in started {
            let output = pendingOutput.removeValue(forKey: name)
            var test: TestCase
            if finished && format == .pretty && countsAgree {
                test = TestCase(name: name, outcome: .passed)
            } else if finished {
                test = TestCase(name: name, outcome: .error, message: "crossrun could not read this test's result")
            } else {
                test = TestCase(name: name, outcome: .error, message: "the test process ended (\(status.description)) while this test was running")
            }
            test.output = output?.text
            record(test)
        }
        started.removeAll()
        if !finished || (status.isSuccess == false && suites.allSatisfy(\.ok)) {
            var process = TestCase(name: Self.processCaseName, outcome: .error)
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

    /// The `main` thread's panics (Rust < 1.67 with `--test-threads 1`) by the position of their failed test: the
    /// tests that panic, in the order they ran, are the failed ones and the passed `should panic` ones; when there
    /// are exactly as many as panics, the n-th panic is the n-th such test's. Otherwise none is credited.
    private func panicsOnMainThread() -> [Int: String] {
        let panics = stderrPanics.unnamed
        guard !panics.isEmpty else { return [:] }
        let panicking = tests.indices.filter {
            tests[$0].outcome == .failed || (tests[$0].outcome == .passed && tests[$0].mode == "should panic")
        }
        guard panicking.count == panics.count else { return [:] }
        var credited: [Int: String] = [:]
        for (position, message) in zip(panicking, panics) where tests[position].outcome == .failed {
            credited[position] = message
        }
        return credited
    }

    /// How many tests have this outcome (counted, not filtered: a filtered copy of 100k tests costs megabytes).
    private func count(_ outcome: TestCase.Outcome) -> Int {
        var count = 0
        for test in tests where test.outcome == outcome { count += 1 }
        return count
    }

    /// The sum of the suites' `test result:` lines, if libtest printed one.
    var combinedCounts: SuiteCounts? { suites.isEmpty ? nil : Self.sum(suites) }

    /// Adds another process's unattributed output and stderr to this one's (crash-resume runs).
    mutating func absorbOutput(of other: TestRunCollector) {
        if !other.unattributed.isEmpty { unattributed.append(other.unattributed.text.utf8) }
        if !other.stderr.isEmpty { stderr.append(other.stderr.text.utf8) }
    }

    /// Several `test result:` lines added up; `ok` only when all were.
    static func sum(_ suites: [SuiteCounts]) -> SuiteCounts {
        var total = suites[0]
        for suite in suites.dropFirst() {
            // Counts the parser let through are at most SuiteCounts.largestCount; their sums stop there.
            total.passed = SuiteCounts.adding(total.passed, suite.passed)
            total.failed = SuiteCounts.adding(total.failed, suite.failed)
            total.ignored = SuiteCounts.adding(total.ignored, suite.ignored)
            total.measured = SuiteCounts.adding(total.measured, suite.measured)
            total.filteredOut = SuiteCounts.adding(total.filteredOut, suite.filteredOut)
            total.duration = (total.duration ?? 0) + (suite.duration ?? 0)
            total.ok = total.ok && suite.ok
        }
        return total
    }

    /// Terse mode names only failures: the passed and ignored tests it counted but did not name. libtest's
    /// `test result:` counts are used when it printed them (a test's own print can share a line with a
    /// progress mark); the progress marks otherwise.
    public var unnamedCounts: UnnamedCounts {
        let counted = combinedCounts.map { UnnamedCounts(passed: $0.passed, ignored: $0.ignored) }
            ?? UnnamedCounts(passed: terse.passed, ignored: terse.ignored)
        return UnnamedCounts(passed: max(0, counted.passed - count(.passed)), ignored: max(0, counted.ignored - count(.ignored)))
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
            // A Rust program (a doctest) that panicked explains itself on stderr.
            let panic = stderr.isEmpty ? nil : PanicMessage.panic(in: stderr.text)
            test = TestCase(name: name, outcome: .failed, message: panic ?? "the program ended with \(status.description)")
        case .signaled:
            test = TestCase(name: name, outcome: .error, message: "the program was \(status.description)")
        }
        if !output.isEmpty { test.output = output.text }
        if output.isTruncated { test.outputTruncated = true }
        return test
    }
}

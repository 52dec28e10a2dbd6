import FoundationEssentials
import Glibc

/// Turns libtest's output, one line at a time, into ``LibtestEvent``s. It understands the pretty and terse
/// formats (what `cargo test` prints) and the JSON format (`-Z unstable-options --format json`), including
/// output the tests print themselves between libtest's lines. Lines are given without their newline.
public struct LibtestLineParser: Sendable {
    private enum Section: Equatable {
        case normal
        /// After a `failures:` or `successes:` heading: `---- NAME stdout ----` sections or a name list follow.
        case heading(failures: Bool)
        /// Inside a `---- NAME stdout ----` section (its text is in `capture`).
        case capture(name: String)
        /// In the indented name list that follows the second `failures:` heading.
        case list(failures: Bool)
    }

    private var section: Section = .normal
    /// The open captured section, bounded like every kept text, with its trailing blank lines held back
    /// (libtest ends each section with blank lines of its own).
    private var capture = BoundedText()
    private var captureStarted = false
    private var captureBlankRun = 0
    private var previousLineBlank = true
    /// The mode (`should panic`, ...) of the pending test's header.
    private var pendingMode: String?
    private var sawPrettyLine = false
    /// The pretty-format test whose `test NAME ... ` header came without a result (its output follows).
    public private(set) var pendingTest: String?
    public private(set) var format: LibtestFormat?

    public init() {}

    /// The events one line of output produces.
    public mutating func consume(_ rawLine: String) -> [LibtestEvent] {
        let line = ANSI.strip(rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : rawLine)
        defer { previousLineBlank = line.isEmpty }

        if case .capture(let name) = section {
            if let next = Self.captureHeading(line) {
                section = .capture(name: next)
                return [closeCapture(name)]
            }
            if (line == "failures:" || line == "successes:") && previousLineBlank {
                section = .list(failures: line == "failures:")
                return [closeCapture(name)]
            }
            appendCapture(rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : rawLine)
            return []
        }

        if line.first == "{", let event = LibtestJSON.parse(line) {
            format = .json
            return event
        }

        if line == "failures:" || line == "successes:" {
            section = .heading(failures: line == "failures:")
            return []
        }
        switch section {
        case .heading(let failures), .list(let failures):
            if let name = Self.captureHeading(line) {
                section = .capture(name: name)
                return []
            }
            if line.hasPrefix("    "), !line.dropFirst(4).hasPrefix(" ") {
                section = .list(failures: failures)
                return failures ? [.failureListed(name: String(line.dropFirst(4)))] : []
            }
            if line.isEmpty { return [] }
            section = .normal
        default:
            break
        }

        if let count = Self.runningCount(line) {
            sawPrettyLine = false
            pendingTest = nil
            return [.suiteStarted(testCount: count)]
        }
        if let counts = Self.suiteResult(line) {
            pendingTest = nil
            if format == nil { format = .pretty }
            return [.suiteFinished(counts)]
        }
        if line.hasPrefix("test "), let header = Self.testHeader(line) {
            sawPrettyLine = true
            format = .pretty
            if let result = header.result {
                if pendingTest == header.name { pendingTest = nil }
                return [.testFinished(result)]
            }
            pendingTest = header.name
            pendingMode = header.mode
            var events: [LibtestEvent] = [.testStarted(name: header.name)]
            if !header.rest.isEmpty { events.append(.output(header.rest)) }
            return events
        }
        if let pending = pendingTest, var result = Self.result(line.trimmingSpaces(), name: pending) {
            pendingTest = nil
            result.mode = pendingMode
            return [.testFinished(result)]
        }
        if !sawPrettyLine, format != .json, let terse = Self.terseProgress(line) {
            format = .terse
            return [.terseResults(passed: terse.passed, failed: terse.failed, ignored: terse.ignored)]
        }
        return [.output(rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : rawLine)]
    }

    /// What ``consumeFast(_:)`` did with a line.
    enum FastLine: Equatable {
        /// The line was text inside a captured section and is kept there.
        case captured
        /// The line is the tests' own output, exactly as ``consume(_:)`` would have reported it as `.output`.
        case output
        /// The line may mean something to libtest's grammar: give it to ``consume(_:)``.
        case needsParse
    }

    /// The cheap path for the bulk of a big output: a line (its bytes, without the newline) that can only be the
    /// tests' own output, or text inside a captured section, is recognised from a few bytes without building a
    /// String. Anything that could be one of libtest's lines, or needs cleaning (escape sequences, `\r`), is
    /// left to ``consume(_:)``; either way the parser ends in the state ``consume(_:)`` would have left.
    mutating func consumeFast(_ line: UnsafeRawBufferPointer) -> FastLine {
        guard let base = line.baseAddress, !line.isEmpty else {
            // An empty line means nothing to libtest's grammar outside a heading's section.
            switch section {
            case .normal:
                previousLineBlank = true
                return .output
            case .capture:
                appendCapture(line)
                previousLineBlank = true
                return .captured
            default:
                return .needsParse
            }
        }
        if line[line.count - 1] == UInt8(ascii: "\r") || memchr(base, 0x1B, line.count) != nil { return .needsParse }
        let first = line[0]
        switch section {
        case .capture:
            // A `---- NAME stdout ----` heading or a `failures:`/`successes:` line may end the section.
            if first == UInt8(ascii: "-") || Self.isHeading(line) { return .needsParse }
            appendCapture(line)
            previousLineBlank = false
            return .captured
        case .normal:
            switch first {
            case UInt8(ascii: "{"):
                return .needsParse
            case UInt8(ascii: "t"):
                if Self.hasPrefix(line, "test ") { return .needsParse }
            case UInt8(ascii: "r"):
                if Self.hasPrefix(line, "running ") { return .needsParse }
            case UInt8(ascii: "f"), UInt8(ascii: "s"):
                if Self.isHeading(line) { return .needsParse }
            default:
                break
            }
            if pendingTest != nil {
                // The pending test's result may come on a line of its own, between white space.
                var position = 0
                while position < line.count, line[position] == 0x20 || line[position] == 0x09 { position += 1 }
                if position < line.count {
                    switch line[position] {
                    case UInt8(ascii: "o"), UInt8(ascii: "F"), UInt8(ascii: "i"), UInt8(ascii: "b"), 0x80...:
                        return .needsParse
                    default:
                        break
                    }
                }
            }
            if !sawPrettyLine, format != .json, first == UInt8(ascii: ".") || first == UInt8(ascii: "F") || first == UInt8(ascii: "i") {
                return .needsParse
            }
            previousLineBlank = false
            return .output
        default:
            return .needsParse
        }
    }

    /// `failures:` or `successes:`.
    private static func isHeading(_ line: UnsafeRawBufferPointer) -> Bool {
        (line.count == 9 && hasPrefix(line, "failures:")) || (line.count == 10 && hasPrefix(line, "successes:"))
    }

    private static func hasPrefix(_ line: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        guard let base = line.baseAddress, line.count >= prefix.utf8CodeUnitCount else { return false }
        return memcmp(base, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
    }

    /// Ends the stream: a capture section still open is delivered.
    public mutating func finish() -> [LibtestEvent] {
        if case .capture(let name) = section {
            section = .normal
            return [closeCapture(name)]
        }
        return []
    }

    private mutating func appendCapture(_ line: String) {
        var line = line
        line.withUTF8 { appendCapture(UnsafeRawBufferPointer($0)) }
    }

    private mutating func appendCapture(_ line: UnsafeRawBufferPointer) {
        if line.isEmpty {
            captureBlankRun += 1
            return
        }
        if captureStarted { capture.append(line: "") }
        for _ in 0..<captureBlankRun { capture.append(line: "") }
        capture.append(line)
        captureStarted = true
        captureBlankRun = 0
    }

    /// The finished section's event; the trailing blank lines belong to libtest and are dropped.
    private mutating func closeCapture(_ name: String) -> LibtestEvent {
        let event = LibtestEvent.capturedOutput(name: name, text: capture.text, truncated: capture.isTruncated)
        capture = BoundedText()
        captureStarted = false
        captureBlankRun = 0
        return event
    }

    // MARK: - Line shapes

    /// `---- NAME stdout ----` (also `stderr`) gives NAME.
    static func captureHeading(_ line: String) -> String? {
        guard line.hasPrefix("---- "), line.hasSuffix(" ----") else { return nil }
        let inner = line.dropFirst(5).dropLast(5)
        for stream in [" stdout", " stderr"] where inner.hasSuffix(stream) {
            return String(inner.dropLast(stream.count))
        }
        return nil
    }

    /// `running 5 tests` / `running 1 test`.
    static func runningCount(_ line: String) -> Int? {
        guard line.hasPrefix("running ") else { return nil }
        let parts = line.split(separator: " ")
        guard parts.count == 3, parts[2] == "tests" || parts[2] == "test", let count = SuiteCounts.count(Int(parts[1])) else { return nil }
        return count
    }

    /// `test result: ok. 3 passed; 1 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s`.
    static func suiteResult(_ line: String) -> SuiteCounts? {
        guard line.hasPrefix("test result: ") else { return nil }
        let body = line.dropFirst("test result: ".count)
        let ok: Bool
        if body.hasPrefix("ok.") { ok = true } else if body.hasPrefix("FAILED.") { ok = false } else { return nil }
        var counts = SuiteCounts(passed: 0, failed: 0, ignored: 0, measured: 0, filteredOut: 0, duration: nil, ok: ok)
        let fields = body.drop { $0 != "." }.dropFirst().split(separator: ";")
        for field in fields {
            let words = field.split(separator: " ")
            guard let first = words.first else { continue }
            if first == "finished", words.count >= 3, words[1] == "in" {
                counts.duration = DurationText.reportedSeconds(Double(words[2].hasSuffix("s") ? words[2].dropLast() : words[2]))
                continue
            }
            guard let value = SuiteCounts.count(Int(first)), words.count >= 2 else { continue }
            switch words[1] {
            case "passed": counts.passed = value
            case "failed": counts.failed = value
            case "ignored": counts.ignored = value
            case "measured": counts.measured = value
            case "filtered": counts.filteredOut = value
            default: break
            }
        }
        return counts
    }

    struct Header {
        var name: String
        var mode: String?
        var result: TestCase?
        /// Text after ` ... ` that is not a result: the test's own output (with --nocapture).
        var rest: String
    }

    /// The modes libtest prints between a name and ` ... `.
    static let modes = ["should panic", "compile fail", "compile"]

    /// `test NAME ... RESULT`, `test NAME - should panic ... ok`, or a header whose result comes later.
    static func testHeader(_ line: String) -> Header? {
        // Searched as bytes: this runs on every result line of a suite (Foundation's `range(of:)` was a third of
        // crossrun's time on 100k-test suites).
        guard let separator = ByteSearch.firstRange(of: " ... ", in: line)
            ?? (line.hasSuffix(" ...") ? line.utf8.index(line.endIndex, offsetBy: -4)..<line.endIndex : nil)
        else { return nil }
        // `test ...` alone (a program printing that bare line) has no name between the prefix and the dots.
        let nameStart = line.utf8.index(line.startIndex, offsetBy: 5, limitedBy: line.endIndex) ?? line.endIndex
        guard separator.lowerBound > nameStart else { return nil }
        var name = String(line[nameStart..<separator.lowerBound])
        var mode: String?
        for candidate in modes {
            let suffix = " - " + candidate
            if name.hasSuffix(suffix) {
                name = String(name.dropLast(suffix.count))
                mode = candidate
                break
            }
        }
        // Benchmarks pad their names to a common width.
        while name.hasSuffix(" ") { name.removeLast() }
        guard !name.isEmpty else { return nil }
        let rest = String(line[separator.upperBound...])
        if var result = result(rest, name: name) {
            result.mode = mode
            return Header(name: name, mode: mode, result: result, rest: "")
        }
        return Header(name: name, mode: mode, result: nil, rest: rest)
    }

    /// The text after ` ... `: `ok`, `FAILED`, `ignored`, `ignored, REASON`, `bench: ...`, each optionally
    /// followed by `--report-time`'s ` <0.001s>`.
    static func result(_ text: String, name: String) -> TestCase? {
        var text = Substring(text)
        var duration: Double?
        if text.hasSuffix("s>"), let open = ByteSearch.lastRange(of: " <", in: text) {
            // Any number there is the time (`<infs>` too), kept only when it can be one.
            if let seconds = Double(text[open.upperBound...].dropLast(2)) {
                duration = DurationText.reportedSeconds(seconds)
                text = text[..<open.lowerBound]
            }
        }
        switch text {
        case "ok":
            return TestCase(name: name, outcome: .passed, duration: duration)
        case "FAILED":
            return TestCase(name: name, outcome: .failed, duration: duration)
        case "ignored":
            return TestCase(name: name, outcome: .ignored)
        default:
            if text.hasPrefix("ignored, ") {
                return TestCase(name: name, outcome: .ignored, message: String(text.dropFirst("ignored, ".count)))
            }
            if text.hasPrefix("bench:") {
                var test = TestCase(name: name, outcome: .measured)
                test.benchmark = text.dropFirst("bench:".count).trimmingSpaces()
                return test
            }
            if text.hasPrefix("FAILED (") {  // e.g. `FAILED (time limit exceeded)`
                return TestCase(name: name, outcome: .failed, duration: duration, message: String(text.dropFirst("FAILED (".count).dropLast()))
            }
            return nil
        }
    }

    /// Terse progress: `..i.F` optionally followed by ` 88/100`.
    static func terseProgress(_ line: String) -> (passed: Int, failed: Int, ignored: Int)? {
        var marks = Substring(line)
        if let space = line.firstIndex(of: " ") {
            let tail = line[line.index(after: space)...]
            let parts = tail.split(separator: "/")
            guard parts.count == 2, Int(parts[0]) != nil, Int(parts[1]) != nil else { return nil }
            marks = line[..<space]
        }
        guard !marks.isEmpty else { return nil }
        var passed = 0, failed = 0, ignored = 0
        for mark in marks {
            switch mark {
            case ".": passed += 1
            case "F": failed += 1
            case "i": ignored += 1
            default: return nil
            }
        }
        return (passed, failed, ignored)
    }
}

import FoundationEssentials
import Glibc

/// The panics a test process printed on stderr, by test. With `--nocapture` (and in every `--format json` run)
/// libtest does not capture a test's output, so its panic goes straight to stderr as
/// `thread 'NAME' panicked at ...`: libtest runs each test on a thread named after the test, so NAME is the test.
/// Before Rust 1.67, `--test-threads 1` ran the tests on the `main` thread: those panics are kept in order
/// (``unnamed``) and matched to the tests in the order they ran (``TestRunCollector/finish(status:suiteName:)``);
/// the time a stderr line arrives says nothing reliable, as stdout and stderr are two pipes.
/// The message is read by ``PanicMessage/panic(in:)``: Rust < 1.73's `panicked at 'MSG', FILE:L:C` and the later
/// two-line form. Bounded: lines longer than 64 KiB are cut, a panic keeps at most 64 lines, and at most 10,000
/// panics are kept.
struct StderrPanics: Sendable {
    private var line: [UInt8] = []
    private var lineCut = false
    /// The panic being read: its test, and its lines so far (the `thread '...' panicked at` line first).
    private var current: (thread: String, lines: [String])?
    private var messages: [String: String] = [:]
    /// The messages of panics on the `main` (or an unnamed) thread, in the order they came; nil where the
    /// message could not be read.
    private(set) var unnamed: [String?] = []

    static let lineLimit = 64 << 10
    static let panicLineLimit = 64
    static let testLimit = 10_000

    /// The panic message credited to `test`, if its thread printed one.
    func message(for test: String) -> String? { messages[test] }

    var isEmpty: Bool { messages.isEmpty && unnamed.isEmpty }

    /// Reads a chunk of stderr.
    mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        guard var start = chunk.baseAddress, !chunk.isEmpty else { return }
        let end = start + chunk.count
        while let found = memchr(start, 0x0A, end - start) {
            let newline = UnsafeRawPointer(found)
            append(UnsafeRawBufferPointer(start: start, count: newline - start))
            endLine()
            start = newline + 1
        }
        append(UnsafeRawBufferPointer(start: start, count: end - start))
    }

    /// The last panic, once the process has ended.
    mutating func finish() {
        if !line.isEmpty { endLine() }
        close()
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let room = Self.lineLimit - line.count
        if room > 0 { line.append(contentsOf: bytes.prefix(room)) }
        if bytes.count > room { lineCut = true }
    }

    private mutating func endLine() {
        var text = String(decoding: line, as: UTF8.self)
        line.removeAll(keepingCapacity: true)
        lineCut = false
        if text.hasSuffix("\r") { text.removeLast() }
        for segment in Self.panicSegments(text) { read(segment) }
    }

    /// A line cut where another thread's panic starts inside it. Before Rust 1.73 (and on `main`'s unlocked panic
    /// output) a panic is written in several pieces, and with several test threads two panics' pieces interleave:
    /// `thread 'a' panicked at 'boom in a', thread 'b' panicked at 'off', src/lib.rs:9:5`, then a lone `src/lib.rs:3:5`.
    /// The first segment's quoted message ends at the `', ` before the second panic.
    static func panicSegments(_ text: String) -> [String] {
        // Nearly every line of stderr is not a panic: a byte search rules those out before the regex runs.
        guard ByteSearch.firstRange(of: "panicked at ", in: text) != nil else { return [text] }
        var segments: [String] = []
        var rest = Substring(text)
        while let next = rest.dropFirst().firstRange(of: #/thread '[^']+' (\(\d+\) )?panicked at /#) {
            var head = String(rest[..<next.lowerBound])
            // A quoted message cut at its `', `: close the quote with a stand-in location so it reads as complete.
            if head.hasSuffix("', ") { head += "?:0:0" }
            segments.append(head)
            rest = rest[next.lowerBound...]
        }
        segments.append(String(rest))
        return segments
    }

    private mutating func read(_ text: String) {
        if let thread = Self.panickingThread(text) {
            close()
            current = (thread, [text])
            if Self.endsQuotedMessage(text, header: true) { close() }
            return
        }
        guard current != nil else { return }
        // The message ends at the note, the backtrace or the next panic; a quoted (old) message at `', FILE:L:C`.
        if text.hasPrefix("note: ") || text.hasPrefix("stack backtrace:") || current!.lines.count >= Self.panicLineLimit {
            close()
            return
        }
        current!.lines.append(text)
        if current!.lines[0].contains("panicked at '"), Self.endsQuotedMessage(text, header: false) { close() }
    }

    /// Records the panic being read for its test (the first panic of a test is the one that failed it).
    private mutating func close() {
        guard let panic = current else { return }
        current = nil
        guard messages.count + unnamed.count < Self.testLimit else { return }
        let message = PanicMessage.panic(in: panic.lines.joined(separator: "\n")).map {
            $0.count > 4000 ? String($0.prefix(4000)) + "…" : $0
        }
        if panic.thread == "main" || panic.thread == "<unnamed>" {
            unnamed.append(message)
        } else if let message, messages[panic.thread] == nil {
            messages[panic.thread] = message
        }
    }

    /// Whether `line` ends a Rust < 1.73 quoted message: `', FILE:LINE:COL` (after the opening quote on the header).
    static func endsQuotedMessage(_ line: String, header: Bool) -> Bool {
        var text = Substring(line)
        if header {
            guard let open = line.firstRange(of: "panicked at '") else { return false }
            text = line[open.upperBound...]
        }
        return text.firstRange(of: #/', [^']*:\d+:\d+$/#) != nil
    }

    /// NAME of `thread 'NAME' panicked at ...` (and Rust 1.88's `thread 'NAME' (TID) panicked at ...`).
    static func panickingThread(_ line: String) -> String? {
        guard line.hasPrefix("thread '"),
            let panicked = line.firstRange(of: #/' (\(\d+\) )?panicked at /#)
        else { return nil }
        let name = line[line.index(line.startIndex, offsetBy: 8)..<panicked.lowerBound]
        return name.isEmpty ? nil : String(name)
    }
}

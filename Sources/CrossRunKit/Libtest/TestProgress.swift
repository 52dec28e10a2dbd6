import FoundationEssentials
import Glibc

/// Watches a test process's libtest output for `--test-timeout`: the limit counts from the last sign of
/// progress (a suite or test starting, a test reporting, a terse mark). With one test thread the test that is
/// running is known (pretty output's `test NAME ... ` header, which waits unfinished on its line, or JSON's
/// `started` event); with several, nothing says which one hangs.
public struct TestProgress {
    /// No progress for the limit while a suite ran: the test running, when only one was.
    public struct Stall: Equatable, Sendable {
        public var test: String?
        public var limit: Duration
        public var origin: SettingOrigin
    }

    public var limit: Configured<Duration>?
    /// stdout after its last newline (kept to 4 KiB): a pretty header or terse marks still being written.
    private var partial: [UInt8] = []
    private var partialTooLong = false
    private var signature: [String] = []
    private var since = ContinuousClock.now

    public init(limit: Configured<Duration>?) { self.limit = limit }

    public mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        guard limit != nil else { return }
        if let newline = chunk.lastIndex(of: UInt8(ascii: "\n")) {
            partial.removeAll(keepingCapacity: true)
            partialTooLong = false
            let rest = chunk[(newline + 1)...]
            partial.append(contentsOf: rest.prefix(4096))
            partialTooLong = rest.count > 4096
        } else if !partialTooLong {
            partial.append(contentsOf: chunk.prefix(4096 - partial.count))
            partialTooLong = partial.count >= 4096
        }
    }

    /// The test whose pretty header is the unfinished last line, if it is one.
    var pendingHeader: String? {
        let line = String(decoding: partial, as: UTF8.self)
        guard line.hasPrefix("test "), let header = LibtestLineParser.testHeader(line), header.result == nil else { return nil }
        return header.name
    }

    /// A stall once no progress came for the limit while a suite runs; nil otherwise.
    public mutating func check(_ collector: TestRunCollector) -> Stall? {
        guard let limit else { return nil }
        let now = ContinuousClock.now
        var running = collector.runningTests
        if let header = pendingHeader, !running.contains(header) { running.append(header) }
        let terseMarks = partial.allSatisfy { [UInt8(ascii: "."), UInt8(ascii: "i"), UInt8(ascii: "F")].contains($0) } ? partial.count : 0
        let current = [
            String(collector.suitesStarted), String(collector.suites.count), String(collector.tests.count),
            String(collector.terse.passed + collector.terse.failed + collector.terse.ignored), String(terseMarks),
        ] + running
        if current != signature {
            signature = current
            since = now
        }
        // Only while a suite runs: before libtest starts, and after it finished, the binary's timeout applies.
        guard collector.suitesStarted > collector.suites.count, now - since >= limit.value else { return nil }
        return Stall(test: running.count == 1 ? running[0] : nil, limit: limit.value, origin: limit.origin)
    }
}

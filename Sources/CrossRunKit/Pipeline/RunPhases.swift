import FoundationEssentials
import Glibc

/// What the processes of one binary's run produced: the first one, then `--isolate`'s, crash-resume's and the
/// retries'. Each stage after the first process reads and amends it.
struct RunPhases {
    var first: Attempt
    var collector: TestRunCollector
    var tests: [TestCase]
    var libtestCounts: SuiteCounts?
    var duration: Duration
    var unnamed: UnnamedCounts
    /// The libtest format the results came in (for `--isolate`, the one crossrun printed).
    var format: LibtestFormat
    /// `--isolate`: the one-test processes, and how many ran at once.
    var isolated: [Attempt] = []
    var jobs: Int?
    /// `--isolate` with a warm fork server: how many successors took over.
    var successors: Int?
    /// `--isolate`: how many servers were forked from a shared one for a second job (nil: none).
    var siblings: Int?
    /// Fresh processes crash-resume started.
    var resumed: [Attempt] = []
    /// Processes `--retries` started.
    var retried: [Attempt] = []

    init(first: Attempt) {
        self.first = first
        collector = first.collector
        tests = first.tests
        libtestCounts = first.counts
        duration = first.outcome.duration
        format = first.collector.format
        unnamed = first.collector.format == .terse ? first.collector.unnamedCounts : .none
    }

    var allAttempts: [Attempt] { [first] + isolated + resumed + retried }

    /// Adds a later process's time and unattributed output.
    mutating func absorb(_ attempt: Attempt) {
        duration += attempt.outcome.duration
        collector.absorbOutput(of: attempt.collector)
    }
}

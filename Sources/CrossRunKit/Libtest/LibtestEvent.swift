/// What one line of libtest output means. The parsers turn lines into these; ``TestRunCollector`` turns
/// them into test cases.
public enum LibtestEvent: Equatable, Sendable {
    /// `running 5 tests`, or JSON `{"type":"suite","event":"started"}`.
    case suiteStarted(testCount: Int)
    /// A test began (JSON `started`, or a pretty `test NAME ... ` header whose result comes later).
    case testStarted(name: String)
    /// A test's result line.
    case testFinished(TestCase)
    /// The body of a `---- NAME stdout ----` section; `truncated` when it was longer than crossrun keeps.
    case capturedOutput(name: String, text: String, truncated: Bool)
    /// A name from the closing `failures:` list.
    case failureListed(name: String)
    /// Terse mode's progress characters (`..i.F`): counts only, libtest prints no names for them.
    case terseResults(passed: Int, failed: Int, ignored: Int)
    /// `test result: ...`, or JSON suite `ok`/`failed`.
    case suiteFinished(SuiteCounts)
    /// Any other line: the tests' own prints, notes, warnings.
    case output(String)
}

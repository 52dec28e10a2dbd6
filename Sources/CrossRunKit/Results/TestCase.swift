/// One test's result.
public struct TestCase: Codable, Equatable, Sendable {
    public enum Outcome: String, Codable, Sendable {
        case passed
        case failed
        case ignored
        /// A benchmark (`#[bench]`) that was measured.
        case measured
        /// The test did not finish: the process crashed, timed out or was interrupted while it ran.
        case error
    }

    /// The name libtest prints: `tests::adds`, `src/lib.rs - add (line 5)`.
    public var name: String
    public var outcome: Outcome
    /// Seconds, when libtest reported it (`--report-time`, JSON `exec_time`).
    public var duration: Double?
    /// The panic message, `test did not panic as expected`, an ignore reason, or the error.
    public var message: String?
    /// The test's captured output (its `---- NAME stdout ----` section, or what it printed with --nocapture).
    public var output: String?
    /// True when ``output`` was cut to crossrun's cap (see docs/results-schema.md).
    public var outputTruncated: Bool?
    /// A benchmark's result text (`1,234 ns/iter (+/- 56)`).
    public var benchmark: String?
    /// `should panic`, `compile fail`, ... as libtest prints after the name.
    public var mode: String?
    /// For an `error`: why the test did not finish, when crossrun knows (absent: a crash or an unreadable result).
    public var errorKind: ErrorKind?
    /// True when the test failed and then passed when run again (`--retries`): its outcome is `passed`.
    public var flaky: Bool?
    /// The runs of this test that did not pass besides the one its outcome comes from: for a flaky test every
    /// failed run, for a test that failed every time the reruns (`--retries`). Absent when none.
    public var reruns: [Rerun]?

    public enum ErrorKind: String, Codable, Sendable {
        /// crossrun stopped the process for a time limit while this test ran (`--test-timeout`, `--timeout`).
        case timeout
        /// crossrun was interrupted (SIGINT, SIGTERM, SIGHUP) while this test ran.
        case interrupted
    }

    /// One run of a test that did not pass.
    public struct Rerun: Codable, Equatable, Sendable {
        /// `failed` or `error`.
        public var outcome: Outcome
        public var message: String?
        public var output: String?
        public var duration: Double?
        public var errorKind: ErrorKind?

        public init(_ test: TestCase) {
            outcome = test.outcome
            message = test.message
            output = test.output
            duration = test.duration
            errorKind = test.errorKind
        }
    }

    public init(name: String, outcome: Outcome, duration: Double? = nil, message: String? = nil, output: String? = nil) {
        self.name = name
        self.outcome = outcome
        self.duration = duration
        self.message = message
        self.output = output
    }
}

/// The counts of libtest's closing `test result:` line.
public struct SuiteCounts: Codable, Equatable, Sendable {
    public var passed: Int
    public var failed: Int
    public var ignored: Int
    public var measured: Int
    public var filteredOut: Int
    /// `finished in 0.42s`, in seconds.
    public var duration: Double?
    /// `ok` or `FAILED`.
    public var ok: Bool

    public init(passed: Int, failed: Int, ignored: Int, measured: Int, filteredOut: Int, duration: Double?, ok: Bool) {
        self.passed = passed
        self.failed = failed
        self.ignored = ignored
        self.measured = measured
        self.filteredOut = filteredOut
        self.duration = duration
        self.ok = ok
    }
}

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
    /// The fields most tests leave empty, kept out of line: a passing test costs a name, an outcome and a
    /// duration (48 bytes instead of 128), which a suite of 100k tests feels.
    private var details: Details?

    /// The panic message, `test did not panic as expected`, an ignore reason, or the error.
    public var message: String? {
        get { details?.fields.message }
        set { update { $0.message = newValue } }
    }
    /// The test's captured output (its `---- NAME stdout ----` section, or what it printed with --nocapture).
    public var output: String? {
        get { details?.fields.output }
        set { update { $0.output = newValue } }
    }
    /// True when ``output`` was cut to crossrun's cap (see docs/results-schema.md).
    public var outputTruncated: Bool? {
        get { details?.fields.outputTruncated }
        set { update { $0.outputTruncated = newValue } }
    }
    /// A benchmark's result text (`1,234 ns/iter (+/- 56)`).
    public var benchmark: String? {
        get { details?.fields.benchmark }
        set { update { $0.benchmark = newValue } }
    }
    /// `should panic`, `compile fail`, ... as libtest prints after the name.
    public var mode: String? {
        get { details?.fields.mode }
        set { update { $0.mode = newValue } }
    }
    /// For an `error`: why the test did not finish, when crossrun knows (absent: a crash or an unreadable result).
    public var errorKind: ErrorKind? {
        get { details?.fields.errorKind }
        set { update { $0.errorKind = newValue } }
    }
    /// True when the test failed and then passed when run again (`--retries`): its outcome is `passed`.
    public var flaky: Bool? {
        get { details?.fields.flaky }
        set { update { $0.flaky = newValue } }
    }
    /// The runs of this test that did not pass besides the one its outcome comes from: for a flaky test every
    /// failed run, for a test that failed every time the reruns (`--retries`). Absent when none.
    public var reruns: [Rerun]? {
        get { details?.fields.reruns }
        set { update { $0.reruns = newValue } }
    }

    /// The out-of-line fields.
    private struct Fields: Equatable, Sendable {
        var message: String?
        var output: String?
        var outputTruncated: Bool?
        var benchmark: String?
        var mode: String?
        var errorKind: ErrorKind?
        var flaky: Bool?
        var reruns: [Rerun]?

        var isEmpty: Bool { self == Fields() }
    }

    /// Immutable, so copies of a test share it safely; a change makes a new one.
    private final class Details: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private mutating func update(_ change: (inout Fields) -> Void) {
        var fields = details?.fields ?? Fields()
        change(&fields)
        details = fields.isEmpty ? nil : Details(fields)
    }

    public static func == (lhs: TestCase, rhs: TestCase) -> Bool {
        lhs.name == rhs.name && lhs.outcome == rhs.outcome && lhs.duration == rhs.duration
            && (lhs.details === rhs.details || (lhs.details?.fields ?? Fields()) == (rhs.details?.fields ?? Fields()))
    }

    // The results JSON's keys, as the synthesized coding of the stored fields had them (docs/results-schema.md).
    private enum CodingKeys: String, CodingKey {
        case name, outcome, duration, message, output, outputTruncated, benchmark, mode, errorKind, flaky, reruns
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        outcome = try container.decode(Outcome.self, forKey: .outcome)
        duration = try container.decodeIfPresent(Double.self, forKey: .duration)
        var fields = Fields()
        fields.message = try container.decodeIfPresent(String.self, forKey: .message)
        fields.output = try container.decodeIfPresent(String.self, forKey: .output)
        fields.outputTruncated = try container.decodeIfPresent(Bool.self, forKey: .outputTruncated)
        fields.benchmark = try container.decodeIfPresent(String.self, forKey: .benchmark)
        fields.mode = try container.decodeIfPresent(String.self, forKey: .mode)
        fields.errorKind = try container.decodeIfPresent(ErrorKind.self, forKey: .errorKind)
        fields.flaky = try container.decodeIfPresent(Bool.self, forKey: .flaky)
        fields.reruns = try container.decodeIfPresent([Rerun].self, forKey: .reruns)
        details = fields.isEmpty ? nil : Details(fields)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(outcome, forKey: .outcome)
        try container.encodeIfPresent(duration, forKey: .duration)
        guard let fields = details?.fields else { return }
        try container.encodeIfPresent(fields.message, forKey: .message)
        try container.encodeIfPresent(fields.output, forKey: .output)
        try container.encodeIfPresent(fields.outputTruncated, forKey: .outputTruncated)
        try container.encodeIfPresent(fields.benchmark, forKey: .benchmark)
        try container.encodeIfPresent(fields.mode, forKey: .mode)
        try container.encodeIfPresent(fields.errorKind, forKey: .errorKind)
        try container.encodeIfPresent(fields.flaky, forKey: .flaky)
        try container.encodeIfPresent(fields.reruns, forKey: .reruns)
    }

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
        if message != nil || output != nil { details = Details(Fields(message: message, output: output)) }
    }

    /// Whether the test has nothing but a name, an outcome and perhaps a duration.
    var isPlain: Bool { details == nil }
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

    /// The largest count kept from a binary's output (2^48: more tests than any suite has), so that sums of
    /// counts, however many suites a process prints, stay far from `Int.max`.
    public static let largestCount = 1 << 48

    /// A count read from output: nil when it is negative or above ``largestCount``.
    public static func count(_ value: Int?) -> Int? {
        value.flatMap { (0...largestCount).contains($0) ? $0 : nil }
    }

    /// `a + b`, stopping at ``largestCount``.
    public static func adding(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? largestCount : min(sum, largestCount)
    }
}

import FoundationEssentials
import Glibc

/// What cargo-nextest tells a target runner about the invocation it starts.
///
/// nextest calls the runner (`runner = "crossrun"`) once per test binary to list its tests
/// (`BINARY --list --format terse`, then again with `--ignored`) and once per test to run it
/// (`BINARY --exact NAME --nocapture`). Every such process gets `NEXTEST=1` and `NEXTEST_*` variables; the ones
/// crossrun reads (recorded from nextest 0.9.148):
///
/// | variable | list | run |
/// |---|---|---|
/// | `NEXTEST` | `1` | `1` |
/// | `NEXTEST_TEST_PHASE` | `list` | `run` |
/// | `NEXTEST_EXECUTION_MODE` | `process-per-test` | `process-per-test` |
/// | `NEXTEST_RUN_ID` | a UUID | a UUID |
/// | `NEXTEST_BINARY_ID` | `crate` or `crate::test-target` | same |
/// | `NEXTEST_TEST_NAME` | — | the test's full name |
/// | `NEXTEST_ATTEMPT`, `NEXTEST_TOTAL_ATTEMPTS` | — | `1`, `1` (more with retries) |
/// | `NEXTEST_VERSION` | `0.9.148` | same |
///
/// Older nextest versions set fewer of them, so the phase falls back to the libtest arguments nextest passes.
public struct NextestContext: Equatable, Sendable {
    /// What nextest started this process for.
    public enum Phase: Equatable, Sendable {
        /// Listing the binary's tests (`--list --format terse`): the output is parsed by nextest.
        case list
        /// Running one test (`--exact NAME --nocapture`).
        case run
        /// A phase this crossrun does not know (a newer nextest); treated like `run`.
        case other(String)
    }

    public var phase: Phase
    /// The test this process runs (`NEXTEST_TEST_NAME`, else the name after `--exact`); nil when listing.
    public var testName: String?
    /// nextest's id for the whole `cargo nextest run` (`NEXTEST_RUN_ID`).
    public var runID: String?
    /// nextest's id for the test binary: `crate` or `crate::target` (`NEXTEST_BINARY_ID`).
    public var binaryID: String?
    /// `process-per-test` (`NEXTEST_EXECUTION_MODE`).
    public var executionMode: String?
    /// This attempt's number, from 1, and how many nextest allows (`NEXTEST_ATTEMPT`, `NEXTEST_TOTAL_ATTEMPTS`).
    public var attempt: Int?
    public var totalAttempts: Int?
    /// The nextest version (`NEXTEST_VERSION`).
    public var version: String?

    public init(
        phase: Phase, testName: String? = nil, runID: String? = nil, binaryID: String? = nil, executionMode: String? = nil,
        attempt: Int? = nil, totalAttempts: Int? = nil, version: String? = nil
    ) {
        self.phase = phase
        self.testName = testName
        self.runID = runID
        self.binaryID = binaryID
        self.executionMode = executionMode
        self.attempt = attempt
        self.totalAttempts = totalAttempts
        self.version = version
    }

    /// nextest is listing tests: pass the output through and write nothing.
    public var isListing: Bool { phase == .list }

    /// nextest runs exactly one test in this process (its process-per-test mode).
    public var isSingleTest: Bool { !isListing && testName != nil }

    /// The nextest context of a runner process, or nil when nextest did not start it.
    ///
    /// `arguments` are the test binary's arguments (after the binary); they decide the phase when an older
    /// nextest does not set `NEXTEST_TEST_PHASE`, and name the test when it does not set `NEXTEST_TEST_NAME`.
    public static func detect(environment: [String: String], arguments: [String] = []) -> NextestContext? {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty, value != "none" else { return nil }
            return value
        }
        let marked = value("NEXTEST").map { $0 != "0" } ?? false
        guard marked || value("NEXTEST_RUN_ID") != nil || value("NEXTEST_EXECUTION_MODE") != nil else { return nil }

        let phase: Phase
        switch value("NEXTEST_TEST_PHASE") {
        case "list": phase = .list
        case "run": phase = .run
        case let other?: phase = .other(other)
        case nil: phase = arguments.contains("--list") ? .list : .run
        }
        var testName = value("NEXTEST_TEST_NAME")
        if testName == nil, phase != .list, let exact = arguments.firstIndex(of: "--exact") {
            // nextest passes `--exact NAME`; libtest itself also accepts the name before `--exact`.
            let candidates = arguments[(exact + 1)...].first { !$0.hasPrefix("-") }
                ?? arguments[..<exact].last { !$0.hasPrefix("-") }
            testName = candidates
        }
        return NextestContext(
            phase: phase, testName: phase == .list ? nil : testName, runID: value("NEXTEST_RUN_ID"),
            binaryID: value("NEXTEST_BINARY_ID"), executionMode: value("NEXTEST_EXECUTION_MODE"),
            attempt: value("NEXTEST_ATTEMPT").flatMap { Int($0) },
            totalAttempts: value("NEXTEST_TOTAL_ATTEMPTS").flatMap { Int($0) },
            version: value("NEXTEST_VERSION"))
    }
}

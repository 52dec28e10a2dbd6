import FoundationEssentials
import Glibc

/// Everything crossrun knows about one run of one test binary. Written as the results JSON
/// (schema in docs/results-schema.md) and turned into JUnit XML.
public struct RunResult: Codable, Equatable, Sendable {
    public static let schemaName = "crossrun-results"
    public static let currentVersion = 1

    public struct Binary: Codable, Equatable, Sendable {
        /// The path crossrun was given.
        public var path: String
        /// The suite name: the file name without cargo's `-<16 hex digits>` suffix.
        public var name: String
        /// The file name, unique per binary within a cargo target dir.
        public var fileName: String
        /// `ELF 64-bit little-endian aarch64, dynamic (/lib/ld-linux-aarch64.so.1)`.
        public var description: String
        public var machine: String
        public var interpreter: String?
    }

    public struct Launch: Codable, Equatable, Sendable {
        /// The launcher kind: `native`, `qemu-user`, `qemu-system`, `qemu-system-linux`, `wasmtime` or `embedded-wasm`.
        public var kind: String
        /// The runner name (`aarch64`, ...) or `host`.
        public var target: String
        public var emulator: String
        public var argv: [String]
        public var sysroot: String?
        public var sysrootOrigin: String?

        /// A binary for this machine, run without an emulator.
        public var isNative: Bool { kind == "native" }
    }

    public struct Exit: Codable, Equatable, Sendable {
        /// What crossrun exits with: the code, or 128 + signal.
        public var status: Int32
        public var code: Int32?
        public var signal: Int32?
        public var signalName: String?
        /// The signal crossrun forwarded to the test process (SIGINT, SIGTERM, SIGHUP), if one was.
        public var interruptedBy: String?
        /// `exit status 101`, `killed by SIGSEGV (signal 11)`.
        public var description: String
    }

    public struct Counts: Codable, Equatable, Sendable {
        /// Test cases in ``RunResult/tests`` plus the unnamed ones terse output only counted.
        public var tests: Int
        public var passed: Int
        public var failed: Int
        public var ignored: Int
        public var measured: Int
        /// Tests that did not finish, and a process that died before libtest reported.
        public var errors: Int
        /// libtest's `filtered out` count, when it printed one.
        public var filteredOut: Int?
        /// Terse output counts passes and ignores without names: these many are in the totals only.
        public var unnamedPassed: Int?
        public var unnamedIgnored: Int?
        /// Tests that failed and then passed when run again (`--retries`); counted in `passed` too. Absent when 0.
        public var flaky: Int?
    }

    /// The signal that interrupted crossrun's run of this binary.
    public struct Interruption: Codable, Equatable, Sendable {
        public var signal: Int32
        public var signalName: String
    }

    /// The time limits in force, in seconds.
    public struct Limits: Codable, Equatable, Sendable {
        public var timeout: Double?
        public var testTimeout: Double?
    }

    /// crossrun stopped a process of this run for a time limit.
    public struct Timeout: Codable, Equatable, Sendable {
        /// `timeout` (the binary's limit) or `test-timeout`.
        public var kind: String
        /// The limit, in seconds.
        public var limit: Double
        /// The test that was running, when known.
        public var test: String?
        /// `the 30s time limit (--timeout) ran out`.
        public var description: String
    }

    public var schema = RunResult.schemaName
    public var version = RunResult.currentVersion
    public var binary: Binary
    public var launch: Launch
    /// The arguments passed to the test binary.
    public var arguments: [String]
    public var startedAt: Date
    /// Seconds from spawn to exit.
    public var duration: Double
    public var exit: Exit
    public var format: LibtestFormat
    public var counts: Counts
    /// libtest's own `test result:` counts, when it printed them.
    public var libtest: SuiteCounts?
    public var tests: [TestCase]
    /// stdout lines no test can be credited with (kept to a cap).
    public var output: String?
    /// The process's stderr (kept to a cap).
    public var stderr: String?
    /// Fresh processes crash-resume started for tests a crash left unreported; absent when none.
    public var restarts: Int?
    /// Fresh processes `--retries` started to run failed tests again; absent when none.
    public var retries: Int?
    /// The time limits that applied; absent when none did.
    public var limits: Limits?
    /// Every time crossrun stopped a process of this run for a time limit, in order; absent when never.
    public var timeouts: [Timeout]?
    /// Set when crossrun received SIGINT, SIGTERM or SIGHUP during the run: the results are what completed.
    public var interrupted: Interruption?
    /// `--partition` (`hash:K/N`, `slice:K/N`): this run holds only that share of the binary's tests.
    public var partition: String?
    /// `--isolate`: every test ran alone in its own process, `jobs` at a time.
    public var isolation: Isolation?
    /// The Cargo package the binary belongs to (`CARGO_PKG_NAME`, which cargo sets for the runner); absent
    /// outside cargo. `report matrix` names a test by package, binary and name.
    public var package: String?

    public struct Isolation: Codable, Equatable, Sendable {
        /// How many test processes could run at once (`--jobs`).
        public var jobs: Int
        /// How many one-test processes ran (ignored tests get none).
        public var processes: Int
        /// How many times a fork server's successor took over (docs/isolation.md, "Carrying translations
        /// forward"); nil without a warm fork server.
        public var successors: Int?
        /// How many servers were forked from a shared one for the second job of its pair (docs/isolation.md, "One
        /// fork a test"); nil when none was.
        public var siblings: Int?
    }

    /// Whether every test passed, the process exited 0 (or failed only on tests that passed on a retry), and
    /// nothing was interrupted or timed out.
    public var succeeded: Bool {
        (exit.status == 0 || flakyOnly) && counts.failed == 0 && counts.errors == 0 && interrupted == nil && timeouts == nil
    }

    /// libtest exited 101 only for failures that all passed when run again.
    var flakyOnly: Bool { exit.code == 101 && (counts.flaky ?? 0) > 0 && counts.failed == 0 && counts.errors == 0 }
}

extension RunResult.Binary {
    /// The suite name for a binary file: cargo's `name-0123456789abcdef` becomes `name`.
    public static func suiteName(forFile fileName: String) -> String {
        let fileName = fileName.hasSuffix(".wasm") ? String(fileName.dropLast(5)) : fileName
        guard let dash = fileName.lastIndex(of: "-") else { return fileName }
        let suffix = fileName[fileName.index(after: dash)...]
        guard suffix.count == 16, suffix.allSatisfy(\.isHexDigit) else { return fileName }
        return String(fileName[..<dash])
    }
}

extension RunResult.Counts {
    init(tests: [TestCase], unnamed: UnnamedCounts, libtest: SuiteCounts?) {
        // Counted in one pass: filtered copies of a 100k-test array cost megabytes each.
        var byOutcome: [TestCase.Outcome: Int] = [:]
        var flaky = 0
        for test in tests {
            byOutcome[test.outcome, default: 0] += 1
            if test.flaky == true { flaky += 1 }
        }
        func count(_ outcome: TestCase.Outcome) -> Int { byOutcome[outcome] ?? 0 }
        self.init(
            tests: tests.count + unnamed.passed + unnamed.ignored,
            passed: count(.passed) + unnamed.passed, failed: count(.failed),
            ignored: count(.ignored) + unnamed.ignored, measured: count(.measured), errors: count(.error),
            filteredOut: libtest?.filteredOut,
            unnamedPassed: unnamed.passed > 0 ? unnamed.passed : nil,
            unnamedIgnored: unnamed.ignored > 0 ? unnamed.ignored : nil)
        self.flaky = flaky > 0 ? flaky : nil
    }
}

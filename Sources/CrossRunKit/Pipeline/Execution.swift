import FoundationEssentials
import Glibc

/// Stage 5, run the tests: one process for the whole binary, its output streamed through the libtest
/// collector, then terse naming (TerseNaming.swift) and crash-resume (CrashResume.swift); or, with
/// `--isolate`, one process per test (Isolation.swift).
extension TestRunner {
    func runTests(_ run: PreparedRun) throws -> RunPhases {
        let configuration = run.configuration
        // nextest already runs one test per process: isolating its invocation again would only add a listing.
        if configuration.isolate, NextestContext.detect(environment: run.invocation.environment, arguments: run.invocation.arguments) == nil {
            if let isolated = try runIsolated(
                plan: run.plan, invocation: run.invocation, jobs: configuration.jobs, quiet: configuration.quiet, suiteName: run.suiteName,
                prepared: run)
            {
                return isolated
            }
            if !configuration.quiet {
                TerminalSummary.emit("crossrun: --isolate: \(run.fileName) did not list its tests as a libtest binary does; running it as one process")
            }
        }
        var phases = RunPhases(first: try execute(run.plan, suiteName: run.suiteName))
        try nameTerse(&phases, plan: run.plan, arguments: run.invocation.arguments)
        try resumeAfterCrash(&phases, in: run)
        // A test-timeout that named its test, with every other test reported: that test carries the error.
        if configuration.resume, phases.resumed.isEmpty, phases.first.outcome.killedBy?.runningTest != nil {
            phases.tests.removeAll { $0.name == TestRunCollector.processCaseName }
        }
        return phases
    }

    /// Runs `plan` once, streaming its output through the libtest collector, under this run's time limits.
    /// `keepRawOutput` also keeps the bytes themselves (each stream up to ``RawOutput/limit``, then cut with a note).
    /// `starter` starts the process instead of a spawn of `plan` (``ProcessRunner/run(_:watch:check:starter:onStdout:onStderr:)``).
    func execute(
        _ plan: LaunchPlan, suiteName: String, keepRawOutput: Bool = false,
        starter: ((_ stdout: Int32, _ stderr: Int32) -> Result<pid_t, Spawn.Failure>)? = nil
    ) throws -> Attempt {
        var collector = TestRunCollector()
        var progress = TestProgress(limit: limits.testTimeout)
        var rawStdout = keepRawOutput ? RawOutput() : nil
        var rawStderr = keepRawOutput ? RawOutput() : nil
        var stdoutBytes = 0
        let outcome = try processRunner.run(
            plan, watch: watch, check: { progress.check(collector).map(KillReason.init) }, starter: starter,
            onStdout: { collector.consumeStdout($0); progress.consume($0); rawStdout?.append($0); stdoutBytes += $0.count },
            onStderr: { collector.consumeStderr($0); rawStderr?.append($0) })
        try Self.checkCPU(plan, outcome: outcome, stdoutBytes: stdoutBytes, stderr: collector.stderr)
        var (tests, counts) = collector.finish(status: outcome.status, suiteName: suiteName)
        // A program without libtest output is one case from its exit status, which means nothing once crossrun
        // stopped it (qemu-system exits 0 on SIGTERM): the case did not finish.
        if collector.format == .plain, outcome.killedBy != nil || outcome.forwardedSignal != nil {
            for index in tests.indices { tests[index].outcome = .error }
        }
        if let reason = outcome.killedBy {
            Self.mark(&tests, kind: .timeout, running: reason.runningTest, message: "timed out: \(reason.description); crossrun stopped the test process")
        } else if let signal = outcome.forwardedSignal {
            Self.mark(&tests, kind: .interrupted, running: nil, message: "interrupted: crossrun received \(Signals.name(signal)) and stopped the test process")
        }
        var attempt = Attempt(plan: plan, outcome: outcome, collector: collector, tests: tests, counts: counts)
        attempt.rawStdout = rawStdout?.text
        attempt.rawStderr = rawStderr?.text
        return attempt
    }

    /// qemu that does not know its `-cpu` value exits 1 before the binary starts, saying so on stderr: that is
    /// a setting to fix, not a failed test, so it ends the run as crossrun's error naming the value.
    static func checkCPU(_ plan: LaunchPlan, outcome: ProcessOutcome, stdoutBytes: Int, stderr: BoundedText) throws {
        guard let cpu = plan.cpu, outcome.status == .exited(1), stdoutBytes == 0, outcome.killedBy == nil,
            QemuCPU.refused(stderr: stderr.text)
        else { return }
        throw CrossRunError.cpuRefused(cpu: cpu.value, origin: cpu.origin.description, emulator: plan.executable)
    }

    /// Gives the tests a stopped process left unfinished (and its `(process)` case) the reason crossrun stopped it.
    static func mark(_ tests: inout [TestCase], kind: TestCase.ErrorKind, running: String?, message: String) {
        for index in tests.indices where tests[index].outcome == .error {
            let name = tests[index].name
            guard name == TestRunCollector.processCaseName || running == nil || running == name else { continue }
            tests[index].errorKind = kind
            if name == TestRunCollector.processCaseName {
                tests[index].message = message + " (" + (tests[index].message ?? "") + ")"
            } else {
                tests[index].message = message
            }
        }
    }
}

/// One process run of a test binary and what its output said.
struct Attempt {
    var plan: LaunchPlan
    var outcome: ProcessOutcome
    var collector: TestRunCollector
    var tests: [TestCase]
    var counts: SuiteCounts?
    /// The process's own stdout and stderr bytes, when asked for (`--isolate` prints them once the test ends).
    var rawStdout: [UInt8]? = nil
    var rawStderr: [UInt8]? = nil

    /// libtest output that stopped before libtest's closing line, or a death by signal: tests may be unreported.
    var diedEarly: Bool {
        guard collector.format != .plain else { return false }
        if case .signaled = outcome.status { return true }
        return counts == nil
    }

    /// Tests with a real outcome from this process, and one it was stopped in for taking too long (which would
    /// only hang again).
    var reported: [TestCase] { tests.filter { $0.outcome != .error || ($0.errorKind == .timeout && $0.name != TestRunCollector.processCaseName) } }

    /// The test that was running when the process died: with one test thread (how crossrun resumes) the one
    /// whose header or `started` event came without a result.
    var culprit: TestCase? {
        tests.first { $0.outcome == .error && $0.name != TestRunCollector.processCaseName }
    }
}

/// One stream's bytes kept whole up to a cap, then cut with a note of how much was left out.
struct RawOutput {
    static let limit = 16 << 20
    private(set) var bytes: [UInt8] = []
    private var dropped = 0

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        let room = Self.limit - bytes.count
        if room > 0 { bytes.append(contentsOf: chunk.prefix(room)) }
        if chunk.count > room {
            dropped += chunk.count - max(0, room)
        }
    }

    /// The bytes, with a closing line when some were left out.
    var text: [UInt8] {
        dropped == 0 ? bytes : bytes + Array("\n[crossrun: \(dropped) more bytes of this output left out]\n".utf8)
    }
}

extension KillReason {
    /// `--test-timeout`'s reason from the libtest progress watch.
    init(_ stall: TestProgress.Stall) {
        self = .testTimeout(test: stall.test, limit: stall.limit, origin: stall.origin.description)
    }

    /// The test that was running when the process was stopped, when crossrun knew it.
    var runningTest: String? {
        if case .testTimeout(let test?, _, _) = self { return test }
        return nil
    }
}

extension ProcessOutcome {
    /// The signal when the user pressed Ctrl-C or Ctrl-\ at the terminal the test shared (the whole process
    /// group got it, not only crossrun), else nil.
    var terminalInterruption: Int32? {
        guard hadTerminal, case .signaled(let signal) = status, signal == SIGINT || signal == SIGQUIT else { return nil }
        return signal
    }
}

import FoundationEssentials
import Glibc

/// Stage 7, result: the phases become one ``RunResult`` and the status crossrun exits with.
struct AssembledResult {
    var result: RunResult
    /// 128+N after an interruption; 124 after a timeout; 0 when libtest failed only on tests that passed when
    /// run again; else the first process's own.
    var status: Int32
    /// The signal that interrupted the run (crossrun's own, or Ctrl-C at the terminal), if one did.
    var interruption: Int32?
    /// The first process's outcome.
    var outcome: ProcessOutcome
}

extension TestRunner {
    func assemble(_ phases: RunPhases, of run: PreparedRun, startedAt: Date) -> AssembledResult {
        let outcome = phases.first.outcome
        let interruption = ProcessRunner.interruption ?? outcome.terminalInterruption
        let timeouts = phases.allAttempts.compactMap(\.outcome.killedBy).map(RunResult.Timeout.init)
        var exit = RunResult.Exit(outcome)
        // A byte that was not UTF-8 on the command line is U+FFFD in the reports, as text must be there.
        var result = RunResult(
            binary: RunResult.Binary(
                path: run.binaryPath.replacingRawBytes, name: run.suiteName, fileName: run.fileName, description: run.info.summary,
                machine: run.info.machineName, interpreter: run.info.elf?.interpreter),
            launch: RunResult.Launch(
                kind: run.plan.kind.rawValue, target: run.plan.target, emulator: run.plan.emulatorName, argv: run.plan.argv.map(\.replacingRawBytes),
                sysroot: run.plan.sysroot?.path, sysrootOrigin: run.plan.sysroot?.origin),
            arguments: run.invocation.arguments.map(\.replacingRawBytes),
            startedAt: startedAt,
            duration: phases.duration.seconds,
            exit: exit,
            format: phases.format,
            counts: RunResult.Counts(tests: phases.tests, unnamed: phases.unnamed, libtest: phases.libtestCounts),
            libtest: phases.libtestCounts,
            tests: phases.tests,
            output: phases.format == .plain ? nil : phases.collector.unattributed.text.nonBlank,
            stderr: phases.collector.stderr.text.nonBlank,
            restarts: phases.resumed.isEmpty ? nil : phases.resumed.count)
        result.retries = phases.retried.isEmpty ? nil : phases.retried.count
        if limits.timeout != nil || limits.testTimeout != nil {
            result.limits = RunResult.Limits(timeout: limits.timeout?.value.seconds, testTimeout: limits.testTimeout?.value.seconds)
        }
        result.timeouts = timeouts.isEmpty ? nil : timeouts
        result.partition = run.partition?.description
        result.package = run.invocation.environment["CARGO_PKG_NAME"].flatMap { $0.isEmpty ? nil : $0.replacingRawBytes }
        result.isolation = phases.jobs.map { RunResult.Isolation(jobs: $0, processes: phases.isolated.count, successors: phases.successors, siblings: phases.siblings) }
        result.interrupted = interruption.map { RunResult.Interruption(signal: $0, signalName: Signals.name($0)) }
        var status = outcome.status.shellStatus
        if result.flakyOnly { status = 0 }
        if !timeouts.isEmpty { status = ExitStatus.timedOut }
        if let interruption { status = ExitStatus.forSignal(interruption) }
        exit.status = status
        result.exit = exit
        return AssembledResult(result: result, status: status, interruption: interruption, outcome: outcome)
    }
}

extension RunResult.Exit {
    init(_ outcome: ProcessOutcome) {
        switch outcome.status {
        case .exited(let code):
            self.init(status: code, code: code, signal: nil, signalName: nil, interruptedBy: nil, description: outcome.status.description)
        case .signaled(let signal):
            self.init(
                status: outcome.status.shellStatus, code: nil, signal: signal, signalName: Signals.name(signal),
                interruptedBy: nil, description: outcome.status.description)
        }
        interruptedBy = outcome.forwardedSignal.map(Signals.name)
    }
}

extension RunResult.Timeout {
    init(_ reason: KillReason) {
        var test: String?
        if case .testTimeout(let name, _, _) = reason { test = name }
        self.init(kind: reason.kind, limit: reason.limit.seconds, test: test, description: reason.description)
    }
}

import FoundationEssentials
import Glibc

/// Crash-resume: when a test process dies with tests unreported (a segfault, an abort, a wasm trap, a panic
/// under panic=abort), the tests that never reported run again in a fresh process, one test thread, by exact
/// name, until every test has an outcome. The test that was running when a process died is reported as an
/// error with its output; a test that crashes every time is reported once.
struct CrashResume {
    var runner: TestRunner
    var suiteName: String
    var progress: (String) -> Void

    /// Runs the resume loop after `first` died early; returns every attempt made after it and the merged tests.
    func resume(after first: Attempt, listed: [String]) throws -> (attempts: [Attempt], tests: [TestCase]) {
        var outcomes: [String: TestCase] = [:]
        for test in first.reported { outcomes[test.name] = test }
        var attempts: [Attempt] = []
        var remaining = listed.filter { outcomes[$0] == nil }
        var previous = first
        let base = LibtestArguments.resumeArguments(from: first.plan.arguments)
        while !remaining.isEmpty && attempts.count < listed.count && runner.mayStartProcess {
            let ended = previous.outcome.killedBy.map { "crossrun stopped the test process: \($0.description)" }
                ?? "the test process ended (\(previous.outcome.status.description))"
            progress("crossrun: \(ended) with \(remaining.count) test\(remaining.count == 1 ? "" : "s") unreported; running \(remaining.count == 1 ? "it" : "them") in a fresh process (restart \(attempts.count + 1))")
            let attempt = try runner.execute(first.plan.with(arguments: base + ["--exact"] + remaining), suiteName: suiteName)
            attempts.append(attempt)
            for test in attempt.reported { outcomes[test.name] = test }
            // Interrupted, or the binary's time limit ran out: stop resuming, report what there is.
            if attempt.outcome.forwardedSignal != nil || attempt.outcome.killedBy?.runningTest == nil && attempt.outcome.killedBy != nil {
                for test in attempt.tests where test.outcome == .error && test.name != TestRunCollector.processCaseName {
                    outcomes[test.name] = test
                }
                break
            }
            if attempt.diedEarly, attempt.outcome.killedBy != nil {
                // Stopped by --test-timeout in a known test: already reported (as a timeout); the rest go on.
            } else if attempt.diedEarly {
                guard let culprit = attempt.culprit, outcomes[culprit.name] == nil else {
                    // Dead before any test started (or in one already reported): nothing more can be learnt.
                    for name in remaining where outcomes[name] == nil {
                        outcomes[name] = TestCase(
                            name: name, outcome: .error,
                            message: "not run: the test process ended (\(attempt.outcome.status.description)) before this test started")
                    }
                    break
                }
                outcomes[culprit.name] = explainCrash(of: culprit, status: attempt.outcome.status, plan: first.plan, base: base)
            }
            remaining = remaining.filter { outcomes[$0] == nil }
            previous = attempt
            if !attempt.diedEarly { break }
        }
        for name in remaining where outcomes[name] == nil {
            outcomes[name] = runner.notRun(name)
        }
        let listedSet = Set(listed)
        var tests = listed.compactMap { outcomes[$0] }
        tests += first.tests.filter { !listedSet.contains($0.name) && $0.name != TestRunCollector.processCaseName && $0.outcome != .error }
        return (attempts, tests)
    }

    /// The test a crashed process was running: says how the process ended and, unless its panic is already in its
    /// output, recovers what it printed (``recoverMessage(for:plan:base:)``).
    func explainCrash(of test: TestCase, status: TerminationStatus, plan: LaunchPlan, base: [String]) -> TestCase {
        var test = test
        test.message = "the test process was \(Self.verb(status, plan: plan)) while this test ran"
        if test.output?.contains("panicked at") != true { test = recoverMessage(for: test, plan: plan, base: base) }
        return test
    }

    /// libtest captures a test's output in memory; a process that dies loses it. The crashed test runs once
    /// more alone with `--nocapture`, its output kept (not passed through), to recover what it printed.
    func recoverMessage(for culprit: TestCase, plan: LaunchPlan, base: [String]) -> TestCase {
        guard runner.mayStartProcess else { return culprit }
        var quiet = runner
        quiet.processRunner.passThrough = false
        let capture = base.contains("--nocapture") ? [] : ["--nocapture"]
        guard let again = try? quiet.execute(plan.with(arguments: base + ["--exact", culprit.name] + capture), suiteName: suiteName)
        else { return culprit }
        var recovered = culprit
        var text = again.collector.allStdout.text
        if !again.collector.stderr.isEmpty { text += (text.isEmpty ? "" : "\n") + again.collector.stderr.text }
        if !text.allSatisfy(\.isWhitespace) {
            recovered.output = [culprit.output, "[crossrun: output of the test run alone with --nocapture]", text]
                .compactMap { $0 }.joined(separator: "\n")
            if let panic = PanicMessage.extract(from: text), text.contains("panicked at") {
                recovered.message = "\(culprit.message ?? "crashed"): \(panic)"
            }
        }
        return recovered
    }

    static func verb(_ status: TerminationStatus, plan: LaunchPlan) -> String {
        let wasm = plan.kind == .embeddedWasm || plan.kind == .wasmtime
        switch status {
        case .signaled: return status.description
        case .exited(EmbeddedWasmLauncher.trapStatus) where wasm: return "stopped by a wasm trap (exit status 134)"
        case .exited(let code) where plan.kind == .wine:
            // wine exits with the Windows exit code's low byte: an unhandled exception's NTSTATUS is cut to it.
            switch code {
            case 5: return "ended by an access violation (exit status 5 under wine: exception 0xC0000005)"
            case 9: return "ended by a fail-fast abort (exit status 9 under wine: 0xC0000409, std::process::abort)"
            default: return "ended (exit status \(code))"
            }
        case .exited(let code): return "ended (exit status \(code))"
        }
    }
}

extension TestRunner {
    /// Crash-resume: a process that died with tests unreported is followed by fresh ones for the rest.
    /// Not after an interruption (crossrun's own, or a terminal Ctrl-C): the user asked it to stop.
    func resumeAfterCrash(_ phases: inout RunPhases, in run: PreparedRun) throws {
        let first = phases.first
        let invocation = run.invocation
        if case .timeout = first.outcome.killedBy { return }
        // nextest runs one test per process: the test that crashed is the one it asked for, there is nothing to
        // resume, and nextest reports the crash itself.
        // Its crash is one error: the test's, saying how the process ended, with the process's stderr.
        // A header cut off in the guest's stdout buffer names no culprit: nextest's test name does.
        if let nextest = NextestContext.detect(environment: invocation.environment, arguments: invocation.arguments), nextest.isSingleTest {
            if first.diedEarly, first.outcome.killedBy == nil, let name = first.culprit?.name ?? nextest.testName,
                let process = phases.tests.firstIndex(where: { $0.name == TestRunCollector.processCaseName }),
                phases.tests.allSatisfy({ $0.name == TestRunCollector.processCaseName || $0.name == name && $0.outcome == .error })
            {
                var crashed = phases.tests.first { $0.name == name } ?? TestCase(name: name, outcome: .error)
                crashed.message = "the test process was \(CrashResume.verb(first.outcome.status, plan: run.plan)) while this test ran"
                if let stderr = phases.tests[process].output {
                    crashed.output = [crashed.output, stderr].compactMap { $0 }.joined(separator: "\n")
                }
                phases.tests = [crashed]
            }
            return
        }
        guard first.diedEarly else { return }  // before hashing every reported name
        let reportedNames = Set(first.reported.map(\.name))
        guard run.configuration.resume, first.outcome.terminalInterruption == nil, !invocation.isListing, mayStartProcess,
            let listed = listTests(plan: run.plan, selection: TestListing.selection(from: invocation.arguments)),
            listed.contains(where: { !reportedNames.contains($0) }), mayStartProcess
        else { return }
        let resume = CrashResume(runner: self, suiteName: run.suiteName, progress: { TerminalSummary.emit($0) })
        let resumed = try resume.resume(after: first, listed: listed)
        phases.tests = resumed.tests
        phases.resumed = resumed.attempts
        phases.unnamed = .none
        resumed.attempts.forEach { phases.absorb($0) }
        // Each process printed its own `test result:` for its part: crossrun's counts stand for the whole.
        phases.libtestCounts = nil
    }
}

import FoundationEssentials
import Glibc

/// Stage 6, retries (`--retries N`): each test that failed (or did not finish) runs again alone, in a fresh
/// process, by exact name, one thread, until it passes or has run N more times. One that passes is flaky:
/// outcome `passed`, its failed runs kept as ``TestCase/reruns``; one that never passes keeps its first
/// result and gets the reruns' results.
extension TestRunner {
    func retryFailures(_ phases: inout RunPhases, in run: PreparedRun) throws {
        let retries = run.configuration.retries
        guard retries > 0, phases.format != .plain, !run.invocation.isListing else { return }
        let base = LibtestArguments.resumeArguments(from: run.invocation.arguments)
        for position in phases.tests.indices {
            let test = phases.tests[position]
            guard test.outcome == .failed || test.outcome == .error, test.name != TestRunCollector.processCaseName,
                test.errorKind != .interrupted
            else { continue }
            var runs: [TestCase.Rerun] = []
            for attempt in 1...retries {
                guard mayStartProcess else { break }
                TerminalSummary.emit("crossrun: \(test.name.escapedForTerminal) \(test.outcome == .failed ? "failed" : "did not finish"); running it again alone (retry \(attempt) of \(retries))")
                let again = try execute(phases.first.plan.with(arguments: base + ["--exact", test.name]), suiteName: run.suiteName)
                phases.retried.append(again)
                phases.absorb(again)
                let rerun = again.tests.first { $0.name == test.name }
                    ?? TestCase(name: test.name, outcome: .error, message: "the rerun reported no result for this test (\(again.outcome.status.description))")
                if rerun.outcome == .passed {
                    var passed = rerun
                    passed.flaky = true
                    passed.reruns = [TestCase.Rerun(test)] + runs
                    phases.tests[position] = passed
                    break
                }
                runs.append(TestCase.Rerun(rerun))
            }
            if !runs.isEmpty, phases.tests[position].flaky != true { phases.tests[position].reruns = runs }
        }
        if !phases.retried.isEmpty { phases.libtestCounts = nil }
    }
}

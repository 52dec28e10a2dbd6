import FoundationEssentials
import Glibc

/// Stage 2, time limits: the binary's deadline covers every process crossrun starts for it (crash-resume,
/// `--isolate` and retries too); `--test-timeout` watches each process's libtest progress.
extension TestRunner {
    func limited(by prepared: PreparedRun) -> TestRunner {
        var runner = self
        let definition = prepared.plan.kind == .native ? nil : prepared.catalog.definition(for: prepared.info)
        runner.limits = prepared.configuration.limits(for: definition, defaultTimeout: prepared.plan.defaultTimeout)
        runner.deadline = runner.limits.timeout.map { ContinuousClock.now + $0.value }
        return runner
    }

    /// Whether another process may start: not after an interruption, nor once the binary's deadline passed.
    var mayStartProcess: Bool {
        ProcessRunner.interruption == nil && (deadline.map { ContinuousClock.now < $0 } ?? true)
    }

    /// The deadline and grace period every process of this run gets.
    var watch: ProcessRunner.Watch {
        var watch = ProcessRunner.Watch(grace: limits.killGrace)
        if let deadline, let timeout = limits.timeout {
            watch.deadline = (deadline, .timeout(limit: timeout.value, origin: timeout.origin.description))
        }
        return watch
    }

    /// A test that got no result: why, when crossrun knows (interrupted, out of time), else that it could not.
    func notRun(_ name: String) -> TestCase {
        var test = TestCase(name: name, outcome: .error, message: "crossrun could not get a result for this test")
        if let signal = ProcessRunner.interruption {
            test.message = "not run: crossrun was interrupted (\(Signals.name(signal))) first"
            test.errorKind = .interrupted
        } else if !mayStartProcess, let timeout = limits.timeout {
            test.message = "not run: the \(DurationText.format(timeout.value)) time limit (\(timeout.origin.description)) ran out first"
            test.errorKind = .timeout
        }
        return test
    }
}

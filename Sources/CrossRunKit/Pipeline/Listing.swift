import FoundationEssentials
import Glibc

/// libtest's `--list`: the user's own listing passes through untouched (stage 3, before any result is made),
/// and crossrun lists tests itself for partitions, terse naming, crash-resume and `--isolate`.
extension TestRunner {
    /// `BINARY --list` with no report asked for: runs once, output passed through, no results. Nil otherwise.
    func passListingThrough(_ prepared: PreparedRun) throws -> RunReport? {
        // A listing writes a report only when its own command line asks for one.
        guard prepared.invocation.isListing else { return nil }
        let reports = reportPaths(of: prepared)
        guard reports.junit == nil, reports.json == nil else { return nil }
        let outcome = try processRunner.run(prepared.plan, watch: watch, onStdout: { _ in }, onStderr: { _ in })
        var status = outcome.status.shellStatus
        if outcome.killedBy != nil { status = ExitStatus.timedOut }
        if let signal = ProcessRunner.interruption { status = ExitStatus.forSignal(signal) }
        return RunReport(exitStatus: status, result: nil, reports: ReportPaths(), outcome: outcome)
    }

    /// The test names `--list` prints for `selection` (output not passed through), or nil when listing fails.
    /// `requireLibtest`: also nil when the output has neither a test line nor libtest's closing
    /// `N tests, M benchmarks` line (a program that ignored `--list`).
    func listTests(plan: LaunchPlan, selection: [String], requireLibtest: Bool = false) -> [String]? {
        (try? listTestsCheckingCPU(plan: plan, selection: selection, requireLibtest: requireLibtest)) ?? nil
    }

    /// ``listTests(plan:selection:requireLibtest:)`` for a listing that comes before any test process (a
    /// partition's, `--isolate`'s): a `-cpu` value qemu refused is ``CrossRunError/cpuRefused(cpu:origin:emulator:)``,
    /// as it is for a run, not a binary that cannot list its tests.
    func listTestsCheckingCPU(
        plan: LaunchPlan, selection: [String], requireLibtest: Bool = false,
        starter: ((_ stdout: Int32, _ stderr: Int32) -> Result<pid_t, Spawn.Failure>)? = nil
    ) throws -> [String]? {
        var output = BoundedText(headLimit: 64 << 20, tailLimit: 0)
        var errors = BoundedText(headLimit: 64 << 10, tailLimit: 0)
        var quiet = processRunner
        quiet.passThrough = false
        quiet.interactive = false
        guard mayStartProcess,
            let result = try? quiet.run(
                plan.with(arguments: selection + ["--list"]), watch: watch, check: { nil }, starter: starter,
                onStdout: { output.append($0) }, onStderr: { errors.append($0) })
        else { return nil }
        guard result.status.isSuccess, !output.isTruncated else {
            try Self.checkCPU(plan, outcome: result, stdoutBytes: output.text.utf8.count, stderr: errors)
            return nil
        }
        let text = output.text
        let names = TestListing.names(in: text)
        if requireLibtest, names.isEmpty, !TestListing.hasClosingLine(text) { return nil }
        return names
    }
}

import FoundationEssentials
import Glibc

/// One run of one test binary: `crossrun [OPTIONS] BINARY [ARGS...]`.
public struct Invocation: Sendable {
    public var binary: String
    public var arguments: [String]
    public var options: RunOptions
    public var environment: [String: String]
    public var workingDirectory: String

    public init(binary: String, arguments: [String], options: RunOptions, environment: [String: String], workingDirectory: String) {
        self.binary = binary
        self.arguments = arguments
        self.options = options
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// libtest's `--list` prints names, not results: it passes through and writes no report unless asked.
    public var isListing: Bool { arguments.contains("--list") }
}

/// The outcome of ``TestRunner/run(_:)``: the status to exit with and what was written.
public struct RunReport: Sendable {
    /// The test binary's own status, or 128 + N when it died by signal N.
    public var exitStatus: Int32
    /// Nil for `--list` runs, which produce no results.
    public var result: RunResult?
    public var reports: ReportPaths
    public var outcome: ProcessOutcome
}

/// The whole pipeline for one binary, stage by stage (docs/architecture.md has the map):
/// prepare (configuration, binary header, launch plan) → time limits → partition → run the tests (one
/// process with terse naming and crash-resume, or one process per test) → retries → result → reports.
public struct TestRunner: Sendable {
    public var processRunner = ProcessRunner()
    /// The crossrun executable; nil for this process's own.
    public var selfExecutable: String?
    /// The crossrun-tools executable (the embedded wasm runtime, full-system mode, fetching sysroots); nil for
    /// the one beside ``selfExecutable``.
    public var toolsExecutable: String?
    /// Extra sysroot providers after the Debian ones and before the fetched sysroots.
    public var sysrootProviders: [any SysrootProvider] = []

    /// This run's time limits (set by ``limited(by:)`` from the configuration).
    var limits = RunLimits()
    /// When the binary's time limit runs out.
    var deadline: ContinuousClock.Instant?

    /// Whether crossrun becomes the subreaper of everything this run starts and, when the run ends (whatever
    /// way: passed, failed, interrupted, out of time), ends every process left behind that escaped the test
    /// process's group: SIGTERM, SIGKILL after the kill grace (Process/Orphans.swift). The `crossrun` command
    /// sets it; a library caller whose process has children of its own must not, as the sweep ends every child
    /// no run is waiting for.
    public var adoptsOrphans = false

    public init() {}

    public func run(_ invocation: Invocation) throws -> RunReport {
        ProcessRunner.resetInterruption()
        if adoptsOrphans { Orphans.adopt() }
        var grace = RunLimits().killGrace
        defer {
            if adoptsOrphans { Orphans.end(grace: grace, signalsSoFar: { ProcessRunner.signalCount }) }
            StartupTrace.mark("orphans swept")
        }
        let startedAt = Date()
        let prepared = try prepare(invocation)                     // Preparation.swift
        StartupTrace.mark("prepared")
        let runner = limited(by: prepared)                         // Limits.swift
        grace = runner.limits.killGrace
        if let listing = try runner.passListingThrough(prepared) { // Listing.swift
            return listing
        }
        let selected = try runner.selectPartition(prepared)       // Partitioning.swift
        var phases = try runner.runTests(selected)                 // Execution.swift, Isolation.swift, TerseNaming.swift, CrashResume.swift
        try runner.retryFailures(&phases, in: selected)           // Retries.swift
        let assembled = runner.assemble(phases, of: selected, startedAt: startedAt)  // ResultAssembly.swift
        StartupTrace.mark("results")
        defer { StartupTrace.mark("reports") }
        return runner.writeReports(assembled, of: selected)        // ReportWriting.swift
    }
}

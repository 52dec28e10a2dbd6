import Foundation

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

/// The whole pipeline for one binary: inspect → plan → execute with output teed into the libtest collector →
/// results → reports → summary line.
public struct TestRunner: Sendable {
    public var processRunner = ProcessRunner()
    /// The crossrun executable for the embedded wasm runtime; nil for this process's own.
    public var selfExecutable: String?
    /// Extra sysroot providers after the Debian ones and before the fetched sysroots.
    public var sysrootProviders: [any SysrootProvider] = []

    /// This run's time limits (set by ``run(_:)`` from the configuration).
    var limits = RunLimits()
    /// When the binary's time limit runs out.
    var deadline: ContinuousClock.Instant?

    public init() {}

    #if canImport(Glibc)
        static let coreLimit = __rlimit_resource_t(RLIMIT_CORE.rawValue)
    #else
        static let coreLimit = RLIMIT_CORE
    #endif

    public func run(_ invocation: Invocation) throws -> RunReport {
        ProcessRunner.resetInterruption()
        let binaryPath = Paths.absolute(invocation.binary, relativeTo: invocation.workingDirectory)
        var options = invocation.options
        options.sysroot = options.sysroot.map { Paths.absolute($0, relativeTo: invocation.workingDirectory) }
        let configuration = try Configuration.load(
            options: options, environment: invocation.environment, workingDirectory: invocation.workingDirectory)
        let info = try BinaryInspector.inspect(path: binaryPath)
        let catalog = try TargetCatalog.load(extraDirectory: invocation.environment[Configuration.Variable.runnersDir])
        try configuration.validateTargets(in: catalog)
        var fetchOptions = configuration.fetchOptions()
        fetchOptions.progress = { TerminalSummary.emit($0) }
        let fetched = FetchedSysrootProvider(
            fetcher: SysrootFetcher(cache: SysrootCache(environment: invocation.environment), options: fetchOptions),
            configuration: configuration)
        let resolver = SysrootResolver(
            providers: sysrootProviders + [fetched], ignoreDebianSysroots: configuration.ignoreSystemSysroots)
        var planner = LaunchPlanner(
            catalog: catalog, configuration: configuration, sysroots: resolver,
            searchPath: invocation.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        planner.environment = invocation.environment
        planner.workingDirectory = invocation.workingDirectory
        planner.wasmDirectories = invocation.options.wasmDirectories.map { directory in
            guard let separator = directory.range(of: "::") else { return Paths.absolute(directory, relativeTo: invocation.workingDirectory) }
            return Paths.absolute(String(directory[..<separator.lowerBound]), relativeTo: invocation.workingDirectory) + directory[separator.lowerBound...]
        }
        if let executable = selfExecutable { planner.selfExecutable = executable }
        // cargo passes the binary path as given; the guest sees the path the user gave as argv[0]'s file.
        var plan = try planner.plan(binary: info, arguments: invocation.arguments)

        // qemu dumps a core of the guest (and the host one of itself) into the working directory on a guest
        // crash; a test suite's crash must not litter the project with hundreds of megabytes.
        var noCore = rlimit()
        if getrlimit(Self.coreLimit, &noCore) == 0 {
            noCore.rlim_cur = 0
            setrlimit(Self.coreLimit, &noCore)
        }

        let startedAt = Date()
        let reportPaths = self.reportPaths(for: binaryPath, invocation: invocation, configuration: configuration)
        // The time limits; the binary's deadline covers every process crossrun starts for it.
        var runner = self
        runner.limits = configuration.limits(
            for: plan.kind == .native ? nil : catalog.definition(for: info), defaultTimeout: plan.defaultTimeout)
        runner.deadline = runner.limits.timeout.map { ContinuousClock.now + $0.0 }
        if invocation.isListing && reportPaths.junit == nil && reportPaths.json == nil {
            let outcome = try runner.processRunner.run(plan, watch: runner.watch, onStdout: { _ in }, onStderr: { _ in })
            var status = outcome.status.shellStatus
            if outcome.killedBy != nil { status = ExitStatus.timedOut }
            if let signal = ProcessRunner.interruption { status = ExitStatus.forSignal(signal) }
            return RunReport(exitStatus: status, result: nil, reports: ReportPaths(), outcome: outcome)
        }

        let fileName = (binaryPath as NSString).lastPathComponent
        let suiteName = RunResult.Binary.suiteName(forFile: fileName)
        // A partition runs its share of the listed tests by exact name; everything after (terse naming,
        // crash-resume, retries) then works on that share, as if the user had named those tests.
        let partition = try configuration.partition()
        var invocation = invocation
        if let partition {
            guard let listed = runner.listTests(plan: plan, selection: TestListing.selection(from: invocation.arguments)) else {
                throw CrossRunError.partitionListingFailed(path: binaryPath, partition: partition.description)
            }
            invocation.arguments = Self.partitionArguments(from: invocation.arguments, names: partition.select(listed))
            plan = plan.with(arguments: invocation.arguments)
        }
        var phases: RunPhases
        // nextest already runs one test per process: isolating its invocation again would only add a listing.
        let underNextest = NextestContext.detect(environment: invocation.environment, arguments: invocation.arguments) != nil
        if configuration.isolate, !underNextest,
            let isolated = try runner.runIsolated(
                plan: plan, invocation: invocation, jobs: configuration.jobs, quiet: configuration.quiet, suiteName: suiteName)
        {
            phases = isolated
        } else {
            if configuration.isolate, !underNextest, !configuration.quiet {
                TerminalSummary.emit("crossrun: --isolate: \(fileName) did not list its tests as a libtest binary does; running it as one process")
            }
            phases = RunPhases(first: try runner.execute(plan, suiteName: suiteName))
            try runner.nameTerse(&phases, plan: plan, arguments: invocation.arguments)
            try runner.resumeAfterCrash(&phases, plan: plan, configuration: configuration, invocation: invocation, suiteName: suiteName)
            // A test-timeout that named its test, with every other test reported: that test carries the error.
            if configuration.resume, phases.resumed.isEmpty, phases.first.outcome.killedBy?.runningTest != nil {
                phases.tests.removeAll { $0.name == TestRunCollector.processCaseName }
            }
        }
        try runner.retryFailures(&phases, retries: configuration.retries, invocation: invocation, suiteName: suiteName)

        let outcome = phases.first.outcome
        let interruption = ProcessRunner.interruption
            ?? (outcome.hadTerminal && [SIGINT, SIGQUIT].map(TerminationStatus.signaled).contains(outcome.status)
                ? outcome.status.signal : nil)
        let timeouts = phases.allAttempts.compactMap(\.outcome.killedBy).map { reason -> RunResult.Timeout in
            var test: String?
            if case .testTimeout(let name, _, _) = reason { test = name }
            return RunResult.Timeout(kind: reason.kind, limit: reason.limit.seconds, test: test, description: reason.description)
        }
        // Status: 128+N after an interruption; 124 after a timeout; 0 when libtest failed only on tests that
        // passed when run again; else the first process's own.
        var status = outcome.status.shellStatus
        var exit = RunResult.Exit(outcome)
        var result = RunResult(
            binary: RunResult.Binary(
                path: binaryPath, name: suiteName, fileName: fileName, description: info.summary,
                machine: info.machineName, interpreter: info.elf?.interpreter),
            launch: RunResult.Launch(
                kind: plan.kind.rawValue, target: plan.target, emulator: plan.emulatorName, argv: plan.argv,
                sysroot: plan.sysroot?.path, sysrootOrigin: plan.sysroot?.origin),
            arguments: invocation.arguments,
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
        if runner.limits.timeout != nil || runner.limits.testTimeout != nil {
            result.limits = RunResult.Limits(timeout: runner.limits.timeout?.0.seconds, testTimeout: runner.limits.testTimeout?.0.seconds)
        }
        result.timeouts = timeouts.isEmpty ? nil : timeouts
        result.partition = partition?.description
        result.isolation = phases.jobs.map { RunResult.Isolation(jobs: $0, processes: phases.isolated.count) }
        result.interrupted = interruption.map { RunResult.Interruption(signal: $0, signalName: Signals.name($0)) }
        if result.flakyOnly { status = 0 }
        if !timeouts.isEmpty { status = ExitStatus.timedOut }
        if let interruption { status = ExitStatus.forSignal(interruption) }
        exit.status = status
        result.exit = exit

        // A report that cannot be written is said in one line, but the run's summary and the test's own exit
        // status still stand: a failing test keeps its status, a passing one fails with crossrun's own code.
        // Signals that arrive now are only recorded (the handlers stay installed), so the files are complete.
        var written = reportPaths
        var reportError: CrossRunError?
        do {
            if let path = reportPaths.json { try JSONReporter.write(result, to: path) }
        } catch {
            reportError = error as? CrossRunError ?? .reportNotWritable(path: reportPaths.json ?? "", reason: "\(error)")
            written.json = nil
        }
        do {
            if let path = reportPaths.junit { try JUnitReporter.write(result, to: path) }
        } catch {
            reportError = error as? CrossRunError ?? .reportNotWritable(path: reportPaths.junit ?? "", reason: "\(error)")
            written.junit = nil
        }
        if let reportError { TerminalSummary.emit("crossrun: error: \(reportError.description)") }
        if !configuration.quiet {
            TerminalSummary.emit(TerminalSummary.line(
                for: result, reports: written, workingDirectory: invocation.workingDirectory,
                colour: TerminalSummary.wantsColour(environment: invocation.environment)))
        }
        // A signal that came while the reports were written still decides the status.
        if interruption == nil, let late = ProcessRunner.interruption { status = ExitStatus.forSignal(late) }
        if let reportError, status == 0 { status = reportError.exitStatus }
        return RunReport(exitStatus: status, result: result, reports: written, outcome: outcome)
    }

    /// Whether another process may start: not after an interruption, nor once the binary's deadline passed.
    var mayStartProcess: Bool {
        ProcessRunner.interruption == nil && (deadline.map { ContinuousClock.now < $0 } ?? true)
    }

    /// The deadline and grace period every process of this run gets.
    var watch: ProcessRunner.Watch {
        var watch = ProcessRunner.Watch(grace: limits.killGrace)
        if let deadline, let (limit, origin) = limits.timeout {
            watch.deadline = (deadline, .timeout(limit: limit, origin: origin.description))
        }
        return watch
    }

    /// Terse output (`cargo test -q`) names only failures: name the rest through `--list`.
    func nameTerse(_ phases: inout RunPhases, plan: LaunchPlan, arguments: [String]) throws {
        guard phases.unnamed.0 + phases.unnamed.1 > 0, phases.libtestCounts != nil, mayStartProcess,
            let named = nameTerseResults(plan: plan, arguments: arguments, tests: phases.tests, unnamed: phases.unnamed)
        else { return }
        phases.tests = named
        phases.unnamed = (0, 0)
    }

    /// Crash-resume: a process that died with tests unreported is followed by fresh ones for the rest.
    /// Not after an interruption (crossrun's own, or a terminal Ctrl-C): the user asked it to stop.
    func resumeAfterCrash(
        _ phases: inout RunPhases, plan: LaunchPlan, configuration: Configuration, invocation: Invocation, suiteName: String
    ) throws {
        let first = phases.first
        let terminalInterrupt = first.outcome.hadTerminal
            && [SIGINT, SIGQUIT].map(TerminationStatus.signaled).contains(first.outcome.status)
        if case .timeout = first.outcome.killedBy { return }
        // nextest runs one test per process: the test that crashed is the one it asked for, there is nothing to
        // resume, and nextest reports the crash itself.
        if NextestContext.detect(environment: invocation.environment, arguments: invocation.arguments)?.isSingleTest == true { return }
        guard first.diedEarly else { return }  // before hashing every reported name
        let reportedNames = Set(first.reported.map(\.name))
        guard first.diedEarly, configuration.resume, !terminalInterrupt, !invocation.isListing, mayStartProcess,
            let listed = listTests(plan: plan, selection: TestListing.selection(from: invocation.arguments)),
            listed.contains(where: { !reportedNames.contains($0) }), mayStartProcess
        else { return }
        let resume = CrashResume(runner: self, suiteName: suiteName, progress: { TerminalSummary.emit($0) })
        let (attempts, merged) = try resume.resume(after: first, listed: listed)
        phases.tests = merged
        phases.resumed = attempts
        phases.unnamed = (0, 0)
        for attempt in attempts {
            phases.duration += attempt.outcome.duration
            phases.collector.absorbOutput(of: attempt.collector)
        }
        // Each process printed its own `test result:` for its part: crossrun's counts stand for the whole.
        phases.libtestCounts = nil
    }

    /// `--retries N`: each test that failed (or did not finish) runs again alone, in a fresh process, by exact
    /// name, one thread, until it passes or has run N more times. One that passes is flaky: outcome `passed`,
    /// its failed runs kept as ``TestCase/reruns``; one that never passes keeps its first result and gets the
    /// reruns' results.
    func retryFailures(_ phases: inout RunPhases, retries: Int, invocation: Invocation, suiteName: String) throws {
        guard retries > 0, phases.format != .plain, !invocation.isListing else { return }
        let base = CrashResume.resumeArguments(from: invocation.arguments)
        for position in phases.tests.indices {
            let test = phases.tests[position]
            guard test.outcome == .failed || test.outcome == .error, test.name != TestRunCollector.processCaseName,
                test.errorKind != .interrupted
            else { continue }
            var runs: [TestCase.Rerun] = []
            for attempt in 1...retries {
                guard mayStartProcess else { break }
                TerminalSummary.emit("crossrun: \(test.name) \(test.outcome == .failed ? "failed" : "did not finish"); running it again alone (retry \(attempt) of \(retries))")
                let again = try execute(phases.first.plan.with(arguments: base + ["--exact", test.name]), suiteName: suiteName)
                phases.retried.append(again)
                phases.duration += again.outcome.duration
                phases.collector.absorbOutput(of: again.collector)
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

    /// The user's arguments without test filters, with `--exact` and the partition's names (or, for an empty
    /// share, one name no test has, since `--exact` without names would run every test).
    static func partitionArguments(from arguments: [String], names: [String]) -> [String] {
        var base = Array(CrashResume.resumeArguments(from: arguments).dropLast())  // not the forced --test-threads=1
        base += arguments.enumerated().flatMap { index, argument -> [String] in
            if argument.hasPrefix("--test-threads=") { return [argument] }
            if argument == "--test-threads", index + 1 < arguments.count { return [argument, arguments[index + 1]] }
            return []
        }
        return base + ["--exact"] + (names.isEmpty ? ["crossrun: this partition has no tests"] : names)
    }

    /// A test that got no result: why, when crossrun knows (interrupted, out of time), else that it could not.
    func notRun(_ name: String) -> TestCase {
        var test = TestCase(name: name, outcome: .error, message: "crossrun could not get a result for this test")
        if let signal = ProcessRunner.interruption {
            test.message = "not run: crossrun was interrupted (\(Signals.name(signal))) first"
            test.errorKind = .interrupted
        } else if !mayStartProcess, let (limit, origin) = limits.timeout {
            test.message = "not run: the \(DurationText.format(limit)) time limit (\(origin.description)) ran out first"
            test.errorKind = .timeout
        }
        return test
    }

    /// Runs `plan` once, streaming its output through the libtest collector, under this run's time limits.
    /// `keepRawOutput` also keeps the bytes themselves (each stream up to ``rawOutputLimit``, then cut with a note).
    func execute(_ plan: LaunchPlan, suiteName: String, keepRawOutput: Bool = false) throws -> Attempt {
        var collector = TestRunCollector()
        var progress = TestProgress(limit: limits.testTimeout)
        var raw = keepRawOutput ? (RawOutput(), RawOutput()) : nil
        let outcome = try processRunner.run(
            plan, watch: watch, check: { progress.check(collector) },
            onStdout: { collector.consumeStdout($0); progress.consume($0); raw?.0.append($0) },
            onStderr: { collector.consumeStderr($0); raw?.1.append($0) })
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
        attempt.rawStdout = raw?.0.text
        attempt.rawStderr = raw?.1.text
        return attempt
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

    /// The test names `--list` prints for `selection` (output not passed through), or nil when listing fails.
    /// `requireLibtest`: also nil when the output has neither a test line nor libtest's closing
    /// `N tests, M benchmarks` line (a program that ignored `--list`).
    func listTests(plan: LaunchPlan, selection: [String], requireLibtest: Bool = false) -> [String]? {
        var output = BoundedText(headLimit: 64 << 20, tailLimit: 0)
        var quiet = processRunner
        quiet.passThrough = false
        quiet.interactive = false
        guard mayStartProcess,
            let result = try? quiet.run(plan.with(arguments: selection + ["--list"]), watch: watch, onStdout: { output.append($0) }, onStderr: { _ in }),
            result.status.isSuccess, !output.isTruncated
        else { return nil }
        let text = output.text
        let names = TestListing.names(in: text)
        if requireLibtest, names.isEmpty, !TestListing.hasClosingLine(text) { return nil }
        return names
    }

    /// Terse output (`cargo test -q`) names only failures. Two `--list` runs of the same binary with the same
    /// test selection name the rest: every listed test that did not fail passed, unless it is ignored.
    /// Returns nil (the counts stay unnamed) when the listing fails or does not add up.
    func nameTerseResults(plan: LaunchPlan, arguments: [String], tests: [TestCase], unnamed: (Int, Int)) -> [TestCase]? {
        let selection = TestListing.selection(from: arguments)
        let runsIgnored = selection.contains("--ignored") || selection.contains("--include-ignored")
        func list(_ extra: [String]) -> [String]? { listTests(plan: plan, selection: selection + extra) }
        guard let listed = list([]) else { return nil }
        let ignored: Set<String>
        if runsIgnored || unnamed.1 == 0 {
            ignored = []
        } else {
            guard let names = list(["--ignored"]) else { return nil }
            ignored = Set(names)
        }
        let failed = Set(tests.filter { $0.outcome == .failed }.map(\.name))
        let named = tests.filter { $0.outcome != .passed && $0.outcome != .ignored }
        let alreadyNamed = (passed: tests.filter { $0.outcome == .passed }.count, ignored: tests.filter { $0.outcome == .ignored }.count)
        guard alreadyNamed == (0, 0),
            let inferred = TestListing.terseOutcomes(listed: listed, ignored: ignored, failed: failed, counts: (unnamed.0, unnamed.1))
        else { return nil }
        // Keep libtest's listing order, with failures where they stand in it.
        let byName = Dictionary((inferred + named).map { ($0.name, $0) }, uniquingKeysWith: { _, named in named })
        let listedSet = Set(listed)
        var result = listed.compactMap { byName[$0] }
        result += named.filter { !listedSet.contains($0.name) }
        return result
    }

    /// Explicit paths (flag, environment, config; `{name}` becomes the binary's file name), else
    /// `<report dir>/<file name>.xml|json`, where the report dir defaults to `crossrun/` in cargo's target dir.
    func reportPaths(for binaryPath: String, invocation: Invocation, configuration: Configuration) -> ReportPaths {
        guard configuration.writeReports else { return ReportPaths() }
        let fileName = (binaryPath as NSString).lastPathComponent
        let cwd = invocation.workingDirectory
        func expand(_ path: String) -> String {
            Paths.absolute(path.replacingOccurrences(of: "{name}", with: fileName), relativeTo: cwd)
        }
        let junit = configuration.junitPath.map { expand($0.0) }
        let json = configuration.jsonPath.map { expand($0.0) }
        // `--list` prints names, not results: a report only when this command line asks for one.
        if invocation.isListing {
            return ReportPaths(junit: invocation.options.junitPath.map(expand), json: invocation.options.jsonPath.map(expand))
        }
        // Under nextest every test is its own process: per-test report files only when explicitly asked for.
        if NextestContext.detect(environment: invocation.environment, arguments: invocation.arguments) != nil,
            configuration.reportDirectory == nil
        {
            return ReportPaths(junit: junit, json: json)
        }
        let directory = configuration.reportDirectory.map { Paths.absolute($0.0, relativeTo: cwd) }
            ?? Self.defaultReportDirectory(binaryPath: binaryPath, workingDirectory: cwd)
        return ReportPaths(
            junit: junit ?? (directory as NSString).appendingPathComponent(fileName + ".xml"),
            json: json ?? (directory as NSString).appendingPathComponent(fileName + ".json"))
    }

    /// `crossrun/` inside cargo's target dir (the outermost of the nearest run of folders above the binary holding cargo's CACHEDIR.TAG,
    /// else the nearest one named `target`), or `crossrun-reports/` in the working directory.
    public static func defaultReportDirectory(binaryPath: String, workingDirectory: String) -> String {
        var folder = (binaryPath as NSString).deletingLastPathComponent
        var namedTarget: String?
        var tagged: String?
        while folder != "/" && !folder.isEmpty {
            // cargo tags both target/ and target/<triple>/: the outermost of adjacent tagged folders is target/.
            if FileManager.default.fileExists(atPath: folder + "/CACHEDIR.TAG") {
                tagged = folder
            } else if let tagged {
                return tagged + "/crossrun"
            }
            if namedTarget == nil && (folder as NSString).lastPathComponent == "target" { namedTarget = folder }
            folder = (folder as NSString).deletingLastPathComponent
        }
        if let tagged { return tagged + "/crossrun" }
        if let namedTarget { return namedTarget + "/crossrun" }
        return (workingDirectory as NSString).appendingPathComponent("crossrun-reports")
    }
}

/// What the phases of one binary's run produced: the first process, then crash-resume's and the retries'.
struct RunPhases {
    var first: Attempt
    var collector: TestRunCollector
    var tests: [TestCase]
    var libtestCounts: SuiteCounts?
    var duration: Duration
    var unnamed: (Int, Int)
    /// The libtest format the results came in (for `--isolate`, the one crossrun printed).
    var format: LibtestFormat
    /// `--isolate`: the one-test processes, and how many ran at once.
    var isolated: [Attempt] = []
    var jobs: Int?
    /// Fresh processes crash-resume started.
    var resumed: [Attempt] = []
    /// Processes `--retries` started.
    var retried: [Attempt] = []

    init(first: Attempt) {
        self.first = first
        collector = first.collector
        tests = first.tests
        libtestCounts = first.counts
        duration = first.outcome.duration
        format = first.collector.format
        unnamed = first.collector.format == .terse ? first.collector.unnamedCounts : (0, 0)
    }

    var allAttempts: [Attempt] { [first] + isolated + resumed + retried }
}

/// Watches a test process's libtest output for `--test-timeout`: the limit counts from the last sign of
/// progress (a suite or test starting, a test reporting, a terse mark). With one test thread the test that is
/// running is known (pretty output's `test NAME ... ` header, which waits unfinished on its line, or JSON's
/// `started` event); with several, nothing says which one hangs.
struct TestProgress {
    var limit: (Duration, SettingOrigin)?
    /// stdout after its last newline (kept to 4 KiB): a pretty header or terse marks still being written.
    private var partial: [UInt8] = []
    private var partialTooLong = false
    private var signature: [String] = []
    private var since = ContinuousClock.now

    init(limit: (Duration, SettingOrigin)?) { self.limit = limit }

    mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        guard limit != nil else { return }
        if let newline = chunk.lastIndex(of: UInt8(ascii: "\n")) {
            partial.removeAll(keepingCapacity: true)
            partialTooLong = false
            let rest = chunk[(newline + 1)...]
            partial.append(contentsOf: rest.prefix(4096))
            partialTooLong = rest.count > 4096
        } else if !partialTooLong {
            partial.append(contentsOf: chunk.prefix(4096 - partial.count))
            partialTooLong = partial.count >= 4096
        }
    }

    /// The test whose pretty header is the unfinished last line, if it is one.
    var pendingHeader: String? {
        let line = String(decoding: partial, as: UTF8.self)
        guard line.hasPrefix("test "), let header = LibtestLineParser.testHeader(line), header.result == nil else { return nil }
        return header.name
    }

    mutating func check(_ collector: TestRunCollector) -> KillReason? {
        guard let (limit, origin) = limit else { return nil }
        let now = ContinuousClock.now
        var running = collector.runningTests
        if let header = pendingHeader, !running.contains(header) { running.append(header) }
        let terseMarks = partial.allSatisfy { [UInt8(ascii: "."), UInt8(ascii: "i"), UInt8(ascii: "F")].contains($0) } ? partial.count : 0
        let current = [
            String(collector.suitesStarted), String(collector.suites.count), String(collector.tests.count),
            String(collector.terse.passed + collector.terse.failed + collector.terse.ignored), String(terseMarks),
        ] + running
        if current != signature {
            signature = current
            since = now
        }
        // Only while a suite runs: before libtest starts, and after it finished, the binary's timeout applies.
        guard collector.suitesStarted > collector.suites.count, now - since >= limit else { return nil }
        return .testTimeout(test: running.count == 1 ? running[0] : nil, limit: limit, origin: origin.description)
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
    /// The test that was running when the process was stopped, when crossrun knew it.
    var runningTest: String? {
        if case .testTimeout(let test?, _, _) = self { return test }
        return nil
    }
}

extension TerminationStatus {
    var signal: Int32? {
        if case .signaled(let signal) = self { return signal }
        return nil
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

extension String {
    /// nil for text that is empty or only white space (libtest's own blank lines are not worth a report entry).
    var nonBlank: String? { allSatisfy(\.isWhitespace) ? nil : self }
}

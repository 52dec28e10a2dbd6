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

    public init() {}

    #if canImport(Glibc)
        static let coreLimit = __rlimit_resource_t(RLIMIT_CORE.rawValue)
    #else
        static let coreLimit = RLIMIT_CORE
    #endif

    public func run(_ invocation: Invocation) throws -> RunReport {
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
        let plan = try planner.plan(binary: info, arguments: invocation.arguments)

        // qemu dumps a core of the guest (and the host one of itself) into the working directory on a guest
        // crash; a test suite's crash must not litter the project with hundreds of megabytes.
        var noCore = rlimit()
        if getrlimit(Self.coreLimit, &noCore) == 0 {
            noCore.rlim_cur = 0
            setrlimit(Self.coreLimit, &noCore)
        }

        let startedAt = Date()
        let reportPaths = self.reportPaths(for: binaryPath, invocation: invocation, configuration: configuration)
        if invocation.isListing && reportPaths.junit == nil && reportPaths.json == nil {
            let outcome = try processRunner.run(plan, onStdout: { _ in }, onStderr: { _ in })
            return RunReport(exitStatus: outcome.status.shellStatus, result: nil, reports: ReportPaths(), outcome: outcome)
        }

        let fileName = (binaryPath as NSString).lastPathComponent
        let suiteName = RunResult.Binary.suiteName(forFile: fileName)
        let first = try execute(plan, suiteName: suiteName)
        var collector = first.collector
        var tests = first.tests
        var libtestCounts = first.counts
        var duration = first.outcome.duration
        var restarts = 0
        var unnamed = collector.format == .terse ? collector.unnamedCounts : (0, 0)
        if unnamed.0 + unnamed.1 > 0, libtestCounts != nil,
            let named = nameTerseResults(plan: plan, arguments: invocation.arguments, tests: tests, unnamed: unnamed)
        {
            tests = named
            unnamed = (0, 0)
        }
        // Crash-resume: a process that died with tests unreported is followed by fresh ones for the rest.
        // Not after an interruption crossrun forwarded or a terminal Ctrl-C: the user asked it to stop.
        let interrupted = first.outcome.forwardedSignal != nil
            || (first.outcome.hadTerminal && [SIGINT, SIGQUIT].map(TerminationStatus.signaled).contains(first.outcome.status))
        let reportedNames = Set(first.reported.map(\.name))
        if first.diedEarly, configuration.resume, !interrupted, !invocation.isListing,
            let listed = listTests(plan: plan, selection: TestListing.selection(from: invocation.arguments)),
            listed.contains(where: { !reportedNames.contains($0) })
        {
            let resume = CrashResume(runner: self, suiteName: suiteName, progress: { TerminalSummary.emit($0) })
            let (attempts, merged) = try resume.resume(after: first, listed: listed)
            tests = merged
            restarts = attempts.count
            unnamed = (0, 0)
            for attempt in attempts {
                duration += attempt.outcome.duration
                collector.absorbOutput(of: attempt.collector)
            }
            // Each process printed its own `test result:` for its part: crossrun's counts stand for the whole.
            libtestCounts = nil
        }
        let outcome = first.outcome
        let result = RunResult(
            binary: RunResult.Binary(
                path: binaryPath, name: suiteName, fileName: fileName, description: info.summary,
                machine: info.machineName, interpreter: info.elf?.interpreter),
            launch: RunResult.Launch(
                kind: plan.kind.rawValue, target: plan.target, emulator: plan.emulatorName, argv: plan.argv,
                sysroot: plan.sysroot?.path, sysrootOrigin: plan.sysroot?.origin),
            arguments: invocation.arguments,
            startedAt: startedAt,
            duration: duration.seconds,
            exit: RunResult.Exit(outcome),
            format: collector.format,
            counts: RunResult.Counts(tests: tests, unnamed: unnamed, libtest: libtestCounts),
            libtest: libtestCounts,
            tests: tests,
            output: collector.format == .plain ? nil : collector.unattributed.text.nonBlank,
            stderr: collector.stderr.text.nonBlank,
            restarts: restarts > 0 ? restarts : nil)

        // A report that cannot be written is said in one line, but the run's summary and the test's own exit
        // status still stand: a failing test keeps its status, a passing one fails with crossrun's own code.
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
        var status = outcome.status.shellStatus
        if let reportError, status == 0 { status = reportError.exitStatus }
        return RunReport(exitStatus: status, result: result, reports: written, outcome: outcome)
    }

    /// Runs `plan` once, streaming its output through the libtest collector.
    func execute(_ plan: LaunchPlan, suiteName: String) throws -> Attempt {
        var collector = TestRunCollector()
        let outcome = try processRunner.run(
            plan, onStdout: { collector.consumeStdout($0) }, onStderr: { collector.consumeStderr($0) })
        let (tests, counts) = collector.finish(status: outcome.status, suiteName: suiteName)
        return Attempt(plan: plan, outcome: outcome, collector: collector, tests: tests, counts: counts)
    }

    /// The test names `--list` prints for `selection` (output not passed through), or nil when listing fails.
    func listTests(plan: LaunchPlan, selection: [String]) -> [String]? {
        var output = BoundedText(headLimit: 64 << 20, tailLimit: 0)
        var quiet = processRunner
        quiet.passThrough = false
        guard let result = try? quiet.run(plan.with(arguments: selection + ["--list"]), onStdout: { output.append($0) }, onStderr: { _ in }),
            result.status.isSuccess, !output.isTruncated
        else { return nil }
        return TestListing.names(in: output.text)
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

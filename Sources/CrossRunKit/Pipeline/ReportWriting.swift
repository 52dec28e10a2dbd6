import FoundationEssentials
import Glibc

/// Stage 8, reports: the results JSON and JUnit XML, then the one summary line. A report that cannot be
/// written is said in one line, but the run's summary and the test's own exit status still stand: a failing
/// test keeps its status, a passing one fails with crossrun's own code. Signals that arrive now are only
/// recorded (the handlers stay installed), so the files are complete.
extension TestRunner {
    func writeReports(_ assembled: AssembledResult, of run: PreparedRun) -> RunReport {
        // A program `cargo run` started (no libtest output, not a test binary) is not a test: no report unless one
        // was asked for, and no summary line unless CROSSRUN_SUMMARY=always; its exit status still passes through.
        let program = run.isCargoProgram && assembled.result.format == .plain
        // rustdoc captures a doctest's stderr into its own report of the doctest: no summary line there.
        let silent = program || run.doctest != nil
        let configuration = run.configuration
        let reportsAsked = configuration.junitPath != nil || configuration.jsonPath != nil || configuration.reportDirectory != nil
        let paths = program && !reportsAsked ? ReportPaths() : reportPaths(of: run)
        var written = paths
        var reportError: CrossRunError?
        do {
            if let path = paths.json { try JSONReporter.write(assembled.result, to: path) }
        } catch {
            reportError = error as? CrossRunError ?? .reportNotWritable(path: paths.json ?? "", reason: "\(error)")
            written.json = nil
        }
        do {
            if let path = paths.junit { try JUnitReporter.write(assembled.result, to: path) }
        } catch {
            reportError = error as? CrossRunError ?? .reportNotWritable(path: paths.junit ?? "", reason: "\(error)")
            written.junit = nil
        }
        if let reportError { TerminalSummary.emit("crossrun: error: \(CrossRunError.message(for: reportError))") }
        let totals = silent ? nil : tally(assembled.result, reports: written, of: run)
        if !run.configuration.quiet && (!silent || configuration.summaryAlways) {
            var line = TerminalSummary.line(
                for: assembled.result, reports: written, workingDirectory: run.invocation.workingDirectory,
                colour: TerminalSummary.wantsColour(environment: run.invocation.environment))
            if let totals, totals.binaries >= 2 { line += "; cargo test so far: " + totals.text }
            TerminalSummary.emit(line)
        }
        var status = assembled.status
        // A signal that came while the reports were written still decides the status.
        if assembled.interruption == nil, let late = ProcessRunner.interruption { status = ExitStatus.forSignal(late) }
        if let reportError, status == 0 { status = CrossRunError.exitStatus(for: reportError) }
        return RunReport(exitStatus: status, result: assembled.result, reports: written, outcome: assembled.outcome)
    }

    /// Adds this binary's counts to the record of the `cargo test` that ran it, beside its reports (RunTally.swift),
    /// and returns that invocation's totals; nil outside cargo, under nextest, or without a report folder.
    func tally(_ result: RunResult, reports: ReportPaths, of run: PreparedRun) -> RunTally.Totals? {
        guard !run.invocation.isListing, let report = reports.junit ?? reports.json,
            NextestContext.detect(environment: run.invocation.environment, arguments: run.invocation.arguments) == nil,
            let key = RunTally.invocationKey(environment: run.invocation.environment)
        else { return nil }
        let counts = result.counts
        let entry = RunTally.Entry(
            binary: result.binary.fileName, passed: counts.passed, failed: counts.failed, ignored: counts.ignored,
            errors: counts.errors, status: result.exit.status)
        let stem = (report.lastPathComponent).deletingPathExtension
        return RunTally.record(entry, stem: stem, key: key, in: report.deletingLastPathComponent)
    }

    /// Explicit paths (flag, environment, config; `{name}` becomes the binary's file name), else
    /// `<report dir>/<file name>.xml|json`, where the report dir defaults to `crossrun/` in cargo's target dir.
    /// Where `run`'s reports go (none when they are off), worked out after the tests ran: the emulator starts first.
    func reportPaths(of run: PreparedRun) -> ReportPaths {
        reportPaths(for: run.binaryPath, invocation: run.invocation, configuration: run.configuration, doctest: run.doctest, target: run.plan.target)
    }

    func reportPaths(
        for binaryPath: String, invocation: Invocation, configuration: Configuration, doctest: Doctest? = nil, target: String? = nil
    ) -> ReportPaths {
        guard configuration.writeReports else { return ReportPaths() }
        let fileName = binaryPath.lastPathComponent.replacingRawBytes
        let cwd = invocation.workingDirectory
        func expand(_ path: String) -> String {
            Paths.absolute(path.replacing("{name}", with: fileName), relativeTo: cwd)
        }
        let junit = configuration.junitPath.map { expand($0.value) }
        let json = configuration.jsonPath.map { expand($0.value) }
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
        var directory = configuration.reportDirectory.map { Paths.absolute($0.value, relativeTo: cwd) }
            ?? Self.defaultReportDirectory(binaryPath: binaryPath, workingDirectory: cwd)
        var stem = Self.reportStem(binaryPath: binaryPath, fileName: fileName)
        // A doctest's binary is `rust_out` in a temporary folder, run from the package's folder: its reports are
        // named after the doctest (and the target: one target dir serves every target) in cargo's target dir.
        if let doctest {
            if configuration.reportDirectory == nil {
                directory = (doctest.targetDirectory(environment: invocation.environment, workingDirectory: cwd))
                    .appendingPathComponent("crossrun")
            }
            let package = invocation.environment["CARGO_PKG_NAME"].flatMap { $0.isEmpty ? nil : $0 }
            stem = "doctest-" + (package.map { $0 + "-" } ?? "") + doctest.fileStem + (target.map { "." + $0 } ?? "")
        }
        return ReportPaths(
            junit: junit ?? directory.appendingPathComponent(Self.reportFileName(stem, extension: "xml")),
            json: json ?? directory.appendingPathComponent(Self.reportFileName(stem, extension: "json")))
    }

    /// The name of a binary's default reports: its file name, with cargo's target triple added
    /// (`fidelity-tool.aarch64-unknown-linux-gnu`) for a binary cargo built into `<target dir>/<triple>/` that is
    /// not a test binary. cargo names test binaries `NAME-<16 hex>` with a hash that covers the target, but a final
    /// binary or example (`target/<triple>/debug/NAME`) has the same name for every target, and the target dir
    /// with its `crossrun/` folder is shared by all of them.
    static func reportStem(binaryPath: String, fileName: String) -> String {
        guard !isCargoTestBinary(fileName), let triple = cargoTriple(binaryPath: binaryPath) else { return fileName }
        return fileName + "." + triple
    }

    /// cargo's `NAME-<16 hex>` (also with `.exe` or `.wasm`): a test binary, or a build of one, from `cargo test`.
    static func isCargoTestBinary(_ fileName: String) -> Bool {
        var name = Substring(fileName)
        for suffix in [".exe", ".wasm"] where name.hasSuffix(suffix) { name = name.dropLast(suffix.count) }
        return RunResult.Binary.suiteName(forFile: String(name)) != String(name)
    }

    /// The `<triple>` of `<target dir>/<triple>/...` above the binary: cargo tags both the target dir and each
    /// triple folder in it with CACHEDIR.TAG, so it is the second-outermost of the nearest run of tagged folders.
    static func cargoTriple(binaryPath: String) -> String? {
        var folder = binaryPath.deletingLastPathComponent
        var tagged: [String] = []
        while folder != "/" && !folder.isEmpty {
            if FileManager.default.fileExists(atPath: folder + "/CACHEDIR.TAG") {
                tagged.append(folder)
            } else if !tagged.isEmpty {
                break
            }
            folder = folder.deletingLastPathComponent
        }
        guard tagged.count >= 2 else { return nil }
        return (tagged[tagged.count - 2]).lastPathComponent
    }

    /// `NAME.EXTENSION`, with NAME shortened (and a hash of the whole name added, so two long names stay apart)
    /// where the result would pass the 255-byte file name limit of Linux file systems.
    static func reportFileName(_ name: String, extension suffix: String) -> String {
        let limit = 255
        guard name.utf8.count + 1 + suffix.utf8.count > limit else { return name + "." + suffix }
        let hash = String(Hashing.sha256(Data(name.utf8)).prefix(12))
        var stem = Substring(name)
        while stem.utf8.count + 1 + hash.utf8.count + 1 + suffix.utf8.count > limit { stem = stem.dropLast() }
        return stem + "-" + hash + "." + suffix
    }

    /// `crossrun/` inside cargo's target dir (the outermost of the nearest run of folders above the binary holding cargo's CACHEDIR.TAG,
    /// else the nearest one named `target`), or `crossrun-reports/` in the working directory.
    public static func defaultReportDirectory(binaryPath: String, workingDirectory: String) -> String {
        var folder = binaryPath.deletingLastPathComponent
        var namedTarget: String?
        var tagged: String?
        while folder != "/" && !folder.isEmpty {
            // cargo tags both target/ and target/<triple>/: the outermost of adjacent tagged folders is target/.
            if FileManager.default.fileExists(atPath: folder + "/CACHEDIR.TAG") {
                tagged = folder
            } else if let tagged {
                return tagged + "/crossrun"
            }
            if namedTarget == nil && folder.lastPathComponent == "target" { namedTarget = folder }
            folder = folder.deletingLastPathComponent
        }
        if let tagged { return tagged + "/crossrun" }
        if let namedTarget { return namedTarget + "/crossrun" }
        return workingDirectory.appendingPathComponent("crossrun-reports")
    }
}

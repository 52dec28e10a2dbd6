import Foundation

/// Stage 8, reports: the results JSON and JUnit XML, then the one summary line. A report that cannot be
/// written is said in one line, but the run's summary and the test's own exit status still stand: a failing
/// test keeps its status, a passing one fails with crossrun's own code. Signals that arrive now are only
/// recorded (the handlers stay installed), so the files are complete.
extension TestRunner {
    func writeReports(_ assembled: AssembledResult, of run: PreparedRun) -> RunReport {
        let paths = run.reportPaths
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
        if !run.configuration.quiet {
            TerminalSummary.emit(TerminalSummary.line(
                for: assembled.result, reports: written, workingDirectory: run.invocation.workingDirectory,
                colour: TerminalSummary.wantsColour(environment: run.invocation.environment)))
        }
        var status = assembled.status
        // A signal that came while the reports were written still decides the status.
        if assembled.interruption == nil, let late = ProcessRunner.interruption { status = ExitStatus.forSignal(late) }
        if let reportError, status == 0 { status = CrossRunError.exitStatus(for: reportError) }
        return RunReport(exitStatus: status, result: assembled.result, reports: written, outcome: assembled.outcome)
    }

    /// Explicit paths (flag, environment, config; `{name}` becomes the binary's file name), else
    /// `<report dir>/<file name>.xml|json`, where the report dir defaults to `crossrun/` in cargo's target dir.
    func reportPaths(for binaryPath: String, invocation: Invocation, configuration: Configuration) -> ReportPaths {
        guard configuration.writeReports else { return ReportPaths() }
        let fileName = (binaryPath as NSString).lastPathComponent.replacingRawBytes
        let cwd = invocation.workingDirectory
        func expand(_ path: String) -> String {
            Paths.absolute(path.replacingOccurrences(of: "{name}", with: fileName), relativeTo: cwd)
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
        let directory = configuration.reportDirectory.map { Paths.absolute($0.value, relativeTo: cwd) }
            ?? Self.defaultReportDirectory(binaryPath: binaryPath, workingDirectory: cwd)
        return ReportPaths(
            junit: junit ?? (directory as NSString).appendingPathComponent(Self.reportFileName(fileName, extension: "xml")),
            json: json ?? (directory as NSString).appendingPathComponent(Self.reportFileName(fileName, extension: "json")))
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

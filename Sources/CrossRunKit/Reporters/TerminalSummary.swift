import FoundationEssentials
import Glibc

/// The one line crossrun prints on stderr after each binary. It never goes to stdout, which carries only what
/// the test binary printed.
public enum TerminalSummary {
    /// `crossrun: crossrun_demo [aarch64 via qemu-aarch64-static] 12 passed, 0 failed, 2 ignored in 0.84s; JUnit: target/crossrun/x.xml`
    public static func line(for result: RunResult, reports: ReportPaths, workingDirectory: String, colour: Bool) -> String {
        let counts = result.counts
        var parts = ["\(counts.passed) passed", "\(counts.failed) failed", "\(counts.ignored) ignored"]
        if counts.measured > 0 { parts.append("\(counts.measured) measured") }
        if counts.errors > 0 { parts.append("\(counts.errors) error\(counts.errors == 1 ? "" : "s")") }
        if let flaky = counts.flaky { parts.append("\(flaky) flaky") }
        if let filtered = counts.filteredOut, filtered > 0 { parts.append("\(filtered) filtered out") }
        var text = parts.joined(separator: ", ")
        text += " in " + String(cFormat: "%.2fs", result.duration)
        // A timed-out run's status is crossrun's 124, whatever the stopped emulator returned (qemu-system exits 0
        // on SIGTERM): the time-out line says it.
        let timedOut = !(result.timeouts ?? []).isEmpty
        if !timedOut && (result.exit.status != 0 || result.exit.signal != nil) {
            text += "; \(result.exit.description)"
        }
        if let interrupted = result.interrupted {
            text += " (interrupted by \(interrupted.signalName))"
        } else if let signal = result.exit.interruptedBy {
            text += " (interrupted by \(signal))"
        }
        if let timeouts = result.timeouts, !timeouts.isEmpty { text += "; " + Self.timedOut(timeouts) }
        if timedOut { text += " (exit status \(result.exit.status))" }
        if let restarts = result.restarts { text += "; \(restarts) restart\(restarts == 1 ? "" : "s") after crashes" }
        if let retries = result.retries { text += "; \(retries) retr\(retries == 1 ? "y" : "ies")" }
        let where_ = result.launch.isNative ? "host, native" : "\(result.launch.target) via \(result.launch.emulator)"
        var line = "crossrun: \(result.binary.name.escapedForTerminal) [\(where_)] "
        let status = result.succeeded ? "ok" : "FAILED"
        line += colour ? (result.succeeded ? "\u{1B}[32m\(status)\u{1B}[0m" : "\u{1B}[31m\(status)\u{1B}[0m") : status
        line += ": " + text
        var written: [String] = []
        if let junit = reports.junit { written.append("JUnit " + display(junit, relativeTo: workingDirectory)) }
        if let json = reports.json { written.append("JSON " + display(json, relativeTo: workingDirectory)) }
        if !written.isEmpty { line += "; " + written.joined(separator: ", ") }
        return line
    }

    /// `timed out: D`; several time-outs (a silent process, then a restart's test limit) in one clause, in
    /// order, the same description once with its count, at most three named: the line stays one line.
    static func timedOut(_ timeouts: [RunResult.Timeout]) -> String {
        var distinct: [(description: String, count: Int)] = []
        for timeout in timeouts {
            if let index = distinct.firstIndex(where: { $0.description == timeout.description }) {
                distinct[index].count += 1
            } else {
                distinct.append((timeout.description, 1))
            }
        }
        let named = distinct.prefix(3).map { $0.count == 1 ? $0.description : "\($0.description) (\($0.count) times)" }
        var text = (timeouts.count == 1 ? "timed out: " : "timed out \(timeouts.count) times: ") + named.joined(separator: ", then ")
        if distinct.count > 3 { text += ", and \(distinct.count - 3) more (see the report)" }
        return text
    }

    /// Whether to colour: stderr is a terminal, `NO_COLOR` is unset, `TERM` is not `dumb`.
    public static func wantsColour(environment: [String: String]) -> Bool {
        isatty(STDERR_FILENO) == 1 && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    static func display(_ path: String, relativeTo folder: String) -> String {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return (path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path).escapedForTerminal
    }

    /// Writes a line to stderr.
    public static func emit(_ line: String) {
        FileDescriptors.writeAll(STDERR_FILENO, line + "\n")
    }
}

/// Where a run's reports were (or will be) written.
public struct ReportPaths: Equatable, Sendable {
    public var junit: String?
    public var json: String?

    public init(junit: String? = nil, json: String? = nil) {
        self.junit = junit
        self.json = json
    }
}

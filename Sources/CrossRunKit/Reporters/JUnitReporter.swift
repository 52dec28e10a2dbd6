import FoundationEssentials
import Glibc

/// Writes a ``RunResult`` as JUnit XML (one `<testsuite>` per binary) through libxml2. The file validates
/// against the Jenkins xunit JUnit schema and reads well in GitLab, Jenkins and GitHub (docs/junit.md).
public enum JUnitReporter {
    public static func write(_ result: RunResult, to path: String) throws {
        try AtomicFile.write(to: path) { temporary in
            let xml = try XMLWriter(path: temporary)
            let counts = result.counts
            xml.start("testsuites")
            xml.attribute("name", "crossrun")
            xml.attribute("tests", String(counts.tests))
            xml.attribute("failures", String(counts.failed))
            xml.attribute("errors", String(counts.errors))
            xml.attribute("time", XMLText.seconds(result.duration))
            writeSuite(result, to: xml)
            xml.end()
            try xml.close()
        }
    }

    static func writeSuite(_ result: RunResult, to xml: XMLWriter) {
        let counts = result.counts
        xml.start("testsuite")
        xml.attribute("name", result.binary.name)
        xml.attribute("tests", String(counts.tests))
        xml.attribute("failures", String(counts.failed))
        xml.attribute("errors", String(counts.errors))
        xml.attribute("skipped", String(counts.ignored))
        xml.attribute("time", XMLText.seconds(result.duration))
        xml.attribute("timestamp", timestamp(result.startedAt))
        xml.attribute("hostname", ProcessInfo.processInfo.hostName)

        xml.start("properties")
        var properties: [(String, String)] = [
            ("crossrun.binary", result.binary.path),
            ("crossrun.target", result.launch.target),
            ("crossrun.emulator", result.launch.emulator),
            ("crossrun.exit", result.exit.description),
            ("crossrun.format", result.format.rawValue),
        ]
        if let sysroot = result.launch.sysroot { properties.append(("crossrun.sysroot", sysroot)) }
        if let restarts = result.restarts { properties.append(("crossrun.restarts", String(restarts))) }
        if let partition = result.partition { properties.append(("crossrun.partition", partition)) }
        if let isolation = result.isolation { properties.append(("crossrun.isolate", "\(isolation.processes) processes, \(isolation.jobs) at a time")) }
        if let retries = result.retries { properties.append(("crossrun.retries", String(retries))) }
        if let flaky = counts.flaky { properties.append(("crossrun.flaky", String(flaky))) }
        if let timeout = result.limits?.timeout { properties.append(("crossrun.timeout", XMLText.seconds(timeout) + "s")) }
        if let timeout = result.limits?.testTimeout { properties.append(("crossrun.test-timeout", XMLText.seconds(timeout) + "s")) }
        for timeout in result.timeouts ?? [] { properties.append(("crossrun.timed-out", timeout.description)) }
        if let interrupted = result.interrupted {
            properties.append((
                "crossrun.interrupted",
                "\(interrupted.signalName) (signal \(interrupted.signal)): the run was stopped; these results are what completed"))
        }
        if let unnamed = counts.unnamedPassed {
            properties.append(("crossrun.unnamed-passed", "\(unnamed) (terse output names no passing test)"))
        }
        if let unnamed = counts.unnamedIgnored { properties.append(("crossrun.unnamed-ignored", String(unnamed))) }
        for (name, value) in properties { xml.element("property", [("name", name), ("value", value)]) }
        xml.end()

        for test in result.tests { writeCase(test, suite: result.binary.name, to: xml) }
        if let output = result.output, !output.isEmpty { xml.element("system-out", text: output) }
        if let stderr = result.stderr, !stderr.isEmpty { xml.element("system-err", text: stderr) }
        xml.end()
    }

    static func writeCase(_ test: TestCase, suite: String, to xml: XMLWriter) {
        let (classname, name) = split(test.name, suite: suite)
        xml.start("testcase")
        xml.attribute("name", name)
        xml.attribute("classname", classname)
        xml.attribute("time", XMLText.seconds(test.duration ?? 0))
        let message = test.message.map { $0.count > 1000 ? String($0.prefix(1000)) + "…" : $0 }
        switch test.outcome {
        case .passed:
            // A flaky test passed on a retry: its failed runs come first, as flakyFailure/flakyError.
            for rerun in test.reruns ?? [] { writeRerun(rerun, flaky: true, to: xml) }
            if let output = test.output, !output.isEmpty { xml.element("system-out", text: output) }
        case .measured:
            xml.element("system-out", text: test.benchmark.map { "bench: " + $0 } ?? test.output ?? "")
        case .ignored:
            xml.element("skipped", message.map { [("message", $0)] } ?? [])
        case .failed:
            xml.element("failure", [("message", message ?? "failed"), ("type", "failure")], text: test.output ?? message ?? "")
            for rerun in test.reruns ?? [] { writeRerun(rerun, flaky: false, to: xml) }
        case .error:
            xml.element("error", [("message", message ?? "error"), ("type", test.errorKind?.rawValue ?? "crash")], text: test.output ?? message ?? "")
            for rerun in test.reruns ?? [] { writeRerun(rerun, flaky: false, to: xml) }
        }
        xml.end()
    }

    /// `<flakyFailure>`/`<flakyError>` (a run of a test that later passed) or `<rerunFailure>`/`<rerunError>`
    /// (a rerun of a test that never passed), with the run's output as `<system-out>`.
    static func writeRerun(_ rerun: TestCase.Rerun, flaky: Bool, to xml: XMLWriter) {
        let failure = rerun.outcome == .failed
        let name = (flaky ? "flaky" : "rerun") + (failure ? "Failure" : "Error")
        let message = rerun.message.map { $0.count > 1000 ? String($0.prefix(1000)) + "…" : $0 }
        xml.start(name)
        xml.attribute("message", message ?? (failure ? "failed" : "error"))
        xml.attribute("type", failure ? "failure" : rerun.errorKind?.rawValue ?? "crash")
        if let output = rerun.output, !output.isEmpty { xml.element("system-out", text: output) }
        xml.end()
    }

    /// `tests::math::adds` in suite `demo` → classname `demo::tests::math`, name `adds`. Names with spaces
    /// (doctests: `src/lib.rs - add (line 5)`) keep the suite as their classname.
    static func split(_ name: String, suite: String) -> (classname: String, name: String) {
        guard !ByteSearch.contains(UInt8(ascii: " "), in: name), let separator = ByteSearch.lastRange(of: "::", in: name) else {
            return (suite, name)
        }
        return (suite + "::" + name[..<separator.lowerBound], String(name[separator.upperBound...]))
    }

    /// `2026-11-25T21:34:09Z`. FoundationEssentials' format style: ISO8601DateFormatter would load ICU, a few
    /// milliseconds of every run.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }
}

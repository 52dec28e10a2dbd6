import Foundation
import Testing

/// Crash-resume on qemu-user: a test that segfaults and one that aborts, placed before the others, still
/// leave every test reported, with the same set of tests as a run without crashes.
@Suite(.serialized, .enabled(if: Tool.available("qemu-aarch64-static", "xmllint")))
struct CrashResumeTests {
    func demoBinary() throws -> String { try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu") }

    func results(_ path: String) throws -> [String: Any] { try readResults(path) }

    func outcomes(_ results: [String: Any]) -> [String: String] {
        let tests = results["tests"] as? [[String: Any]] ?? []
        return Dictionary(tests.map { ($0["name"] as? String ?? "", $0["outcome"] as? String ?? "") }, uniquingKeysWith: { a, _ in a })
    }

    @Test("segfault and abort: every test reported, the crashing ones as errors with their output; exit status a failure")
    func crashesAreResumed() throws {
        let binary = try demoBinary()
        let folder = try temporaryDirectory("crash")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cleanJSON = folder.appendingPathComponent("clean.json").path
        let clean = try crossrun(["--json", cleanJSON, "--no-report", binary])
        #expect(clean.status == 0)
        // --no-report wins over --json: run again with reports for the clean baseline.
        _ = try crossrun(["--json", cleanJSON, binary])
        let baseline = outcomes(try results(cleanJSON))

        let json = folder.appendingPathComponent("crash.json").path
        let junit = folder.appendingPathComponent("crash.xml").path
        let crashed = try crossrun(["--json", json, "--junit", junit, binary], environment: environment(["CROSSRUN_DEMO_CRASH": "1"]), in: folder)
        // The first process died by whichever crash came first (the tests run in parallel): that is the status.
        #expect(crashed.status == 128 + 6 || crashed.status == 128 + 11, "\(crashed.status)")
        let report = try results(json)
        let after = outcomes(report)
        #expect(Set(after.keys) == Set(baseline.keys), "same tests as a run without crashes")
        #expect(after["crash::aborts"] == "error")
        #expect(after["crash::segfaults"] == "error")
        for (name, outcome) in baseline where !name.hasPrefix("crash::") {
            #expect(after[name] == outcome, "\(name)")
        }
        #expect(report["restarts"] as? Int == 3)
        let tests = report["tests"] as? [[String: Any]] ?? []
        let segfault = try #require(tests.first { $0["name"] as? String == "crash::segfaults" })
        #expect((segfault["message"] as? String)?.contains("SIGSEGV") == true)
        #expect((segfault["output"] as? String)?.contains("about to write through a null pointer") == true)
        #expect(crashed.stderrText.contains("3 restarts after crashes"))
        #expect(try schemaProblems(junit) == nil)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.components(separatedBy: "<testcase").count - 1 == baseline.count)
        #expect(xml.contains("errors=\"2\""))
    }

    @Test("user filters are honoured, and --no-resume restores plain behaviour")
    func filtersAndNoResume() throws {
        let binary = try demoBinary()
        let folder = try temporaryDirectory("crash-filter")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        let env = environment(["CROSSRUN_DEMO_CRASH": "1"])
        // Only the crash module and one other test: the resumed runs stay within that selection.
        let filtered = try crossrun(["--json", json, binary, "crash::segfaults"], environment: env, in: folder)
        #expect(filtered.status == 128 + 11)
        #expect(Set(outcomes(try results(json)).keys) == ["crash::segfaults"])

        let plain = try crossrun(["--json", json, "--no-resume", binary], environment: env, in: folder)
        #expect(plain.status == 128 + 6 || plain.status == 128 + 11, "\(plain.status)")
        let report = try results(json)
        #expect(report["restarts"] == nil)
        #expect(outcomes(report)["(process)"] == "error")
        #expect(!plain.stderrText.contains("fresh process"))
    }
}

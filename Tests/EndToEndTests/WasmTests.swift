import Foundation
import Testing

/// wasm32-wasi (wasm32-wasip1) modules: the embedded WasmKit runtime (nothing installed) and crash-resume over wasm
/// traps (panic=abort). The real wasmtime runs them in WasmTargetEndToEndTests.
@Suite(.serialized, .enabled(if: Tool.available("xmllint")))
struct WasmTests {
    func module() throws -> String { try Examples.rustDemoLibrary("wasm32-wasi") }

    func results(_ path: String) throws -> [String: Any] { try readResults(path) }

    func tests(_ results: [String: Any]) -> [String: [String: Any]] {
        Dictionary((results["tests"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }

    @Test("the embedded runtime runs the suite with nothing installed; argv, environment and working directory pass through")
    func embeddedRuntimePasses() throws {
        let wasm = try module()
        let folder = try temporaryDirectory("wasm")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        // PATH without wasmtime: the embedded runtime is the one chosen.
        let result = try crossrun(["--json", json, wasm, "--test-threads=1"], environment: environment(["PATH": "/usr/bin:/bin"]), in: folder)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.contains("[wasm32-wasip1 via embedded WasmKit]"))
        #expect(result.stdoutText.contains("test result: ok."))
        let report = try results(json)
        #expect((report["launch"] as? [String: Any])?["kind"] as? String == "embedded-wasm")
        #expect((report["binary"] as? [String: Any])?["name"] as? String == "crossrun_demo")
        let counts = report["counts"] as? [String: Any]
        #expect(counts?["failed"] as? Int == 0)
        #expect((counts?["passed"] as? Int ?? 0) > 5)
    }

    @Test("a failing test under panic=abort and an abort placed before the others: every test reported, exit status a failure")
    func trapsAreResumed() throws {
        let wasm = try module()
        let folder = try temporaryDirectory("wasm-crash")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cleanJSON = folder.appendingPathComponent("clean.json").path
        _ = try crossrun(["--json", cleanJSON, wasm], environment: environment(["PATH": "/usr/bin:/bin"]), in: folder)
        let clean = tests(try results(cleanJSON))

        let json = folder.appendingPathComponent("crash.json").path
        let junit = folder.appendingPathComponent("crash.xml").path
        let env = environment(["PATH": "/usr/bin:/bin", "CROSSRUN_DEMO_FAIL": "1", "CROSSRUN_DEMO_CRASH": "1"])
        let result = try crossrun(["--json", json, "--junit", junit, wasm], environment: env, in: folder)
        #expect(result.status == 134, "a trap ends the module like an abort: \(result.stderrText)")
        let report = try results(json)
        let after = tests(report)
        #expect(Set(after.keys) == Set(clean.keys), "the same tests as a run without failures")
        #expect(after["crash::aborts"]?["outcome"] as? String == "error")
        let failure = try #require(after["tests::opt_in_failure"])
        #expect(failure["outcome"] as? String == "error")
        // The panic message lost in libtest's capture buffer, recovered by the --nocapture rerun.
        #expect((failure["message"] as? String)?.contains("left == right") == true, "\(String(describing: failure["message"]))")
        #expect((failure["message"] as? String)?.contains("wasm trap") == true)
        for (name, test) in clean where name != "crash::aborts" && name != "tests::opt_in_failure" {
            #expect(after[name]?["outcome"] as? String == test["outcome"] as? String, "\(name)")
        }
        #expect((report["restarts"] as? Int ?? 0) >= 2)
        #expect(try schemaProblems(junit) == nil)
    }
}

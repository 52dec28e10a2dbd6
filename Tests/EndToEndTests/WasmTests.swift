import Foundation
import Testing

/// wasm32-wasi modules: the embedded WasmKit runtime (nothing installed), crash-resume over wasm traps
/// (panic=abort), and the external-runtime path through a recording stand-in for wasmtime.
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
        #expect(result.stderrText.contains("[wasm32-wasi via embedded WasmKit]"))
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

    @Test("wasmtime on PATH is used, with the working directory, the environment and the arguments")
    func externalRuntime() throws {
        let wasm = try module()
        let folder = try temporaryDirectory("wasmtime")
        defer { try? FileManager.default.removeItem(at: folder) }
        let bin = folder.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let log = folder.appendingPathComponent("argv.json").path
        // A stand-in that records its argv, then runs the module the way wasmtime would: with the --dir folders
        // preopened and only the --env variables in the guest's environment (through crossrun's embedded runtime).
        let script = """
            #!/usr/bin/env python3
            import json, os, sys
            argv = sys.argv[1:]
            with open(\(String(reflecting: log)), "a") as f: f.write(json.dumps(argv) + "\\n")
            assert argv[0] == "run", argv
            dirs, env, i = [], {}, 1
            while argv[i].startswith("--"):
                if argv[i] == "--dir": dirs.append(argv[i + 1])
                elif argv[i] == "--env":
                    k = argv[i + 1]; env[k] = os.environ.get(k, "")
                i += 2
            cmd = [\(String(reflecting: crossrunExecutable)), "wasm-run"] + sum([["--dir", d] for d in dirs], []) + ["--"] + argv[i:]
            os.execve(cmd[0], cmd, env)
            """
        let fake = bin.appendingPathComponent("wasmtime")
        try script.write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        let json = folder.appendingPathComponent("r.json").path
        let env = environment(["PATH": "\(bin.path):/usr/bin:/bin", "CROSSRUN_DEMO_FAIL": "1"])
        let result = try crossrun(["--json", json, wasm, "tests::opt_in_failure", "--exact"], environment: env, in: folder)
        #expect(result.stderrText.contains("[wasm32-wasi via wasmtime]"), "\(result.stderrText)")
        // The first call is the run itself (a later one is crash-resume's --nocapture rerun of the failed test).
        let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(calls.count >= 1)
        let argv = try #require(try JSONSerialization.jsonObject(with: Data(calls[0].utf8)) as? [String])
        #expect(argv.starts(with: ["run", "--dir", folder.path]))
        // Variables go by name only, so no value (a secret, say) lands in argv or the report.
        #expect(argv.contains("CROSSRUN_DEMO_FAIL"))
        #expect(argv[argv.index(before: argv.firstIndex(of: "CROSSRUN_DEMO_FAIL")!)] == "--env")
        #expect(!argv.contains { $0.contains("=") })
        #expect(Array(argv.suffix(3)) == [wasm, "tests::opt_in_failure", "--exact"])
        // The environment reached the guest: the opt-in failure failed (a panic, so a trap, resumed).
        #expect(result.status == 134)
        #expect((try results(json)["launch"] as? [String: Any])?["kind"] as? String == "wasmtime")
    }
}

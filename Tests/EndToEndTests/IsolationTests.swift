import Foundation
import Testing

/// `--isolate`: one process per test, `--jobs N` at a time, on the real aarch64 demo under qemu.
@Suite(.enabled(if: Tool.available("qemu-aarch64-static", "cargo", "aarch64-linux-gnu-gcc", "xmllint")))
struct IsolationTests {
    typealias Support = TimeoutRetryTests

    static func outcomes(_ results: [String: Any]) -> [String: String] {
        Support.tests(results).mapValues { $0["outcome"] as? String ?? "" }
    }

    @Test("--isolate gives the same tests and outcomes as one process, with one process per test that runs",
          arguments: [[String: String?](), ["CROSSRUN_DEMO_FAIL": "1", "CROSSRUN_DEMO_CRASH": "1"]])
    func sameResultsAsOneProcess(changes: [String: String?]) throws {
        let binary = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        let folder = try temporaryDirectory("isolate")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (env, marker) = Support.markedEnvironment(changes)
        let whole = try crossrun(["--json", folder.appendingPathComponent("whole.json").path, binary], environment: env)
        let wholeJSON = folder.appendingPathComponent("whole.json").path
        let json = folder.appendingPathComponent("isolated.json").path
        let junit = folder.appendingPathComponent("isolated.xml").path
        let isolated = try crossrun(["--isolate", "--jobs", "3", "--json", json, "--junit", junit, binary], environment: env)
        // One process exits as its first process did (a crash: 128+N); isolated tests exit as libtest does.
        #expect(isolated.status == (whole.status == 0 ? 0 : 101), "\(isolated.stderrText)")
        #expect(Support.leftovers(marker).isEmpty, "still running: \(Support.leftovers(marker))")
        let expected = try readResults(wholeJSON)
        let results = try readResults(json)
        #expect(Self.outcomes(results) == Self.outcomes(expected))
        #expect(results["restarts"] == nil, "no crash-resume: a crash ends only its own test's process")
        let isolation = try #require(results["isolation"] as? [String: Any])
        #expect(isolation["jobs"] as? Int == 3)
        let ran = Self.outcomes(results).values.filter { $0 != "ignored" }.count
        #expect(isolation["processes"] as? Int == ran)
        #expect(try schemaProblems(junit) == nil)
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("name=\"crossrun.isolate\""))
        // crossrun prints libtest's own lines: one per test and a `test result:` line with the same counts.
        let printed = LibtestCounts.all(in: isolated.stdoutText)
        #expect(printed.count == 1)
        let counts = results["counts"] as? [String: Any] ?? [:]
        #expect(printed.first?.passed == counts["passed"] as? Int)
        #expect(printed.first?.ignored == counts["ignored"] as? Int)
        #expect(printed.first?.failed == (counts["failed"] as? Int ?? 0) + (counts["errors"] as? Int ?? 0))
        for (name, outcome) in Self.outcomes(results) {
            let word = outcome == "passed" ? "ok" : outcome == "ignored" ? "ignored" : "FAILED"
            #expect(isolated.stdoutText.contains("test \(name) ... \(word)\n"), "\(name) \(outcome)")
        }
        if changes["CROSSRUN_DEMO_CRASH"] != nil {
            let crashed = try #require(Support.tests(results)["crash::segfaults"])
            #expect(crashed["outcome"] as? String == "error")
            #expect((crashed["message"] as? String ?? "").contains("SIGSEGV"))
            #expect(Self.outcomes(results)["tests::add_small_numbers"] == "passed")
        }
    }

    @Test("tests that share process-wide state fail together in one process and pass under --isolate")
    func interferingTests() throws {
        let binary = try ReliabilityDemo.build()
        let folder = try temporaryDirectory("isolate-shared")
        defer { try? FileManager.default.removeItem(at: folder) }
        let env = environment(["CROSSRUN_DEMO_SHARED_STATE": "1"])
        let json = folder.appendingPathComponent("r.json").path
        let together = try crossrun(["--no-resume", "--json", json, binary, "claims_shared_resource"], environment: env)
        #expect(together.status == 101)
        let failed = Self.outcomes(try readResults(json)).filter { $0.value == "failed" }.map(\.key)
        #expect(failed.count == 1, "exactly the second claimant fails: \(failed)")
        let isolated = try crossrun(["--isolate", "-j", "2", "--json", json, binary, "claims_shared_resource"], environment: env)
        #expect(isolated.status == 0, "\(isolated.stdoutText)\n\(isolated.stderrText)")
        let results = try readResults(json)
        #expect(Self.outcomes(results) == ["reliability::claims_shared_resource_a": "passed", "reliability::claims_shared_resource_b": "passed"])
        // The filter left the other tests out, and libtest's closing line says how many.
        let printed = try #require(LibtestCounts.all(in: isolated.stdoutText).first)
        #expect(printed.passed == 2)
        #expect(isolated.stdoutText.range(of: #"; [1-9][0-9]* filtered out;"#, options: .regularExpression) != nil, "\(isolated.stdoutText)")
    }

    @Test("--isolate with --test-timeout: the hanging test alone times out, every other test passes, status 124, no qemu left")
    func testTimeout() throws {
        let binary = try ReliabilityDemo.build()
        let folder = try temporaryDirectory("isolate-timeout")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (env, marker) = Support.markedEnvironment(["CROSSRUN_DEMO_HANG": "1"])
        let json = folder.appendingPathComponent("r.json").path
        let junit = folder.appendingPathComponent("r.xml").path
        let result = try crossrun(["--isolate", "-j", "2", "--test-timeout", "2s", "--kill-grace", "1s", "--json", json, "--junit", junit, binary], environment: env)
        #expect(result.status == 124, "\(result.stderrText)")
        #expect(Support.leftovers(marker).isEmpty, "still running: \(Support.leftovers(marker))")
        let results = try readResults(json)
        let tests = Support.tests(results)
        let hung = try #require(tests["reliability::hangs"])
        #expect(hung["outcome"] as? String == "error")
        #expect(hung["errorKind"] as? String == "timeout")
        for (name, test) in tests where name != "reliability::hangs" {
            #expect(["passed", "ignored"].contains(test["outcome"] as? String ?? ""), "\(name): \(test)")
        }
        #expect(try schemaProblems(junit) == nil)
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("type=\"timeout\""))
    }

    @Test("SIGTERM to crossrun under --isolate reaches every running test process; the report is written, status 143")
    func interrupted() throws {
        let binary = try ReliabilityDemo.build()
        let folder = try temporaryDirectory("isolate-interrupt")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        let junit = folder.appendingPathComponent("r.xml").path
        let (env, marker) = Support.markedEnvironment(["CROSSRUN_DEMO_HANG": "1"])
        // Once every other test has its line (2 ignored, 13 ended), only the hanging one runs.
        let ended = try Support.interrupt(["--isolate", "-j", "2", "--json", json, "--junit", junit, binary], environment: env, in: folder) {
            $0.components(separatedBy: " ... ").count - 1 >= 15
        }
        #expect(ended.reason == .exit)
        #expect(ended.status == 143)
        #expect(Support.leftovers(marker).isEmpty, "still running: \(Support.leftovers(marker))")
        let results = try readResults(json)
        #expect((results["interrupted"] as? [String: Any])?["signalName"] as? String == "SIGTERM")
        let tests = Support.tests(results)
        #expect(tests["reliability::hangs"]?["errorKind"] as? String == "interrupted")
        #expect(tests["tests::reverse_words_works"]?["outcome"] as? String == "passed")
        #expect(try schemaProblems(junit) == nil)
    }

    @Test("--isolate keeps JSON output and terse output usable", arguments: [
        ["-Z", "unstable-options", "--format", "json"], ["-q"],
    ])
    func outputFormats(arguments: [String]) throws {
        let binary = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        let result = try crossrun(["--isolate", "--no-report", binary] + arguments)
        #expect(result.status == 0, "\(result.stderrText)")
        if arguments.contains("json") {
            // Each test process's own JSON events, unchanged and whole: every line parses.
            let lines = result.stdoutText.split(separator: "\n")
            #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
            let passed = lines.filter { $0.contains("\"event\": \"ok\"") && $0.contains("\"type\": \"test\"") }
            #expect(passed.count == 10)
        } else {
            #expect(result.stdoutText.contains(".........."))
            #expect(!result.stdoutText.contains(" ... ok"))
            #expect(LibtestCounts.all(in: result.stdoutText).first?.passed == 10)
        }
    }

    @Test("--isolate settings: environment, config file, and bad values are one line, status 125")
    func settings() throws {
        let binary = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        let folder = try temporaryDirectory("isolate-settings")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        let fromEnvironment = try crossrun(["--json", json, binary], environment: environment(["CROSSRUN_ISOLATE": "1", "CROSSRUN_JOBS": "2"]))
        #expect(fromEnvironment.status == 0)
        #expect((try readResults(json)["isolation"] as? [String: Any])?["jobs"] as? Int == 2)
        try "isolate = true\njobs = 1\n".write(to: folder.appendingPathComponent("crossrun.toml"), atomically: true, encoding: .utf8)
        let fromFile = try crossrun(["--json", json, binary], in: folder)
        #expect(fromFile.status == 0)
        #expect((try readResults(json)["isolation"] as? [String: Any])?["jobs"] as? Int == 1)
        for (arguments, env): ([String], [String: String?]) in [
            (["--isolate", "--jobs", "0"], [:]), (["--isolate"], ["CROSSRUN_JOBS": "none"]), ([], ["CROSSRUN_ISOLATE": "maybe"]),
        ] {
            let bad = try crossrun(arguments + ["--no-report", binary], environment: environment(env))
            #expect(bad.status == 125 || bad.status == 64, "\(arguments) \(env)")
            #expect(bad.stderrText.split(separator: "\n").count <= 3, "\(bad.stderrText)")
            #expect(bad.stdout.isEmpty)
        }
    }

    @Test("a program that is not a libtest binary runs as one process under --isolate, with a note")
    func plainProgram() throws {
        let program = try Examples.c("plain_exit-aarch64-static")
        let result = try crossrun(["--isolate", "--no-report", program, "3"])
        #expect(result.status == 3)
        #expect(result.stdoutText.contains("plain_exit: 3"))
        #expect(result.stderrText.contains("running it as one process"))
    }
}

import Foundation
import Testing

/// `--isolate`'s fork server (docs/isolation.md): real qemu-user, the real cross-built demo, the preload library
/// built by crossrun with the real cross gcc.
@Suite struct ForkServerTests {
    typealias Support = TimeoutRetryTests

    static let forked = "each forked from a fork server"
    static let warmed = "each forked from a fork server (one qemu start, its harness warmed up)"

    static func outcomes(_ results: [String: Any]) -> [String: String] {
        Support.tests(results).mapValues { $0["outcome"] as? String ?? "" }
    }

    /// The demo with its reliability and fork-server tests (`--cfg crossrun_demo_reliability --cfg
    /// crossrun_demo_forkserver`), or statically linked (`+crt-static`), for aarch64; built once per test process.
    enum Demo {
        static func forkServer() throws -> String {
            try Examples.demoTests(variant: "forkserver", rustflags: "--cfg crossrun_demo_reliability --cfg crossrun_demo_forkserver")
        }

        static func staticallyLinked() throws -> String {
            try Examples.demoTests(variant: "static", rustflags: "-C target-feature=+crt-static")
        }
    }

    /// `crossrun --isolate -j JOBS` on `binary` with these environment changes, run in a folder of its own (named in
    /// `CROSSRUN_PROBE_CWD` for Examples/c/forkserver_probe.c): how it ended and its results JSON.
    static func isolated(_ binary: String, _ changes: [String: String?], jobs: Int = 2, options: [String] = []) throws -> (ProcessResult, [String: Any]) {
        let folder = try temporaryDirectory("forkserver-isolated")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        var changes = changes
        changes["CROSSRUN_PROBE_CWD"] = folder.resolvingSymlinksInPath().path
        changes["CROSSRUN_PROBE"] = "1"
        let result = try crossrun(["--isolate", "-j", "\(jobs)", "--json", json] + options + [binary], environment: environment(changes), in: folder)
        return (result, try readResults(json))
    }

    /// `KEY value` lines of a process report the demo's fork-server tests write.
    static func report(_ url: URL) throws -> [String: String] {
        var fields: [String: String] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            for key in ["pid", "args", "LD_PRELOAD", "CROSSRUN_FORKSERVER_FD", "CROSSRUN_FORKSERVER_WARM", "stdin at end", "earlier tests", "cwd"] where line.hasPrefix(key + " ") {
                fields[key] = String(line.dropFirst(key.count + 1))
            }
        }
        return fields
    }

    @Test("tests that share process-wide state pass under the fork server, each in a fresh process of its own, also when the second job moves to a fork of the shared server before its first test (CROSSRUN_FORKSERVER_SIBLING_AFTER=0); they fail together in one process", arguments: [nil, "0"] as [String?])
    func freshProcessPerTest(siblingAfter: String?) throws {
        let binary = try Demo.forkServer()
        let folder = try temporaryDirectory("forkserver-fresh")
        defer { try? FileManager.default.removeItem(at: folder) }
        let reports = folder.appendingPathComponent("reports")
        try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
        var variables = ["CROSSRUN_DEMO_SHARED_STATE": "1", "CROSSRUN_DEMO_PROCESS_DIR": reports.path]
        if let siblingAfter { variables["CROSSRUN_FORKSERVER_SIBLING_AFTER"] = siblingAfter }
        let (env, marker) = Support.markedEnvironment(variables)
        let json = folder.appendingPathComponent("r.json").path
        let junit = folder.appendingPathComponent("r.xml").path
        let isolated = try crossrun(["--isolate", "-j", "2", "--json", json, "--junit", junit, binary], environment: env, in: folder)
        #expect(isolated.status == 0, "\(isolated.stdoutText)\n\(isolated.stderrText)")
        #expect(isolated.stderrText.contains("crossrun: --isolate: 17 test processes for crossrun_demo, up to 2 at a time, \(Self.warmed)"), "\(isolated.stderrText)")
        #expect(Support.leftovers(marker).isEmpty, "still running: \(Support.leftovers(marker))")
        let results = try readResults(json)
        // The second job's server: forked from the shared one (its first test comes a moment after the first
        // job's, so it has one of the 17), or none with the default (64 tests).
        let siblings = (results["isolation"] as? [String: Any])?["siblings"] as? Int
        #expect(siblings == (siblingAfter == nil ? nil : 1), "\(results["isolation"] ?? "none")")
        let outcomes = Self.outcomes(results)
        #expect(outcomes.count == 19)
        #expect(outcomes.filter { $0.value != "passed" }.keys.sorted() == ["tests::needs_real_hardware", "tests::slow_exhaustive_add"], "\(outcomes)")
        #expect(outcomes["reliability::claims_shared_resource_a"] == "passed")
        #expect(outcomes["reliability::claims_shared_resource_b"] == "passed")
        #expect(try schemaProblems(junit) == nil)

        // What each test's process saw from inside.
        var pids: Set<String> = []
        for letter in ["a", "b", "c"] {
            let seen = try Self.report(reports.appendingPathComponent("\(letter).txt"))
            pids.insert(seen["pid"] ?? "")
            #expect(seen["args"]?.hasSuffix("--exact forkserver::reports_its_process_\(letter)") == true, "\(seen)")
            #expect(seen["LD_PRELOAD"] == "false", "the preload variable reached the test: \(seen)")
            #expect(seen["CROSSRUN_FORKSERVER_FD"] == "false", "\(seen)")
            #expect(seen["CROSSRUN_FORKSERVER_WARM"] == "false", "\(seen)")
            #expect(seen["stdin at end"] == "true", "\(seen)")
            #expect(seen["earlier tests"] == "0", "another test ran in this process before: \(seen)")
            #expect(seen["cwd"] == folder.resolvingSymlinksInPath().path || seen["cwd"] == folder.path, "\(seen)")
        }
        #expect(pids.count == 3 && !pids.contains(""), "each test has a pid of its own: \(pids)")

        // The same tests in one process: the second claimant fails, and the counter counts every earlier test.
        try FileManager.default.removeItem(at: reports)
        try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
        let together = try crossrun(["--no-resume", "--json", json, binary], environment: env, in: folder)
        #expect(together.status == 101)
        let failed = Self.outcomes(try readResults(json)).filter { $0.value == "failed" }.map(\.key)
        #expect(failed.count == 1 && failed.first?.hasPrefix("reliability::claims_shared_resource_") == true, "\(failed)")
        let earlier = try ["a", "b", "c"].map { try Self.report(reports.appendingPathComponent("\($0).txt"))["earlier tests"] ?? "" }
        #expect(Set(earlier) == ["0", "1", "2"], "\(earlier)")
    }

    @Test("a crash, an abort, a hang under --test-timeout and SIGTERM inside forked test processes are reported per test, as with one qemu per test")
    func crashesAndHangs() throws {
        let binary = try Demo.forkServer()
        let library = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        let folder = try temporaryDirectory("forkserver-faults")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path

        // Crashes: the same outcomes and messages as one emulator per test.
        var crashes: [[String: [String: Any]]] = []
        for server in ["1", "0"] {
            let (env, marker) = Support.markedEnvironment(["CROSSRUN_DEMO_CRASH": "1", "CROSSRUN_FORK_SERVER": server])
            let result = try crossrun(["--isolate", "-j", "2", "--json", json, library], environment: env)
            #expect(result.status == 101, "\(result.stderrText)")
            #expect(result.stderrText.contains(server == "1" ? Self.forked : "no fork server: CROSSRUN_FORK_SERVER=0"), "\(result.stderrText)")
            #expect(Support.leftovers(marker).isEmpty, "still running: \(Support.leftovers(marker))")
            crashes.append(Support.tests(try readResults(json)))
        }
        for name in Set(crashes[0].keys).union(crashes[1].keys) {
            #expect(crashes[0][name]?["outcome"] as? String == crashes[1][name]?["outcome"] as? String, "\(name)")
            #expect(crashes[0][name]?["message"] as? String == crashes[1][name]?["message"] as? String, "\(name)")
        }
        #expect((crashes[0]["crash::segfaults"]?["message"] as? String ?? "").contains("SIGSEGV"))
        #expect(crashes[0]["crash::segfaults"]?["outcome"] as? String == "error")
        #expect(crashes[0]["crash::aborts"]?["outcome"] as? String == "error")
        #expect(crashes[0]["tests::add_small_numbers"]?["outcome"] as? String == "passed")

        // A hang: the test-timeout stops that forked process alone.
        let (env, marker) = Support.markedEnvironment(["CROSSRUN_DEMO_HANG": "1"])
        let hung = try crossrun(["--isolate", "-j", "2", "--test-timeout", "2s", "--kill-grace", "1s", "--json", json, binary], environment: env)
        #expect(hung.status == 124, "\(hung.stderrText)")
        #expect(hung.stderrText.contains(Self.forked), "\(hung.stderrText)")
        #expect(Support.leftovers(marker).isEmpty, "still running: \(Support.leftovers(marker))")
        let tests = Support.tests(try readResults(json))
        #expect(tests["reliability::hangs"]?["errorKind"] as? String == "timeout")
        for (name, test) in tests where name != "reliability::hangs" {
            #expect(["passed", "ignored"].contains(test["outcome"] as? String ?? ""), "\(name): \(test)")
        }

        // SIGTERM to crossrun reaches the forked process that hangs; the report is written, status 143.
        let (termEnv, termMarker) = Support.markedEnvironment(["CROSSRUN_DEMO_HANG": "1"])
        let ended = try Support.interrupt(["--isolate", "-j", "2", "--json", json, binary], environment: termEnv, in: folder) {
            $0.components(separatedBy: " ... ").count - 1 >= 18
        }
        #expect(ended.status == 143)
        #expect(Support.leftovers(termMarker).isEmpty, "still running: \(Support.leftovers(termMarker))")
        #expect(Support.tests(try readResults(json))["reliability::hangs"]?["errorKind"] as? String == "interrupted")
    }

    @Test("other Linux targets fork too and give the outcomes one emulator per test gives; PowerPC says why it does not", arguments: [
        ("i686-unknown-linux-gnu", nil), ("armv7-unknown-linux-gnueabihf", nil), ("s390x-unknown-linux-gnu", nil),
        ("mips64el-unknown-linux-gnuabi64", nil), ("powerpc64le-unknown-linux-gnu", "no fork server: PowerPC's __libc_start_main is not wrapped"),
    ] as [(String, String?)])
    func otherTargets(triple: String, fallback: String?) throws {
        let binary = try Examples.rustDemoLibrary(triple)
        let folder = try temporaryDirectory("forkserver-targets")
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("r.json").path
        var outcomes: [[String: String]] = []
        for server in ["1", "0"] {
            let env = environment(["CROSSRUN_DEMO_CRASH": "1", "CROSSRUN_FORK_SERVER": server])
            let result = try crossrun(["--isolate", "-j", "2", "--json", json, binary], environment: env)
            #expect(result.status == 101, "\(result.stderrText)")
            if server == "1" { #expect(result.stderrText.contains(fallback ?? Self.warmed), "\(result.stderrText)") }
            outcomes.append(Self.outcomes(try readResults(json)))
        }
        #expect(outcomes[0] == outcomes[1])
        #expect(outcomes[0]["crash::segfaults"] == "error")
        #expect(outcomes[0]["tests::add_small_numbers"] == "passed")
    }

    enum Warm: String, CaseIterable, Sendable {
        case undone, exitCalled, threadLeft, turnedOff, carryOff, uncarried
    }

    /// `isolation.successors` of a results JSON: how many successors took over (nil: none could).
    static func successors(_ results: [String: Any]) -> Int? {
        (results["isolation"] as? [String: Any])?["successors"] as? Int
    }

    @Test("the warm-up's run of main and of exit()'s handlers, and a whole test's run in a successor, are undone before a test's process is forked (a static counter, a heap block, a descriptor, a signal handler, the working directory, the file mode mask, the environment), and a test's process gets glibc's answer for its main thread's stack, on 64- and 32-bit, little- and big-endian targets, and under musl; a warm-up or successor that cannot be undone, or is turned off, gives a server without it", arguments: ["aarch64", "armv7", "s390x", "i686", "aarch64-musl"], Warm.allCases)
    func warmUpIsUndone(arch: String, warm: Warm) throws {
        // Examples/c/forkserver_probe.c: each test fails unless main has run once in its process.
        let binary = try Examples.c("forkserver_probe-\(arch)")
        var variables: [String: String?] = [:]
        var options: [String] = []
        if arch.hasSuffix("-musl") {
            // musl-dev's aarch64-linux-musl-gcc builds the library; Debian's musl is the sysroot.
            variables["PATH"] = MuslPackages.folder + "/bin:" + (environment()["PATH"] ?? "/usr/bin")
            options = ["--sysroot", MuslPackages.folder + "/root"]
        }
        let line: String
        // One job: the first test's process leaves a successor, which forks the second, whose successor forks the
        // third (the 1st and 2nd requests ask for one).
        var successors: Int? = 2
        // The probe's exit handler writes main's last argument: it runs once in each listing, each test's process
        // and at the end of a warm-up (one that cannot be undone too), never in a successor.
        let listings = ["--list", "--ignored"], tests = ["probe::first", "probe::second", "probe::third"]
        var exits = listings + ["crossrun-forkserver-warm-up-matches-no-test"] + tests
        switch warm {
        case .undone:
            line = Self.warmed
        case .exitCalled:
            variables["CROSSRUN_PROBE_EXIT"] = "1"
            line = Self.warmed
        case .threadLeft:
            variables["CROSSRUN_PROBE_THREAD"] = "1"
            line = "(one qemu start, no warm-up: the warm-up could not be undone: a thread the warm-up started is still running)"
            successors = nil
        case .turnedOff:
            variables["CROSSRUN_FORKSERVER_WARM"] = "0"
            line = "(one qemu start, no warm-up: CROSSRUN_FORKSERVER_WARM=0)"
            successors = nil
            exits = listings + tests
        case .carryOff:
            variables["CROSSRUN_FORKSERVER_CARRY"] = "0"
            line = Self.warmed
            successors = nil
        case .uncarried:
            // Each test leaves a page read-only: no successor can put that back, so none serves.
            variables["CROSSRUN_PROBE_PROTECT"] = "1"
            line = Self.warmed
            successors = 0
        }
        let exitLines = try temporaryDirectory("forkserver-exits")
        defer { try? FileManager.default.removeItem(at: exitLines) }
        variables["CROSSRUN_PROBE_EXITS"] = exitLines.appendingPathComponent("exits").path
        let (result, results) = try Self.isolated(binary, variables, jobs: 1, options: options)
        #expect(result.status == 0, "\(result.stdoutText)\n\(result.stderrText)")
        #expect(result.stderrText.contains(line), "\(result.stderrText)")
        #expect(Self.outcomes(results) == ["probe::first": "passed", "probe::second": "passed", "probe::third": "passed"])
        #expect(Self.successors(results) == successors)
        let ran = try String(contentsOf: exitLines.appendingPathComponent("exits"), encoding: .utf8)
        #expect(ran.split(separator: "\n").map(String.init).sorted() == exits.sorted(), "\(ran)")
    }

    enum MuslCase: String, CaseIterable, Sendable {
        case passing, failing, noCompiler
    }

    @Test("a dynamically linked musl binary forks from a warm fork server built with musl's cross gcc (musl-dev's aarch64-linux-musl-gcc), each test in a fresh process, with the outcomes one emulator per test gives; without a musl cross gcc it says why", arguments: MuslCase.allCases)
    func musl(_ musl: MuslCase) throws {
        // Examples/c/forkserver_probe.c built against musl: each test fails unless main has run once in its process.
        let binary = try Examples.c("forkserver_probe-aarch64-musl")
        let folder = try temporaryDirectory("forkserver-musl")
        defer { try? FileManager.default.removeItem(at: folder) }
        let exits = folder.appendingPathComponent("exits").path
        let json = folder.appendingPathComponent("r.json").path
        let base = environment()["PATH"] ?? "/usr/bin"
        var changes: [String: String?] = [
            "CROSSRUN_PROBE": "1", "CROSSRUN_PROBE_EXITS": exits,
            "CROSSRUN_PROBE_CWD": musl == .failing ? "/not-the-working-directory" : folder.resolvingSymlinksInPath().path,
            "PATH": musl == .noCompiler ? base : MuslPackages.folder + "/bin:" + base,
        ]
        var outcomes: [[String: String]] = []
        for server in ["1", "0"] {
            changes["CROSSRUN_FORK_SERVER"] = server
            try? FileManager.default.removeItem(atPath: exits)
            let result = try crossrun(
                ["--isolate", "-j", "1", "--sysroot", MuslPackages.folder + "/root", "--json", json, binary], environment: environment(changes), in: folder)
            #expect(result.status == (musl == .failing ? 101 : 0), "\(result.stdoutText)\n\(result.stderrText)")
            outcomes.append(Self.outcomes(try readResults(json)))
            guard server == "1" else { continue }
            let line = musl == .noCompiler
                ? "one emulator start per test (no fork server: no musl cross C compiler (aarch64-linux-musl-gcc) on PATH to build the fork server with)"
                : Self.warmed
            #expect(result.stderrText.contains(line), "\(result.stderrText)")
            // main ran in each listing, the warm-up and each test's process. The server lists the ignored tests as
            // `--list --ignored` in place of its last two arguments; without it, that listing is `--ignored --list`.
            let listings = musl == .noCompiler ? ["--list", "--list"] : ["--ignored", "--list", "crossrun-forkserver-warm-up-matches-no-test"]
            let ran = try String(contentsOfFile: exits, encoding: .utf8)
            #expect(ran.split(separator: "\n").map(String.init).sorted() == listings + ["probe::first", "probe::second", "probe::third"], "\(ran)")
        }
        let expected = musl == .failing ? "failed" : "passed"
        #expect(outcomes[0] == ["probe::first": expected, "probe::second": expected, "probe::third": expected])
        #expect(outcomes[0] == outcomes[1])
    }

    enum Fallback: String, CaseIterable, Sendable {
        case staticBinary, wasm, turnedOff
    }

    @Test("--isolate falls back to one emulator per test where there is no fork server, and says why", arguments: Fallback.allCases)
    func fallsBack(_ fallback: Fallback) throws {
        let binary: String
        var changes: [String: String?] = [:]
        let reason: String
        switch fallback {
        case .staticBinary:
            binary = try Demo.staticallyLinked()
            reason = "no fork server: statically linked binary"
        case .wasm:
            binary = try Examples.rustDemoLibrary("wasm32-wasi")
            reason = "no fork server: the fork server is for qemu-user, not "
        case .turnedOff:
            binary = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
            changes["CROSSRUN_FORK_SERVER"] = "off"
            reason = "no fork server: CROSSRUN_FORK_SERVER=off"
        }
        let (result, results) = try Self.isolated(binary, changes)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.contains("one emulator start per test (\(reason)"), "\(result.stderrText)")
        #expect(Self.outcomes(results).values.filter { $0 == "passed" }.count >= 9)
        // One process per test that ran (wasm's libtest also ignores a should_panic test inside its process).
        #expect(((results["isolation"] as? [String: Any])?["processes"] as? Int ?? 0) >= Self.outcomes(results).values.filter { $0 == "passed" }.count)
    }

    @Test("a fork-server setting that is not valid is one line, status 125", arguments: [
        ("CROSSRUN_FORK_SERVER", "sometimes", "1, 0, true, false, yes, no, on or off"),
        ("CROSSRUN_FORKSERVER_CARRY", "sometimes", "1, 0, true, false, yes, no, on or off"),
        ("CROSSRUN_FORKSERVER_SIBLING_AFTER", "soon", "a number of tests, 0 or more"),
        ("CROSSRUN_FORKSERVER_SIBLING_AFTER", "-1", "a number of tests, 0 or more"),
    ])
    func badSetting(variable: String, value: String, expected: String) throws {
        let binary = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        let result = try crossrun(["--isolate", "--no-report", binary], environment: environment([variable: value]))
        #expect(result.status == 125)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderrText)")
        #expect(result.stderrText.contains("\(variable)=\(value) is not valid; expected \(expected)"), "\(result.stderrText)")
    }
}

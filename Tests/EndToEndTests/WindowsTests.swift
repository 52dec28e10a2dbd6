import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import Testing

/// Windows PE test executables under wine (docs/windows.md): rust-demo's suites built for x86_64-pc-windows-gnu
/// through cargo's runner contract, a mingw C program whose C runtime prints `\r\n`, and the refusals: wine not
/// installed (127) and a PE for a machine wine cannot run (125).
@Suite(.serialized, .enabled(if: Tool.available("cargo", "wine", "x86_64-w64-mingw32-gcc", "xmllint")))
struct WindowsTests {
    static let triple = "x86_64-pc-windows-gnu"
    static let runnerVariable = cargoRunnerVariable(triple)

    /// The JUnit file's counts (tests, failures, errors, skipped), schema-checked.
    func junitCounts(_ path: String) throws -> (tests: Int, failures: Int, errors: Int, skipped: Int, document: XMLDocument) {
        #expect(try schemaProblems(path) == nil)
        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: path))
        let suite = try #require(try document.nodes(forXPath: "/testsuites/testsuite").first as? XMLElement)
        func count(_ name: String) -> Int { Int(suite.attribute(forName: name)?.stringValue ?? "") ?? -1 }
        return (count("tests"), count("failures"), count("errors"), count("skipped"), document)
    }

    @Test("cargo test --target x86_64-pc-windows-gnu with crossrun as runner: libtest's exit status and counts, valid JUnit",
          arguments: [false, true])
    func cargoRunner(failing: Bool) throws {
        try Examples.build()
        let reports = try temporaryDirectory("windows-cargo")
        defer { try? FileManager.default.removeItem(at: reports) }
        let env = environment([
            Self.runnerVariable: crossrunExecutable, "CROSSRUN_DEMO_FAIL": failing ? "1" : nil, "CROSSRUN_REPORT_DIR": reports.path,
        ])
        let result = try run("/usr/bin/cargo", ["test", "--offline", "--target", Self.triple, "--", "--test-threads=1"], environment: env, in: Examples.rustDemo)
        #expect(result.status == (failing ? 101 : 0), "\(result.stderrText)")
        let summaries = result.stderrText.split(separator: "\n").filter { $0.hasPrefix("crossrun: ") }
        // With the failure cargo stops after the library's unit tests; otherwise both test executables ran.
        #expect(summaries.count == (failing ? 1 : 2), "\(result.stderrText)")
        #expect(summaries.allSatisfy { $0.contains("[x86_64-windows via wine]") })
        // wine's own diagnostics stay out of the test's output (WINEDEBUG=-all).
        #expect(!result.stderrText.contains("fixme:") && !result.stderrText.contains("err:"))
        let libtest = LibtestCounts.all(in: result.stdoutText)
        // Exact outcomes of rust-demo's suites: the library's 12 tests (2 ignored; opt_in_failure fails with
        // CROSSRUN_DEMO_FAIL=1) and the integration tests' 3.
        #expect(libtest.first == LibtestCounts(passed: failing ? 9 : 10, failed: failing ? 1 : 0, ignored: 2, measured: 0))
        if !failing { #expect(libtest.count == 2 && libtest.last == LibtestCounts(passed: 3, failed: 0, ignored: 0, measured: 0)) }
        let files = try FileManager.default.contentsOfDirectory(atPath: reports.path).filter { $0.hasSuffix(".xml") }.sorted()
        #expect(files.count == libtest.count)
        let library = try #require(files.first { $0.hasPrefix("crossrun_demo-") && $0.hasSuffix(".exe.xml") })
        let counts = try junitCounts(reports.appendingPathComponent(library).path)
        #expect(counts.tests == 12 && counts.failures == (failing ? 1 : 0) && counts.errors == 0 && counts.skipped == 2)
        if failing {
            let failure = try #require(try counts.document.nodes(forXPath: "//testcase[@name='opt_in_failure']/failure").first as? XMLElement)
            #expect(failure.stringValue?.contains("panicked") == true)
            #expect(failure.attribute(forName: "message")?.stringValue?.contains("left == right") == true)
        }
    }

    @Test("a mingw C program's \\r\\n output is parsed like \\n (exact names, exit status passed through)", arguments: [false, true])
    func crlfProgram(failing: Bool) throws {
        let program = try Examples.c("libtest_style-x86_64-windows.exe")
        let reports = try temporaryDirectory("windows-crlf")
        defer { try? FileManager.default.removeItem(at: reports) }
        let junit = reports.appendingPathComponent("c.xml").path
        let result = try crossrun(["--junit", junit, program] + (failing ? ["--fail"] : []))
        #expect(result.status == (failing ? 101 : 0), "\(result.stderrText)")
        #expect(result.stdoutText.contains("test math::add ... ok\r\n"))
        let counts = try junitCounts(junit)
        #expect(counts.tests == 3 && counts.failures == (failing ? 1 : 0) && counts.errors == 0 && counts.skipped == 1)
        let names = try counts.document.nodes(forXPath: "//testcase/@name").compactMap(\.stringValue).sorted()
        #expect(names == ["add", "div", "overflow"])
        let data = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(!data.contains("\r") && !data.contains("&#13;") && !data.contains("&#xD;"))
    }

    @Test("a crash is a crash: abort() exits 9 (0xC0000409), an access violation 5, the rest resumed")
    func crashes() throws {
        let binary = try Examples.rustDemoLibrary(Self.triple)
        let reports = try temporaryDirectory("windows-crash")
        defer { try? FileManager.default.removeItem(at: reports) }
        let junit = reports.appendingPathComponent("crash.xml").path
        let result = try crossrun(["--junit", junit, binary, "--test-threads=1"], environment: environment(["CROSSRUN_DEMO_CRASH": "1"]))
        // libtest runs crash::aborts first: the first process's status is crossrun's.
        #expect(result.status == 9, "\(result.stderrText)")
        let counts = try junitCounts(junit)
        #expect(counts.tests == 12 && counts.errors == 2 && counts.failures == 0 && counts.skipped == 2)
        let aborted = try #require(try counts.document.nodes(forXPath: "//testcase[@name='aborts']/error").first as? XMLElement)
        #expect(aborted.attribute(forName: "message")?.stringValue?.contains("fail-fast abort") == true)
        let faulted = try #require(try counts.document.nodes(forXPath: "//testcase[@name='segfaults']/error").first as? XMLElement)
        #expect(faulted.attribute(forName: "message")?.stringValue?.contains("access violation") == true)
    }

    @Test("wine not installed: 127 and the install command, in one line")
    func wineMissing() throws {
        let binary = try Examples.rustDemoLibrary(Self.triple)
        let folder = try temporaryDirectory("windows-nowine")
        defer { try? FileManager.default.removeItem(at: folder) }
        // A PATH with no wine on it (crossrun itself is started by its path).
        let result = try crossrun([binary], environment: environment(["PATH": folder.path]))
        #expect(result.status == 127)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(result.stderrText.contains("no emulator for x86_64-windows found (looked for wine, wine64 on PATH)"), "\(result.stderrText)")
        #expect(result.stderrText.contains("apt-get install wine wine64"))
    }

    @Test("an arm64 PE is refused (125) in one line naming it, without starting wine")
    func arm64Refused() throws {
        let binary = try Examples.rustDemoLibrary(Self.triple)
        let folder = try temporaryDirectory("windows-arm64")
        defer { try? FileManager.default.removeItem(at: folder) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: binary)))
        let pe = Int(bytes[0x3C]) | Int(bytes[0x3D]) << 8
        bytes[pe + 4] = 0x64
        bytes[pe + 5] = 0xAA
        let arm64 = folder.appendingPathComponent("tests-arm64.exe")
        try Data(bytes).write(to: arm64)
        let result = try crossrun([arm64.path])
        #expect(result.status == 125)
        #expect(result.stderrText.split(separator: "\n").count == 1)
        #expect(result.stderrText.contains("is a Windows PE executable (arm64, console); wine runs x86-64 and i386 Windows programs only"), "\(result.stderrText)")
        #expect(result.stdout.isEmpty)
    }

    /// Runs crossrun twice on the mingw program with its wine prefix in `cache`, from a plain parent (python3, as
    /// cargo or a shell would start it), and prints the names of the processes of that prefix still running right
    /// after the second run, then (`--- later`) those still running 15 s later.
    static let lingerProbe = """
        import os, subprocess, sys, time
        crossrun, program, cache = sys.argv[1:4]
        env = dict(os.environ, CROSSRUN_CACHE_DIR=cache)
        for _ in range(2):
            subprocess.run([crossrun, "--no-report", program], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, check=True)
        wanted = ("WINEPREFIX=" + cache + "/wine/prefix").encode()
        def running():
            names = []
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    state = open(f"/proc/{pid}/stat", "rb").read().rsplit(b")", 1)[1].split()[0]
                    if state != b"Z" and wanted in open(f"/proc/{pid}/environ", "rb").read().split(b"\\0"):
                        names.append(open(f"/proc/{pid}/comm").read().strip())
                except OSError:
                    pass
            return names
        print("\\n".join(running()))
        time.sleep(15)
        print("--- later")
        print("\\n".join(running()))
        """

    @Test("wine's server outlives the run, so the next one starts warm, and then ends by itself; nothing else is left")
    func wineServerLingers() throws {
        let cache = try temporaryDirectory("windows-linger")
        defer { try? FileManager.default.removeItem(at: cache) }
        let probe = try run(
            "/usr/bin/python3", ["-c", Self.lingerProbe, crossrunExecutable, try Examples.c("libtest_style-x86_64-windows.exe"), cache.path])
        #expect(probe.status == 0, "\(probe.stderrText)")
        let parts = probe.stdoutText.components(separatedBy: "--- later")
        let left = parts[0].split(separator: "\n").map(String.init)
        #expect(left.contains { $0.hasPrefix("wineserver") }, "\(probe.stdoutText)")
        // Only wine's own server and system processes: the test executable and anything it started are gone.
        let services: Set<String> = [
            "wineserver", "wineserver64", "services.exe", "winedevice.exe", "plugplay.exe", "explorer.exe", "svchost.exe",
            "rpcss.exe", "conhost.exe",
        ]
        #expect(left.allSatisfy { services.contains($0) }, "\(left)")
        #expect(parts.count == 2 && parts[1].trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
                "wine's server did not end by itself: \(probe.stdoutText)")
    }
}

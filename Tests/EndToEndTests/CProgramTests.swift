import Foundation
import Testing

/// The C examples for riscv64 and arm soft-float: the right emulator and sysroot, output and status unchanged.
@Suite(.enabled(if: Tool.available("qemu-riscv64-static", "qemu-arm-static", "qemu-aarch64-static", "xmllint")))
struct CProgramTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var binary: String
        var runner: String
        var emulator: String
        /// nil for a static binary, which needs no sysroot.
        var sysroot: String?
        var testDescription: String { binary }
    }

    static let libtestStyle = [
        Case(binary: "libtest_style-riscv64", runner: "riscv64", emulator: "qemu-riscv64-static", sysroot: "/usr/riscv64-linux-gnu"),
        Case(binary: "libtest_style-riscv64-static", runner: "riscv64", emulator: "qemu-riscv64-static", sysroot: nil),
        Case(binary: "libtest_style-armel", runner: "armel", emulator: "qemu-arm-static", sysroot: "/usr/arm-linux-gnueabi"),
    ]

    func plainQemu(_ c: Case, _ arguments: [String], env: [String: String]) throws -> ProcessResult {
        let path = try Examples.c(c.binary)
        return try run("/usr/bin/\(c.emulator)", (c.sysroot.map { ["-L", $0] } ?? []) + [path] + arguments, environment: env)
    }

    @Test("libtest-style C program: same output and status as plain qemu, right emulator and sysroot, per-test JUnit",
          arguments: libtestStyle, [false, true])
    func libtestStyleProgram(c: Case, failing: Bool) throws {
        let reports = try temporaryDirectory("c")
        defer { try? FileManager.default.removeItem(at: reports) }
        let path = try Examples.c(c.binary)
        let arguments = failing ? ["--fail"] : []
        let junit = reports.appendingPathComponent("junit.xml").path
        let json = reports.appendingPathComponent("results.json").path
        let result = try crossrun(["--junit", junit, "--json", json, path] + arguments)
        let plain = try plainQemu(c, arguments, env: environment())
        #expect(result.status == plain.status)
        #expect(result.status == (failing ? 101 : 0))
        #expect(result.stdout == plain.stdout)

        #expect(try schemaProblems(junit) == nil)
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let launch = try #require(results?["launch"] as? [String: Any])
        #expect(launch["target"] as? String == c.runner)
        #expect(launch["emulator"] as? String == c.emulator)
        #expect(launch["sysroot"] as? String == c.sysroot)
        let argv = try #require(launch["argv"] as? [String])
        #expect(argv.contains("-L") == (c.sysroot != nil))
        let counts = try #require(results?["counts"] as? [String: Any])
        let libtest = try #require(LibtestCounts.all(in: result.stdoutText).first)
        #expect(counts["passed"] as? Int == libtest.passed)
        #expect(counts["failed"] as? Int == libtest.failed)
        #expect(counts["ignored"] as? Int == libtest.ignored)
        #expect(results?["format"] as? String == "libtest-pretty")
    }

    @Test("a program without libtest output is one test case whose outcome is its exit status", arguments: [0, 3, 42])
    func plainProgramExitStatus(code: Int) throws {
        let reports = try temporaryDirectory("plain")
        defer { try? FileManager.default.removeItem(at: reports) }
        let path = try Examples.c("plain_exit-riscv64")
        let result = try crossrun(["--report-dir", reports.path, path, String(code)])
        #expect(result.status == Int32(code))
        let junit = reports.appendingPathComponent("plain_exit-riscv64.xml").path
        #expect(try schemaProblems(junit) == nil)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("tests=\"1\""))
        #expect(xml.contains("<failure") == (code != 0))
        #expect(xml.contains("exit status \(code)") == (code != 0) || code == 0)
    }

    @Test("a guest that dies by a signal: 128+N, the signal's name in the summary and an <error> in JUnit",
          arguments: [("segv", 11, "SIGSEGV"), ("abort", 6, "SIGABRT")])
    func guestSignal(argument: String, signal: Int32, name: String) throws {
        let reports = try temporaryDirectory("signal")
        defer { try? FileManager.default.removeItem(at: reports) }
        let path = try Examples.c("plain_exit-aarch64-static")
        let result = try crossrun(["--report-dir", reports.path, path, argument], in: reports)
        #expect(result.status == 128 + signal)
        #expect(result.stderrText.contains(name))
        let junit = reports.appendingPathComponent("plain_exit-aarch64-static.xml").path
        #expect(try schemaProblems(junit) == nil)
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("<error"))
        // No core files from qemu or the host in the working directory.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: reports.path).filter { $0.contains("core") }
        #expect(leftovers.isEmpty)
    }
}

/// Issue acceptance: every example passes through crossrun with only a sysroot fetched from Debian's archive
/// (this machine's apt mirror), the Debian cross sysroots in /usr/<triple> ignored.
@Suite(.serialized, .enabled(if: Tool.available("qemu-aarch64-static", "qemu-arm-static", "qemu-riscv64-static", "gpgv")))
struct FetchedSysrootEndToEndTests {
    @Test("aarch64, armv7, arm soft-float and riscv64 examples pass with fetched sysroots only")
    func examplesWithFetchedSysroots() throws {
        let cache = try temporaryDirectory("fetched-cache")
        defer { try? FileManager.default.removeItem(at: cache) }
        let programs: [(path: String, runner: String)] = [
            (try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu"), "aarch64"),
            (try Examples.rustDemoLibrary("armv7-unknown-linux-gnueabihf"), "armv7"),
            (try Examples.c("libtest_style-armel"), "armel"),
            (try Examples.c("libtest_style-riscv64"), "riscv64"),
        ]
        let env = environment(["CROSSRUN_CACHE_DIR": cache.path, "CROSSRUN_IGNORE_SYSTEM_SYSROOTS": "1"])
        for program in programs {
            let json = cache.appendingPathComponent("\(program.runner).json").path
            let result = try crossrun(["--json", json, "--junit", cache.appendingPathComponent("\(program.runner).xml").path, program.path], environment: env)
            #expect(result.status == 0, "\(program.runner): \(result.stderrText)")
            let launch = try readResults(json)["launch"] as? [String: Any]
            #expect(launch?["target"] as? String == program.runner)
            #expect((launch?["sysroot"] as? String)?.hasPrefix(cache.path) == true, "\(String(describing: launch))")
            #expect((launch?["sysrootOrigin"] as? String)?.contains("sysroot cache") == true)
        }
        // The cache now serves them offline, and `sysroot verify` vouches for each.
        for program in programs {
            #expect(try crossrun(["--offline", "--no-report", program.path], environment: env).status == 0)
            #expect(try crossrun(["sysroot", "verify", program.runner], environment: env).status == 0)
        }
        let listed = try crossrun(["sysroot", "list"], environment: env)
        #expect(listed.stdoutText.split(separator: "\n").count == 4)
    }
}

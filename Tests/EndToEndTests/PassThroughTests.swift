import Foundation
import Testing

/// What a runner must pass through untouched: stdin, argv, environment, working directory, bytes, status.
@Suite(.enabled(if: Tool.available("qemu-aarch64-static")))
struct PassThroughTests {
    @Test("a host-native binary runs directly, with stdin, argv and exit status passed through")
    func nativeBinary() throws {
        let reports = try temporaryDirectory("native")
        defer { try? FileManager.default.removeItem(at: reports) }
        let input = Data("line one\nline two\n".utf8)
        let result = try crossrun(["--report-dir", reports.path, "/bin/cat"], stdin: input)
        #expect(result.status == 0)
        #expect(result.stdout == input)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: reports.appendingPathComponent("cat.json"))) as? [String: Any]
        #expect((json?["launch"] as? [String: Any])?["kind"] as? String == "native")
        let failing = try crossrun(["--no-report", "/bin/sh", "-c", "exit 7"])
        #expect(failing.status == 7)
    }

    @Test("arbitrary bytes (invalid UTF-8, control characters, ANSI) reach stdout unchanged and JUnit stays valid")
    func bytesUnchanged() throws {
        let reports = try temporaryDirectory("bytes")
        defer { try? FileManager.default.removeItem(at: reports) }
        let script = #"printf 'test weird ... ok\n\377\376\001\033[31mred\033[0m ]]> <&>\n'; printf 'to stderr\n' >&2"#
        let result = try crossrun(["--report-dir", reports.path, "/bin/sh", "-c", script])
        let expected = Data([UInt8]("test weird ... ok\n".utf8) + [0xFF, 0xFE, 0x01, 0x1B] + [UInt8]("[31mred".utf8) + [0x1B] + [UInt8]("[0m ]]> <&>\n".utf8))
        #expect(result.stdout == expected)
        #expect(result.stderrText.hasPrefix("to stderr\n"))
        #expect(try schemaProblems(reports.appendingPathComponent("sh.xml").path) == nil)
    }

    @Test("working directory and environment reach the guest under qemu")
    func environmentAndDirectory() throws {
        let library = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        // The opt-in failure is switched on through the environment: it must reach the guest.
        let directory = try temporaryDirectory("cwd")
        defer { try? FileManager.default.removeItem(at: directory) }
        let failing = try crossrun(["--no-report", library], environment: environment(["CROSSRUN_DEMO_FAIL": "1"]), in: directory)
        #expect(failing.status == 101)
        let passing = try crossrun(["--no-report", library], in: directory)
        #expect(passing.status == 0)
        // Options after the binary belong to the binary: `--quiet` here is libtest's, and crossrun still summarises.
        let quietLibtest = try crossrun(["--no-report", library, "--quiet"], in: directory)
        #expect(quietLibtest.status == 0)
        #expect(quietLibtest.stderrText.contains("crossrun: crossrun_demo"))
        #expect(!quietLibtest.stdoutText.contains("test tests::"))
    }
}

import Foundation
import Testing

/// An argument before the binary that starts with `-` and is no option of crossrun's is a usage error with
/// argument-parser's own "did you mean" (one line, 125), never taken for the binary; `--` forces the rest to be
/// the binary and its arguments, which still pass through untouched.
struct MistypedOptionTests {
    @Test("a mistyped option is one line naming the option crossrun has",
          arguments: [
              (["--no-reprot"], "Unknown option '--no-reprot'. Did you mean '--no-report'?"),
              (["--quiet", "--jnuit", "x.xml"], "Unknown option '--jnuit'. Did you mean '--junit'?"),
              (["run", "--isolat"], "Unknown option '--isolat'. Did you mean '--isolate'?"),
              (["-x"], "Unknown option '-x'."),
          ])
    func mistyped(options: [String], message: String) throws {
        let directory = try temporaryDirectory("mistyped")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try crossrun(options + ["/bin/true"], in: directory)
        #expect(result.status == 125)
        #expect(result.stdout.isEmpty)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderrText)")
        #expect(lines.first?.hasPrefix("crossrun: error: \(message)") == true, "\(result.stderrText)")
        #expect(result.stderrText.contains("Put -- before a binary whose name starts with -"))
        #expect(!result.stderrText.contains("no such file"))
        // Nothing ran, so nothing was written.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("-- makes the next word the binary, even one starting with -, and its arguments pass through")
    func terminator() throws {
        let directory = try temporaryDirectory("terminator")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(atPath: "/bin/echo", toPath: directory.appendingPathComponent("-odd-name").path)
        let result = try crossrun(["--no-report", "--", "./-odd-name", "hello", "--no-reprot", "--"], in: directory)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText == "hello --no-reprot --\n")
        // Without --, the same name is an unknown option.
        let refused = try crossrun(["--no-report", "-odd-name", "hello"], in: directory)
        #expect(refused.status == 125)
        #expect(refused.stderrText.hasPrefix("crossrun: error: Unknown option '-odd-name'"))
    }

    @Test("options after the binary still go to the binary untouched")
    func afterTheBinary() throws {
        let result = try crossrun(["--no-report", "/bin/echo", "--no-reprot", "-x", "--quiet"])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText == "--no-reprot -x --quiet\n")
    }
}

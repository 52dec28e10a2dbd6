import Foundation
import Testing

/// Every bad input gets one line on stderr that says what to do, nothing on stdout, and the documented status.
@Suite(.enabled(if: Tool.available("qemu-aarch64-static")))
struct BadInputTests {
    static let fixtures = packageRoot.appendingPathComponent("Tests/CrossRunKitTests/Fixtures/elf")

    /// Checks crossrun's answer: `status`, one `crossrun: error:` line containing each of `mentions`, empty stdout.
    func expectError(_ result: ProcessResult, status: Int32, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, "stderr: \(result.stderrText)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        let lines = result.stderrText.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "expected one line, got: \(result.stderrText)", sourceLocation: sourceLocation)
        #expect(lines.first?.hasPrefix("crossrun: error: ") == true, sourceLocation: sourceLocation)
        for text in mentions {
            #expect(result.stderrText.contains(text), "missing \(text) in: \(result.stderrText)", sourceLocation: sourceLocation)
        }
    }

    func file(_ name: String, bytes: [UInt8], in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test func missingFile() throws {
        expectError(try crossrun(["/nonexistent/test-binary"]), status: 125, mentions: ["/nonexistent/test-binary", "no such file"])
    }

    @Test func directory() throws {
        expectError(try crossrun(["/tmp"]), status: 125, mentions: ["/tmp is a directory"])
    }

    @Test func emptyFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        expectError(try crossrun([try file("empty", bytes: [], in: directory)]), status: 125, mentions: ["is empty"])
    }

    @Test func truncatedELF() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let head = try Data(contentsOf: Self.fixtures.appendingPathComponent("aarch64-dynamic.elf-head"))
        expectError(try crossrun([try file("cut", bytes: Array(head.prefix(40)), in: directory)]), status: 125, mentions: ["truncated ELF"])
    }

    @Test func notELF() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = try file("script.sh", bytes: Array("#!/bin/sh\necho hi\n".utf8), in: directory)
        expectError(try crossrun([script]), status: 125, mentions: ["neither an ELF executable nor a wasm module", "#!/b"])
    }

    @Test("unsupported machines name what was found and what is supported",
          arguments: [("hppa-static.elf-head", "parisc"), ("ppc64-elfv2-be-static.elf-head", "ppc64 elfv2")])
    func unsupportedMachine(fixture: String, machine: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = try Data(contentsOf: Self.fixtures.appendingPathComponent(fixture))
        let path = try file("foreign", bytes: Array(bytes), in: directory)
        expectError(try crossrun([path]), status: 125, mentions: [machine, "supported: aarch64", "riscv64"])
    }

    @Test func noReadPermission() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let path = try file("secret", bytes: Array("\u{7F}ELF".utf8), in: directory)
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: path)
        let result: ProcessResult
        if getuid() == 0 {
            // root reads anything: drop to an unprivileged user for this one run.
            result = try run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", crossrunExecutable, path])
        } else {
            result = try crossrun([path])
        }
        expectError(result, status: 125, mentions: ["cannot be read", "Permission denied"])
    }

    @Test func missingEmulator() throws {
        let path = try Examples.c("plain_exit-aarch64-static")
        var env = environment()
        env["PATH"] = "/nonexistent"
        expectError(try crossrun([path], environment: env), status: 127, mentions: ["qemu-aarch64-static", "apt-get install qemu-user-static"])
        // An emulator named in the configuration that does not exist is the same error.
        expectError(try crossrun(["--emulator", "qemu-nope", path]), status: 127, mentions: ["qemu-nope"])
    }

    @Test func missingLoader() throws {
        let path = try Examples.c("libtest_style-riscv64")
        let empty = try temporaryDirectory("sysroot")
        defer { try? FileManager.default.removeItem(at: empty) }
        // An explicit sysroot without the loader.
        expectError(try crossrun(["--sysroot", empty.path, path]), status: 126,
                    mentions: ["/lib/ld-linux-riscv64-lp64d.so.1", empty.path, "apt-get install libc6-riscv64-cross"])
        // No Debian sysroot at all: a runner definition that points elsewhere.
        let runners = try temporaryDirectory("runners")
        defer { try? FileManager.default.removeItem(at: runners) }
        let original = try String(contentsOf: packageRoot.appendingPathComponent("Runners/riscv64.toml"), encoding: .utf8)
        try original.replacingOccurrences(of: "\"/usr/riscv64-linux-gnu\"", with: "\"/nonexistent/riscv64\"")
            .write(to: runners.appendingPathComponent("riscv64.toml"), atomically: true, encoding: .utf8)
        // Offline, so no sysroot is fetched either: the error lists every place it looked.
        expectError(try crossrun([path], environment: environment(["CROSSRUN_RUNNERS_DIR": runners.path, "CROSSRUN_OFFLINE": "1"])), status: 126,
                    mentions: ["/lib/ld-linux-riscv64-lp64d.so.1", "/nonexistent/riscv64", "sysroot cache", "offline", "--sysroot"])
        // A sysroot that is not a folder.
        expectError(try crossrun([path], environment: environment(["CROSSRUN_SYSROOT": "/etc/hostname"])), status: 126,
                    mentions: ["/etc/hostname", "$CROSSRUN_SYSROOT"])
    }

    @Test func badFlagAndMissingBinary() throws {
        let noBinary = try crossrun([])
        #expect(noBinary.status == 125)
        #expect(noBinary.stderrText.contains("missing the test binary"))
        let badFlag = try crossrun(["--no-such-flag", "/bin/true"])
        #expect(badFlag.status == 125)
        #expect(badFlag.stderrText.hasPrefix("crossrun: error: "))
    }

    @Test("the subcommands crossrun starts itself with throw their errors to the one exit path")
    func subcommandErrors() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        expectError(
            try crossrun(["system-run", "--env", "A B", "--kernel", "/nonexistent/Image", "--busybox", "/nonexistent/busybox", "--", "/bin/true"]),
            status: 125, mentions: ["--env A B is not a valid variable name"])
        expectError(
            try crossrun(["system-run", "--qemu", "/nonexistent/qemu", "--kernel", "/nonexistent/Image", "--busybox", "/nonexistent/busybox", "--", "/bin/true"]),
            status: 127, mentions: ["no qemu-system-aarch64 found (looked for /nonexistent/qemu)"])
        expectError(try crossrun(["system-run"]), status: 125, mentions: ["missing the test binary", "(see crossrun --help)"])
        // Without --qemu, system-run looks the emulator up as run would: here crossrun.toml names one that is not there.
        try "[target.aarch64]\nemulator = \"/nonexistent/qemu-system-aarch64\"\n"
            .write(to: directory.appendingPathComponent("crossrun.toml"), atomically: true, encoding: .utf8)
        expectError(
            try crossrun(["system-run", "--kernel", "/nonexistent/Image", "--busybox", "/nonexistent/busybox", "--", "/bin/true"], in: directory),
            status: 127, mentions: ["no emulator for aarch64 found (looked for /nonexistent/qemu-system-aarch64 on PATH)"])
        let garbage = try file("garbage.wasm", bytes: Array("\0asm".utf8) + [1, 0, 0, 0] + Array("garbage".utf8), in: directory)
        expectError(try crossrun(["wasm-run", "--", garbage]), status: 126, mentions: [garbage, "cannot be loaded as a wasm module"])
        let version = try crossrun(["--version"])
        #expect(version.status == 0)
        #expect(version.stderr.isEmpty)
        #expect(!version.stdoutText.isEmpty)
    }

    @Test func badConfigFile() throws {
        let directory = try temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: directory) }
        try "[target.aarch64]\nemulatr = \"qemu-aarch64\"\n".write(to: directory.appendingPathComponent("crossrun.toml"), atomically: true, encoding: .utf8)
        expectError(try crossrun(["/bin/true"], in: directory), status: 125, mentions: ["crossrun.toml", "emulatr"])
    }

    @Test func unwritableReportDirectory() throws {
        // The test ran and passed; the report could not be written: one error line, the summary still printed,
        // and crossrun's own status because a passing status would hide the missing report.
        let passing = try crossrun(["--report-dir", "/proc/crossrun-cannot-write-here", "/bin/true"])
        #expect(passing.status == 125)
        #expect(passing.stdout.isEmpty)
        let lines = passing.stderrText.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("crossrun: error: cannot write the report /proc/crossrun-cannot-write-here/") == true)
        #expect(lines.last?.hasPrefix("crossrun: true [host, native] ok") == true)
        // A failing test keeps its own status.
        let failing = try crossrun(["--report-dir", "/proc/crossrun-cannot-write-here", "/bin/false"])
        #expect(failing.status == 1)
        #expect(failing.stderrText.contains("cannot write the report"))
    }
}

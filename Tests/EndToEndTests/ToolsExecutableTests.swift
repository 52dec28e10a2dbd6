import Foundation
import Testing

/// `crossrun` and `crossrun-tools` (Sources/crossrun, Sources/crossrun-tools): crossrun forwards the subcommands
/// off cargo's path to the crossrun-tools beside it, and says in one line when it is not there.
struct ToolsExecutableTests {
    static var toolsExecutable: String { (crossrunExecutable as NSString).deletingLastPathComponent + "/crossrun-tools" }

    @Test("crossrun's help lists every subcommand with its abstract; a forwarded one's help is crossrun-tools' own", arguments: ["sysroot", "doctor", "report", "targets", "setup"])
    func forwardedHelp(subcommand: String) throws {
        let root = try crossrun(["--help"])
        #expect(root.status == 0, "\(root.stderrText)")
        #expect(root.stdoutText.contains("  \(subcommand) "), "\(root.stdoutText)")
        #expect(root.stdoutText == (try run(Self.toolsExecutable, ["--help"])).stdoutText)
        for words in [[subcommand, "--help"], ["help", subcommand]] {
            let forwarded = try crossrun(words)
            #expect(forwarded.status == 0, "\(forwarded.stderrText)")
            #expect(forwarded.stdoutText.contains("USAGE: crossrun \(subcommand)"), "\(forwarded.stdoutText)")
            #expect(forwarded.stdoutText == (try run(Self.toolsExecutable, words)).stdoutText)
        }
    }

    @Test("without crossrun-tools beside it: --help still works; a forwarded subcommand and a wasm module on the embedded runtime give one line and 125")
    func missingTools() throws {
        let folder = try temporaryDirectory("tools-missing")
        defer { try? FileManager.default.removeItem(at: folder) }
        let alone = folder.appendingPathComponent("crossrun").path
        try FileManager.default.copyItem(atPath: crossrunExecutable, toPath: alone)
        #expect(try run(alone, ["--help"]).status == 0)
        #expect(try run(alone, ["--version"]).status == 0)
        let expected = "crossrun-tools is not installed beside \(alone); reinstall crossrun (make install installs both)."
        let doctor = try run(alone, ["doctor"], environment: environment())
        #expect(doctor.status == 125)
        #expect(doctor.stderrText == "crossrun: error: `crossrun doctor` needs \(folder.path)/crossrun-tools, but \(expected)\n", "\(doctor.stderrText)")
        #expect(doctor.stdoutText.isEmpty)
        let wasm = try Examples.rustDemoLibrary("wasm32-wasi")
        let module = try run(alone, ["--no-report", wasm], environment: environment(["PATH": "/usr/bin:/bin"]), in: folder)
        #expect(module.status == 125)
        #expect(module.stderrText.hasPrefix("crossrun: error: the embedded wasm runtime needs \(folder.path)/crossrun-tools, but \(expected)"),
                "\(module.stderrText)")
        #expect(module.stderrText.split(separator: "\n").count == 1, "\(module.stderrText)")
    }
}

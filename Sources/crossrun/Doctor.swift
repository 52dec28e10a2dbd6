import ArgumentParser
import CrossRunKit
import Foundation

/// `crossrun doctor`: what each target needs on this machine and what is missing.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check this machine: emulators, sysroots, binfmt_misc, the wasm runtime and qemu-system, per target.",
        discussion: """
            Prints a table of the targets crossrun knows (Runners/ and CROSSRUN_RUNNERS_DIR) with the emulator \
            it would start and the sysroot it would use, then every problem with the command that fixes it. \
            Exit status: 0; 1 when a target named with --target cannot run here; 125 for an unknown target name.
            """
    )

    @Option(name: .customLong("target"), help: ArgumentHelp("Exit 1 unless this target can run here (repeatable; runner name or Rust target triple).", valueName: "target"))
    var targets: [String] = []

    @Flag(name: .customLong("json"), help: "Print the report as JSON (schema crossrun-doctor, version 1).")
    var json = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let (doctor, general) = try CrossRunKit.Doctor.forEnvironment(environment, workingDirectory: FileManager.default.currentDirectoryPath)
        for name in targets { _ = try doctor.catalog.definition(named: name) }
        let report = doctor.diagnose(general: general)
        if json {
            FileHandle.standardOutput.write(try report.json() + Data("\n".utf8))
        } else {
            print(report.text(), terminator: "")
        }
        let unrunnable = report.unrunnable(targets)
        if !unrunnable.isEmpty { throw CrossRunError.targetsCannotRun(names: unrunnable.map(\.name)) }
    }
}

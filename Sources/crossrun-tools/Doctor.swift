import ArgumentParser
import CrossRunCLI
import CrossRunKit
import CrossRunTools
import Foundation

/// `crossrun doctor`: what each target needs on this machine and what is missing.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: CrossRunCommand.doctor.name,
        abstract: CrossRunCommand.doctor.abstract,
        discussion: """
            Prints a table of the targets crossrun knows (Runners/ and CROSSRUN_RUNNERS_DIR) with the emulator \
            it would start, the sysroot it would use and the cross linker cargo would link with (and whether that \
            linker finds the target's C library), then every problem with the command that fixes it. Exit \
            status: 0; 1 when a target named with --target cannot run here, or cannot link (unless --run-only); \
            125 for an unknown target name.
            """
    )

    @Option(name: .customLong("target"), help: ArgumentHelp("Exit 1 unless this target can run here (repeatable; runner name or Rust target triple).", valueName: "target"))
    var targets: [String] = []

    @Flag(name: .customLong("json"), help: "Print the report as JSON (schema crossrun-doctor, version 1).")
    var json = false

    @Flag(name: .customLong("run-only"), help: "Check only what running tests needs, not the cross linker (for jobs that run tests built elsewhere).")
    var runOnly = false

    @Flag(name: .customLong("packages"), help: "Print the Debian packages the --target targets need to build and run tests, one a line (for apt-get install), and nothing else.")
    var packages = false

    func validate() throws {
        if packages && targets.isEmpty { throw ValidationError("--packages lists what the --target targets need; name at least one with --target") }
        if packages && json { throw ValidationError("--packages and --json print different things; pass one of them") }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let (doctor, general) = try CrossRunTools.Doctor.forEnvironment(environment, workingDirectory: FileManager.default.currentDirectoryPath)
        for name in targets { _ = try doctor.catalog.definition(named: name) }
        if packages {
            for package in try doctor.packages(for: targets) { print(package) }
            return
        }
        let report = doctor.diagnose(general: general)
        let checkLinking = runOnly ? [] : targets
        if json {
            FileHandle.standardOutput.write(try report.json() + Data("\n".utf8))
        } else {
            print(report.text(requested: checkLinking), terminator: "")
        }
        let unrunnable = report.unrunnable(targets).map(\.name)
        let unlinkable = report.unlinkable(checkLinking).map(\.rustTarget)
        if !unrunnable.isEmpty || !unlinkable.isEmpty { throw CrossRunError.targetsCannotRun(names: unrunnable, cannotLink: unlinkable) }
    }
}

import ArgumentParser
import CrossRunCLI
import CrossRunKit
import CrossRunTools
import Foundation

/// `crossrun targets`: the runner catalogue, with the emulator and sysroot `crossrun run` would use here
/// (crossrun.toml, the user's config and CROSSRUN_* variables included).
struct Targets: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: CrossRunCommand.targets.name,
        abstract: CrossRunCommand.targets.abstract)

    @Flag(name: .long, help: "Print the table of docs/targets.md instead: every target, how it is detected, what runs it, which sysroot, which fixture CI runs.")
    var table = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        if table {
            print(try TargetTable.builtIn(extraRunners: environment[Configuration.Variable.runnersDir]).markdown, terminator: "")
            return
        }
        let (doctor, problems) = try CrossRunTools.Doctor.forEnvironment(environment, workingDirectory: FileManager.default.currentDirectoryPath)
        for problem in problems { FileHandle.standardError.write(Data("crossrun: warning: \(problem.message)\n".utf8)) }
        print(doctor.targets().map(\.catalogueText).joined(), terminator: "")
    }
}

import ArgumentParser
import CrossRunCLI
import CrossRunKit

/// `crossrun-tools`: crossrun's subcommands off cargo's path (and `run` too, so its help, man page and shell
/// completions cover every subcommand). `crossrun` starts it in its own place for these subcommands, with its own
/// arguments, so to the user it is `crossrun`: the same name in help and usage, the same errors and exit statuses.
struct CrossRunToolsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: CrossRunCommand.name,
        abstract: CrossRunCommand.abstract,
        discussion: CrossRunCommand.discussion,
        version: CrossRunVersion.current,
        subcommands: [Run.self, Sysroot.self, Report.self, Targets.self, Doctor.self, Setup.self, WasmRun.self, SystemRun.self],
        defaultSubcommand: Run.self
    )
}

@main
enum Main {
    static func main() {
        StartupTrace.mark("main")
        defer { StartupTrace.report() }
        CrossRunCommand.main(CrossRunToolsCommand.self, words: CrossRunCommand.words)
    }
}

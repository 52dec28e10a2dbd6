import ArgumentParser
import CrossRunCLI
import CrossRunKit
import FoundationEssentials
import Glibc

/// `crossrun`: a thin command line over CrossRunKit. `run` is the default subcommand, so cargo's
/// `runner = "crossrun"` calls `crossrun BINARY ARGS...`. Every other subcommand lives in crossrun-tools (beside
/// this executable), which `main` starts in this process's place (execv) before anything is parsed; the
/// stand-ins below only carry their names and abstracts for the help.
struct CrossRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: CrossRunCommand.name,
        abstract: CrossRunCommand.abstract,
        discussion: CrossRunCommand.discussion,
        version: CrossRunVersion.current,
        subcommands: [
            Run.self, SysrootTool.self, ReportTool.self, TargetsTool.self, DoctorTool.self, SetupTool.self, WasmRunTool.self,
            SystemRunTool.self,
        ],
        defaultSubcommand: Run.self
    )
}

// Stand-ins for crossrun-tools' subcommands (never run: `main` forwards them first).
struct SysrootTool: ParsableCommand { static var configuration: CommandConfiguration { CrossRunCommand.sysroot.configuration } }
struct ReportTool: ParsableCommand { static var configuration: CommandConfiguration { CrossRunCommand.report.configuration } }
struct TargetsTool: ParsableCommand { static var configuration: CommandConfiguration { CrossRunCommand.targets.configuration } }
struct DoctorTool: ParsableCommand { static var configuration: CommandConfiguration { CrossRunCommand.doctor.configuration } }
struct SetupTool: ParsableCommand { static var configuration: CommandConfiguration { CrossRunCommand.setup.configuration } }
struct WasmRunTool: ParsableCommand { static var configuration: CommandConfiguration { CrossRunCommand.wasmRun.configuration } }
struct SystemRunTool: ParsableCommand { static var configuration: CommandConfiguration { CrossRunCommand.systemRun.configuration } }

@main
enum Main {
    static func main() {
        StartupTrace.mark("main")
        defer { StartupTrace.report() }
        let words = CrossRunCommand.words
        if let tool = Self.forwarded(words) {
            do {
                try Self.forward(tool)
            } catch {
                exit(CrossRun.exitStatus(reporting: error))
            }
        }
        CrossRunCommand.main(CrossRun.self, words: words)
    }

    /// The crossrun-tools subcommand `words` name (`crossrun doctor ...`, `crossrun help doctor`), if any.
    static func forwarded(_ words: [String]) -> String? {
        let names = Set(CrossRunCommand.tools.map(\.name))
        if words.count >= 2, names.contains(words[1]) { return words[1] }
        if words.count >= 3, words[1] == "help", names.contains(words[2]) { return words[2] }
        return nil
    }

    /// Replaces this process with crossrun-tools from this executable's folder, with the same arguments (as
    /// bytes); returns only by throwing: crossrun-tools is missing (``CrossRunError/toolsNotInstalled(what:tools:executable:)``)
    /// or cannot be started.
    static func forward(_ subcommand: String) throws {
        let executable = ToolsExecutable.ownExecutable
        let tools = try ToolsExecutable.required(ToolsExecutable.beside(executable), for: "`crossrun \(subcommand)`", executable: executable)
        execv(tools, CommandLine.unsafeArgv)
        throw CrossRunError.spawnFailed(executable: tools, reason: String(cString: strerror(errno)))
    }
}

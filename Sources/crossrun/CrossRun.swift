import ArgumentParser
import CrossRunKit
import Foundation

/// `crossrun`: a thin command line over CrossRunKit. `run` is the default subcommand, so cargo's
/// `runner = "crossrun"` calls `crossrun BINARY ARGS...`.
struct CrossRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossrun",
        abstract: "Run cross-compiled test binaries under the right emulator and report their results.",
        discussion: """
            Put it in .cargo/config.toml as the runner of a target:

                [target.aarch64-unknown-linux-gnu]
                runner = "crossrun"

            and `cargo test --target aarch64-unknown-linux-gnu` runs each test binary under qemu, streams its \
            output unchanged, and writes JUnit XML and results JSON to target/crossrun/.
            """,
        version: CrossRunVersion.current,
        subcommands: [Run.self, Sysroot.self, Report.self, Targets.self, Doctor.self, Setup.self, WasmRun.self, SystemRun.self],
        defaultSubcommand: Run.self
    )
}

@main
enum Main {
    static func main() {
        do {
            // cargo's runner call, `crossrun BINARY ARGS...` with no crossrun option, is most runs: it goes
            // straight to `run`, without building the command tree (argument-parser's reflection costs a few
            // milliseconds of every start-up). Anything else is parsed as usual.
            let words = CommandLine.arguments
            if words.count >= 2, let binary = words.dropFirst().first, !binary.hasPrefix("-"),
                !CrossRun.configuration.subcommands.contains(where: { $0.configuration.commandName == binary }), binary != "help"
            {
                try Run.execute(binary: binary, arguments: Array(words.dropFirst(2)), options: RunOptions())
                return
            }
            var command = try CrossRun.parseAsRoot()
            try command.run()
        } catch let error as CrossRunError {
            FileHandle.standardError.write(Data("crossrun: error: \(error.description)\n".utf8))
            exit(error.exitStatus)
        } catch let exitCode as ExitCode {
            exit(exitCode.rawValue)
        } catch {
            // Help and --version exit 0 as usual; any usage mistake is crossrun's own error, status 125.
            if CrossRun.exitCode(for: error) == .success { CrossRun.exit(withError: error) }
            let message = CrossRun.message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
            FileHandle.standardError.write(Data("crossrun: error: \(message) (see crossrun --help)\n".utf8))
            exit(ExitStatus.crossrunError)
        }
    }
}

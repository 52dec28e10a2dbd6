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
        StartupTrace.mark("main")
        defer { StartupTrace.report() }
        do {
            // cargo's runner call, `crossrun BINARY ARGS...` with no crossrun option, is most runs: it goes
            // straight to `run`, without building the command tree (argument-parser's reflection costs a few
            // milliseconds of every start-up). Anything else is parsed as usual.
            // The arguments as bytes: one that is not UTF-8 (a guest's argument, a file name) reaches the binary
            // unchanged, where CommandLine.arguments would have made U+FFFD of it (String(rawBytes:)).
            let words = (0..<Int(CommandLine.argc)).map { index in
                CommandLine.unsafeArgv[index].map { String(rawBytes: UnsafeBufferPointer(start: $0, count: strlen($0)).lazy.map { UInt8(bitPattern: $0) }) } ?? ""
            }
            // `crossrun --version` as argument-parser prints it, without building the command tree.
            if words.count == 2, words[1] == "--version" {
                print(CrossRunVersion.current)
                return
            }
            if words.count >= 2, let binary = words.dropFirst().first, !binary.hasPrefix("-"),
                !CrossRun.configuration.subcommands.contains(where: { $0.configuration.commandName == binary }), binary != "help"
            {
                try Run.execute(binary: binary, arguments: Array(words.dropFirst(2)), options: RunOptions())
                return
            }
            var command = try CrossRun.parseAsRoot(Array(words.dropFirst()))
            try command.run()
        } catch {
            let status = CrossRun.exitStatus(reporting: error)
            StartupTrace.report()
            exit(status)
        }
    }
}

extension CrossRun {
    /// The one place an error ends crossrun: says it on stderr in one line and gives the status to exit with.
    /// Subcommands throw; none prints an error or exits itself.
    ///
    /// - `ExitCode`: the status of what ran (a test binary, a guest), not an error; nothing is printed.
    /// - argument-parser's help and `--version`: printed as argument-parser does, status 0.
    /// - a usage mistake (unknown option, missing value, `ValidationError`): `crossrun: error: MESSAGE (see
    ///   crossrun --help)`, status 125.
    /// - anything else: `crossrun: error: MESSAGE` with ``CrossRunError/message(for:)`` and
    ///   ``CrossRunError/exitStatus(for:)``.
    static func exitStatus(reporting error: any Error) -> Int32 {
        if let exitCode = error as? ExitCode { return exitCode.rawValue }
        if !(error is CrossRunError) {
            switch exitCode(for: error) {
            case .success: exit(withError: error)
            case .validationFailure:
                let usage = message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
                report("\(usage) (see crossrun --help)")
                return ExitStatus.crossrunError
            default: break
            }
        }
        report(CrossRunError.message(for: error))
        return CrossRunError.exitStatus(for: error)
    }

    private static func report(_ message: String) {
        FileHandle.standardError.write(Data("crossrun: error: \(message)\n".utf8))
    }
}

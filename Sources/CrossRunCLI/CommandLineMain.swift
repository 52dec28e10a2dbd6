import ArgumentParser
import CrossRunKit
import FoundationEssentials
import Glibc

/// What both executables' roots share: to the user both are `crossrun` (crossrun-tools is started by crossrun
/// with crossrun's own arguments), so they have one name, description and error path.
public enum CrossRunCommand {
    public static let name = "crossrun"
    public static let abstract = "Run cross-compiled test binaries under the right emulator and report their results."
    public static let discussion = """
        Put it in .cargo/config.toml as the runner of a target:

            [target.aarch64-unknown-linux-gnu]
            runner = "crossrun"

        and `cargo test --target aarch64-unknown-linux-gnu` runs each test binary under qemu, streams its \
        output unchanged, and writes JUnit XML and results JSON to target/crossrun/.
        """

    /// The subcommands crossrun-tools runs, which `crossrun` forwards to it (before parsing anything) and lists
    /// in its help with these abstracts.
    public static let sysroot = ToolCommand(
        name: "sysroot", abstract: "Fetch, list, locate, verify and remove the sysroots (and system mode's kernel) crossrun downloads from Debian.")
    public static let report = ToolCommand(name: "report", abstract: "Work with crossrun's report files.")
    public static let targets = ToolCommand(
        name: "targets", abstract: "List the targets crossrun can run and the emulator and sysroot each would use here (configuration included).")
    public static let doctor = ToolCommand(
        name: "doctor", abstract: "Check this machine: emulators, sysroots, binfmt_misc, the wasm runtime and qemu-system, per target.")
    public static let setup = ToolCommand(
        name: "setup", abstract: "Add runner = \"crossrun\" (and the cross linker) to a Cargo project's .cargo/config.toml.")
    public static let wasmRun = ToolCommand(
        name: "wasm-run", abstract: "Run a wasm32-wasip1 (wasm32-wasi) module with the embedded WasmKit runtime (used by crossrun itself).",
        shouldDisplay: false)
    public static let systemRun = ToolCommand(
        name: "system-run", abstract: "Boot an aarch64 test binary under qemu-system-aarch64 (used by crossrun itself for mode = \"system\").",
        shouldDisplay: false)

    public static let tools = [sysroot, report, targets, doctor, setup, wasmRun, systemRun]

    /// This process's arguments, each as the bytes it is: one that is not UTF-8 (a guest's argument, a file name)
    /// reaches the binary unchanged, where CommandLine.arguments would have made U+FFFD of it (String(rawBytes:)).
    public static var words: [String] {
        (0..<Int(CommandLine.argc)).map { index in
            CommandLine.unsafeArgv[index].map { String(rawBytes: UnsafeBufferPointer(start: $0, count: strlen($0)).lazy.map { UInt8(bitPattern: $0) }) } ?? ""
        }
    }

    /// Parses `words` with `Root` and runs the command; on an error, says it and exits with its status.
    public static func main<Root: ParsableCommand>(_ root: Root.Type, words: [String]) {
        do {
            // cargo's runner call, `crossrun BINARY ARGS...` with no crossrun option, is most runs: it goes
            // straight to `run`, without building the command tree (argument-parser's reflection costs a few
            // milliseconds of every start-up). Anything else is parsed as usual.
            // `crossrun --version` as argument-parser prints it, without building the command tree.
            if words.count == 2, words[1] == "--version" {
                print(CrossRunVersion.current)
                return
            }
            if words.count >= 2, let binary = words.dropFirst().first, !binary.hasPrefix("-"),
                !Root.configuration.subcommands.contains(where: { $0.configuration.commandName == binary }), binary != "help"
            {
                try Run.execute(binary: binary, arguments: Array(words.dropFirst(2)), options: RunOptions())
                return
            }
            var command = try Root.parseAsRoot(Array(words.dropFirst()))
            try command.run()
        } catch {
            let status = Root.exitStatus(reporting: error)
            StartupTrace.report()
            exit(status)
        }
    }
}

/// A subcommand of crossrun-tools as crossrun's help lists it.
public struct ToolCommand: Sendable {
    public let name: String
    public let abstract: String
    public let shouldDisplay: Bool

    public init(name: String, abstract: String, shouldDisplay: Bool = true) {
        self.name = name
        self.abstract = abstract
        self.shouldDisplay = shouldDisplay
    }

    /// Its name and abstract only: what crossrun's stand-in for it carries (it is forwarded before parsing).
    public var configuration: CommandConfiguration {
        CommandConfiguration(commandName: name, abstract: abstract, shouldDisplay: shouldDisplay)
    }
}

extension ParsableCommand {
    /// The one place an error ends crossrun (or crossrun-tools): says it on stderr in one line and gives the
    /// status to exit with. Subcommands throw; none prints an error or exits itself.
    ///
    /// - `ExitCode`: the status of what ran (a test binary, a guest), not an error; nothing is printed.
    /// - argument-parser's help and `--version`: printed as argument-parser does, status 0.
    /// - a usage mistake (unknown option, missing value, `ValidationError`): `crossrun: error: MESSAGE (see
    ///   crossrun --help)`, status 125.
    /// - anything else: `crossrun: error: MESSAGE` with ``CrossRunError/message(for:)`` and
    ///   ``CrossRunError/exitStatus(for:)``.
    public static func exitStatus(reporting error: any Error) -> Int32 {
        if let exitCode = error as? ExitCode { return exitCode.rawValue }
        if !(error is CrossRunError) {
            switch exitCode(for: error) {
            case .success: exit(withError: error)
            case .validationFailure:
                let usage = message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
                reportError("\(usage) (see crossrun --help)")
                return ExitStatus.crossrunError
            default: break
            }
        }
        reportError(CrossRunError.message(for: error))
        // A run's fetch (ToolsSysrootFetcher) started this process and wants the code too, to throw the same error.
        if let code = (error as? CrossRunError)?.code, ProcessEnvironment.value(ToolsSysrootFetcher.errorCodeVariable) == "1" {
            TerminalSummary.emit("\(ToolsSysrootFetcher.errorCodePrefix)\(code.rawValue)")
        }
        return CrossRunError.exitStatus(for: error)
    }

    private static func reportError(_ message: String) {
        TerminalSummary.emit("crossrun: error: \(message)")
    }
}

import ArgumentParser
import CrossRunKit
import Foundation

/// `crossrun [run] [OPTIONS] BINARY [ARGS...]`: everything after BINARY goes to the binary untouched.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one test binary (the default subcommand: `crossrun BINARY ARGS...` is the same).",
        discussion: """
            crossrun's options come before BINARY; every argument after it goes to the binary untouched. \
            Settings come from flags, then CROSSRUN_* environment variables, then crossrun.toml found upward \
            from the working directory, then $XDG_CONFIG_HOME/crossrun/config.toml, then the built-in runners. \
            Exit status: the binary's own; 128+N when it died by signal N; 125 crossrun's own error; \
            126 the binary cannot run (missing loader or sysroot); 127 the emulator is not installed.
            """
    )

    @Option(name: .customLong("junit"), help: ArgumentHelp("Write the JUnit XML here ({name} becomes the binary's file name).", valueName: "path"))
    var junit: String?

    @Option(name: .customLong("json"), help: ArgumentHelp("Write the results JSON here ({name} becomes the binary's file name).", valueName: "path"))
    var json: String?

    @Option(name: .customLong("report-dir"), help: ArgumentHelp("Write reports into this folder (default: target/crossrun/ beside the binary).", valueName: "dir"))
    var reportDirectory: String?

    @Flag(name: .customLong("no-report"), help: "Write no report files.")
    var noReport = false

    @Option(name: .customLong("sysroot"), help: ArgumentHelp("The target's root folder, passed to qemu as -L (holds lib/ld-linux-*.so).", valueName: "dir"))
    var sysroot: String?

    @Option(name: .customLong("emulator"), help: ArgumentHelp("The emulator to use instead of the runner's candidates (name on PATH or path).", valueName: "program"))
    var emulator: String?

    @Option(name: .customLong("cpu"), help: ArgumentHelp("The CPU model qemu emulates (qemu -cpu).", valueName: "model"))
    var cpu: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("Read this config file instead of searching for crossrun.toml.", valueName: "file"))
    var config: String?

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print no summary line.")
    var quiet = false

    @Option(name: .customLong("dir"), help: ArgumentHelp("Let a wasm module see this host folder too (repeatable; HOST or HOST::GUEST).", valueName: "dir"))
    var directories: [String] = []

    @Flag(name: .customLong("no-resume"), help: "After a crash, do not run the unreported tests in fresh processes.")
    var noResume = false

    @OptionGroup(title: "Fetched sysroots")
    var sysrootOptions: SysrootOptions

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The test binary, then its own arguments.", valueName: "binary args"))
    var command: [String] = []

    func validate() throws {
        if arguments.binary == nil {
            throw ValidationError("missing the test binary: crossrun [OPTIONS] BINARY [ARGS...]")
        }
    }

    /// The binary and its arguments; a leading `--` only separates them from crossrun's options.
    var arguments: (binary: String?, rest: [String]) {
        let words = command.first == "--" ? Array(command.dropFirst()) : command
        return (words.first, Array(words.dropFirst()))
    }

    func run() throws {
        var options = RunOptions(
            junitPath: junit, jsonPath: json, reportDirectory: reportDirectory, writeReports: noReport ? false : nil,
            sysroot: sysroot, emulator: emulator, cpu: cpu, quiet: quiet ? true : nil, configFile: config)
        sysrootOptions.apply(to: &options)
        if noResume { options.resume = false }
        options.wasmDirectories = directories
        let invocation = Invocation(
            binary: arguments.binary!, arguments: arguments.rest, options: options,
            environment: ProcessInfo.processInfo.environment,
            workingDirectory: FileManager.default.currentDirectoryPath)
        let report = try TestRunner().run(invocation)
        if report.outcome.hadTerminal, case .signaled(let signal) = report.outcome.status, signal == SIGINT || signal == SIGQUIT {
            Signals.reraiseOnOwnGroup(signal)
        }
        if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }
}

import ArgumentParser
import CrossRunKit
import FoundationEssentials
import Glibc

/// `crossrun [run] [OPTIONS] BINARY [ARGS...]`: everything after BINARY goes to the binary untouched.
public struct Run: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one test binary (the default subcommand: `crossrun BINARY ARGS...` is the same).",
        discussion: """
            crossrun's options come before BINARY; every argument after it goes to the binary untouched. \
            An argument before BINARY that starts with - must be an option of crossrun's; `--` ends them \
            (crossrun -- ./-odd-name ARGS). \
            Settings come from flags, then CROSSRUN_* environment variables, then crossrun.toml found upward \
            from the working directory, then $XDG_CONFIG_HOME/crossrun/config.toml, then the built-in runners. \
            Exit status: the binary's own; 128+N when it died by signal N; 125 crossrun's own error; \
            126 the binary cannot run (missing loader or sysroot); 127 the emulator is not installed; \
            124 crossrun stopped it for a time limit (--timeout, --test-timeout); 128+N crossrun was \
            interrupted by signal N (the reports are still written).
            """
    )

    @OptionGroup
    var flags: RunFlags

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The test binary, then its own arguments.", valueName: "binary args"))
    var command: [String] = []

    public init() {}

    public func validate() throws {
        // Everything after `run` is captured for the binary, so `crossrun run --help` would name a binary `--help`.
        if let first = command.first, first == "--help" || first == "-h" { throw CleanExit.helpRequest(Self.self) }
        if arguments.binary == nil {
            throw ValidationError("missing the test binary: crossrun [OPTIONS] BINARY [ARGS...]")
        }
        if let first = command.first, let unknown = Self.unknownOption(first) { throw ValidationError(unknown) }
        for (flag, value) in [("--timeout", flags.timeout), ("--test-timeout", flags.testTimeout), ("--kill-grace", flags.killGrace)] {
            if let value, DurationText.parse(value) == nil {
                throw ValidationError("\(flag) \(value) is not valid; expected \(DurationText.expected)")
            }
        }
        if let emulator = flags.emulator, emulator.trimmingSpaces().isEmpty {
            throw ValidationError("--emulator is empty; give the emulator's name on PATH or its path, or leave the option out to use the target's own candidates")
        }
        if let jobs = flags.jobs, jobs < 1 {
            throw ValidationError("--jobs \(jobs) is not valid; expected a whole number, 1 or more")
        }
        if let retries = flags.retries, retries < 0 {
            throw ValidationError("--retries \(retries) is not valid; expected a whole number, 0 or more")
        }
    }

    /// An argument before the binary that starts with `-` and is no option of `run`: argument-parser's own
    /// message for it ("Unknown option '--no-reprot'. Did you mean '--no-report'?") with the way to run a
    /// binary whose name starts with `-`. Nil for the binary itself and after `--`.
    static func unknownOption(_ word: String) -> String? {
        guard word.hasPrefix("-"), word.count > 1, word != "--" else { return nil }
        var message = "Unknown option '\(word)'"
        do {
            _ = try RunFlags.parse([word])
        } catch {
            let parsed = RunFlags.message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
            if parsed.hasPrefix("Unknown option") { message = parsed }
        }
        if !message.hasSuffix("?") && !message.hasSuffix(".") { message += "." }
        return message + " Put -- before a binary whose name starts with -."
    }

    /// The binary and its arguments; a leading `--` only separates them from crossrun's options.
    var arguments: (binary: String?, rest: [String]) {
        let words = command.first == "--" ? Array(command.dropFirst()) : command
        return (words.first, Array(words.dropFirst()))
    }

    public func run() throws {
        var options = RunOptions(
            junitPath: flags.junit, jsonPath: flags.json, reportDirectory: flags.reportDirectory, writeReports: flags.noReport ? false : nil,
            sysroot: flags.sysroot, emulator: flags.emulator, cpu: flags.cpu, quiet: flags.quiet ? true : nil, configFile: flags.config)
        flags.sysrootOptions.apply(to: &options)
        if flags.noResume { options.resume = false }
        options.timeout = flags.timeout.flatMap(DurationText.parse)
        options.testTimeout = flags.testTimeout.flatMap(DurationText.parse)
        options.killGrace = flags.killGrace.flatMap(DurationText.parse)
        options.retries = flags.retries
        if flags.isolate { options.isolate = true }
        options.jobs = flags.jobs
        options.target = flags.target
        options.partition = flags.partition
        options.wasmDirectories = flags.directories
        try Self.execute(binary: arguments.binary!, arguments: arguments.rest, options: options)
    }

    /// Runs one binary with `options`; throws the exit status when it is not 0.
    public static func execute(binary: String, arguments: [String], options: RunOptions) throws {
        let invocation = Invocation(
            binary: binary, arguments: arguments, options: options,
            environment: ProcessEnvironment.current(),
            workingDirectory: ProcessEnvironment.workingDirectory)
        var runner = TestRunner()
        // This process is crossrun's own: it adopts and ends whatever the run leaves behind.
        runner.adoptsOrphans = true
        let report = try runner.run(invocation)
        if report.outcome.hadTerminal, case .signaled(let signal) = report.outcome.status, signal == SIGINT || signal == SIGQUIT {
            Signals.reraiseOnOwnGroup(signal)
        }
        if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }
}

/// `run`'s own options, apart from the binary and its arguments: also what an argument before the binary that
/// starts with `-` is checked against (``Run/unknownOption(_:)``), so a mistyped option gets argument-parser's own
/// "did you mean" instead of being taken for the binary.
struct RunFlags: ParsableArguments {
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

    @Option(name: .customLong("partition"), help: ArgumentHelp("Run only this share of the binary's tests, for CI matrices: hash:K/N (by test name) or slice:K/N (every Nth of the sorted list).", valueName: "spec"))
    var partition: String?

    @Option(name: .customLong("target"), help: ArgumentHelp("Run the binary as this target (runner name or Rust triple, see crossrun targets) instead of the one its header suggests.", valueName: "target"))
    var target: String?

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

    @Option(name: .customLong("timeout"), help: ArgumentHelp("Stop the binary after this long (30s, 5m, 1.5s, 250ms, or seconds): SIGTERM to its process group, SIGKILL after the grace period; exit status 124.", valueName: "duration"))
    var timeout: String?

    @Option(name: .customLong("test-timeout"), help: ArgumentHelp("Stop the test process when no test has reported for this long; the running test is reported as timed out and, with crash-resume, the rest still run.", valueName: "duration"))
    var testTimeout: String?

    @Option(name: .customLong("kill-grace"), help: ArgumentHelp("After a timeout or an outside SIGINT/SIGTERM/SIGHUP, how long the process gets between SIGTERM and SIGKILL (default 2s).", valueName: "duration"))
    var killGrace: String?

    @Option(name: .customLong("retries"), help: ArgumentHelp("Run each failed test again alone (fresh process, exact name, one thread) up to N times; one that then passes is reported as flaky.", valueName: "n"))
    var retries: Int?

    @Flag(name: .customLong("isolate"), help: "Run each test alone in its own process (like nextest), --jobs at a time, for tests that interfere; the default is one process per binary.")
    var isolate = false

    @Option(name: [.customShort("j"), .customLong("jobs")], help: ArgumentHelp("With --isolate, how many test processes run at once (default: the number of CPUs).", valueName: "n"))
    var jobs: Int?

    @OptionGroup(title: "Fetched sysroots")
    var sysrootOptions: SysrootOptions
}

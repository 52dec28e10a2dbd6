import ArgumentParser
import CrossRunCLI
import CrossRunKit
import CrossRunTools
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `crossrun system-run --kernel K --busybox B [--sysroot S] ... -- BINARY ARGS...`: Linux full-system mode.
/// Boots the kernel under qemu-system-aarch64 with an initramfs made for this one run, prints what the binary
/// printed, and ends the way the binary ended. crossrun starts itself with this for targets with
/// `mode = "system"`; not meant to be typed (but it can be).
struct SystemRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: CrossRunCommand.systemRun.name,
        abstract: CrossRunCommand.systemRun.abstract,
        shouldDisplay: CrossRunCommand.systemRun.shouldDisplay
    )

    @Option(help: ArgumentHelp("The arm64 Linux kernel Image (default: the fetched Debian kernel, see --fetch).", valueName: "path"))
    var kernel: String?

    @Option(help: ArgumentHelp("A static arm64 busybox (default: the fetched Debian busybox-static).", valueName: "path"))
    var busybox: String?

    @Option(help: ArgumentHelp("Where the binary's loader and libraries come from (for a dynamic binary).", valueName: "dir"))
    var sysroot: String?

    @Option(help: ArgumentHelp("The qemu-system-aarch64 to run (default: the aarch64 target's emulator as crossrun run resolves it, in system mode).", valueName: "path"))
    var qemu: String?

    @Option(help: ArgumentHelp("The guest's memory (qemu -m).", valueName: "size"))
    var memory = SystemBoot.defaultMemory

    @Option(help: ArgumentHelp("The guest CPU (qemu -cpu).", valueName: "model"))
    var cpu = SystemBoot.defaultCPU

    @Option(help: ArgumentHelp("The guest folder the binary runs in, created empty (host folders are not shared).", valueName: "dir"))
    var workdir = "/tmp/work"

    @Option(name: .customLong("env"), help: ArgumentHelp("A variable for the guest: NAME (its value here) or NAME=VALUE.", valueName: "name"))
    var variables: [String] = []

    @Flag(help: "Pass only the --env variables, not this process's environment.")
    var cleanEnv = false

    @Flag(help: "Fetch (or reuse) Debian's arm64 kernel and busybox-static for --kernel and --busybox when they are not given, with the configuration's fetch settings (crossrun.toml, CROSSRUN_*, the options below).")
    var fetch = false

    @OptionGroup(title: "Fetching the kernel and busybox (with --fetch)")
    var fetchSettings: SysrootOptions

    @Flag(help: "Compress the initramfs with gzip.")
    var gzip = false

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The binary, then its arguments.", valueName: "binary args"))
    var command: [String] = []

    func run() throws {
        let words = command.first == "--" ? Array(command.dropFirst()) : command
        guard let binary = words.first else {
            throw ValidationError("missing the test binary: crossrun system-run --kernel K --busybox B -- BINARY [ARGS...]")
        }
        let environment = ProcessInfo.processInfo.environment
        // The configuration `crossrun run` would load here, read once and only when it is needed (--fetch, or
        // no --qemu): crossrun.toml, the user config, `CROSSRUN_*` and this command's fetch options.
        var loaded: Configuration?
        func configuration() throws -> Configuration {
            if let loaded { return loaded }
            var options = RunOptions()
            fetchSettings.apply(to: &options)
            let configuration = try Configuration.load(
                options: options, environment: environment, workingDirectory: FileManager.default.currentDirectoryPath)
            loaded = configuration
            return configuration
        }
        let guestEnvironment = try GuestEnvironment(adding: variables, inherit: !cleanEnv, from: environment)
        var kernelPath = kernel
        var busyboxPath = busybox
        if kernelPath == nil || busyboxPath == nil {
            guard fetch else {
                throw ValidationError("missing --kernel and --busybox; pass them, or --fetch to use Debian's arm64 kernel and busybox-static")
            }
            let fetcher = SysrootFetcher(configuration: try configuration(), progress: { TerminalSummary.emit($0) })
            let image = try SystemImageFetcher(fetcher: fetcher).image()
            kernelPath = kernelPath ?? image.kernel
            busyboxPath = busyboxPath ?? image.busybox
        }
        var boot = SystemBoot(
            qemu: try qemuPath(searchPath: environment["PATH"] ?? "/usr/bin:/bin", runners: environment[Configuration.Variable.runnersDir], configuration: configuration),
            kernel: kernelPath!, busybox: busyboxPath!, sysroot: sysroot)
        boot.memory = memory
        boot.cpu = cpu
        boot.workingDirectory = workdir
        boot.compression = gzip ? .gzip : .none
        if environment["CROSSRUN_SYSTEM_CONSOLE"] == "1" { boot.consoleCopy = STDERR_FILENO }
        // A closed stdout must not kill the boot: qemu is still to be stopped and the folder removed.
        signal(SIGPIPE, SIG_IGN)
        let outcome = try boot.run(binary: binary, arguments: Array(words.dropFirst()), environment: guestEnvironment.variables) { chunk in
            var offset = 0
            while offset < chunk.count {
                let written = write(STDOUT_FILENO, chunk.baseAddress! + offset, chunk.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { break }
                offset += written
            }
        }
        switch outcome {
        case .guestStatus(let status):
            // A program killed by a signal ends this process with the same signal, as qemu-user does.
            if status > 128, Self.terminatingSignals.contains(status - 128) { Self.reraise(status - 128) }
            if status != 0 { throw ExitCode(status) }
        case .interrupted(let signal):
            Self.reraise(signal)
        }
    }

    static let terminatingSignals: Set<Int32> = [
        SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE,
        SIGALRM, SIGTERM, SIGXCPU, SIGXFSZ, SIGSYS,
    ]

    /// Dies by `signal` (without a core file); exits 128 + signal if that does not end the process.
    static func reraise(_ signal: Int32) -> Never {
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        Glibc.signal(signal, SIG_DFL)
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, signal)
        sigprocmask(SIG_UNBLOCK, &mask, nil)
        kill(getpid(), signal)
        Glibc.exit(ExitStatus.forSignal(signal))
    }

    /// `--qemu` (crossrun run passes the emulator it resolved), else the emulator `run` would start for aarch64 in
    /// system mode: the ``EmulatorResolver`` with this folder's configuration (`emulator` in `[target.aarch64]`,
    /// `CROSSRUN_EMULATOR`), else qemu-system-aarch64 on PATH.
    func qemuPath(searchPath: String, runners: String?, configuration: () throws -> Configuration) throws -> String {
        if let qemu, !qemu.isEmpty {
            guard let found = Executables.find(qemu, searchPath: searchPath) else { throw CrossRunError.qemuNotFound(candidates: [qemu]) }
            return found
        }
        let catalog = try TargetCatalog.load(extraDirectory: runners)
        let resolver = EmulatorResolver(configuration: try configuration(), searchPath: searchPath)
        guard case .executable(let path) = try resolver.resolve(try catalog.definition(named: "aarch64"), mode: .system).required() else {
            throw CrossRunError.qemuNotFound(candidates: EmulatorResolver.systemModeCandidates)
        }
        return path
    }
}

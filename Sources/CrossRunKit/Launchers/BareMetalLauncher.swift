import FoundationEssentials
import Glibc

/// A bare-metal image under qemu-system with semihosting: the board and CPU from the definition (or the
/// user's settings), no display, monitor or serial port, semihosting output on crossrun's stdout through a
/// chardev, the arguments as semihosting's command line, and the image loaded with `-kernel`.
public struct BareMetalLauncher: Launcher {
    public var kind: LaunchPlan.Kind { .qemuSystem }

    public init() {}

    public func plan(_ request: LaunchRequest) throws -> LaunchPlan {
        let runner = try request.requireRunner()
        let definition = runner.definition
        let settings = runner.settings
        let emulator = runner.executable(or: request.planner.selfExecutable)
        var argv = [emulator, "-machine", settings.machine ?? definition.emulator.machine ?? ""]
        if let cpu = runner.cpu { argv += ["-cpu", cpu.value] }
        if let memory = settings.memory ?? definition.emulator.memory, !memory.isEmpty { argv += ["-m", memory] }
        argv += QemuSystem.fixedArguments
        argv += runner.extraArguments
        let path = request.binary.path
        argv += ["-semihosting-config", QemuSystem.semihostingConfig(image: path, arguments: request.arguments), "-kernel", path]
        var plan = request.plan(
            .qemuSystem, target: definition.name, executable: emulator, argv: argv, environment: runner.environment,
            defaultTimeout: definition.defaultTimeout)
        plan.cpu = runner.cpu
        return plan
    }
}

/// How crossrun drives qemu-system for bare-metal images.
public enum QemuSystem {
    /// No window, no monitor and no serial port on stdio: stdout carries only what the
    /// image writes through semihosting, via the `crossrun-stdio` chardev (`signal=off`: Ctrl-C is crossrun's).
    public static let fixedArguments = [
        "-display", "none", "-monitor", "none", "-serial", "none",
        "-chardev", "stdio,id=crossrun-stdio,signal=off",
    ]

    static let semihostingPrefix = "enable=on,target=native,chardev=crossrun-stdio"

    /// `-semihosting-config`'s value with the image path as argv[0] and each argument as `arg=` (qemu's option
    /// syntax doubles commas inside values). Placed after `-semihosting-config` in argv.
    public static func semihostingConfig(image: String, arguments: [String]) -> String {
        ([semihostingPrefix] + ([image] + arguments).map { "arg=" + $0.replacing(",", with: ",,") })
            .joined(separator: ",")
    }
}

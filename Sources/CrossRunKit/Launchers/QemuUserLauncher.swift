import Foundation

/// Linux user-mode emulation: `qemu-<arch> [-cpu C] [-L SYSROOT] [ARGS] BINARY ARGS...`, with the sysroot the
/// ``SysrootResolver`` finds for a dynamic binary (configured, Debian's cross sysroot, or fetched).
public struct QemuUserLauncher: Launcher {
    public var kind: LaunchPlan.Kind { .qemuUser }

    public init() {}

    public func plan(_ request: LaunchRequest) throws -> LaunchPlan {
        let runner = try request.requireRunner()
        let definition = runner.definition
        let emulator = runner.executable(or: request.planner.selfExecutable)
        let sysroot = try request.planner.sysroots.resolve(
            binary: request.binary, definition: definition, explicit: runner.settings.sysroot, explicitOrigin: runner.sysrootOrigin)
        var argv = [emulator]
        if let cpu = runner.settings.cpu ?? definition.emulator.cpu, !cpu.isEmpty { argv += ["-cpu", cpu] }
        if let sysroot { argv += ["-L", sysroot.path] }
        argv += runner.extraArguments
        argv += [request.binary.path] + request.arguments
        return request.plan(
            .qemuUser, target: definition.name, executable: emulator, argv: argv, environment: runner.environment, sysroot: sysroot)
    }
}

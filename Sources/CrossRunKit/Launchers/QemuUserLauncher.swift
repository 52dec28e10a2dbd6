import FoundationEssentials
import Glibc

/// Linux user-mode emulation: `qemu-<arch> [-cpu C] [-L SYSROOT] [ARGS] BINARY ARGS...`, with the sysroot the
/// ``SysrootResolver`` finds for a dynamic binary (configured, Debian's cross sysroot, or fetched).
public struct QemuUserLauncher: Launcher {
    public var kind: LaunchPlan.Kind { .qemuUser }

    public init() {}

    public func plan(_ request: LaunchRequest) throws -> LaunchPlan {
        let runner = try request.requireRunner()
        let definition = runner.definition
        try Self.checkExecutable(request.binary.path)
        let emulator = runner.executable(or: request.planner.selfExecutable)
        let sysroot = try request.planner.sysroots.resolve(
            binary: request.binary, definition: definition, explicit: runner.settings.sysroot, explicitOrigin: runner.sysrootOrigin)
        var argv = [emulator]
        if let cpu = runner.cpu { argv += ["-cpu", cpu.value] }
        if let sysroot { argv += ["-L", sysroot.path] }
        argv += runner.extraArguments
        argv += [request.binary.path] + request.arguments
        var plan = request.plan(
            .qemuUser, target: definition.name, executable: emulator, argv: argv, environment: runner.environment, sysroot: sysroot)
        plan.cpu = runner.cpu
        return plan
    }

    /// qemu-user loads only a file with an execute bit (any of the three, as the kernel's loader for root), and
    /// otherwise exits 1 without a word; a CI artifact download commonly drops the bit.
    static func checkExecutable(_ path: String) throws {
        var status = stat()
        guard path.withRawCString({ stat($0, &status) }) == 0 else { return }
        let mode = UInt32(status.st_mode)
        if mode & 0o111 == 0 { throw CrossRunError.binaryNotExecutable(path: path, mode: mode & 0o7777) }
    }
}

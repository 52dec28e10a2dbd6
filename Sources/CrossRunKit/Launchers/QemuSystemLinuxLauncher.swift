import FoundationEssentials
import Glibc

/// Linux full-system mode (`mode = "system"`, aarch64 only): the binary runs through `crossrun-tools system-run`,
/// which boots Debian's arm64 kernel under qemu-system-aarch64 with an initramfs holding the binary, its loader
/// and libraries from the resolved sysroot. The kernel and busybox are found in the cache or fetched here, in
/// this process, by the planner's one fetcher (so `--offline`, the mirror, the keyring, `--locked` apply as to
/// sysroots), and the child gets their paths. See docs/system-mode.md.
public struct QemuSystemLinuxLauncher: Launcher {
    public var kind: LaunchPlan.Kind { .qemuSystemLinux }

    public init() {}

    /// Full-system mode boots an arm64 kernel: other machines get a one-line error before anything is looked up.
    static func check(_ info: BinaryInfo, target: String) throws {
        try check(machine: info.elf?.machine, target: target)
    }

    /// The same check for an ELF machine number (doctor checks a runner definition's `match.machine`).
    package static func check(machine: UInt16?, target: String) throws {
        guard machine == ELFMachine.aarch64 else {
            throw CrossRunError.invalidConfiguration(
                file: "[target.\(target)] mode", reason: "mode = \"system\" is available for aarch64 only; remove it for \(target)")
        }
    }

    public func plan(_ request: LaunchRequest) throws -> LaunchPlan {
        let runner = try request.requireRunner()
        let definition = runner.definition
        let settings = runner.settings
        let planner = request.planner
        try Self.check(request.binary, target: definition.name)
        let qemu = runner.executable(or: planner.selfExecutable)
        let sysroot = try planner.sysroots.resolve(
            binary: request.binary, definition: definition, explicit: settings.sysroot, explicitOrigin: runner.sysrootOrigin)
        let tools = try ToolsExecutable.required(planner.toolsExecutable, for: "full-system mode (mode = \"system\")")
        let image = try planner.fetcher.systemImage(.aarch64)
        var argv = [tools, "system-run", "--kernel", image.kernel, "--busybox", image.busybox, "--qemu", qemu]
        if let sysroot { argv += ["--sysroot", sysroot.path] }
        if let cpu = settings.cpu, !cpu.isEmpty { argv += ["--cpu", cpu] }
        if let memory = settings.memory, !memory.isEmpty { argv += ["--memory", memory] }
        argv += ["--", request.binary.path] + request.arguments
        return request.plan(
            .qemuSystemLinux, target: definition.name, executable: tools, argv: argv,
            environment: runner.environment, sysroot: sysroot)
    }
}

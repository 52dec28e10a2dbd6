import FoundationEssentials
import Glibc

/// Exactly what crossrun will execute: an argv array (never a shell string) and the environment to add.
public struct LaunchPlan: Equatable, Sendable {
    public enum Kind: String, Sendable, Codable {
        /// The binary is for this machine and runs directly.
        case native
        /// Linux user-mode emulation: `qemu-<arch> [-cpu C] [-L SYSROOT] BINARY ARGS...`.
        case qemuUser = "qemu-user"
        /// An external WASI runtime: `wasmtime run --dir CWD [--env NAME=VALUE]... MODULE ARGS...`.
        case wasmtime
        /// crossrun's own WasmKit runtime, run as a child: `crossrun-tools wasm-run --dir CWD -- MODULE ARGS...`.
        case embeddedWasm = "embedded-wasm"
        /// A bare-metal image under qemu-system with semihosting: `qemu-system-arm -machine M ... -kernel IMAGE`.
        case qemuSystem = "qemu-system"
        /// Linux full-system mode: `crossrun-tools system-run --kernel K --busybox B ... -- BINARY ARGS...` boots a kernel under
        /// qemu-system-aarch64 with the binary in an initramfs ([target.X] mode = "system").
        case qemuSystemLinux = "qemu-system-linux"
        /// A Windows PE executable under wine: `wine BINARY ARGS...` (WINEDEBUG=-all, crossrun's wine prefix).
        case wine
    }

    public var kind: Kind
    /// The runner name (`aarch64`, ...), or `host` for a native binary.
    public var target: String
    /// The absolute path of the program to execute (the emulator, or the binary itself).
    public var executable: String
    /// The full argv, starting with argv[0].
    public var argv: [String]
    /// Variables added to (or replacing those in) crossrun's own environment.
    public var environment: [String: String]
    public var sysroot: ResolvedSysroot?
    /// The test binary.
    public var binary: String
    /// The arguments given to the binary: the tail of ``argv`` (for qemu-system, inside the semihosting option).
    public var arguments: [String]
    /// The runner definition's run time limit (`emulator.timeout`), the lowest-precedence timeout.
    public var defaultTimeout: Duration? = nil
    /// qemu's `-cpu` value in ``argv`` and the layer that set it, so that qemu refusing it can be said as such.
    public var cpu: Configured<String>? = nil

    /// The same launch with other arguments for the binary (crash-resume and listing runs).
    public func with(arguments newArguments: [String]) -> LaunchPlan {
        var plan = self
        if kind == .qemuSystem, let index = argv.firstIndex(where: { $0.hasPrefix(QemuSystem.semihostingPrefix) }) {
            plan.argv[index] = QemuSystem.semihostingConfig(image: binary, arguments: newArguments)
        } else {
            plan.argv = Array(argv.dropLast(arguments.count)) + newArguments
        }
        plan.arguments = newArguments
        return plan
    }

    /// The emulator's file name (`qemu-aarch64-static`, `wasmtime`), `embedded WasmKit`, or `native`.
    public var emulatorName: String {
        switch kind {
        case .native: return "native"
        case .embeddedWasm: return "embedded WasmKit"
        case .qemuSystemLinux: return "qemu-system-aarch64 (full system)"
        default: return executable.lastPathComponent
        }
    }
}

/// qemu's `-cpu` option as seen from outside.
public enum QemuCPU {
    /// What qemu prints when it does not know the `-cpu` model: qemu 5 and later (user and system mode)
    /// `unable to find CPU model 'X'`, older qemu-user `Unable to find CPU definition`.
    static let refusals = ["unable to find CPU model", "Unable to find CPU definition"]

    /// Whether stderr holds qemu's refusal of the `-cpu` value.
    public static func refused(stderr: String) -> Bool {
        refusals.contains { stderr.contains($0) }
    }
}

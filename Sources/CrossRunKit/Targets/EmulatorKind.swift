/// How a runner definition's binaries are run: the `emulator.kind` key of a Runners/ file.
public enum EmulatorKind: String, Codable, CaseIterable, Sendable {
    /// Linux user-mode emulation (qemu-<arch>); `mode = "system"` boots a kernel under qemu-system instead.
    case qemuUser = "qemu-user"
    /// Bare metal under qemu-system with semihosting.
    case qemuSystem = "qemu-system"
    /// A WASI runtime: wasmtime, or crossrun's own (`embedded`).
    case wasm
    /// Windows PE executables under wine (`format = "pe"`).
    case wine
}

/// How a qemu-user target runs: `mode` in `[target.X]` (user-mode emulation, or a whole Linux system).
public enum TargetMode: String, CaseIterable, Sendable {
    case user
    case system

    /// `mode` from a target's settings (nil: user); a one-line error naming the setting for anything else.
    public init(setting: String?, target: String) throws {
        guard let mode = TargetMode(rawValue: setting ?? "user") else {
            throw CrossRunError.invalidConfiguration(
                file: "[target.\(target)] mode", reason: "\"\(setting ?? "")\" is not a mode crossrun knows (user or system)")
        }
        self = mode
    }
}

import FoundationEssentials
import Glibc

/// One way of starting a test binary: each kind of ``LaunchPlan`` has one launcher type, in its own file
/// (NativeLauncher, QemuUserLauncher, BareMetalLauncher, QemuSystemLinuxLauncher, WasmtimeLauncher,
/// EmbeddedWasmLauncher, WineLauncher). Adding a launcher is one new file and one line in ``LaunchPlanner/launcher(for:)``
/// (docs/architecture.md has the checklist).
public protocol Launcher: Sendable {
    /// The kind of plan this launcher makes.
    var kind: LaunchPlan.Kind { get }
    /// Exactly what to execute for the request: argv, environment, sysroot.
    func plan(_ request: LaunchRequest) throws -> LaunchPlan
}

/// What a launcher plans from: the binary and its arguments, the runner that matched it, and the planner's
/// view of this machine (sysroots, PATH, crossrun's own executable, working directory).
public struct LaunchRequest: Sendable {
    public var binary: BinaryInfo
    public var arguments: [String]
    /// The runner that matched the binary; nil for a binary of this machine.
    public var runner: Runner?
    public var planner: LaunchPlanner

    /// A runner definition with the user's settings for it and the emulator the resolver found.
    public struct Runner: Sendable {
        public var definition: RunnerDefinition
        public var settings: TargetSettings
        /// Where an explicit sysroot setting came from.
        public var sysrootOrigin: SettingOrigin?
        public var mode: TargetMode
        public var emulator: EmulatorResolver.Emulator
        /// Where the `cpu` setting came from (nil: the runner definition's own).
        public var cpuOrigin: SettingOrigin? = nil

        /// qemu's `-cpu` value, the user's or the definition's, with where it came from; nil when none is set.
        public var cpu: Configured<String>? {
            if let cpu = settings.cpu, !cpu.isEmpty { return Configured(cpu, from: cpuOrigin ?? .builtIn) }
            if let cpu = definition.emulator.cpu, !cpu.isEmpty { return Configured(cpu, from: .builtIn) }
            return nil
        }

        /// The emulator's variables: the definition's, then the user's `env` (which win).
        public var environment: [String: String] {
            (definition.emulator.env ?? [:]).merging(settings.env ?? [:]) { _, user in user }
        }

        /// Emulator arguments before the binary: the definition's, then the user's `args`.
        public var extraArguments: [String] { (definition.emulator.args ?? []) + (settings.args ?? []) }

        /// The emulator executable (the crossrun executable for the embedded runtime).
        func executable(or selfExecutable: String) -> String {
            if case .executable(let path) = emulator { return path }
            return selfExecutable
        }
    }

    /// The runner, for the launchers that need one (all but the native one).
    func requireRunner() throws -> Runner {
        guard let runner else {
            throw CrossRunError.unsupportedMachine(path: binary.path, found: binary.summary, supported: planner.catalog.supportedSummary)
        }
        return runner
    }

    /// A plan of `kind` for this request's binary and arguments.
    func plan(
        _ kind: LaunchPlan.Kind, target: String, executable: String, argv: [String], environment: [String: String],
        sysroot: ResolvedSysroot? = nil, defaultTimeout: Duration? = nil
    ) -> LaunchPlan {
        LaunchPlan(
            kind: kind, target: target, executable: executable, argv: argv, environment: environment, sysroot: sysroot,
            binary: binary.path, arguments: arguments, defaultTimeout: defaultTimeout)
    }
}

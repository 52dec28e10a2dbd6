import FoundationEssentials
import Glibc

/// Turns a binary, the runner catalogue and the configuration into a ``LaunchPlan``: finds the runner that
/// matches the binary's header (or the one `--target` names), resolves its emulator with the one
/// ``EmulatorResolver``, and hands the rest to the ``Launcher`` of that kind.
public struct LaunchPlanner: Sendable {
    public var catalog: TargetCatalog
    public var configuration: Configuration
    public var sysroots: SysrootResolver
    /// The fetcher of this run's configuration (mirror, keyring, signature checks, offline, locked): the one the
    /// fetched sysroots use, and what full-system mode's kernel and busybox come through (on the run path a
    /// ``ToolsSysrootFetcher``: `crossrun-tools sysroot fetch` fills the cache).
    public var fetcher: any SysrootFetching
    /// The `PATH` used to find emulators.
    public var searchPath: String
    /// The crossrun executable (what an `embedded` emulator stands for where crossrun itself would run it).
    public var selfExecutable: String = Self.currentExecutable
    /// The crossrun-tools executable that runs wasm modules with the embedded runtime (`crossrun-tools wasm-run`)
    /// and boots full-system mode (`crossrun-tools system-run`): by default the one beside this executable.
    public var toolsExecutable: String = ToolsExecutable.beside()
    /// The guest's environment for an external wasm runtime, which does not pass its own through.
    public var environment: [String: String] = [:]
    /// The working directory, preopened for wasm modules.
    public var workingDirectory: String = ProcessEnvironment.workingDirectory
    /// Extra host folders preopened for wasm modules (`--dir`), as `HOST` or `HOST::GUEST`.
    public var wasmDirectories: [String] = []

    /// This process's executable (Linux: `/proc/self/exe`).
    public static var currentExecutable: String {
        ToolsExecutable.ownExecutable
    }

    public init(catalog: TargetCatalog, configuration: Configuration, sysroots: SysrootResolver = SysrootResolver(), searchPath: String) {
        self.catalog = catalog
        self.configuration = configuration
        self.sysroots = sysroots
        self.searchPath = searchPath
        fetcher = ToolsSysrootFetcher(configuration: configuration, tools: ToolsExecutable.beside())
    }

    public var emulators: EmulatorResolver { EmulatorResolver(configuration: configuration, searchPath: searchPath) }

    public func plan(binary info: BinaryInfo, arguments: [String]) throws -> LaunchPlan {
        var request = LaunchRequest(binary: info, arguments: arguments, runner: nil, planner: self)
        if HostMachine.canRunNatively(info), !emulatesHostBinary(info) { return try NativeLauncher().plan(request) }
        let definition = try self.definition(for: info)
        let (settings, sysrootOrigin) = configuration.settings(for: definition)
        // `mode` matters to qemu-user targets only (bare metal and wasm have one way to run).
        let mode = definition.emulator.kind == .qemuUser ? try TargetMode(setting: settings.mode, target: definition.name) : .user
        if mode == .system { try QemuSystemLinuxLauncher.check(info, target: definition.name) }
        let emulator = try emulators.resolve(definition, mode: mode).required()
        let runner = LaunchRequest.Runner(
            definition: definition, settings: settings, sysrootOrigin: sysrootOrigin, mode: mode, emulator: emulator,
            cpuOrigin: configuration.cpuOrigin(for: definition))
        request.runner = runner
        return try launcher(for: runner).plan(request)
    }

    /// Whether a binary the host could run itself goes to its emulator instead: when `--target` (or
    /// `CROSSRUN_TARGET`) names a runner that fits it (`--target x86_64`), or a config file's table for the runner
    /// its header matches sets `emulator` (`[target.x86_64] emulator = "qemu-x86_64-static"`). Native otherwise,
    /// also when `--emulator` or `CROSSRUN_EMULATOR` is set for the cross targets.
    func emulatesHostBinary(_ info: BinaryInfo) -> Bool {
        if let name = configuration.explicitTarget {
            return (try? catalog.definition(named: name))?.isCompatible(with: info) ?? false
        }
        guard let definition = catalog.definition(for: info) else { return false }
        return configuration.files.contains { $0.settings(for: definition).emulator != nil }
    }

    /// The runner `--target` names (which must fit the binary), else the one the binary's header matches.
    func definition(for info: BinaryInfo) throws -> RunnerDefinition {
        if let name = configuration.explicitTarget {
            let definition = try catalog.definition(named: name)
            guard definition.isCompatible(with: info) else {
                throw CrossRunError.targetMismatch(path: info.path, found: info.summary, target: definition.name, expected: definition.description)
            }
            return definition
        }
        guard let found = catalog.definition(for: info) else {
            throw CrossRunError.unsupportedMachine(path: info.path, found: info.summary, supported: catalog.supportedSummary)
        }
        return found
    }

    /// The launcher for a runner: by its emulator kind, its mode, and (wasm) the runtime found.
    func launcher(for runner: LaunchRequest.Runner) -> any Launcher {
        switch (runner.definition.emulator.kind, runner.mode, runner.emulator) {
        case (.wasm, _, .embedded): return EmbeddedWasmLauncher()
        case (.wasm, _, .executable): return WasmtimeLauncher()
        case (.qemuSystem, _, _): return BareMetalLauncher()
        case (.qemuUser, .system, _): return QemuSystemLinuxLauncher()
        case (.qemuUser, .user, _): return QemuUserLauncher()
        case (.wine, _, _): return WineLauncher()
        }
    }
}

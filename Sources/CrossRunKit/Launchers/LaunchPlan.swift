import Foundation

/// Exactly what crossrun will execute: an argv array (never a shell string) and the environment to add.
public struct LaunchPlan: Equatable, Sendable {
    public enum Kind: String, Sendable, Codable {
        /// The binary is for this machine and runs directly.
        case native
        /// Linux user-mode emulation: `qemu-<arch> [-cpu C] [-L SYSROOT] BINARY ARGS...`.
        case qemuUser = "qemu-user"
        /// An external WASI runtime: `wasmtime run --dir CWD [--env NAME=VALUE]... MODULE ARGS...`.
        case wasmtime
        /// crossrun's own WasmKit runtime, run as a child: `crossrun wasm-run --dir CWD -- MODULE ARGS...`.
        case embeddedWasm = "embedded-wasm"
        /// A bare-metal image under qemu-system with semihosting: `qemu-system-arm -machine M ... -kernel IMAGE`.
        case qemuSystem = "qemu-system"
        /// Linux full-system mode: `crossrun system-run --fetch ... -- BINARY ARGS...` boots a kernel under
        /// qemu-system-aarch64 with the binary in an initramfs ([target.X] mode = "system").
        case qemuSystemLinux = "qemu-system-linux"
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
        default: return (executable as NSString).lastPathComponent
        }
    }
}

/// Turns a binary, the runner catalogue and the configuration into a ``LaunchPlan``.
public struct LaunchPlanner: Sendable {
    public var catalog: TargetCatalog
    public var configuration: Configuration
    public var sysroots: SysrootResolver
    /// The `PATH` used to find emulators.
    public var searchPath: String
    /// The crossrun executable that runs wasm modules with the embedded runtime (`crossrun wasm-run`).
    public var selfExecutable: String = Self.currentExecutable
    /// The guest's environment for an external wasm runtime, which does not pass its own through.
    public var environment: [String: String] = [:]
    /// The working directory, preopened for wasm modules.
    public var workingDirectory: String = FileManager.default.currentDirectoryPath
    /// Extra host folders preopened for wasm modules (`--dir`), as `HOST` or `HOST::GUEST`.
    public var wasmDirectories: [String] = []

    /// This process's executable (Linux: `/proc/self/exe`).
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    public init(catalog: TargetCatalog, configuration: Configuration, sysroots: SysrootResolver = SysrootResolver(), searchPath: String) {
        self.catalog = catalog
        self.configuration = configuration
        self.sysroots = sysroots
        self.searchPath = searchPath
    }

    public func plan(binary info: BinaryInfo, arguments: [String]) throws -> LaunchPlan {
        if HostMachine.canRunNatively(info) {
            guard access(info.path, X_OK) == 0 else { throw CrossRunError.notExecutableOnHost(path: info.path) }
            return LaunchPlan(
                kind: .native, target: "host", executable: info.path, argv: [info.path] + arguments,
                environment: [:], sysroot: nil, binary: info.path, arguments: arguments)
        }
        let definition: RunnerDefinition
        if let name = configuration.explicitTarget {
            definition = try catalog.definition(named: name)
            guard definition.isCompatible(with: info) else {
                throw CrossRunError.targetMismatch(path: info.path, found: info.summary, target: definition.name, expected: definition.description)
            }
        } else {
            guard let found = catalog.definition(for: info) else {
                throw CrossRunError.unsupportedMachine(path: info.path, found: info.summary, supported: catalog.supportedSummary)
            }
            definition = found
        }
        let (settings, sysrootOrigin) = configuration.settings(for: definition)
        if definition.emulator.kind == "wasm" { return try wasmPlan(info, definition: definition, settings: settings, arguments: arguments) }
        if definition.emulator.kind == "qemu-system" {
            return try qemuSystemPlan(info, definition: definition, settings: settings, arguments: arguments)
        }
        switch settings.mode ?? "user" {
        case "user": break
        case "system":
            return try systemModePlan(info, definition: definition, settings: settings, sysrootOrigin: sysrootOrigin, arguments: arguments)
        case let other:
            throw CrossRunError.invalidConfiguration(
                file: "[target.\(definition.name)] mode", reason: "\"\(other)\" is not a mode crossrun knows (user or system)")
        }
        let candidates = settings.emulator.map { [$0] } ?? definition.emulator.candidates
        guard let emulator = candidates.lazy.compactMap({ Executables.find($0, searchPath: self.searchPath) }).first else {
            throw CrossRunError.emulatorNotFound(
                target: definition.name, candidates: candidates, installHint: definition.emulator.installHint)
        }
        let sysroot = try sysroots.resolve(
            binary: info, definition: definition, explicit: settings.sysroot, explicitOrigin: sysrootOrigin)
        var argv = [emulator]
        if let cpu = settings.cpu ?? definition.emulator.cpu, !cpu.isEmpty { argv += ["-cpu", cpu] }
        if let sysroot { argv += ["-L", sysroot.path] }
        argv += definition.emulator.args ?? []
        argv += settings.args ?? []
        argv += [info.path] + arguments
        let environment = (definition.emulator.env ?? [:]).merging(settings.env ?? [:]) { _, user in user }
        return LaunchPlan(
            kind: .qemuUser, target: definition.name, executable: emulator, argv: argv,
            environment: environment, sysroot: sysroot, binary: info.path, arguments: arguments)
    }
}

extension LaunchPlanner {
    /// wasmtime when it is a candidate found on PATH (or the configured emulator), else the embedded runtime.
    func wasmPlan(_ info: BinaryInfo, definition: RunnerDefinition, settings: TargetSettings, arguments: [String]) throws -> LaunchPlan {
        let candidates = settings.emulator.map { [$0] } ?? definition.emulator.candidates
        let directories = [workingDirectory] + wasmDirectories
        for candidate in candidates {
            if candidate == "embedded" {
                let argv = [selfExecutable, "wasm-run"] + directories.flatMap { ["--dir", $0] } + ["--"] + [info.path] + arguments
                return LaunchPlan(
                    kind: .embeddedWasm, target: definition.name, executable: selfExecutable, argv: argv,
                    environment: (definition.emulator.env ?? [:]).merging(settings.env ?? [:]) { _, user in user },
                    sysroot: nil, binary: info.path, arguments: arguments)
            }
            guard let runtime = Executables.find(candidate, searchPath: searchPath) else { continue }
            // wasmtime gives the guest only what it is told: each variable by name (`--env NAME` takes the value
            // from wasmtime's own environment), so no value, secrets included, lands in argv or the report.
            let added = (definition.emulator.env ?? [:]).merging(settings.env ?? [:]) { _, user in user }
            let names = Set(environment.keys).union(added.keys)
            var argv = [runtime, "run"] + directories.flatMap { ["--dir", $0] }
            argv += names.sorted().flatMap { ["--env", $0] }
            argv += definition.emulator.args ?? []
            argv += settings.args ?? []
            argv += [info.path] + arguments
            return LaunchPlan(
                kind: .wasmtime, target: definition.name, executable: runtime, argv: argv, environment: added,
                sysroot: nil, binary: info.path, arguments: arguments)
        }
        throw CrossRunError.emulatorNotFound(target: definition.name, candidates: candidates, installHint: definition.emulator.installHint)
    }
}

extension LaunchPlanner {
    /// A bare-metal image under qemu-system: the board and CPU from the definition (or the user's settings), no
    /// display, monitor or serial port, semihosting output on crossrun's stdout through a chardev, the arguments
    /// as semihosting's command line, and the image loaded with `-kernel`.
    func qemuSystemPlan(_ info: BinaryInfo, definition: RunnerDefinition, settings: TargetSettings, arguments: [String]) throws -> LaunchPlan {
        let candidates = settings.emulator.map { [$0] } ?? definition.emulator.candidates
        guard let emulator = candidates.lazy.compactMap({ Executables.find($0, searchPath: self.searchPath) }).first else {
            throw CrossRunError.emulatorNotFound(
                target: definition.name, candidates: candidates, installHint: definition.emulator.installHint)
        }
        var argv = [emulator, "-machine", settings.machine ?? definition.emulator.machine ?? ""]
        if let cpu = settings.cpu ?? definition.emulator.cpu, !cpu.isEmpty { argv += ["-cpu", cpu] }
        if let memory = settings.memory ?? definition.emulator.memory, !memory.isEmpty { argv += ["-m", memory] }
        argv += QemuSystem.fixedArguments
        argv += definition.emulator.args ?? []
        argv += settings.args ?? []
        argv += ["-semihosting-config", QemuSystem.semihostingConfig(image: info.path, arguments: arguments), "-kernel", info.path]
        let environment = (definition.emulator.env ?? [:]).merging(settings.env ?? [:]) { _, user in user }
        return LaunchPlan(
            kind: .qemuSystem, target: definition.name, executable: emulator, argv: argv,
            environment: environment, sysroot: nil, binary: info.path, arguments: arguments,
            defaultTimeout: definition.defaultTimeout)
    }
}

extension LaunchPlanner {
    /// Linux full-system mode (aarch64 only): the binary runs through `crossrun system-run`, which boots
    /// Debian's arm64 kernel (fetched and verified like a sysroot) under qemu-system-aarch64 with an initramfs
    /// holding the binary, its loader and libraries from the resolved sysroot. See docs/system-mode.md.
    func systemModePlan(
        _ info: BinaryInfo, definition: RunnerDefinition, settings: TargetSettings, sysrootOrigin: SettingOrigin?, arguments: [String]
    ) throws -> LaunchPlan {
        guard info.elf?.machine == ELFMachine.aarch64 else {
            throw CrossRunError.invalidConfiguration(
                file: "[target.\(definition.name)] mode", reason: "mode = \"system\" is available for aarch64 only; remove it for \(definition.name)")
        }
        let candidates = settings.emulator.map { [$0] } ?? ["qemu-system-aarch64"]
        guard let qemu = candidates.lazy.compactMap({ Executables.find($0, searchPath: self.searchPath) }).first else {
            throw CrossRunError.emulatorNotFound(target: definition.name, candidates: candidates, installHint: "apt-get install qemu-system-arm")
        }
        let sysroot = try sysroots.resolve(binary: info, definition: definition, explicit: settings.sysroot, explicitOrigin: sysrootOrigin)
        var argv = [selfExecutable, "system-run", "--fetch", "--qemu", qemu]
        if let sysroot { argv += ["--sysroot", sysroot.path] }
        if let cpu = settings.cpu, !cpu.isEmpty { argv += ["--cpu", cpu] }
        if let memory = settings.memory, !memory.isEmpty { argv += ["--memory", memory] }
        argv += ["--", info.path] + arguments
        let environment = (definition.emulator.env ?? [:]).merging(settings.env ?? [:]) { _, user in user }
        return LaunchPlan(
            kind: .qemuSystemLinux, target: definition.name, executable: selfExecutable, argv: argv,
            environment: environment, sysroot: sysroot, binary: info.path, arguments: arguments)
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
        ([semihostingPrefix] + ([image] + arguments).map { "arg=" + $0.replacingOccurrences(of: ",", with: ",,") })
            .joined(separator: ",")
    }
}

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
    /// The arguments given to the binary: the tail of ``argv``.
    public var arguments: [String]
    /// The runner definition's run time limit (`emulator.timeout`), the lowest-precedence timeout.
    public var defaultTimeout: Duration? = nil

    /// The same launch with other arguments for the binary (crash-resume and listing runs).
    public func with(arguments newArguments: [String]) -> LaunchPlan {
        var plan = self
        plan.argv = Array(argv.dropLast(arguments.count)) + newArguments
        plan.arguments = newArguments
        return plan
    }

    /// The emulator's file name (`qemu-aarch64-static`, `wasmtime`), `embedded WasmKit`, or `native`.
    public var emulatorName: String {
        switch kind {
        case .native: return "native"
        case .embeddedWasm: return "embedded WasmKit"
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
        guard let definition = catalog.definition(for: info) else {
            throw CrossRunError.unsupportedMachine(path: info.path, found: info.summary, supported: catalog.supportedSummary)
        }
        let (settings, sysrootOrigin) = configuration.settings(for: definition)
        if definition.emulator.kind == "wasm" { return try wasmPlan(info, definition: definition, settings: settings, arguments: arguments) }
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

/// The machine crossrun itself runs on.
public enum HostMachine {
    public static var machine: UInt16 {
        #if arch(x86_64)
            return ELFMachine.x86_64
        #elseif arch(arm64)
            return ELFMachine.aarch64
        #else
            return 0
        #endif
    }

    /// A binary for this machine's architecture, word size and byte order runs without an emulator.
    public static func canRunNatively(_ info: BinaryInfo) -> Bool {
        guard let header = info.elf else { return false }
        return header.machine == machine && header.fileClass == .elf64 && header.endianness == .little
    }
}

/// Finds executables the way a shell does, without a shell.
public enum Executables {
    /// `name` itself when it contains a slash and is executable, else the first executable `DIR/name` on `searchPath`.
    public static func find(_ name: String, searchPath: String) -> String? {
        if name.contains("/") {
            return isExecutableFile(name) ? name : nil
        }
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = String(directory) + "/" + name
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }
}

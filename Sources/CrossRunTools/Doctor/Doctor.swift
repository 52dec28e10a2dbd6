import CrossRunKit
import Foundation
import Glibc

/// Looks at this machine the way ``TestRunner`` would for each target of the catalogue: which emulator it would
/// start, which sysroot it would give it, and what is missing, with the command that installs it.
public struct Doctor: Sendable {
    public var catalog: TargetCatalog
    public var configuration: Configuration
    public var environment: [String: String]
    /// Where binfmt_misc is mounted when it is.
    public var binfmtPath = "/proc/sys/fs/binfmt_misc"

    public init(catalog: TargetCatalog, configuration: Configuration, environment: [String: String]) {
        self.catalog = catalog
        self.configuration = configuration
        self.environment = environment
    }

    /// The catalogue from `CROSSRUN_RUNNERS_DIR` and the configuration for `workingDirectory`; a configuration
    /// that does not load becomes a general problem instead of stopping the diagnosis.
    public static func forEnvironment(_ environment: [String: String], workingDirectory: String) throws -> (Doctor, [DoctorReport.Problem]) {
        let catalog = try TargetCatalog.load(extraDirectory: environment[Configuration.Variable.runnersDir])
        var problems: [DoctorReport.Problem] = []
        let configuration: Configuration
        do {
            configuration = try Configuration.load(options: RunOptions(), environment: environment, workingDirectory: workingDirectory)
            try configuration.validateTargets(in: catalog)
        } catch let error as CrossRunError {
            problems.append(.init(message: error.description, fix: nil))
            var clean = environment
            for key in clean.keys where key.hasPrefix("CROSSRUN_") && key != Configuration.Variable.cacheDir { clean[key] = nil }
            return (Doctor(catalog: catalog, configuration: Configuration(options: RunOptions(), environment: clean, files: []), environment: environment), problems)
        }
        return (Doctor(catalog: catalog, configuration: configuration, environment: environment), problems)
    }

    var searchPath: String { environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin" }

    /// The resolver `run` uses, over this configuration and PATH.
    var emulators: EmulatorResolver { EmulatorResolver(configuration: configuration, searchPath: searchPath) }

    /// The qemu-system emulators of this catalogue, each once, sorted by name, with its install hint: every
    /// bare-metal (`kind = "qemu-system"`) definition's candidates, and full-system mode's
    /// (``EmulatorResolver/systemModeCandidates``).
    public var qemuSystemPrograms: [(name: String, installHint: String)] {
        var programs = catalog.definitions.filter { $0.emulator.kind == .qemuSystem }
            .flatMap { definition in definition.emulator.candidates.map { (name: $0, installHint: definition.emulator.installHint) } }
        programs += EmulatorResolver.systemModeCandidates.map { (name: $0, installHint: EmulatorResolver.systemModeInstallHint) }
        var seen = Set<String>()
        return programs.filter { seen.insert($0.name).inserted }.sorted { $0.name < $1.name }
    }

    /// Checks every target of the catalogue and the machine-wide facts.
    public func diagnose(general: [DoctorReport.Problem] = []) -> DoctorReport {
        var versions = VersionProbe()
        let targets = catalog.definitions.map { status(of: $0, versions: &versions) }
        let qemuSystem = qemuSystemPrograms.map { tool($0.name, installHint: $0.installHint, versions: &versions) }
        return DoctorReport(
            targets: targets, binfmt: binfmt(), wasmRuntime: wasmRuntime(versions: &versions), qemuSystem: qemuSystem,
            general: general)
    }

    /// The wasm runtime `run` would use: the resolver's answer for the catalogue's wasm runner (configuration
    /// included), as that target's row shows it.
    func wasmRuntime(versions: inout VersionProbe) -> DoctorReport.WasmRuntimeStatus {
        let resolution = catalog.definitions.first { $0.match.isWasmCoreModule }.map { emulators.resolve($0) }
        switch resolution?.emulator {
        case .executable(let path):
            let wasmtime = DoctorReport.ToolStatus(name: "wasmtime", path: path, version: versions.firstLine(of: path), installHint: nil)
            return .init(wasmtime: wasmtime, selected: .wasmtime, configuredBy: resolution?.configuredBy)
        case .embedded:
            return .init(wasmtime: tool("wasmtime", installHint: nil, versions: &versions), selected: .embedded, configuredBy: resolution?.configuredBy)
        case nil:
            return .init(wasmtime: tool("wasmtime", installHint: nil, versions: &versions), selected: .missing, configuredBy: resolution?.configuredBy)
        }
    }

    func tool(_ name: String, installHint: String?, versions: inout VersionProbe) -> DoctorReport.ToolStatus {
        let path = Executables.find(name, searchPath: searchPath)
        return .init(name: name, path: path, version: path.flatMap { versions.firstLine(of: $0) }, installHint: installHint)
    }

    /// Every target's emulator and sysroot as `run` would choose them, without starting any emulator
    /// (`crossrun targets`).
    public func targets() -> [DoctorReport.TargetStatus] {
        var versions = VersionProbe()
        return catalog.definitions.map { status(of: $0, versions: &versions, probeVersions: false) }
    }

    func status(of definition: RunnerDefinition, versions: inout VersionProbe, probeVersions: Bool = true) -> DoctorReport.TargetStatus {
        let (settings, sysrootOrigin) = configuration.settings(for: definition)
        var problems: [DoctorReport.Problem] = []

        // The mode, read as `run` reads it: for qemu-user targets only (bare metal and wasm have one way to run); a
        // value run rejects is this target's problem.
        var mode = TargetMode.user
        var runnable = true
        if definition.emulator.kind == .qemuUser {
            do {
                mode = try TargetMode(setting: settings.mode, target: definition.name)
            } catch {
                runnable = false
                problems.append(.init(
                    message: CrossRunError.message(for: error),
                    fix: "set mode = \"user\" or mode = \"system\" in [target.\(definition.name)], or remove it"))
            }
        }

        // The emulator `run` would start (EmulatorResolver: the configured one, else the first candidate found).
        let resolution = emulators.resolve(definition, mode: mode)
        var emulator = DoctorReport.EmulatorStatus(
            kind: definition.emulator.kind.rawValue, candidates: resolution.candidates, configuredBy: resolution.configuredBy,
            path: resolution.path, version: nil, installHint: resolution.installHint)
        switch resolution.emulator {
        case .embedded:
            emulator.version = "WasmKit runtime built into crossrun \(CrossRunVersion.current)"
        case .executable(let path):
            if probeVersions { emulator.version = versions.firstLine(of: path) }
        case nil:
            let looked = emulator.candidates.joined(separator: ", ")
            let origin = emulator.configuredBy.map { " (set by \($0))" } ?? ""
            problems.append(.init(
                message: "no emulator: none of \(looked)\(origin) is on PATH",
                fix: emulator.configuredBy == nil ? resolution.installHint : "\(resolution.installHint), or change the emulator setting"))
        }

        // The sysroot, in the order SysrootResolver tries them.
        var sysroot = DoctorReport.SysrootStatus(state: .missing, path: nil, installHint: definition.sysroot.installHint)
        if definition.match.isWasm || definition.emulator.kind != .qemuUser {
            sysroot.state = .notNeeded
        } else if let configured = settings.sysroot {
            sysroot.state = .configured
            sysroot.path = configured
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: configured, isDirectory: &isDirectory) || !isDirectory.boolValue {
                sysroot.state = .missing
                problems.append(.init(
                    message: "the sysroot \(configured) (from \(sysrootOrigin.map(String.init(describing:)) ?? "configuration")) is not a directory",
                    fix: "point it at a folder that holds the target's lib/, or \(definition.sysroot.installHint)"))
            }
        } else if !configuration.ignoreSystemSysroots,
            let installed = definition.sysroot.debian.first(where: { FileManager.default.fileExists(atPath: $0 + "/lib") })
        {
            sysroot.state = .installed
            sysroot.path = installed
        } else {
            let settingsPackages = settings.packages ?? []
            let manifest = try? SysrootManifest.forTarget(definition.name, extraPackages: settingsPackages)
            let cache = SysrootCache(environment: environment)
            if let manifest, let cached = cache.lookup(manifest) {
                sysroot.state = .cached
                sysroot.path = cached.path
            } else if manifest != nil && fetchForbidden == nil {
                sysroot.state = .fetchable
            } else {
                sysroot.state = .missing
                let why = manifest == nil ? "crossrun has no sysroot manifest for it" : fetchForbidden ?? ""
                problems.append(.init(
                    message: "no sysroot: none installed (\(definition.sysroot.debian.joined(separator: ", "))) and \(why); only static binaries run",
                    fix: definition.sysroot.installHint))
            }
        }

        // Full-system mode's kernel and busybox, as the planner's fetcher would find them.
        var systemImage: DoctorReport.SystemImageStatus?
        if mode == .system {
            do {
                try QemuSystemLinuxLauncher.check(machine: definition.match.machine.flatMap(ELFMachine.number(named:)), target: definition.name)
                systemImage = systemImageStatus(problems: &problems)
            } catch {
                runnable = false
                problems.append(.init(message: CrossRunError.message(for: error), fix: nil))
            }
        }
        return .init(
            name: definition.name, description: definition.description, rustTargets: definition.rustTargets,
            emulator: emulator, sysroot: sysroot, systemImage: systemImage,
            canRun: runnable && emulator.path != nil && sysroot.state != .missing && systemImage?.state != .missing,
            problems: problems, toolchains: probeVersions ? toolchains(of: definition) : [])
    }

    /// Each Rust target's cross linker (none for the host's own target, which cargo links with the host's cc),
    /// asked where it finds the target's C start file.
    func toolchains(of definition: RunnerDefinition) -> [DoctorReport.ToolchainStatus] {
        guard !definition.isHostNative else { return [] }
        return definition.rustTargets.compactMap(CrossToolchain.init(rustTarget:)).map { toolchain in
            let linkerPath = Executables.find(toolchain.linker, searchPath: searchPath)
            return .init(toolchain, linkerPath: linkerPath, startFilePath: linkerPath.flatMap(toolchain.locateStartFile(linkerPath:)))
        }
    }

    /// The Debian packages the named targets (runner names or Rust triples, as `--target` takes them) need here
    /// to build and run tests: the emulator's (when its install hint is one `apt-get install`) and, for each
    /// Rust target that links with a GNU cross gcc, the linker's and the C library's. Sorted, each once.
    public func packages(for names: [String]) throws -> [String] {
        var packages = Set<String>()
        for name in names {
            let definition = try catalog.definition(named: name)
            let hint = definition.emulator.installHint.split(separator: " ").map(String.init)
            if hint.count > 2, hint[0] == "apt-get", hint[1] == "install", hint.dropFirst(2).allSatisfy({ !$0.hasPrefix("-") && !$0.contains("&") }) {
                packages.formUnion(hint.dropFirst(2))
            }
            let triples = definition.rustTargets.contains(name) ? [name] : Array(definition.rustTargets.prefix(1))
            guard !definition.isHostNative else { continue }
            for triple in triples {
                if let toolchain = CrossToolchain(rustTarget: triple), !toolchain.packages.isEmpty {
                    packages.formUnion(toolchain.packages)
                } else if definition.emulator.kind == .qemuUser {
                    // No Debian C library package brings its sysroot (musl): crossrun fetches one and checks its
                    // signature.
                    packages.formUnion(["gpgv", "debian-archive-keyring"])
                }
            }
        }
        return packages.sorted()
    }

    /// The system image (kernel and busybox) in the cache of this configuration's fetcher, the one `run` fetches
    /// through: cached, fetched on first use, or missing when offline or locked.
    func systemImageStatus(problems: inout [DoctorReport.Problem]) -> DoctorReport.SystemImageStatus {
        let images = SystemImageFetcher(fetcher: SysrootFetcher(configuration: configuration, progress: { _ in }))
        let name = images.manifest.cacheName
        if let image = images.lookup() {
            return .init(name: name, state: .cached, path: image.entry.path)
        }
        guard let why = fetchForbidden else { return .init(name: name, state: .fetchable, path: nil) }
        let fix = configuration.fetchOptions().offline ? "crossrun sysroot fetch \(name)" : "crossrun sysroot fetch \(name) without --locked (CROSSRUN_LOCKED)"
        problems.append(.init(message: "no \(name) kernel cached and \(why)", fix: fix))
        return .init(name: name, state: .missing, path: nil)
    }

    /// Why this configuration may not (or cannot) fetch what is not cached (`run` would fail), or nil when it may.
    var fetchForbidden: String? {
        let options = configuration.fetchOptions()
        if options.offline { return "offline mode forbids fetching one" }
        if options.locked { return "--locked (CROSSRUN_LOCKED) forbids fetching one" }
        if options.verifySignature, case .failure(let missing) = GPGV.find(keyring: options.keyring, path: configuration.environment["PATH"]) {
            return "fetching one would fail: its signature cannot be checked, \(missing.reason) (\(missing.fix), or use --no-verify-signature)"
        }
        return nil
    }

    /// binfmt_misc: mounted or not, and the qemu entries registered there.
    func binfmt() -> DoctorReport.BinfmtStatus {
        let mounted = FileManager.default.fileExists(atPath: binfmtPath + "/status")
        var entries: [DoctorReport.BinfmtStatus.Entry] = []
        if mounted {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: binfmtPath)) ?? []
            for name in names.sorted() where name.hasPrefix("qemu-") {
                let text = (try? String(contentsOfFile: binfmtPath + "/" + name, encoding: .utf8)) ?? ""
                let lines = text.split(separator: "\n")
                let interpreter = lines.first { $0.hasPrefix("interpreter ") }.map { String($0.dropFirst("interpreter ".count)) }
                entries.append(.init(name: name, enabled: lines.first == "enabled", interpreter: interpreter))
            }
        }
        return .init(path: binfmtPath, mounted: mounted, qemuEntries: entries)
    }
}

/// Runs `PROGRAM --version` (at most a few seconds) and keeps the first line; one run per program.
struct VersionProbe {
    private var seen: [String: String?] = [:]

    mutating func firstLine(of program: String) -> String? {
        if let known = seen[program] { return known }
        let line = Self.run(program)
        seen[program] = line
        return line
    }

    static func run(_ program: String) -> String? {
        guard let output = Executables.output(of: program, arguments: ["--version"], timeout: .seconds(5)) else { return nil }
        let first = String(decoding: output.stdout, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)
        return first?.trimmingCharacters(in: .whitespaces).nonEmpty
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}

import CrossRunKit
import Foundation
import Glibc

/// What `crossrun doctor` found: per target whether it can run here and what is missing, plus the machine-wide
/// facts (binfmt_misc, the wasm runtime, qemu-system for bare metal). Encodes as the `--json` output.
public struct DoctorReport: Codable, Equatable, Sendable {
    public static let schemaName = "crossrun-doctor"

    public var schema = DoctorReport.schemaName
    public var version = 1
    public var crossrunVersion = CrossRunVersion.current
    public var targets: [TargetStatus]
    public var binfmt: BinfmtStatus
    public var wasmRuntime: WasmRuntimeStatus
    public var qemuSystem: [ToolStatus]
    /// Problems not tied to one target (an unreadable crossrun.toml, ...).
    public var general: [Problem]

    public init(targets: [TargetStatus], binfmt: BinfmtStatus, wasmRuntime: WasmRuntimeStatus, qemuSystem: [ToolStatus], general: [Problem]) {
        self.targets = targets
        self.binfmt = binfmt
        self.wasmRuntime = wasmRuntime
        self.qemuSystem = qemuSystem
        self.general = general
    }

    /// A thing that is wrong, with the command that fixes it.
    public struct Problem: Codable, Equatable, Sendable {
        public var message: String
        public var fix: String?

        public init(message: String, fix: String?) {
            self.message = message
            self.fix = fix
        }
    }

    /// A program found (or not) on PATH, with the first line of its `--version`.
    public struct ToolStatus: Codable, Equatable, Sendable {
        public var name: String
        public var path: String?
        public var version: String?
        /// The command that installs it.
        public var installHint: String?

        public var found: Bool { path != nil }
    }

    public struct EmulatorStatus: Codable, Equatable, Sendable {
        /// `qemu-user`, `wasm`, or whatever kind the runner definition names.
        public var kind: String
        /// The candidates tried, in order (or the configured emulator).
        public var candidates: [String]
        /// Where it came from when a flag, variable or config file chose it.
        public var configuredBy: String?
        /// The executable found, or `embedded` for crossrun's own wasm runtime; nil when none is.
        public var path: String?
        public var version: String?
        public var installHint: String

        /// The emulator ``path`` names, typed: nil when none was found.
        public var emulator: EmulatorResolver.Emulator? { path.map(EmulatorResolver.Emulator.init(path:)) }
    }

    public struct SysrootStatus: Codable, Equatable, Sendable {
        public enum State: String, Codable, Sendable {
            /// The target needs none (wasm).
            case notNeeded = "not-needed"
            /// crossrun.toml, CROSSRUN_SYSROOT or --sysroot names one.
            case configured
            /// Debian's cross sysroot (/usr/<triple>) is installed.
            case installed
            /// A fetched sysroot is in crossrun's cache.
            case cached
            /// Nothing installed, but crossrun fetches it from a Debian mirror on first use.
            case fetchable
            /// Nothing installed and nothing to fetch (or `--offline`): only static binaries run.
            case missing
        }

        public var state: State
        public var path: String?
        public var installHint: String
    }

    public struct TargetStatus: Codable, Equatable, Sendable {
        public var name: String
        public var description: String
        public var rustTargets: [String]
        public var emulator: EmulatorStatus
        public var sysroot: SysrootStatus
        /// Full-system mode's kernel and busybox, for a target with `mode = "system"`; nil otherwise.
        public var systemImage: SystemImageStatus?
        /// Whether a test binary for this target can run here (its mode is valid, the emulator is there, and the
        /// sysroot and, in full-system mode, the kernel are there or can be fetched).
        public var canRun: Bool
        public var problems: [Problem]
        /// The cross linker of each of its Rust targets that links with a GNU cross gcc (none for wasm, musl, bare
        /// metal and the host's own target); `crossrun targets` leaves it empty.
        public var toolchains: [ToolchainStatus] = []
    }

    /// Whether cargo can link one Rust target's tests here: its cross gcc on PATH, and the target's C library
    /// files (the start file) where that gcc looks.
    public struct ToolchainStatus: Codable, Equatable, Sendable {
        public var rustTarget: String
        public var linker: String
        public var linkerPath: String?
        /// `Scrt1.o` (glibc) or `crt2.o` (mingw-w64).
        public var startFile: String
        /// Where the linker finds ``startFile``; nil when it does not (or there is no linker).
        public var startFilePath: String?
        /// The Debian packages that bring the linker and the C library files (empty when Debian has none).
        public var packages: [String]
        /// The command that installs them, or what to do where Debian has no such toolchain.
        public var installHint: String
        /// The command that installs only the C library files.
        public var libcInstallHint: String

        public init(_ toolchain: CrossToolchain, linkerPath: String?, startFilePath: String?) {
            rustTarget = toolchain.rustTarget
            linker = toolchain.linker
            self.linkerPath = linkerPath
            startFile = toolchain.startFile
            self.startFilePath = startFilePath
            packages = toolchain.packages
            installHint = toolchain.installHint
            libcInstallHint = toolchain.libcInstallHint
        }

        public var canLink: Bool { linkerPath != nil && startFilePath != nil }

        /// What is wrong, with the command that fixes it; nil when it links.
        public var problem: Problem? {
            if linkerPath == nil {
                return Problem(
                    message: "no cross linker for \(rustTarget): \(linker) is not on PATH, so cargo cannot link its tests",
                    fix: "\(installHint), then crossrun setup --target \(rustTarget)")
            }
            if startFilePath == nil {
                return Problem(
                    message: "\(linker) finds no \(startFile) for \(rustTarget): the target's C library development files are missing, so linking fails",
                    fix: libcInstallHint)
            }
            return nil
        }
    }

    /// The kernel and busybox full-system mode boots (``SystemImageFetcher``), as the run's fetcher would find them.
    public struct SystemImageStatus: Codable, Equatable, Sendable {
        /// The cache entry, also what `crossrun sysroot fetch` takes: `system-aarch64`.
        public var name: String
        /// `cached`, `fetchable` (fetched on first use) or `missing` (offline with none cached).
        public var state: SysrootStatus.State
        /// The cached entry's folder (holding `vmlinuz` and `busybox`) when it is cached.
        public var path: String?
    }

    public struct BinfmtStatus: Codable, Equatable, Sendable {
        public var path: String
        /// Whether binfmt_misc is mounted there.
        public var mounted: Bool
        /// Registered qemu entries (`qemu-aarch64`, ...) and whether each is enabled.
        public var qemuEntries: [Entry]

        public struct Entry: Codable, Equatable, Sendable {
            public var name: String
            public var enabled: Bool
            public var interpreter: String?

            public init(name: String, enabled: Bool, interpreter: String?) {
                self.name = name
                self.enabled = enabled
                self.interpreter = interpreter
            }
        }
    }

    public struct WasmRuntimeStatus: Codable, Equatable, Sendable {
        public enum Runtime: String, Codable, Sendable {
            /// An external runtime: wasmtime on PATH, or the one the configuration names.
            case wasmtime
            /// The WasmKit runtime built into crossrun.
            case embedded
            /// The configured runtime is not there: wasm modules cannot run.
            case missing
        }

        /// The external runtime `selected` is when it is `wasmtime` (the configured one included), else wasmtime
        /// on PATH, if any.
        public var wasmtime: ToolStatus
        /// The runtime `run` uses for the wasm target, as the resolver chooses it (configuration included).
        public var selected: Runtime
        /// Where the configuration chose it (`--emulator`, `$CROSSRUN_EMULATOR`, a config file); nil when the
        /// runner definition's candidates did.
        public var configuredBy: String?
    }

    /// The targets named in `requested` (runner names or Rust triples) that cannot run; every name must be one
    /// ``targets`` holds (see ``Doctor/check(targets:)``).
    public func unrunnable(_ requested: [String]) -> [TargetStatus] {
        requested.compactMap { name in targets.first { $0.name == name || $0.rustTargets.contains(name) } }
            .filter { !$0.canRun }
    }

    /// The linkers of the targets named in `requested` that cannot link: for a Rust triple its own, for a runner
    /// name its first Rust target's.
    public func unlinkable(_ requested: [String]) -> [ToolchainStatus] {
        requested.compactMap { name -> ToolchainStatus? in
            guard let target = targets.first(where: { $0.name == name || $0.rustTargets.contains(name) }) else { return nil }
            return target.toolchains.first { $0.rustTarget == name } ?? (target.name == name ? target.toolchains.first : nil)
        }.filter { !$0.canLink }
    }

    /// Every problem, each once, target problems first; the linker problems of the targets named in `requested`
    /// (``unlinkable(_:)``) after each target's own.
    public func allProblems(requested: [String] = []) -> [(target: String?, problem: Problem)] {
        let linking = unlinkable(requested)
        return targets.flatMap { target in
            (target.problems + target.toolchains.filter { toolchain in linking.contains(toolchain) }.compactMap(\.problem)).map { (Optional(target.name), $0) }
        } + general.map { (nil, $0) }
    }
}

import Foundation

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

    /// Every problem, each once, target problems first.
    public var allProblems: [(target: String?, problem: Problem)] {
        targets.flatMap { target in target.problems.map { (Optional(target.name), $0) } } + general.map { (nil, $0) }
    }
}

import FoundationEssentials
import Glibc

/// The one answer to "which emulator runs this target on this machine", used by `run` (the launchers),
/// `doctor` and `targets` alike: the emulator the configuration names (`--emulator`, `CROSSRUN_EMULATOR`,
/// `emulator` in `[target.X]` of crossrun.toml or the user's config), else the runner definition's candidates
/// (for `mode = "system"`, qemu-system-aarch64), the first one found on PATH. For a wasm target the candidate
/// `embedded` is crossrun's own WasmKit runtime, always there.
public struct EmulatorResolver: Sendable {
    public var configuration: Configuration
    /// The `PATH` emulators are looked up in.
    public var searchPath: String

    /// Full-system mode's emulator, whatever the runner definition says (its candidates are qemu-user's).
    public static let systemModeCandidates = ["qemu-system-aarch64"]
    public static let systemModeInstallHint = "apt-get install qemu-system-arm"

    public init(configuration: Configuration, searchPath: String) {
        self.configuration = configuration
        self.searchPath = searchPath
    }

    public enum Emulator: Equatable, Sendable {
        /// An executable found on PATH (or the absolute path configured).
        case executable(String)
        /// crossrun's own WasmKit runtime (wasm targets only).
        case embedded

        /// What reports show for it: the executable's path, or `embedded`.
        public var path: String {
            switch self {
            case .executable(let path): return path
            case .embedded: return Self.embeddedPath
            }
        }

        /// The emulator a report's ``path`` names (`embedded`, else an executable).
        public init(path: String) {
            self = path == Self.embeddedPath ? .embedded : .executable(path)
        }

        static let embeddedPath = "embedded"
    }

    /// What was looked for and what was found.
    public struct Resolution: Equatable, Sendable {
        public var target: String
        /// Nil when none of the candidates is on PATH.
        public var emulator: Emulator?
        /// The names (or paths) looked for, in order.
        public var candidates: [String]
        /// The layer that named the emulator (`--emulator`, `$CROSSRUN_EMULATOR`, a config file's path); nil
        /// when the candidates are the runner definition's.
        public var configuredBy: String?
        /// The command that installs one of the candidates.
        public var installHint: String

        /// The emulator, or the one-line error that says what to install.
        public func required() throws -> Emulator {
            guard let emulator else {
                throw CrossRunError.emulatorNotFound(target: target, candidates: candidates, installHint: installHint)
            }
            return emulator
        }

        /// The executable's path, or `embedded`.
        public var path: String? { emulator?.path }
    }

    /// The emulator for `definition` with this configuration; `mode` is the target's (user unless set).
    public func resolve(_ definition: RunnerDefinition, mode: TargetMode = .user) -> Resolution {
        let settings = configuration.settings(for: definition).settings
        var resolution = Resolution(
            target: definition.name, emulator: nil, candidates: definition.emulator.candidates, configuredBy: nil,
            installHint: definition.emulator.installHint)
        if definition.emulator.kind == .qemuUser, mode == .system {
            resolution.candidates = Self.systemModeCandidates
            resolution.installHint = Self.systemModeInstallHint
        }
        if let configured = settings.emulator {
            resolution.candidates = [configured]
            resolution.configuredBy = configuredOrigin(for: definition)
        }
        for candidate in resolution.candidates {
            // The embedded runtime runs core modules; a component needs wasmtime.
            if candidate == "embedded", definition.match.isWasmCoreModule {
                resolution.emulator = .embedded
                break
            }
            if let path = Executables.find(candidate, searchPath: searchPath) {
                resolution.emulator = .executable(path)
                break
            }
        }
        return resolution
    }

    /// Which layer set the emulator for this target (for messages).
    func configuredOrigin(for definition: RunnerDefinition) -> String {
        if configuration.options.emulator != nil { return "--emulator" }
        let variable = Configuration.Variable.emulator
        if let value = configuration.environment[variable], !value.isEmpty { return "$" + variable }
        return configuration.files.first { $0.settings(for: definition).emulator != nil }?.path ?? "configuration"
    }
}

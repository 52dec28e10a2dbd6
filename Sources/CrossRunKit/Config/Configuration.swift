import FoundationEssentials
import Glibc

/// Options given on crossrun's command line (before the binary). Every field is optional: unset means
/// "take it from the environment, then the config files, then the built-in default".
public struct RunOptions: Equatable, Sendable {
    public var junitPath: String?
    public var jsonPath: String?
    public var reportDirectory: String?
    /// `false` for `--no-report`.
    public var writeReports: Bool?
    public var sysroot: String?
    public var emulator: String?
    public var cpu: String?
    public var quiet: Bool?
    /// An explicit config file instead of searching for crossrun.toml.
    public var configFile: String?
    /// The Debian mirror for fetched sysroots.
    public var mirror: String?
    /// `--offline`: never download a sysroot.
    public var offline: Bool?
    /// `--no-verify-signature` sets this to false.
    public var verifySignature: Bool?
    /// `--locked`: never fetch or change a sysroot's lock record.
    public var locked: Bool?
    /// `--ignore-system-sysroots`: skip Debian's /usr/<triple> cross sysroots.
    public var ignoreSystemSysroots: Bool?
    /// `--no-resume` sets this to false: no fresh processes for tests a crash left unreported.
    public var resume: Bool?
    /// `--partition hash:K/N|slice:K/N`: run only that share of the binary's tests.
    public var partition: String?
    /// `--target`: the runner (name or Rust triple) to use instead of the one the binary's header matches.
    public var target: String?
    /// Extra host folders a wasm module may see (`--dir HOST[::GUEST]`); the working directory always is.
    public var wasmDirectories: [String] = []
    /// `--timeout`: the time limit for the whole run of the binary (every process crossrun starts for it).
    public var timeout: Duration?
    /// `--test-timeout`: the time limit for one test (no test reporting for this long stops the process).
    public var testTimeout: Duration?
    /// `--kill-grace`: how long a timed-out process gets between SIGTERM and SIGKILL.
    public var killGrace: Duration?
    /// `--retries N`: run each failed test again alone up to N times.
    public var retries: Int?
    /// `--isolate`: one process per test instead of one per binary.
    public var isolate: Bool?
    /// `--jobs N`: with `--isolate`, how many test processes run at once.
    public var jobs: Int?

    public init(
        junitPath: String? = nil, jsonPath: String? = nil, reportDirectory: String? = nil, writeReports: Bool? = nil,
        sysroot: String? = nil, emulator: String? = nil, cpu: String? = nil, quiet: Bool? = nil, configFile: String? = nil
    ) {
        self.junitPath = junitPath
        self.jsonPath = jsonPath
        self.reportDirectory = reportDirectory
        self.writeReports = writeReports
        self.sysroot = sysroot
        self.emulator = emulator
        self.cpu = cpu
        self.quiet = quiet
        self.configFile = configFile
    }
}

/// The time limits of one binary's run and where each came from.
public struct RunLimits: Equatable, Sendable {
    /// The whole run of the binary: every process crossrun starts for it (crash-resume and retries too).
    public var timeout: Configured<Duration>?
    /// One test: no test reporting for this long stops the process.
    public var testTimeout: Configured<Duration>?
    /// Between SIGTERM and SIGKILL.
    public var killGrace: Duration = .seconds(2)

    public init() {}
}

/// A setting's value and the layer it came from.
public struct Configured<Value: Sendable & Equatable>: Sendable, Equatable {
    public var value: Value
    public var origin: SettingOrigin

    public init(_ value: Value, from origin: SettingOrigin) {
        self.value = value
        self.origin = origin
    }
}

/// Where a setting came from, shown in messages so a user knows which layer to change.
public enum SettingOrigin: Equatable, Sendable, CustomStringConvertible {
    case flag(String)
    case environment(String)
    case file(String)
    case builtIn

    public var description: String {
        switch self {
        case .flag(let name): return name
        case .environment(let name): return "$" + name
        case .file(let path): return path
        case .builtIn: return "Runners/"
        }
    }
}

/// All configuration for one run, merged in precedence order: command-line flags, then `CROSSRUN_*`
/// environment variables, then `crossrun.toml` found upward from the working directory, then the user's
/// `$XDG_CONFIG_HOME/crossrun/config.toml`, then the built-in Runners/ definitions.
public struct Configuration: Sendable {
    public var options: RunOptions
    public var environment: [String: String]
    /// Config files in precedence order (project first).
    public var files: [ConfigFile]

    /// Names of the environment variables crossrun reads.
    public enum Variable {
        public static let sysroot = "CROSSRUN_SYSROOT"
        public static let emulator = "CROSSRUN_EMULATOR"
        public static let cpu = "CROSSRUN_CPU"
        public static let reportDir = "CROSSRUN_REPORT_DIR"
        public static let junit = "CROSSRUN_JUNIT"
        public static let json = "CROSSRUN_JSON"
        public static let noReport = "CROSSRUN_NO_REPORT"
        public static let quiet = "CROSSRUN_QUIET"
        public static let config = "CROSSRUN_CONFIG"
        public static let runnersDir = "CROSSRUN_RUNNERS_DIR"
        public static let mirror = "CROSSRUN_DEBIAN_MIRROR"
        public static let keyring = "CROSSRUN_DEBIAN_KEYRING"
        public static let offline = "CROSSRUN_OFFLINE"
        public static let noVerifySignature = "CROSSRUN_NO_VERIFY_SIGNATURE"
        public static let locked = "CROSSRUN_LOCKED"
        public static let ignoreSystemSysroots = "CROSSRUN_IGNORE_SYSTEM_SYSROOTS"
        public static let cacheDir = "CROSSRUN_CACHE_DIR"
        public static let sysrootSizeCap = "CROSSRUN_SYSROOT_SIZE_CAP"
        public static let noResume = "CROSSRUN_NO_RESUME"
        public static let target = "CROSSRUN_TARGET"
        public static let partition = "CROSSRUN_PARTITION"
        public static let timeout = "CROSSRUN_TIMEOUT"
        public static let testTimeout = "CROSSRUN_TEST_TIMEOUT"
        public static let killGrace = "CROSSRUN_KILL_GRACE"
        public static let retries = "CROSSRUN_RETRIES"
        public static let isolate = "CROSSRUN_ISOLATE"
        public static let jobs = "CROSSRUN_JOBS"
        public static let summary = "CROSSRUN_SUMMARY"
    }

    /// Loads the config files that apply to `workingDirectory` and merges them with `options` and `environment`.
    public static func load(options: RunOptions, environment: [String: String], workingDirectory: String) throws -> Configuration {
        var files: [ConfigFile] = []
        if let explicit = options.configFile ?? environment[Variable.config].flatMap({ $0.isEmpty ? nil : $0 }) {
            files.append(try ConfigFile.load(path: Paths.absolute(explicit, relativeTo: workingDirectory)))
        } else {
            if let project = findUpward(name: "crossrun.toml", from: workingDirectory) {
                files.append(try ConfigFile.load(path: project))
            }
            let configHome = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? (environment["HOME"].map { $0 + "/.config" })
            if let configHome {
                let user = configHome + "/crossrun/config.toml"
                if Paths.exists(user) { files.append(try ConfigFile.load(path: user)) }
            }
        }
        let configuration = Configuration(options: options, environment: environment, files: files)
        try configuration.validateEnvironment()
        return configuration
    }

    public init(options: RunOptions, environment: [String: String], files: [ConfigFile]) {
        self.options = options
        self.environment = environment
        self.files = files
    }

    private func validateEnvironment() throws {
        for name in [Variable.noReport, Variable.quiet, Variable.offline, Variable.noVerifySignature, Variable.locked, Variable.ignoreSystemSysroots, Variable.noResume, Variable.isolate] {
            if let value = environment[name], Self.boolean(value) == nil {
                throw CrossRunError.invalidEnvironmentValue(variable: name, value: value, expected: "1, 0, true, false, yes, no, on or off")
            }
        }
        for name in [Variable.timeout, Variable.testTimeout, Variable.killGrace] {
            if let value = env(name), DurationText.parse(value) == nil {
                throw CrossRunError.invalidEnvironmentValue(variable: name, value: value, expected: DurationText.expected)
            }
        }
        if let value = env(Variable.retries), Self.count(value) == nil {
            throw CrossRunError.invalidEnvironmentValue(variable: Variable.retries, value: value, expected: "a whole number, 0 or more")
        }
        if let value = env(Variable.sysrootSizeCap), Self.byteSize(value) == nil {
            throw CrossRunError.invalidEnvironmentValue(variable: Variable.sysrootSizeCap, value: value, expected: "a size in bytes, 1 or more, optionally with K, M or G (KiB, MiB, GiB), such as 2G")
        }
        if let value = env(Variable.jobs), (Self.count(value) ?? 0) < 1 {
            throw CrossRunError.invalidEnvironmentValue(variable: Variable.jobs, value: value, expected: "a whole number, 1 or more")
        }
    }

    /// A size of 1 byte or more: a whole number with an optional K, M or G (KiB, MiB, GiB) suffix.
    static func byteSize(_ value: String) -> Int? {
        var text = value.trimmingSpaces().uppercased()
        if text.hasSuffix("IB") { text.removeLast(2) } else if text.hasSuffix("B") { text.removeLast() }
        var shift = 0
        if let last = text.last, let power = ["K": 10, "M": 20, "G": 30][String(last)] {
            shift = power
            text.removeLast()
        }
        guard let number = Int(text), number >= 1, number <= Int.max >> shift else { return nil }
        return number << shift
    }

    /// A whole number, 0 or more.
    static func count(_ value: String) -> Int? {
        guard let number = Int(value.trimmingSpaces()), number >= 0 else { return nil }
        return number
    }

    static func boolean(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "": return false
        default: return nil
        }
    }

    package static func findUpward(name: String, from directory: String) -> String? {
        var folder = directory.standardizingPath
        while true {
            let candidate = folder.appendingPathComponent(name)
            if Paths.exists(candidate) { return candidate }
            let parent = folder.deletingLastPathComponent
            if parent == folder || parent.isEmpty { return nil }
            folder = parent
        }
    }

    private func env(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// The first value set, with where it came from.
    private func pick(flag: String?, named flagName: String, variable: String, file: (ConfigFile) -> String?) -> Configured<String>? {
        if let value = flag { return Configured(value, from: .flag(flagName)) }
        if let value = env(variable) { return Configured(value, from: .environment(variable)) }
        for config in files { if let value = file(config) { return Configured(value, from: .file(config.path)) } }
        return nil
    }

    /// `CROSSRUN_SUMMARY=always`: the summary line also for runs that print none by default (a program `cargo run`
    /// started, a doctest).
    public var summaryAlways: Bool { environment[Variable.summary]?.lowercased() == "always" }

    public var quiet: Bool {
        options.quiet ?? environment[Variable.quiet].flatMap(Self.boolean) ?? false
    }

    public var writeReports: Bool {
        if let flag = options.writeReports { return flag }
        if let value = environment[Variable.noReport].flatMap(Self.boolean) { return !value }
        for config in files { if let reports = config.reports { return reports } }
        return true
    }

    /// A boolean from the flag, else the variable, else the first config file that sets it, else `fallback`.
    private func flag(_ option: Bool?, _ variable: String, _ file: (ConfigFile) -> Bool?, fallback: Bool) -> Bool {
        if let option { return option }
        if let value = environment[variable].flatMap(Self.boolean) { return value }
        for config in files { if let value = file(config) { return value } }
        return fallback
    }

    /// How fetched sysroots are fetched: mirror, signature checks, offline and locked modes, cache folder.
    public func fetchOptions() -> FetchOptions {
        var fetch = FetchOptions()
        fetch.mirror = pick(flag: options.mirror, named: "--mirror", variable: Variable.mirror) { $0.mirror }?.value
        if let keyring = pick(flag: nil, named: "", variable: Variable.keyring, file: { $0.keyring })?.value { fetch.keyring = keyring }
        fetch.offline = flag(options.offline, Variable.offline, { $0.offline }, fallback: false)
        fetch.verifySignature = options.verifySignature
            ?? environment[Variable.noVerifySignature].flatMap(Self.boolean).map { !$0 }
            ?? files.lazy.compactMap(\.verifySignature).first ?? true
        fetch.locked = flag(options.locked, Variable.locked, { _ in nil }, fallback: false)
        if let cap = env(Variable.sysrootSizeCap).flatMap(Self.byteSize) { fetch.sizeCap = cap }
        return fetch
    }

    /// Crash-resume is on unless `--no-resume`, `CROSSRUN_NO_RESUME=1` or `resume = false` says otherwise.
    public var resume: Bool {
        options.resume ?? environment[Variable.noResume].flatMap(Self.boolean).map { !$0 }
            ?? files.lazy.compactMap(\.resume).first ?? true
    }

    /// The time limits for a binary of `definition` (nil: a host binary run natively), each from the highest
    /// layer that sets it; `defaultTimeout` (a runner definition's own) is the lowest layer for the timeout.
    public func limits(for definition: RunnerDefinition?, defaultTimeout: Duration? = nil) -> RunLimits {
        func fromFiles(_ value: (TargetSettings) -> ConfigDuration?) -> Configured<Duration>? {
            for config in files {
                let settings = definition.map(config.settings(for:))
                    ?? TargetSettings(timeout: config.timeout, testTimeout: config.testTimeout)
                if let duration = value(settings) { return Configured(duration.value, from: .file(config.path)) }
            }
            return nil
        }
        func pickDuration(_ flag: Duration?, _ flagName: String, _ variable: String, _ file: (TargetSettings) -> ConfigDuration?) -> Configured<Duration>? {
            if let flag { return Configured(flag, from: .flag(flagName)) }
            if let text = env(variable), let duration = DurationText.parse(text) { return Configured(duration, from: .environment(variable)) }
            return fromFiles(file)
        }
        var limits = RunLimits()
        limits.timeout = pickDuration(options.timeout, "--timeout", Variable.timeout) { $0.timeout }
            ?? defaultTimeout.map { Configured($0, from: .builtIn) }
        limits.testTimeout = pickDuration(options.testTimeout, "--test-timeout", Variable.testTimeout) { $0.testTimeout }
        if let grace = options.killGrace ?? env(Variable.killGrace).flatMap(DurationText.parse)
            ?? files.lazy.compactMap(\.killGrace).first?.value
        {
            limits.killGrace = grace
        }
        return limits
    }

    /// How many times a failed test runs again alone: `--retries`, `CROSSRUN_RETRIES`, `retries` in a config file; 0.
    public var retries: Int {
        options.retries ?? env(Variable.retries).flatMap(Self.count) ?? files.lazy.compactMap(\.retries).first ?? 0
    }

    /// One process per test: `--isolate`, `CROSSRUN_ISOLATE`, `isolate` in a config file; off.
    public var isolate: Bool {
        flag(options.isolate, Variable.isolate, { $0.isolate }, fallback: false)
    }

    /// How many isolated test processes run at once: `--jobs`, `CROSSRUN_JOBS`, `jobs` in a config file; else
    /// the number of CPUs (as cargo and nextest do).
    public var jobs: Int {
        options.jobs ?? env(Variable.jobs).flatMap(Self.count) ?? files.lazy.compactMap(\.jobs).first
            ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    public var ignoreSystemSysroots: Bool {
        flag(options.ignoreSystemSysroots, Variable.ignoreSystemSysroots, { _ in nil }, fallback: false)
    }

    public var junitPath: Configured<String>? { pick(flag: options.junitPath, named: "--junit", variable: Variable.junit) { $0.junit } }
    public var jsonPath: Configured<String>? { pick(flag: options.jsonPath, named: "--json", variable: Variable.json) { $0.json } }
    public var reportDirectory: Configured<String>? {
        pick(flag: options.reportDirectory, named: "--report-dir", variable: Variable.reportDir) { $0.reportDir }
    }

    /// The share of the tests to run: `--partition` or `CROSSRUN_PARTITION` (`hash:K/N`, `slice:K/N`; `ci`,
    /// `hash:ci`, `slice:ci` take K/N from the CI's parallel-job variables, ``Partition/fromCI``).
    public func partition() throws -> Partition? {
        let (text, origin): (String?, String) = options.partition != nil
            ? (options.partition, "--partition") : (environment[Variable.partition].flatMap { $0.isEmpty ? nil : $0 }, Variable.partition)
        guard let text else { return nil }
        if let strategy = Partition.ciStrategy(text) {
            return try Partition.fromCI(strategy: strategy, environment: environment, origin: origin)
        }
        guard let partition = Partition(text) else {
            throw CrossRunError.invalidEnvironmentValue(variable: origin, value: text, expected: Partition.expected)
        }
        return partition
    }

    /// The target named with `--target` or `CROSSRUN_TARGET`, which wins over the binary's header.
    public var explicitTarget: String? {
        options.target ?? environment[Variable.target].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Refuses `[target.NAME]` tables that name no runner or Rust target of `catalog` (a typo would do nothing).
    public func validateTargets(in catalog: TargetCatalog) throws {
        for file in files {
            for name in (file.target ?? [:]).keys.sorted() where (try? catalog.definition(named: name)) == nil {
                throw CrossRunError.invalidConfiguration(
                    file: file.path,
                    reason: "[target.\(name)] names no known target (runner names: \(catalog.names.joined(separator: ", ")), or one of their Rust target triples; see crossrun targets)")
            }
        }
    }

    /// The layer that sets `cpu` for this target (`--cpu`, `$CROSSRUN_CPU`, a config file); nil when none does.
    public func cpuOrigin(for definition: RunnerDefinition) -> SettingOrigin? {
        if options.cpu != nil { return .flag("--cpu") }
        if env(Variable.cpu) != nil { return .environment(Variable.cpu) }
        return files.first { $0.settings(for: definition).cpu != nil }.map { .file($0.path) }
    }

    /// The settings for one target, every field from the highest layer that sets it.
    public func settings(for definition: RunnerDefinition) -> (settings: TargetSettings, sysrootOrigin: SettingOrigin?) {
        let fromFlags = TargetSettings(emulator: options.emulator, cpu: options.cpu, sysroot: options.sysroot)
        let fromEnvironment = TargetSettings(emulator: env(Variable.emulator), cpu: env(Variable.cpu), sysroot: env(Variable.sysroot))
        var merged = fromFlags.over(fromEnvironment)
        for config in files { merged = merged.over(config.settings(for: definition)) }
        var origin: SettingOrigin?
        if options.sysroot != nil {
            origin = .flag("--sysroot")
        } else if env(Variable.sysroot) != nil {
            origin = .environment(Variable.sysroot)
        } else if let file = files.first(where: { $0.settings(for: definition).sysroot != nil }) {
            origin = .file(file.path)
        }
        return (merged, origin)
    }
}

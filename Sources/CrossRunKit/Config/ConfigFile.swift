import FoundationEssentials
import TOMLKit
import Glibc

/// Settings a user can give per target, in a config file or (for the whole run) by flag or environment.
public struct TargetSettings: Codable, Equatable, Sendable {
    /// An emulator executable name (looked up on PATH) or path, used instead of the runner's candidates.
    public var emulator: String?
    /// qemu `-cpu` value.
    public var cpu: String?
    /// Extra emulator arguments, placed after the runner's own and before the binary.
    public var args: [String]?
    /// Extra environment for the emulator and the guest.
    public var env: [String: String]?
    /// The sysroot given to qemu-user as `-L`.
    public var sysroot: String?
    /// Debian packages added to the target's fetched sysroot (Sysroots/), e.g. `["libstdc++6"]`.
    public var packages: [String]?
    /// The whole binary's time limit (`timeout = "5m"`).
    public var timeout: ConfigDuration?
    /// One test's time limit (`test-timeout = "30s"`).
    public var testTimeout: ConfigDuration?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case emulator, cpu, args, env, sysroot, packages, timeout, machine, memory, mode
        case testTimeout = "test-timeout"
    }

    /// qemu-system's board (`-machine`) for a bare-metal target.
    public var machine: String?
    /// qemu-system's guest RAM (`-m`) for a bare-metal or full-system target.
    public var memory: String?
    /// `user` (qemu-user, the default for Linux targets) or `system` (boot a Linux kernel under qemu-system).
    public var mode: String?

    public init(
        emulator: String? = nil, cpu: String? = nil, args: [String]? = nil, env: [String: String]? = nil,
        sysroot: String? = nil, packages: [String]? = nil, timeout: ConfigDuration? = nil, testTimeout: ConfigDuration? = nil
    ) {
        self.timeout = timeout
        self.testTimeout = testTimeout
        self.emulator = emulator
        self.cpu = cpu
        self.args = args
        self.env = env
        self.sysroot = sysroot
        self.packages = packages
    }

    /// `self` with every unset field taken from `lower`, which has lower precedence.
    func over(_ lower: TargetSettings) -> TargetSettings {
        var merged = TargetSettings(
            emulator: emulator ?? lower.emulator, cpu: cpu ?? lower.cpu, args: args ?? lower.args,
            env: (lower.env ?? [:]).merging(env ?? [:]) { _, mine in mine }.nilIfEmpty,
            sysroot: sysroot ?? lower.sysroot, packages: packages ?? lower.packages,
            timeout: timeout ?? lower.timeout, testTimeout: testTimeout ?? lower.testTimeout)
        merged.machine = machine ?? lower.machine
        merged.memory = memory ?? lower.memory
        merged.mode = mode ?? lower.mode
        return merged
    }
}

/// A `crossrun.toml` (project) or `$XDG_CONFIG_HOME/crossrun/config.toml` (user) file.
///
///     sysroot = "/opt/sysroots/arm64"      # every target
///     report-dir = "reports"
///     [target.aarch64]                     # a runner name or a Rust target triple
///     cpu = "cortex-a72"
///     env = { RUST_MIN_STACK = "8388608" }
public struct ConfigFile: Codable, Equatable, Sendable {
    public var sysroot: String?
    public var reportDir: String?
    public var junit: String?
    public var json: String?
    public var reports: Bool?
    /// The Debian mirror fetched sysroots come from.
    public var mirror: String?
    /// The keyring gpgv checks the mirror's InRelease against.
    public var keyring: String?
    public var offline: Bool?
    public var verifySignature: Bool?
    /// `false` turns crash-resume off.
    public var resume: Bool?
    /// Time limits for every target (a `[target.X]` table's own win for that target).
    public var timeout: ConfigDuration?
    public var testTimeout: ConfigDuration?
    /// How long a timed-out process gets between SIGTERM and SIGKILL.
    public var killGrace: ConfigDuration?
    /// How many times a failed test is run again alone.
    public var retries: Int?
    /// One process per test.
    public var isolate: Bool?
    /// How many isolated test processes run at once.
    public var jobs: Int?
    public var target: [String: TargetSettings]?

    /// The file this was read from; relative paths in it are relative to its folder.
    public var path: String = ""

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sysroot, junit, json, reports, target, mirror, keyring, offline, resume
        case reportDir = "report-dir"
        case verifySignature = "verify-signature"
        case timeout, retries, isolate, jobs
        case testTimeout = "test-timeout"
        case killGrace = "kill-grace"
    }

    public init() {}

    /// Reads and checks a config file; paths in it become absolute.
    public static func load(path: String) throws -> ConfigFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CrossRunError.invalidConfiguration(file: path, reason: "cannot be read (\(ErrorText.reason(error)))")
        }
        return try parse(toml: text, path: path)
    }

    public static func parse(toml text: String, path: String) throws -> ConfigFile {
        // Unknown keys are mistakes (a typo would silently do nothing), so they are refused by name.
        let table: TOMLTable
        do {
            table = try TOMLDocument.table(text)
        } catch {
            throw CrossRunError.invalidConfiguration(file: path, reason: TOMLErrors.describe(error))
        }
        let known = Set(KeyType.topLevel.keys)
        if let unknown = table.keys.first(where: { !known.contains($0) }) {
            throw CrossRunError.invalidConfiguration(
                file: path, reason: "unknown key \"\(unknown)\" (known: \(known.sorted().joined(separator: ", ")))")
        }
        let targetKeys = Set(KeyType.target.keys)
        if let targets = table["target"]?.table {
            for (name, value) in targets {
                guard let settings = value.table else {
                    throw CrossRunError.invalidConfiguration(file: path, reason: "target.\(name) must be a table")
                }
                if let unknown = settings.keys.first(where: { !targetKeys.contains($0) }) {
                    throw CrossRunError.invalidConfiguration(
                        file: path,
                        reason: "unknown key \"\(unknown)\" in [target.\(name)] (known: \(targetKeys.sorted().joined(separator: ", ")))")
                }
            }
        }
        try KeyType.check(table, path: path)
        var file: ConfigFile
        do {
            file = try TOMLDecoder().decode(ConfigFile.self, from: table)
        } catch {
            throw CrossRunError.invalidConfiguration(file: path, reason: TOMLErrors.describe(error))
        }
        file.path = path
        if let retries = file.retries, retries < 0 {
            throw CrossRunError.invalidConfiguration(file: path, reason: "retries = \(retries) must be 0 or more")
        }
        if let jobs = file.jobs, jobs < 1 {
            throw CrossRunError.invalidConfiguration(file: path, reason: "jobs = \(jobs) must be 1 or more")
        }
        for (name, settings) in (file.target ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let emulator = settings.emulator, emulator.trimmingSpaces().isEmpty {
                throw CrossRunError.invalidConfiguration(
                    file: path,
                    reason: "target.\(name).emulator is empty; set it to the emulator's name on PATH or its path (emulator = \"qemu-aarch64-static\"), or remove it to use the target's own candidates")
            }
        }
        let folder = path.deletingLastPathComponent
        file.sysroot = file.sysroot.map { Paths.absolute($0, relativeTo: folder) }
        file.reportDir = file.reportDir.map { Paths.absolute($0, relativeTo: folder) }
        file.junit = file.junit.map { Paths.absolute($0, relativeTo: folder) }
        file.json = file.json.map { Paths.absolute($0, relativeTo: folder) }
        file.keyring = file.keyring.map { Paths.absolute($0, relativeTo: folder) }
        file.target = file.target?.mapValues { settings in
            var settings = settings
            settings.sysroot = settings.sysroot.map { Paths.absolute($0, relativeTo: folder) }
            if let emulator = settings.emulator, emulator.contains("/") {
                settings.emulator = Paths.absolute(emulator, relativeTo: folder)
            }
            return settings
        }
        return file
    }

    /// Settings for a target from `[target.NAME]`, where NAME is the runner name or one of its Rust triples.
    func settings(for definition: RunnerDefinition) -> TargetSettings {
        var merged = TargetSettings(sysroot: sysroot, timeout: timeout, testTimeout: testTimeout)
        // A table named by the runner name is the most general; one named by a triple is more specific.
        for (name, settings) in (target ?? [:]).sorted(by: { $0.key < $1.key }) where name == definition.name {
            merged = settings.over(merged)
        }
        for (name, settings) in (target ?? [:]).sorted(by: { $0.key < $1.key }) where definition.rustTargets.contains(name) {
            merged = settings.over(merged)
        }
        return merged
    }
}

/// The type each key of a config file must have, checked before decoding, so a value of the wrong type is named
/// with its key and the type wanted (`jobs must be an integer, got the string "4"`) rather than left to the
/// decoder's wording.
enum KeyType: Equatable {
    case string, integer, boolean, duration, strings, stringTable

    /// The keys of the file's top level (`target` is the table of per-target tables).
    static let topLevel: [String: KeyType?] = [
        "sysroot": .string, "report-dir": .string, "junit": .string, "json": .string, "mirror": .string, "keyring": .string,
        "reports": .boolean, "offline": .boolean, "verify-signature": .boolean, "resume": .boolean, "isolate": .boolean,
        "timeout": .duration, "test-timeout": .duration, "kill-grace": .duration,
        "retries": .integer, "jobs": .integer,
        "target": nil,
    ]

    /// The keys of a `[target.NAME]` table.
    static let target: [String: KeyType] = [
        "emulator": .string, "cpu": .string, "sysroot": .string, "machine": .string, "memory": .string, "mode": .string,
        "args": .strings, "packages": .strings, "env": .stringTable,
        "timeout": .duration, "test-timeout": .duration,
    ]

    /// What the key wants, as the message says it.
    var wanted: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .boolean: return "a boolean (true or false)"
        case .duration: return "a duration (a string such as \"30s\", \"5m\", \"250ms\", or a number of seconds)"
        case .strings: return "an array of strings"
        case .stringTable: return "a table of strings"
        }
    }

    func accepts(_ value: any TOMLValueConvertible) -> Bool {
        switch self {
        case .string: return value.type == .string
        case .integer: return value.type == .int
        case .boolean: return value.type == .bool
        case .duration: return value.type == .string || value.type == .int || value.type == .double
        case .strings: return value.array.map { $0.allSatisfy { $0.type == .string } } ?? false
        case .stringTable: return value.table.map { $0.allSatisfy { $0.1.type == .string } } ?? false
        }
    }

    /// `the string "4"`, `the integer 4`, `an array`.
    static func describe(_ value: any TOMLValueConvertible) -> String {
        switch value.type {
        case .string: return "the string \"\(value.string ?? "")\""
        case .int: return "the integer \(value.int.map(String.init) ?? "")"
        case .double: return "the number \(value.double.map { String($0) } ?? "")"
        case .bool: return "the boolean \(value.bool.map(String.init) ?? "")"
        case .array: return "an array"
        case .table: return "a table"
        case .date, .time, .dateTime: return "a date or time"
        }
    }

    /// Throws the first key (in order of name) whose value has the wrong type.
    static func check(_ table: TOMLTable, path: String) throws {
        func check(_ key: String, _ value: any TOMLValueConvertible, _ type: KeyType, name: String) throws {
            guard !type.accepts(value) else { return }
            var got = describe(value)
            if type == .strings, let element = value.array?.first(where: { $0.type != .string }) {
                got = "an array holding \(describe(element))"
            } else if type == .stringTable, let entry = value.table.flatMap({ Array($0).first { $0.1.type != .string } }) {
                got = "\(describe(entry.1)) for \(entry.0)"
            }
            throw CrossRunError.invalidConfiguration(file: path, reason: "\(name) must be \(type.wanted), got \(got)")
        }
        for (key, value) in table.sorted(by: { $0.0 < $1.0 }) {
            if let wanted = topLevel[key], let wanted { try check(key, value, wanted, name: key) }
        }
        if let targets = table["target"], targets.type != .table {
            throw CrossRunError.invalidConfiguration(
                file: path, reason: "target must be a table of [target.NAME] tables, got \(describe(targets))")
        }
        let targets = table["target"]?.table.map { Array($0) } ?? []
        for (name, value) in targets.sorted(by: { $0.0 < $1.0 }) {
            let settings = value.table.map { Array($0) } ?? []
            for (key, setting) in settings.sorted(by: { $0.0 < $1.0 }) {
                if let wanted = target[key] { try check(key, setting, wanted, name: "target.\(name).\(key)") }
            }
        }
    }
}

/// A duration in a config file: a string (`"30s"`, `"5m"`, `"1.5s"`, `"250ms"`, `"2h"`, `"30"`) or a number of
/// seconds (`30`, `1.5`). Zero or less is refused.
public struct ConfigDuration: Codable, Equatable, Sendable {
    public var value: Duration

    public init(_ value: Duration) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let string = try? container.decode(String.self) {
            text = string
        } else if let integer = try? container.decode(Int.self) {
            text = String(integer)
        } else if let number = try? container.decode(Double.self) {
            text = String(number)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a duration such as \"30s\", \"5m\", \"250ms\" or a number of seconds")
        }
        guard let duration = DurationText.parse(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\"\(text)\" is not a duration; use e.g. \"30s\", \"5m\", \"1.5s\", \"250ms\" or a number of seconds (more than 0)")
        }
        value = duration
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(DurationText.format(value))
    }
}

extension Dictionary {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}

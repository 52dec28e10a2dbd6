import FoundationEssentials
import TOMLKit
import Glibc

/// One file of Runners/: how to recognise a target's binaries and how to run them. Data, not code.
public struct RunnerDefinition: Codable, Equatable, Sendable {
    /// Which binaries this definition is for, compared with ``BinaryInfo``.
    public struct Match: Codable, Equatable, Sendable {
        /// `elf` (the default), `wasm` (a core WebAssembly module), `wasm-component` (a component) or `pe` (Windows).
        public var format: String?
        /// An ``ELFMachine`` short name: `aarch64`, `arm`, `riscv`, ... (ELF), or a PE machine: `x86_64`, `i386` (PE).
        public var machine: String?
        public var `class`: Int?
        public var endian: ELFHeader.Endianness?
        /// `hard` or `soft` for ARM; nil matches any.
        public var floatABI: FloatABI?
        /// `linux` (the default) or `bare-metal`, compared with ``BinaryInfo/environment``.
        public var abi: BinaryInfo.Environment?
        /// ARM M-profile architectures (`v6-M`, `v7-M`, `v7E-M`, `v8-M.base`, `v8-M.main`, `v8.1-M.main`); nil matches any.
        public var armArch: [String]?
        /// The calling convention from the header (``BinaryInfo/elfABI``): `o32`, `n32`, `n64` for MIPS, `elfv1`,
        /// `elfv2` for PowerPC64; nil matches any.
        public var elfABI: ELFABI?
        /// Instruction set levels (``BinaryInfo/isa``), MIPS only: `mips1` ... `mips64r2`, `mips32r6`, `mips64r6`;
        /// nil matches any.
        public var isa: [String]?

        enum CodingKeys: String, CodingKey {
            case format, machine, `class`, endian, abi, isa
            case floatABI = "float-abi"
            case armArch = "arm-arch"
            case elfABI = "elf-abi"
        }

        /// A core module or a component: run by a WASI runtime (`emulator.kind = "wasm"`).
        public var isWasm: Bool { format == "wasm" || format == "wasm-component" }
        /// Core modules only: what crossrun's embedded runtime can run.
        public var isWasmCoreModule: Bool { format == "wasm" }
        public var isPE: Bool { format == "pe" }
    }

    public struct Emulator: Codable, Equatable, Sendable {
        /// `qemu-user`, `qemu-system` (bare metal, semihosting), `wasm` (a WASI runtime), or `wine` (Windows PE).
        public var kind: EmulatorKind
        /// Executable names (looked up on PATH) or absolute paths, tried in order. For `wasm`, `embedded` names
        /// crossrun's own WasmKit runtime.
        public var candidates: [String]
        /// The command that installs one of the candidates, shown when none is found.
        public var installHint: String
        /// qemu `-cpu` value; empty for qemu's default.
        public var cpu: String?
        /// Extra emulator arguments placed before the binary.
        public var args: [String]?
        /// Environment variables set for the emulator (and so for the guest).
        public var env: [String: String]?
        /// qemu-system's `-machine` (board), required for `qemu-system`.
        public var machine: String?
        /// qemu-system's `-m` (guest RAM, `16M`); empty or absent for the board's default.
        public var memory: String?
        /// How long one run may take before crossrun stops it (`60s`, `5m`): a bare-metal image that faults
        /// loops in its handler for ever. Overridden by `--timeout` and the `timeout` config keys.
        public var timeout: String?

        enum CodingKeys: String, CodingKey {
            case kind, candidates, cpu, args, env, machine, memory, timeout
            case installHint = "install-hint"
        }
    }

    public struct Sysroot: Codable, Equatable, Sendable {
        /// Debian's cross sysroots for this target, tried in order.
        public var debian: [String]
        /// The command that installs the loader and libc, shown when none is found.
        public var installHint: String

        enum CodingKeys: String, CodingKey {
            case debian
            case installHint = "install-hint"
        }
    }

    public var name: String
    public var description: String
    public var rustTargets: [String]
    public var match: Match
    public var emulator: Emulator
    public var sysroot: Sysroot
    /// The fixtures crossrun's own CI runs for this target under the real emulator (`Examples/...` paths, shown
    /// by `crossrun targets --table` and docs/targets.md); empty when only detection is tested.
    public var ciFixtures: [String] = []

    enum CodingKeys: String, CodingKey {
        case name, description, match, emulator, sysroot
        case rustTargets = "rust-targets"
        case ciFixtures = "ci-fixtures"
    }

    /// The keys a definition may have, per table; anything else is a mistake and refused by name.
    static let knownKeys: [String: Set<String>] = [
        "": ["name", "description", "rust-targets", "match", "emulator", "sysroot", "ci-fixtures"],
        "match": ["format", "machine", "class", "endian", "float-abi", "abi", "arm-arch", "elf-abi", "isa"],
        "emulator": ["kind", "candidates", "install-hint", "cpu", "args", "env", "machine", "memory", "timeout"],
        "sysroot": ["debian", "install-hint"],
    ]

    /// The emulator kinds crossrun can launch.
    public static let supportedKinds = EmulatorKind.allCases.map(\.rawValue)

    /// Parses one Runners/ file.
    public static func parse(toml text: String, source: String) throws -> RunnerDefinition {
        let table: TOMLTable
        do {
            table = try TOMLDocument.table(text)
        } catch {
            throw CrossRunError.invalidRunnerDefinition(name: source, reason: TOMLErrors.describe(error))
        }
        return try parse(table: TOMLNode(table).table ?? [:], source: source)
    }

    /// Reads and checks one definition's tables: a user's file after TOMLKit parsed it, or a built-in one that
    /// `crossrun-embed` parsed when crossrun was built (``TargetCatalog``).
    static func parse(table: [String: TOMLNode], source: String) throws -> RunnerDefinition {
        for (tableName, allowed) in knownKeys {
            let keys = tableName.isEmpty ? Array(table.keys) : (table[tableName]?.table).map { Array($0.keys) } ?? []
            if let unknown = keys.sorted().first(where: { !allowed.contains($0) }) {
                let place = tableName.isEmpty ? "" : " in [\(tableName)]"
                throw CrossRunError.invalidRunnerDefinition(
                    name: source, reason: "unknown key \"\(unknown)\"\(place) (known: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        let definition = try RunnerDefinition(reading: TOMLReader(table: table, path: "", source: source))
        switch definition.match.format ?? "elf" {
        case "wasm", "wasm-component":
            break
        case "pe":
            guard let machine = definition.match.machine, PEHeader.isMachineName(machine) else {
                throw CrossRunError.invalidRunnerDefinition(
                    name: source, reason: "a PE match needs machine, a PE machine name crossrun knows (x86_64, i386, arm64, arm)")
            }
        case "elf":
            guard let machine = definition.match.machine, definition.match.class != nil, definition.match.endian != nil else {
                throw CrossRunError.invalidRunnerDefinition(name: source, reason: "an ELF match needs machine, class and endian")
            }
            guard ELFMachine.number(named: machine) != nil else {
                throw CrossRunError.invalidRunnerDefinition(
                    name: source, reason: "match.machine \"\(machine)\" is not an ELF machine name crossrun knows")
            }
            if let abi = definition.match.elfABI, abi.machine != machine {
                throw CrossRunError.invalidRunnerDefinition(
                    name: source, reason: "match.elf-abi \"\(abi.rawValue)\" is for \(abi.machine) binaries, not \(machine)")
            }
            if let levels = definition.match.isa {
                guard machine == "mips" else {
                    throw CrossRunError.invalidRunnerDefinition(name: source, reason: "match.isa is read for mips binaries only, not \(machine)")
                }
                guard !levels.isEmpty else {
                    throw CrossRunError.invalidRunnerDefinition(name: source, reason: "match.isa is empty (leave it out to match any)")
                }
                if let unknown = levels.first(where: { !ELFMachine.mipsISANames.contains($0) }) {
                    throw CrossRunError.invalidRunnerDefinition(
                        name: source, reason: "match.isa \"\(unknown)\" is not a MIPS ISA level (\(ELFMachine.mipsISANames.joined(separator: ", ")))")
                }
            }
        case let other:
            throw CrossRunError.invalidRunnerDefinition(name: source, reason: "match.format \"\(other)\" is not elf, wasm, wasm-component or pe")
        }
        guard (definition.emulator.kind == .wasm) == definition.match.isWasm else {
            throw CrossRunError.invalidRunnerDefinition(name: source, reason: "emulator.kind wasm goes with match.format wasm or wasm-component, and only with them")
        }
        if definition.match.isWasm, !definition.match.isWasmCoreModule, definition.emulator.candidates.contains("embedded") {
            throw CrossRunError.invalidRunnerDefinition(
                name: source, reason: "emulator.candidates names embedded, but crossrun's embedded runtime runs core wasm modules only, not components")
        }
        guard (definition.emulator.kind == .wine) == definition.match.isPE else {
            throw CrossRunError.invalidRunnerDefinition(name: source, reason: "emulator.kind wine goes with match.format pe, and only with it")
        }
        let isBareMetal = definition.match.abi == .bareMetal
        guard (definition.emulator.kind == .qemuSystem) == isBareMetal else {
            throw CrossRunError.invalidRunnerDefinition(name: source, reason: "emulator.kind qemu-system goes with match.abi \"bare-metal\", and only with it")
        }
        if isBareMetal, (definition.emulator.machine ?? "").isEmpty {
            throw CrossRunError.invalidRunnerDefinition(name: source, reason: "a qemu-system emulator needs emulator.machine (qemu's -machine board)")
        }
        if let timeout = definition.emulator.timeout, DurationText.parse(timeout) == nil {
            throw CrossRunError.invalidRunnerDefinition(name: source, reason: "emulator.timeout \"\(timeout)\" is not a duration like 30s, 5m or 1500ms")
        }
        guard !definition.emulator.candidates.isEmpty else {
            throw CrossRunError.invalidRunnerDefinition(name: source, reason: "emulator.candidates is empty")
        }
        return definition
    }

    /// Whether a binary with this header belongs to this definition.
    public func matches(_ info: BinaryInfo) -> Bool {
        if case .wasm = info.format { return match.isWasmCoreModule }
        if case .wasmComponent = info.format { return match.format == "wasm-component" }
        if let pe = info.pe { return match.isPE && pe.machineName == match.machine }
        guard let header = info.elf, !match.isWasm, !match.isPE else { return false }
        guard ELFMachine.name(header.machine) == match.machine,
            header.fileClass.rawValue == match.class,
            header.endianness == match.endian
        else { return false }
        if let wanted = match.floatABI, info.floatABI != wanted { return false }
        guard info.environment == (match.abi ?? .linux) else { return false }
        if let architectures = match.armArch, !architectures.contains(info.armArchitecture ?? "") { return false }
        if let abi = match.elfABI, info.elfABI != abi { return false }
        if let levels = match.isa, !levels.contains(info.isa ?? "") { return false }
        return true
    }

    /// Whether a binary could run on this target at all (machine, word size, byte order), for `--target`,
    /// which names the target outright and so skips the ABI and architecture checks.
    public func isCompatible(with info: BinaryInfo) -> Bool {
        if case .wasm = info.format { return match.isWasmCoreModule }
        if case .wasmComponent = info.format { return match.format == "wasm-component" }
        if let pe = info.pe { return match.isPE && pe.machineName == match.machine }
        guard let header = info.elf, !match.isWasm, !match.isPE else { return false }
        return ELFMachine.name(header.machine) == match.machine && header.fileClass.rawValue == match.class
            && header.endianness == match.endian
    }

    /// Whether this target's binaries run on the host without an emulator (x86_64 on an x86-64 machine), which
    /// crossrun does unless `--target` or a config file's `emulator` asks for the emulator.
    public var isHostNative: Bool {
        match.machine == ELFMachine.name(HostMachine.machine) && match.class == 64 && match.endian == .little && match.abi != .bareMetal
    }

    /// The default run time limit from `emulator.timeout`.
    public var defaultTimeout: Duration? { emulator.timeout.flatMap(DurationText.parse) }

    /// The target's name as a user writes it: the runner name or any of its Rust target triples.
    public func isNamed(_ name: String) -> Bool {
        self.name == name || rustTargets.contains(name)
    }
}

extension RunnerDefinition {
    /// Reads a definition's tables directly (Codable's generic containers cost about 3 ms of every start-up
    /// for the built-in definitions alone). Unknown keys were refused before.
    init(reading root: TOMLReader) throws {
        let match = try root.table("match")
        let emulator = try root.table("emulator")
        let sysroot = try root.table("sysroot")
        self.init(
            name: try root.required("name", root.string), description: try root.required("description", root.string),
            rustTargets: try root.required("rust-targets", root.strings),
            match: Match(
                format: try match.string("format"), machine: try match.string("machine"), class: try match.int("class"),
                endian: try match.choice("endian"), floatABI: try match.choice("float-abi"), abi: try match.choice("abi"),
                armArch: try match.strings("arm-arch"), elfABI: try match.choice("elf-abi"), isa: try match.strings("isa")),
            emulator: Emulator(
                kind: try emulator.required("kind", emulator.kind), candidates: try emulator.required("candidates", emulator.strings),
                installHint: try emulator.required("install-hint", emulator.string), cpu: try emulator.string("cpu"),
                args: try emulator.strings("args"), env: try emulator.stringTable("env"), machine: try emulator.string("machine"),
                memory: try emulator.string("memory"), timeout: try emulator.string("timeout")),
            sysroot: Sysroot(debian: try sysroot.required("debian", sysroot.strings), installHint: try sysroot.required("install-hint", sysroot.string)),
            ciFixtures: try root.strings("ci-fixtures") ?? [])
    }
}

/// Typed reads from one TOML table, each a one-line error naming the key (`missing key emulator.kind`,
/// `wrong type for match.class: expected an integer`).
struct TOMLReader {
    let table: [String: TOMLNode]
    /// `match`, `emulator`, or empty for the top level.
    let path: String
    let source: String

    private func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    private func fail(_ reason: String) -> CrossRunError { .invalidRunnerDefinition(name: source, reason: reason) }

    private func wrongType(_ key: String, _ expected: String) -> CrossRunError {
        fail("wrong type for \(name(key)): expected \(expected)")
    }

    func required<T>(_ key: String, _ read: (String) throws -> T?) throws -> T {
        guard let value = try read(key) else { throw fail("missing key \(name(key))") }
        return value
    }

    func table(_ key: String) throws -> TOMLReader {
        guard let value = table[key] else { throw fail("missing key \(name(key))") }
        guard let inner = value.table else { throw wrongType(key, "a table") }
        return TOMLReader(table: inner, path: name(key), source: source)
    }

    func string(_ key: String) throws -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw wrongType(key, "a string") }
        return text
    }

    func int(_ key: String) throws -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.integer else { throw wrongType(key, "an integer") }
        return number
    }

    func strings(_ key: String) throws -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw wrongType(key, "an array of strings") }
        return try array.map { element in
            guard let text = element.string else { throw wrongType(key, "an array of strings") }
            return text
        }
    }

    func stringTable(_ key: String) throws -> [String: String]? {
        guard let value = table[key] else { return nil }
        guard let inner = value.table else { throw wrongType(key, "a table of strings") }
        var result: [String: String] = [:]
        for name in inner.keys {
            guard let text = inner[name]?.string else { throw wrongType(key, "a table of strings") }
            result[name] = text
        }
        return result
    }

    /// A string that must be one of `T`'s raw values.
    /// `emulator.kind`, said as before: not one crossrun can launch, with the ones it can.
    func kind(_ key: String) throws -> EmulatorKind? {
        guard let text = try string(key) else { return nil }
        guard let kind = EmulatorKind(rawValue: text) else {
            throw fail("emulator.kind \"\(text)\" is not one crossrun can launch (\(RunnerDefinition.supportedKinds.joined(separator: ", ")))")
        }
        return kind
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String) throws -> T? where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            throw fail("bad value for \(name(key)): \"\(text)\" is not one of \(T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
        }
        return value
    }
}

/// Turns TOMLKit's errors into short readable reasons.
package enum TOMLErrors {
    package static func describe(_ error: Error) -> String {
        if let syntax = error as? TOMLDocument.SyntaxError {
            return "line \(syntax.line), column \(syntax.column): \(syntax.message)"
        }
        if let parse = error as? TOMLParseError {
            return "line \(parse.source.begin.line), column \(parse.source.begin.column): \(parse.description)"
        }
        if let decoding = error as? DecodingError {
            switch decoding {
            case .keyNotFound(let key, let context):
                return "missing key \(path(context.codingPath + [key]))"
            case .typeMismatch(_, let context), .valueNotFound(_, let context):
                return "wrong type for \(path(context.codingPath)): \(context.debugDescription)"
            case .dataCorrupted(let context):
                return "bad value for \(path(context.codingPath)): \(context.debugDescription)"
            @unknown default:
                return String(describing: decoding)
            }
        }
        return String(describing: error)
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

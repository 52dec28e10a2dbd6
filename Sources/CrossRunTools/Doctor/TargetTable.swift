import CrossRunKit

/// The table of every target crossrun knows — how a binary is recognised, what runs it, which sysroot it gets,
/// and which real binary crossrun's own CI runs for it — as `crossrun targets --table` prints it and
/// docs/targets.md shows it. Built from the catalogue and the sysroot manifests alone, so it says the same on
/// every machine (what this machine has is `crossrun targets` without `--table`, and `crossrun doctor`).
public struct TargetTable: Sendable {
    public struct Row: Equatable, Sendable {
        public var target: String
        public var rustTargets: [String]
        public var detection: String
        public var launcher: String
        public var sysroot: String
        public var ciFixtures: [String]
    }

    public var rows: [Row]

    public init(catalog: TargetCatalog, manifests: [SysrootManifest]) {
        rows = catalog.definitions.map { definition in
            Row(
                target: definition.name, rustTargets: definition.rustTargets, detection: Self.detection(definition.match),
                launcher: Self.launcher(definition.emulator),
                sysroot: Self.sysroot(definition, manifests: manifests.filter { $0.name == definition.name }),
                ciFixtures: definition.ciFixtures)
        }
    }

    /// The built-in catalogue and manifests (plus `CROSSRUN_RUNNERS_DIR`'s definitions when given).
    public static func builtIn(extraRunners: String? = nil) throws -> TargetTable {
        TargetTable(catalog: try TargetCatalog.load(extraDirectory: extraRunners), manifests: try SysrootManifest.builtIn())
    }

    /// What in a binary's header selects this runner: `ELF s390 64-bit big-endian`, `... soft-float`, ...
    static func detection(_ match: RunnerDefinition.Match) -> String {
        if match.isWasmCoreModule { return "WebAssembly core module (`\\0asm`, version 1)" }
        if match.isWasm { return "WebAssembly component (`\\0asm`, version 0x0d, layer 1)" }
        if match.isPE { return "Windows PE (`MZ`, `PE\\0\\0`) \(match.machine ?? "?"), console or GUI subsystem" }
        var parts = ["ELF", match.machine ?? "?", "\(match.class ?? 0)-bit", "\((match.endian ?? .little).rawValue)-endian"]
        if let float = match.floatABI { parts.append("\(float.rawValue)-float") }
        if let abi = match.elfABI { parts.append(abi.rawValue) }
        if let levels = match.isa { parts.append("(" + levels.joined(separator: ", ") + ")") }
        var text = parts.joined(separator: " ")
        if let architectures = match.armArch {
            text += ", ARM build attributes \(architectures.joined(separator: " or "))"
        } else if match.abi == .bareMetal {
            text += ", static with code outside a Linux process's range"
        }
        return text
    }

    /// `qemu-user (qemu-s390x-static)`, `qemu-system-arm -machine mps2-an385, semihosting`, `wasmtime, else embedded WasmKit`.
    static func launcher(_ emulator: RunnerDefinition.Emulator) -> String {
        let programs = emulator.candidates.map { $0 == "embedded" ? "embedded WasmKit" : $0 }
        switch emulator.kind {
        case .qemuUser: return "qemu-user (\(programs.joined(separator: ", ")))"
        case .qemuSystem: return "\(programs.joined(separator: ", ")) -machine \(emulator.machine ?? ""), semihosting"
        case .wasm: return programs.joined(separator: ", else ")
        case .wine: return "wine (\(programs.joined(separator: ", ")))"
        }
    }

    /// Debian's cross sysroot folders, then what crossrun fetches (`Debian bookworm arm64: libc6, libgcc-s1`).
    static func sysroot(_ definition: RunnerDefinition, manifests: [SysrootManifest]) -> String {
        guard definition.emulator.kind == .qemuUser else { return "none" }
        var places = definition.sysroot.debian.map { "`\($0)`" }
        for manifest in manifests {
            let architecture = manifest.architecture == "all" ? "" : " \(manifest.architecture)"
            places.append("fetched for `\(manifest.loader)`: Debian \(manifest.suite)\(architecture) \(manifest.packages.joined(separator: ", "))")
        }
        return (places.isEmpty ? "none found: give one with --sysroot" : places.joined(separator: "; ")) + "; static binaries need none"
    }

    /// The table as Markdown, one row per target.
    public var markdown: String {
        var lines = [
            "| Target | Rust targets | Detected from the header | Runs with | Sysroot | Run in crossrun's CI |",
            "|---|---|---|---|---|---|",
        ]
        for row in rows {
            let ci = row.ciFixtures.isEmpty ? "detection only" : row.ciFixtures.map { "`\($0)`" }.joined(separator: ", ")
            let cells = [
                "`\(row.target)`", row.rustTargets.map { "`\($0)`" }.joined(separator: ", "), row.detection, row.launcher,
                row.sysroot, ci,
            ]
            lines.append("| " + cells.map { $0.replacing("|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

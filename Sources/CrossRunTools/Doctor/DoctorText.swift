import CrossRunKit
import Foundation
import Glibc

extension DoctorReport {
    /// The human-readable report `crossrun doctor` prints: a table of targets, the machine-wide facts, then each
    /// problem with the command that fixes it; linker problems only for the targets named in `requested`.
    public func text(requested: [String] = []) -> String {
        var out = "crossrun \(crossrunVersion) doctor\n\n"
        let header = ["target", "rust targets", "emulator", "sysroot", "linker", "status"]
        let rows: [[String]] = targets.map { target in
            let emulator: String
            switch target.emulator.emulator {
            case .embedded?: emulator = "embedded WasmKit runtime"
            case .executable(let path)?: emulator = path + (target.emulator.version.map { " " + Self.shortVersion($0) } ?? "")
            case nil: emulator = "missing (\(target.emulator.candidates.joined(separator: ", ")))"
            }
            var sysroot: String
            switch target.sysroot.state {
            case .notNeeded: sysroot = "not needed"
            case .configured: sysroot = "configured: \(target.sysroot.path ?? "")"
            case .installed: sysroot = "installed: \(target.sysroot.path ?? "")"
            case .cached: sysroot = "cached: \(target.sysroot.path ?? "")"
            case .fetchable: sysroot = "fetched on first use"
            case .missing: sysroot = "missing" + (target.sysroot.path.map { ": \($0)" } ?? "")
            }
            if let image = target.systemImage { sysroot += "; kernel " + image.stateText }
            let linker: String
            switch target.toolchains.first {
            case nil: linker = "-"
            case let toolchain? where toolchain.linkerPath == nil: linker = "missing"
            case let toolchain? where toolchain.startFilePath == nil: linker = "no C library"
            case let toolchain?: linker = toolchain.linker
            }
            return [target.name, target.rustTargets.first ?? "", emulator, sysroot, linker, target.canRun ? "ok" : "CANNOT RUN"]
        }
        out += Self.table([header] + rows)
        out += "\n"

        if binfmt.mounted {
            let entries = binfmt.qemuEntries.map { "\($0.name)\($0.enabled ? "" : " (disabled)")" }
            out += "binfmt_misc:  mounted at \(binfmt.path); qemu entries: \(entries.isEmpty ? "none" : entries.joined(separator: ", "))\n"
        } else {
            out += "binfmt_misc:  not mounted at \(binfmt.path) (fine: crossrun starts qemu itself; only running foreign binaries directly needs it)\n"
        }
        let setBy = wasmRuntime.configuredBy.map { "set by \($0)" }
        switch wasmRuntime.selected {
        case .wasmtime:
            let details = [wasmRuntime.wasmtime.version, setBy].compactMap { $0 }
            out += "wasm runtime: wasmtime \(wasmRuntime.wasmtime.path ?? "")\(details.isEmpty ? "" : " (\(details.joined(separator: "; ")))")\n"
        case .embedded:
            out += "wasm runtime: embedded WasmKit runtime (\(setBy ?? "wasmtime is not on PATH; nothing to install"))\n"
        case .missing:
            out += "wasm runtime: missing (the configured runtime is not there\(setBy.map { "; \($0)" } ?? ""))\n"
        }
        out += "qemu-system:  emulators for bare-metal targets and full-system mode:\n"
        for tool in qemuSystem {
            let found = tool.path.map { "\($0)\(tool.version.map { " " + Self.shortVersion($0) } ?? "")" } ?? "missing"
            out += "                \(tool.name.padding(toLength: 21, withPad: " ", startingAt: 0)) \(found)\n"
        }

        let unlinked = targets.filter { $0.toolchains.first.map { !$0.canLink } ?? false }
        if requested.isEmpty && !unlinked.isEmpty {
            out += "linkers:      \(unlinked.count) target\(unlinked.count == 1 ? "" : "s") cannot link Rust tests here (the linker column); crossrun doctor --target T says what to install\n"
        }

        let problems = allProblems(requested: requested)
        if problems.isEmpty {
            out += "\nNo problems found.\n"
        } else {
            out += "\nProblems:\n"
            for (target, problem) in problems {
                out += "  \(target.map { "\($0): " } ?? "")\(problem.message)\n"
                if let fix = problem.fix { out += "    fix: \(fix)\n" }
            }
        }
        let missingSystems = qemuSystem.filter { !$0.found }
        if !missingSystems.isEmpty {
            let hints = Array(Set(missingSystems.compactMap(\.installHint))).sorted()
            out += "\nFor bare-metal targets and full-system mode, install the missing qemu-system emulators: \(hints.joined(separator: "; "))\n"
        }
        return out
    }

    /// `7.2.22` from `qemu-aarch64 version 7.2.22 (Debian 1:7.2+dfsg-7)`; the whole line when it has no
    /// `version N` in it.
    static func shortVersion(_ line: String) -> String {
        let words = line.split(separator: " ")
        if let index = words.firstIndex(where: { $0.lowercased() == "version" }), index + 1 < words.count {
            return words[index + 1].trimmingCharacters(in: CharacterSet(charactersIn: "(),"))
        }
        return line
    }

    /// Left-aligned columns separated by two spaces; the last column is not padded.
    static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = Array(repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// The report as pretty-printed JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

extension DoctorReport.TargetStatus {
    /// `crossrun targets`' entry: the target, its Rust targets, the emulator and the sysroot `run` would use.
    public var catalogueText: String {
        let emulatorLine: String
        switch emulator.emulator {
        case .embedded?: emulatorLine = "embedded WasmKit runtime (built in)"
        case .executable(let path)?: emulatorLine = path + (emulator.configuredBy.map { " (set by \($0))" } ?? "")
        case nil: emulatorLine = "missing: none of \(emulator.candidates.joined(separator: ", ")) on PATH (\(emulator.installHint))"
        }
        let sysrootLine: String
        switch sysroot.state {
        case .notNeeded: sysrootLine = "none needed"
        case .configured, .installed, .cached: sysrootLine = (sysroot.path ?? "") + " (\(sysroot.state.rawValue))"
        case .fetchable: sysrootLine = "not installed; fetched from Debian on first use (or \(sysroot.installHint)); static binaries need none"
        case .missing: sysrootLine = "missing (\(sysroot.installHint)); static binaries need none"
        }
        let kernelLine = systemImage.map { "  kernel:       \($0.stateText)\n" } ?? ""
        return """
            \(name): \(description)
              rust targets: \(rustTargets.joined(separator: ", "))
              emulator:     \(emulatorLine)
              sysroot:      \(sysrootLine)
            \(kernelLine)
            """
    }
}

extension DoctorReport.SystemImageStatus {
    /// `cached: PATH`, `fetched on first use`, or `missing (system-aarch64)`.
    var stateText: String {
        switch state {
        case .cached: return "cached: \(path ?? "")"
        case .fetchable: return "fetched on first use"
        default: return "missing (\(name))"
        }
    }
}

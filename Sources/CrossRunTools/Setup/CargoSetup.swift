import CrossRunKit
import Foundation
import Glibc
import TOMLKit

/// `crossrun setup`: which `[target.<triple>]` tables a project's `.cargo/config.toml` gets, and the edit itself.
public struct CargoSetup: Sendable {
    public var catalog: TargetCatalog
    /// PATH, for finding cross linkers.
    public var searchPath: String
    /// The target triples the installed rustc knows (`rustc --print target-list`); nil when unknown (no rustc).
    /// A runner with several Rust names for one target (wasm32-wasip1, called wasm32-wasi before Rust 1.78) gets
    /// the name this rustc knows: Debian 12's 1.63 knows only wasm32-wasi, Rust 1.84 and later only wasm32-wasip1.
    public var knownTriples: Set<String>?

    public init(catalog: TargetCatalog, searchPath: String, knownTriples: Set<String>? = nil) {
        self.catalog = catalog
        self.searchPath = searchPath
        self.knownTriples = knownTriples
    }

    /// The triple a runner's table is written under: the first of its Rust targets the installed rustc knows,
    /// else (no rustc, or none known) the first.
    public func mainTriple(of definition: RunnerDefinition) -> String? {
        if let knownTriples, let known = definition.rustTargets.first(where: knownTriples.contains) { return known }
        return definition.rustTargets.first
    }

    /// The triples `rustc --print target-list` prints, for the rustc cargo would use (`$RUSTC`, else `rustc` on
    /// `searchPath`); nil when there is none or it fails.
    public static func installedTriples(searchPath: String, rustc: String? = nil) -> Set<String>? {
        let name = rustc.flatMap { $0.isEmpty ? nil : $0 } ?? "rustc"
        guard let executable = name.contains("/") ? name : Executables.find(name, searchPath: searchPath) else { return nil }
        guard let output = Executables.output(of: executable, arguments: ["--print", "target-list"]), output.succeeded else { return nil }
        return parseTargetList(String(decoding: output.stdout, as: UTF8.self))
    }

    /// `rustc --print target-list`'s output: one triple a line.
    public static func parseTargetList(_ text: String) -> Set<String>? {
        let triples = Set(text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        return triples.isEmpty ? nil : triples
    }

    /// The planned edit of one project's cargo config.
    public struct Plan: Sendable {
        /// The config file edited (created when missing).
        public var path: String
        public var exists: Bool
        public var original: String
        public var updated: String
        public var changes: [CargoConfigEditor.Change]
        /// Targets whose table ends up without a linker, or with one that cannot link: cargo would then fail to
        /// link their tests.
        public var linkerNotes: [LinkerNote] = []

        public var isUnchanged: Bool { changes.isEmpty }
    }

    /// Why a target's table has no working cross linker after setup, and what installs it.
    public struct LinkerNote: Equatable, Sendable, CustomStringConvertible {
        public var toolchain: CrossToolchain
        /// True: the linker is not on PATH, so no `linker` was written. False: it is, but it finds no C library
        /// start file (the `libc6-dev-<arch>-cross` package is missing).
        public var linkerMissing: Bool

        public var description: String {
            let install = linkerMissing ? toolchain.installHint : toolchain.libcInstallHint
            if linkerMissing {
                return "[target.\(toolchain.rustTarget)]: no linker, \(toolchain.linker) is not on PATH, so cargo cannot link its tests; \(install), then run crossrun setup again"
            }
            return "[target.\(toolchain.rustTarget)]: the linker \(toolchain.linker) finds no \(toolchain.startFile) (the target's C library development files), so linking would fail; \(install)"
        }
    }

    /// The Rust triples `names` stand for: a runner name means its main Rust target (``mainTriple(of:)``), a
    /// triple itself. No names: the main triple of every runner crossrun runs with qemu-user or a wasm runtime (the
    /// Linux and WASI targets; bare-metal and Windows ones only when named).
    public func triples(for names: [String]) throws -> [String] {
        var triples: [String] = []
        if names.isEmpty {
            // Not the host's own target (x86_64 on an x86-64 machine): its binaries run natively and need no runner.
            for definition in catalog.definitions where [.qemuUser, .wasm].contains(definition.emulator.kind) && !definition.isHostNative {
                if let main = mainTriple(of: definition) { triples.append(main) }
            }
        } else {
            for name in names {
                let definition = try catalog.definition(named: name)
                let triple = definition.rustTargets.contains(name) && name != definition.name ? name : mainTriple(of: definition)
                guard let triple else {
                    throw CrossRunError.unknownTarget(name: "\(name) (its runner definition lists no Rust target; pass the Rust triple)", known: catalog.names)
                }
                triples.append(triple)
            }
        }
        var seen = Set<String>()
        return triples.filter { seen.insert($0).inserted }
    }

    /// The config file cargo reads in `directory`: `.cargo/config.toml`, else the older `.cargo/config`, else
    /// `.cargo/config.toml` to create.
    public static func configPath(in directory: String) -> String {
        let folder = (directory as NSString).appendingPathComponent(".cargo")
        let modern = folder + "/config.toml"
        let legacy = folder + "/config"
        if !FileManager.default.fileExists(atPath: modern) && FileManager.default.fileExists(atPath: legacy) { return legacy }
        return modern
    }

    /// The nearest folder at or above `directory` that holds a Cargo.toml.
    public static func findProject(from directory: String) -> String? {
        guard let manifest = Configuration.findUpward(name: "Cargo.toml", from: directory) else { return nil }
        return (manifest as NSString).deletingLastPathComponent
    }

    /// Works out the edit for `targets` (runner names or triples; empty for the default set) in `directory`.
    public func plan(targets names: [String], projectDirectory directory: String) throws -> Plan {
        let path = Self.configPath(in: directory)
        let exists = FileManager.default.fileExists(atPath: path)
        let original: String
        if exists {
            do {
                original = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw CrossRunError.invalidConfiguration(file: path, reason: "cannot be read (\(error.localizedDescription))")
            }
        } else {
            original = ""
        }
        let toolchains = try triples(for: names).map { triple in
            (triple, CrossToolchain(rustTarget: triple), CrossToolchain(rustTarget: triple).flatMap { Executables.find($0.linker, searchPath: searchPath) })
        }
        let entries = toolchains.map { triple, toolchain, linkerPath in
            CargoConfigEditor.Entry(triple: triple, linker: linkerPath == nil ? nil : toolchain?.linker)
        }
        var (updated, changes) = try CargoConfigEditor().apply(entries, to: original, source: path)
        // A table keeps a linker the user set (not checked: it may be a wrapper); one crossrun would write needs
        // the cross gcc and the target's C library.
        let written = try CargoConfigEditor.parse(updated, source: path)
        var notes: [LinkerNote] = []
        for (triple, toolchain, linkerPath) in toolchains {
            guard let toolchain, written["target"]?.table?[triple]?.table?["linker"]?.string.map({ $0 == toolchain.linker }) ?? true else { continue }
            if let linkerPath {
                if toolchain.locateStartFile(linkerPath: linkerPath) == nil { notes.append(LinkerNote(toolchain: toolchain, linkerMissing: false)) }
            } else {
                notes.append(LinkerNote(toolchain: toolchain, linkerMissing: true))
            }
        }
        if !exists && !changes.isEmpty {
            updated = "# Cross targets run their tests through crossrun (written by `crossrun setup`).\n" + updated
        }
        return Plan(path: path, exists: exists, original: original, updated: updated, changes: changes, linkerNotes: notes)
    }

    /// Writes the plan's file (atomically; creating `.cargo/`).
    public func write(_ plan: Plan) throws {
        guard !plan.isUnchanged else { return }
        let folder = (plan.path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(plan.updated.utf8).write(to: URL(fileURLWithPath: plan.path), options: .atomic)
        } catch {
            throw CrossRunError.invalidConfiguration(file: plan.path, reason: "cannot be written (\(error.localizedDescription)); check the folder's permissions")
        }
    }

    /// A unified diff (`diff -u`) from the current file to the planned one, with `a/` and `b/` labels relative
    /// to `base`; empty when nothing changes.
    public static func unifiedDiff(_ plan: Plan, relativeTo base: String) throws -> String {
        guard !plan.isUnchanged else { return "" }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-setup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let old = scratch.appendingPathComponent("old")
        let new = scratch.appendingPathComponent("new")
        try Data(plan.original.utf8).write(to: old)
        try Data(plan.updated.utf8).write(to: new)
        var relative = plan.path
        let prefix = (base as NSString).standardizingPath + "/"
        if relative.hasPrefix(prefix) { relative = String(relative.dropFirst(prefix.count)) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        process.arguments = ["-u", "--label", plan.exists ? "a/" + relative : "/dev/null", "--label", "b/" + relative, old.path, new.path]
        let output = Pipe()
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            throw CrossRunError.spawnFailed(executable: "/usr/bin/diff", reason: "\(error.localizedDescription); install diffutils")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

import ArgumentParser
import CrossRunCLI
import CrossRunKit
import CrossRunTools
import Foundation

/// `crossrun setup`: make crossrun the runner of a Cargo project's cross targets.
struct Setup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: CrossRunCommand.setup.name,
        abstract: CrossRunCommand.setup.abstract,
        discussion: """
            Adds or updates a [target.<triple>] table per target with runner = "crossrun", and \
            linker = "<gnu-triple>-gcc" when that cross gcc is on PATH and the table has no linker yet; when it is \
            not there, or finds no C library files, a warning names the Debian packages to install. The file \
            is edited as text: comments, order and every other setting stay. Running it again changes nothing. \
            Without --target: the main Rust triple of every Linux and WASI target crossrun knows (crossrun targets); \
            a runner name stands for its Rust triple that the installed rustc knows (rustc --print target-list; \
            $RUSTC if set): wasm32-wasi for Rust before 1.78, wasm32-wasip1 after.
            """
    )

    @Option(name: .customLong("target"), help: ArgumentHelp("A target to set up (repeatable; runner name such as aarch64, or Rust target triple).", valueName: "target"))
    var targets: [String] = []

    @Flag(name: .customLong("dry-run"), help: "Print the change as a unified diff and write nothing.")
    var dryRun = false

    @Option(name: .customLong("manifest-dir"), help: ArgumentHelp("The Cargo project folder (default: the nearest folder upward holding Cargo.toml).", valueName: "dir"))
    var manifestDirectory: String?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let workingDirectory = FileManager.default.currentDirectoryPath
        let project: String
        if let manifestDirectory {
            project = manifestDirectory.hasPrefix("/") ? manifestDirectory : (workingDirectory as NSString).appendingPathComponent(manifestDirectory)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: project, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--manifest-dir \(manifestDirectory) is not a folder; pass the folder that holds Cargo.toml")
            }
        } else {
            guard let found = CargoSetup.findProject(from: workingDirectory) else {
                throw ValidationError("no Cargo.toml in \(workingDirectory) or any folder above it; run crossrun setup inside a Cargo project or pass --manifest-dir DIR")
            }
            project = found
        }
        let catalog = try TargetCatalog.load(extraDirectory: environment[Configuration.Variable.runnersDir])
        let searchPath = environment["PATH"] ?? "/usr/bin:/bin"
        let known = CargoSetup.installedTriples(searchPath: searchPath, rustc: environment["RUSTC"])
        let setup = CargoSetup(catalog: catalog, searchPath: searchPath, knownTriples: known)
        let plan = try setup.plan(targets: targets, projectDirectory: (project as NSString).standardizingPath)
        defer { for note in plan.linkerNotes { TerminalSummary.emit("crossrun: warning: \(note)") } }
        if plan.isUnchanged {
            TerminalSummary.emit("crossrun: \(plan.path) already runs every target through crossrun; nothing to change")
            return
        }
        if dryRun {
            print(try CargoSetup.unifiedDiff(plan, relativeTo: project), terminator: "")
            TerminalSummary.emit("crossrun: dry run; \(plan.path) not changed (\(plan.changes.count) change\(plan.changes.count == 1 ? "" : "s") shown above)")
            return
        }
        try setup.write(plan)
        for change in plan.changes { TerminalSummary.emit("crossrun: \(change)") }
        TerminalSummary.emit("crossrun: \(plan.exists ? "updated" : "created") \(plan.path)")
    }
}

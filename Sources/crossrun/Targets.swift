import ArgumentParser
import CrossRunKit
import Foundation

/// `crossrun targets`: the runner catalogue.
struct Targets: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "targets", abstract: "List the targets crossrun can run and what each needs.")

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let catalog = try TargetCatalog.load(extraDirectory: environment[Configuration.Variable.runnersDir])
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        for definition in catalog.definitions {
            let emulator = definition.emulator.candidates.lazy.compactMap {
                $0 == "embedded" ? "embedded WasmKit runtime (built in)" : Executables.find($0, searchPath: path)
            }.first
            let sysroot = definition.sysroot.debian.first { FileManager.default.fileExists(atPath: $0) }
            print("\(definition.name): \(definition.description)")
            print("  rust targets: \(definition.rustTargets.joined(separator: ", "))")
            print("  emulator:     \(emulator ?? "missing (\(definition.emulator.installHint))")")
            let sysrootLine: String
            if definition.match.isWasm {
                sysrootLine = "none needed"
            } else if let sysroot {
                sysrootLine = sysroot
            } else {
                sysrootLine = "not installed; fetched from Debian on first use (or \(definition.sysroot.installHint)); static binaries need none"
            }
            print("  sysroot:      \(sysrootLine)")
        }
    }
}

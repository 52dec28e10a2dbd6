import Foundation
import PackagePlugin

/// Embeds the package's `Runners/` definitions into the CrossRunKit module as generated Swift source.
///
/// `Runners/` stays the single source of truth: this plugin re-generates `EmbeddedRunners.swift` from it on every
/// build in which a definition changed, so an installed `crossrun` needs no data files beside it.
@main
struct EmbedData: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let runners = context.package.directoryURL.appending(path: "Runners")
        let files = try FileManager.default.contentsOfDirectory(at: runners, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "toml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedRunners.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) runner definitions",
                executable: try context.tool(named: "crossrun-embed").url,
                arguments: [output.path] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output]
            )
        ]
    }
}

import Foundation
import PackagePlugin

/// Embeds the package's data folders into the CrossRunKit module as generated Swift source: `Runners/` (how to
/// run each target) as `EmbeddedRunners` and `Sysroots/` (which packages make each target's sysroot) as
/// `EmbeddedSysroots`.
///
/// The folders stay the single source of truth: this plugin re-generates the Swift files from them on every
/// build in which a file changed or a file was added or removed (the folder itself is an input, and the tool lists
/// it when it runs), so an installed `crossrun` needs no data files beside it.
@main
struct EmbedData: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let tool = try context.tool(named: "crossrun-embed").url
        // Both are also parsed here (`--tables`): a run reads the definitions and manifests it needs without
        // parsing TOML.
        return try [("Runners", "EmbeddedRunners"), ("Sysroots", "EmbeddedSysroots")].map { folder, name in
            let directory = context.package.directoryURL.appending(path: folder)
            let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "toml" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
            let output = context.pluginWorkDirectoryURL.appending(path: "\(name).swift")
            return .buildCommand(
                displayName: "Embedding \(files.count) files of \(folder)/",
                executable: tool,
                arguments: [output.path, name, directory.path, "--tables"],
                inputFiles: files + [directory],
                outputFiles: [output]
            )
        }
    }
}

import Foundation

/// The runner definitions crossrun knows: the ones built in from Runners/, plus any in an extra folder
/// (`CROSSRUN_RUNNERS_DIR`). A definition there with the same `name` replaces the built-in one, and every
/// definition there is tried before the built-in ones.
public struct TargetCatalog: Sendable {
    public private(set) var definitions: [RunnerDefinition]

    public init(definitions: [RunnerDefinition]) {
        self.definitions = definitions
    }

    /// The definitions compiled into crossrun from the Runners/ folder.
    public static func builtIn() throws -> TargetCatalog {
        try TargetCatalog(definitions: EmbeddedRunners.files.map {
            try RunnerDefinition.parse(toml: $0.text, source: "Runners/\($0.name) (built in)")
        })
    }

    /// The built-in definitions, with those in `directory` (if any) added or replacing built-in ones by name.
    public static func load(extraDirectory directory: String?) throws -> TargetCatalog {
        var catalog = try builtIn()
        guard let directory, !directory.isEmpty else { return catalog }
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".toml") }.sorted()
        } catch {
            throw CrossRunError.invalidRunnerDefinition(
                name: directory, reason: "the runners folder (CROSSRUN_RUNNERS_DIR) cannot be listed: \(error.localizedDescription)")
        }
        var added: [RunnerDefinition] = []
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file)
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw CrossRunError.invalidRunnerDefinition(name: path, reason: "unreadable: \(error.localizedDescription)")
            }
            let definition = try RunnerDefinition.parse(toml: text, source: path)
            added.removeAll { $0.name == definition.name }
            added.append(definition)
        }
        // Added definitions come first, in file-name order, so they win over built-in ones that match the
        // same binaries.
        catalog.definitions.removeAll { builtIn in added.contains { $0.name == builtIn.name } }
        catalog.definitions = added + catalog.definitions
        return catalog
    }

    /// The definition for a binary, chosen from its header.
    public func definition(for info: BinaryInfo) -> RunnerDefinition? {
        definitions.first { $0.matches(info) }
    }

    /// The definition a user names, by runner name (`aarch64`) or Rust target triple.
    public func definition(named name: String) throws -> RunnerDefinition {
        guard let found = definitions.first(where: { $0.isNamed(name) }) else {
            throw CrossRunError.unknownTarget(name: name, known: names)
        }
        return found
    }

    /// Runner names, in catalogue order.
    public var names: [String] { definitions.map(\.name) }

    /// What the catalogue supports, for error messages: `aarch64 (aarch64-unknown-linux-gnu, ...)`.
    public var supportedSummary: [String] {
        definitions.map { "\($0.name) (\($0.description))" }
    }
}

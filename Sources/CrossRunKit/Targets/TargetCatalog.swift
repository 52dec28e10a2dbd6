import FoundationEssentials
import Glibc

/// The runner definitions crossrun knows: the ones built in from Runners/, plus any in an extra folder
/// (`CROSSRUN_RUNNERS_DIR`). A definition there with the same `name` replaces the built-in one, and every
/// definition there is tried before the built-in ones.
public struct TargetCatalog: Sendable {
    /// In catalogue order; a built-in one is parsed the first time it is looked at.
    private var entries: [Entry]

    /// Every definition, in catalogue order (parses any not parsed yet).
    public var definitions: [RunnerDefinition] { entries.map(\.definition) }

    public init(definitions: [RunnerDefinition]) {
        entries = definitions.map { Entry(parsed: $0) }
    }

    /// The definitions compiled into crossrun from the Runners/ folder, all read (a mistake in one is an error).
    public static func builtIn() throws -> TargetCatalog {
        try TargetCatalog(definitions: EmbeddedRunners.files.indices.map {
            try RunnerDefinition.parse(table: EmbeddedRunners.tables[$0](), source: Self.builtInSource(EmbeddedRunners.files[$0].name))
        })
    }

    /// The same, each read only when looked at: a run needs the one its binary matches. `crossrun-embed` parsed
    /// the TOML when crossrun was built (parsing the files before a late target's in the catalogue was about
    /// 1 ms of its every start); what is left is reading the values and checking them. The built-in files cannot
    /// change after the build, and the tests read every one of them (``builtIn()``).
    static func builtInOnDemand() -> TargetCatalog {
        var catalog = TargetCatalog(definitions: [])
        catalog.entries = EmbeddedRunners.files.indices.map {
            Entry(table: EmbeddedRunners.tables[$0], source: Self.builtInSource(EmbeddedRunners.files[$0].name))
        }
        return catalog
    }

    static func builtInSource(_ file: String) -> String { "Runners/\(file) (built in)" }

    /// One definition: read, or the built-in values it is read from on first use (under a lock: one catalogue
    /// may be read from several threads).
    final class Entry: @unchecked Sendable {
        private let lock = Lock()
        private var parsed: RunnerDefinition?
        private let table: @Sendable () -> [String: TOMLNode]
        private let source: String

        init(parsed: RunnerDefinition) {
            self.parsed = parsed
            table = { [:] }
            source = ""
        }

        init(table: @escaping @Sendable () -> [String: TOMLNode], source: String) {
            self.table = table
            self.source = source
        }

        var definition: RunnerDefinition {
            lock.lock()
            defer { lock.unlock() }
            if let parsed { return parsed }
            do {
                let definition = try RunnerDefinition.parse(table: table(), source: source)
                parsed = definition
                return definition
            } catch {
                // Built-in values are fixed at build time and every one is read by the tests.
                fatalError("crossrun's built-in runner definition \(source) is not valid: \(error)")
            }
        }
    }

    /// The built-in definitions, with those in `directory` (if any) added or replacing built-in ones by name.
    public static func load(extraDirectory directory: String?) throws -> TargetCatalog {
        var catalog = builtInOnDemand()
        guard let directory, !directory.isEmpty else { return catalog }
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".toml") }.sorted()
        } catch {
            throw CrossRunError.invalidRunnerDefinition(
                name: directory, reason: "the runners folder (CROSSRUN_RUNNERS_DIR) cannot be listed: \(ErrorText.reason(error))")
        }
        var added: [RunnerDefinition] = []
        for file in files {
            let path = directory.appendingPathComponent(file)
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw CrossRunError.invalidRunnerDefinition(name: path, reason: "unreadable: \(ErrorText.reason(error))")
            }
            let definition = try RunnerDefinition.parse(toml: text, source: path)
            added.removeAll { $0.name == definition.name }
            added.append(definition)
        }
        // Added definitions come first, in file-name order, so they win over built-in ones that match the
        // same binaries.
        catalog.entries.removeAll { builtIn in added.contains { $0.name == builtIn.definition.name } }
        catalog.entries = added.map { Entry(parsed: $0) } + catalog.entries
        return catalog
    }

    /// The definition for a binary, chosen from its header.
    public func definition(for info: BinaryInfo) -> RunnerDefinition? {
        entries.lazy.map(\.definition).first { $0.matches(info) }
    }

    /// The definition a user names, by runner name (`aarch64`) or Rust target triple.
    public func definition(named name: String) throws -> RunnerDefinition {
        guard let found = entries.lazy.map(\.definition).first(where: { $0.isNamed(name) }) else {
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

import Foundation
import Testing

@testable import CrossRunKit

/// The catalogue a run loads parses built-in definitions only when looked at: it must give exactly what parsing them
/// all gives, in the same order, by name and by binary.
@Suite("the runner catalogue parsed on demand")
struct CatalogOnDemandTests {
    @Test("every built-in definition parses, and the on-demand catalogue lists the same ones in the same order")
    func sameDefinitions() throws {
        let eager = try TargetCatalog.builtIn()
        #expect(eager.definitions.count == EmbeddedRunners.files.count)
        #expect(try TargetCatalog.load(extraDirectory: nil).definitions == eager.definitions)
    }

    /// crossrun-embed parses the built-in files when crossrun is built; a run reads those values. They must be what
    /// TOMLKit makes of the same text at run time (the way a user's definition is read), key for key.
    @Test("the values crossrun-embed wrote for each built-in file are TOMLKit's parse of its text", arguments: EmbeddedRunners.files.indices)
    func builtInValuesMatchTheText(index: Int) throws {
        let file = EmbeddedRunners.files[index]
        #expect(EmbeddedRunners.tables.count == EmbeddedRunners.files.count)
        let parsed = TOMLNode(try TOMLDocument.table(file.text))
        #expect(TOMLNode.table(EmbeddedRunners.tables[index]()) == parsed, "\(file.name)")
        #expect(
            try RunnerDefinition.parse(table: EmbeddedRunners.tables[index](), source: file.name)
                == RunnerDefinition.parse(toml: file.text, source: file.name))
    }

    /// The same for the sysroot manifests, which a run reads when it looks for a fetched sysroot.
    @Test("the values crossrun-embed wrote for each built-in sysroot manifest are TOMLKit's parse of its text", arguments: EmbeddedSysroots.files.indices)
    func builtInManifestValuesMatchTheText(index: Int) throws {
        let file = EmbeddedSysroots.files[index]
        #expect(EmbeddedSysroots.tables.count == EmbeddedSysroots.files.count)
        #expect(TOMLNode.table(EmbeddedSysroots.tables[index]()) == TOMLNode(try TOMLDocument.table(file.text)), "\(file.name)")
        #expect(
            try SysrootManifest.reading(EmbeddedSysroots.tables[index](), source: file.name)
                == SysrootManifest.parse(toml: file.text, source: file.name))
    }

    @Test("a manifest read from values is checked as one parsed from text", arguments: [
        (["name": TOMLNode.string("a"), "packages": .array([.string("libc6")])], "suite is missing or not a string"),
        (["name": .string("a"), "suite": .string("s"), "component": .string("main"), "architecture": .string("arm64"),
          "packages": .array([.string("libc6"), .integer(1)]), "root": .string(""), "loader": .string("/l")], "packages is missing or not an array of strings"),
        (["name": .string("a"), "suite": .string("s"), "component": .string("main"), "architecture": .string("arm64"),
          "packages": .array([]), "root": .string(""), "loader": .string("/l")], "packages is empty"),
        (["name": .string("a"), "colour": .string("red")], "unknown key \"colour\""),
    ])
    func manifestValuesChecked(table: [String: TOMLNode], message: String) {
        let error = #expect(throws: CrossRunError.self) { try SysrootManifest.reading(table, source: "t") }
        #expect(error?.description.contains(message) == true, "\(String(describing: error?.description))")
    }

    @Test("by name and by Rust target the on-demand catalogue finds what the parsed one finds")
    func sameLookups() throws {
        let eager = try TargetCatalog.builtIn()
        for definition in eager.definitions {
            for name in [definition.name] + definition.rustTargets {
                #expect(try TargetCatalog.load(extraDirectory: nil).definition(named: name) == eager.definition(named: name))
            }
        }
        #expect(throws: CrossRunError.self) { try TargetCatalog.load(extraDirectory: nil).definition(named: "no-such-target") }
    }

    @Test("a definition in CROSSRUN_RUNNERS_DIR replaces the built-in one of the same name and comes first")
    func extraReplaces() throws {
        let folder = try TemporaryDirectory()
        let aarch64 = try #require(EmbeddedRunners.files.first { $0.name == "aarch64.toml" })
        let changed = aarch64.text.replacingOccurrences(of: "description = \"", with: "description = \"changed: ")
        try changed.write(toFile: folder.path("aarch64.toml"), atomically: true, encoding: .utf8)
        let catalog = try TargetCatalog.load(extraDirectory: folder.path)
        #expect(catalog.definitions.count == EmbeddedRunners.files.count)
        #expect(catalog.definitions.first?.name == "aarch64")
        #expect(catalog.definitions.first?.description.hasPrefix("changed: ") == true)
        #expect(try catalog.definition(named: "aarch64").description.hasPrefix("changed: "))
    }
}

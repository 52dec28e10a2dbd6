import CrossRunKit
@testable import CrossRunTools
import Foundation
import Testing

/// `crossrun setup`'s text edits of .cargo/config.toml: what is added, what is kept byte for byte.
struct SetupEditTests {
    let editor = CargoConfigEditor()
    let aarch64 = CargoConfigEditor.Entry(triple: "aarch64-unknown-linux-gnu", linker: "aarch64-linux-gnu-gcc")

    func apply(_ entries: [CargoConfigEditor.Entry], _ text: String) throws -> (text: String, changes: [CargoConfigEditor.Change]) {
        try editor.apply(entries, to: text, source: "config.toml")
    }

    @Test("an empty file gets one table per target")
    func emptyFile() throws {
        let wasm = CargoConfigEditor.Entry(triple: "wasm32-wasi")
        let (text, changes) = try apply([aarch64, wasm], "")
        #expect(text == """
            [target.aarch64-unknown-linux-gnu]
            linker = "aarch64-linux-gnu-gcc"
            runner = "crossrun"

            [target.wasm32-wasi]
            runner = "crossrun"

            """)
        #expect(changes == [.addedTable(triple: "aarch64-unknown-linux-gnu"), .addedTable(triple: "wasm32-wasi")])
    }

    @Test("comments, other tables and other keys stay exactly as they were; the new table goes at the end")
    func keepsEverythingElse() throws {
        let original = """
            # Project settings. Keep this comment.
            [build]
            rustflags = ["-C", "target-cpu=native"]   # trailing comment

            [alias]
            t = "test --offline"

            """
        let (text, changes) = try apply([aarch64], original)
        #expect(text.hasPrefix(original))
        #expect(text.dropFirst(original.count) == """

            [target.aarch64-unknown-linux-gnu]
            linker = "aarch64-linux-gnu-gcc"
            runner = "crossrun"

            """)
        #expect(changes.count == 1)
    }

    @Test("an existing table gets runner after its last key; its linker and comments are kept")
    func existingTable() throws {
        let original = """
            [target.aarch64-unknown-linux-gnu]  # the board
            # our own linker wrapper
            linker = "scripts/link.sh"
            rustflags = ["-C", "target-feature=+crt-static"]

            # next: docs
            [doc]
            browser = "firefox"
            """
        let (text, changes) = try apply([aarch64], original)
        #expect(text == """
            [target.aarch64-unknown-linux-gnu]  # the board
            # our own linker wrapper
            linker = "scripts/link.sh"
            rustflags = ["-C", "target-feature=+crt-static"]
            runner = "crossrun"

            # next: docs
            [doc]
            browser = "firefox"

            """)
        #expect(changes == [.setRunner(triple: "aarch64-unknown-linux-gnu", previous: nil)])
    }

    @Test("another runner is replaced in place, also a multi-line array, with its indentation",
          arguments: [
            ("runner = \"qemu-aarch64 -L /usr/aarch64-linux-gnu\"", "\"qemu-aarch64 -L /usr/aarch64-linux-gnu\""),
            ("  runner = [\"qemu-aarch64\",\n    \"-L\", \"/usr/aarch64-linux-gnu\"]", "[\"qemu-aarch64\", \"-L\", \"/usr/aarch64-linux-gnu\"]"),
          ])
    func replacesRunner(line: String, previous: String) throws {
        let original = "[target.\"aarch64-unknown-linux-gnu\"]\nlinker = \"cc\"\n\(line)\nrustflags = []\n"
        let (text, changes) = try apply([aarch64], original)
        let indentation = line.hasPrefix("  ") ? "  " : ""
        #expect(text == "[target.\"aarch64-unknown-linux-gnu\"]\nlinker = \"cc\"\n\(indentation)runner = \"crossrun\"\nrustflags = []\n")
        #expect(changes == [.setRunner(triple: "aarch64-unknown-linux-gnu", previous: previous)])
    }

    @Test("a replaced runner keeps the comment at the end of its line (of the array's last line); a # inside a string is not one",
          arguments: [
            ("runner = \"qemu-aarch64\" # the board's runner", "runner = \"crossrun\" # the board's runner", "\"qemu-aarch64\""),
            ("runner = \"qemu # not a comment\"", "runner = \"crossrun\"", "\"qemu # not a comment\""),
            ("runner = [\"qemu-aarch64\", # first\n  \"-L\", \"/x\"] # kept", "runner = \"crossrun\" # kept", "[\"qemu-aarch64\", \"-L\", \"/x\"]"),
          ])
    func keepsComment(line: String, replaced: String, previous: String) throws {
        let (text, changes) = try apply([aarch64], "[target.aarch64-unknown-linux-gnu]\nlinker = \"cc\"\n\(line)\n")
        #expect(text == "[target.aarch64-unknown-linux-gnu]\nlinker = \"cc\"\n\(replaced)\n")
        #expect(changes == [.setRunner(triple: "aarch64-unknown-linux-gnu", previous: previous)])
    }

    @Test("idempotent: a second run changes nothing and returns the text unchanged")
    func idempotent() throws {
        let original = "# mine\n[target.aarch64-unknown-linux-gnu]\nrunner = 'crossrun'\nlinker = \"x\"\n"
        let (text, changes) = try apply([aarch64], original)
        #expect(changes.isEmpty)
        #expect(text == original)
        let (first, _) = try apply([aarch64, .init(triple: "wasm32-wasi")], "[build]\njobs = 2")
        let (second, again) = try apply([aarch64, .init(triple: "wasm32-wasi")], first)
        #expect(again.isEmpty)
        #expect(second == first)
    }

    @Test("a table with runner = crossrun but no linker gets the linker only")
    func addsLinkerOnly() throws {
        let (text, changes) = try apply([aarch64], "[target.aarch64-unknown-linux-gnu]\nrunner = \"crossrun\"\n")
        #expect(text == "[target.aarch64-unknown-linux-gnu]\nrunner = \"crossrun\"\nlinker = \"aarch64-linux-gnu-gcc\"\n")
        #expect(changes == [.setLinker(triple: "aarch64-unknown-linux-gnu", linker: "aarch64-linux-gnu-gcc")])
    }

    @Test("sub-tables and cfg() tables are not mistaken for the target's table")
    func otherTargetTables() throws {
        let original = """
            [target.'cfg(target_os = "linux")']
            rustflags = ["-g"]

            [target.aarch64-unknown-linux-gnu.dependencies]
            x = 1
            """
        // [target.T.dependencies] makes target.T a table with no [target.T] header line: refused, by name.
        #expect(throws: CrossRunError.self) { try apply([aarch64], original) }
        let (text, _) = try apply([aarch64], "[target.'cfg(target_os = \"linux\")']\nrustflags = [\"-g\"]\n")
        #expect(text.hasSuffix("\n\n[target.aarch64-unknown-linux-gnu]\nlinker = \"aarch64-linux-gnu-gcc\"\nrunner = \"crossrun\"\n"))
    }

    @Test("dotted keys and inline tables are refused with a message that says what to do",
          arguments: ["target.aarch64-unknown-linux-gnu.linker = \"cc\"\n", "[target]\naarch64-unknown-linux-gnu = { linker = \"cc\" }\n"])
    func dottedKeysRefused(original: String) throws {
        let error = #expect(throws: CrossRunError.self) { try apply([aarch64], original) }
        #expect(error?.description.contains("by hand") == true)
    }

    @Test("a file that is not TOML is left alone with a clear error")
    func invalidTOML() throws {
        let error = #expect(throws: CrossRunError.self) { try apply([aarch64], "[target.aarch64\nrunner = ") }
        #expect(error?.description.contains("not valid TOML") == true)
    }

    @Test("CRLF files and files without a final newline")
    func lineEndings() throws {
        let (text, _) = try apply([.init(triple: "wasm32-wasi")], "[build]\r\njobs = 2")
        #expect(text == "[build]\njobs = 2\n\n[target.wasm32-wasi]\nrunner = \"crossrun\"\n")
    }

    @Test("GNU cross linkers per Rust triple",
          arguments: [
            ("aarch64-unknown-linux-gnu", "aarch64-linux-gnu-gcc"), ("armv7-unknown-linux-gnueabihf", "arm-linux-gnueabihf-gcc"),
            ("arm-unknown-linux-gnueabi", "arm-linux-gnueabi-gcc"), ("thumbv7neon-unknown-linux-gnueabihf", "arm-linux-gnueabihf-gcc"),
            ("riscv64gc-unknown-linux-gnu", "riscv64-linux-gnu-gcc"), ("wasm32-wasi", nil), ("aarch64-unknown-linux-musl", nil),
            ("thumbv7em-none-eabihf", nil),
          ])
    func linkers(triple: String, linker: String?) {
        #expect(CrossToolchain(rustTarget: triple)?.linker == linker)
    }

    @Test("default targets: the main triple of each Linux and WASI runner; names map to triples")
    func targetSelection() throws {
        let setup = CargoSetup(catalog: try TargetCatalog.builtIn(), searchPath: "/nonexistent")
        let defaults = try setup.triples(for: [])
        #expect(defaults.contains("aarch64-unknown-linux-gnu"))
        #expect(defaults.contains("armv7-unknown-linux-gnueabihf"))
        #expect(defaults.contains("riscv64gc-unknown-linux-gnu"))
        #expect(defaults.contains("wasm32-wasip1"))
        #expect(!defaults.contains("aarch64-unknown-linux-musl"))
        #expect(try setup.triples(for: ["aarch64", "armv7-unknown-linux-musleabihf", "aarch64-unknown-linux-gnu"])
            == ["aarch64-unknown-linux-gnu", "armv7-unknown-linux-musleabihf"])
        #expect(throws: CrossRunError.self) { try setup.triples(for: ["m68k"]) }
    }
}

import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// wasm beyond wasip1 (issue 15): core module or component from the header, the import and export sections that
/// tell a wasm32-unknown-unknown module from a WASI command, the runner each goes to, and which Rust name of the
/// wasip1 target `crossrun setup` writes for the installed rustc.
struct WasmTargetTests {
    /// A recorded head, its kind, and whether it is refused as wasm32-unknown-unknown.
    struct Head: Sendable, CustomTestStringConvertible {
        var file: String
        var format: BinaryInfo.Format?
        var runner: String?
        var interface: WasmModule.Interface?
        var testDescription: String { file }
    }

    static let heads: [Head] = [
        // Debian's Rust 1.63, rustc --target wasm32-wasi: WASI imports and _start.
        Head(file: "wasm32-wasi.wasm-head", format: .wasm(version: 1), runner: "wasm32-wasip1",
             interface: .init(importsWASI: true, exportsStart: true)),
        // Examples/wasm/wasip2_libtest.wat, assembled by Examples/build.sh: `\0asm` 0d 00 01 00.
        Head(file: "wasm32-wasip2-component.wasm-head", format: .wasmComponent(version: 0x0d), runner: "wasm32-wasip2", interface: nil),
        // rust-demo's unit tests for wasm32-unknown-unknown (Debian's Rust 1.63): no imports, exports memory and main.
        Head(file: "wasm32-unknown-unknown.wasm-head", format: nil, runner: nil, interface: .init(importsWASI: false, exportsStart: false)),
    ]

    @Test("each recorded head: its kind, its runner, or the one-line 125 refusal", arguments: heads)
    func recordedHeads(head: Head) throws {
        let bytes = try Fixtures.elf(head.file)
        let catalog = try TargetCatalog.builtIn()
        if let format = head.format {
            let info = try BinaryInspector.inspect(path: head.file, read: reader(bytes))
            #expect(info.format == format)
            #expect(info.machineName == "wasm32")
            #expect(!HostMachine.canRunNatively(info))
            #expect(catalog.definition(for: info)?.name == head.runner)
            #expect(!info.summary.contains("\n"))
        } else {
            let error = #expect(throws: CrossRunError.self) { try BinaryInspector.inspect(path: head.file, read: reader(bytes)) }
            #expect(error?.exitStatus == 125)
            #expect(error?.code == .foreignExecutable)
            #expect(error?.description == "\(head.file) is a WebAssembly module with no WASI imports and no _start export (wasm32-unknown-unknown), which needs a JavaScript host; run its tests with wasm-bindgen-test-runner (cargo install wasm-bindgen-cli; CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner), or build for wasm32-wasip1.")
        }
        if case .core? = WasmModule.kind(header: bytes) {
            #expect(WasmModule.interface(read: reader(bytes)) == head.interface)
        }
    }

    @Test("every prefix of a recorded core module: the full answer or 'cannot tell', never a refusal of the WASI one",
          arguments: ["wasm32-wasi.wasm-head", "wasm32-unknown-unknown.wasm-head"])
    func prefixes(file: String) throws {
        let bytes = try Fixtures.elf(file)
        let full = WasmModule.interface(read: reader(bytes))
        var answered = 0
        for length in 8...bytes.count {
            let prefix = Array(bytes.prefix(length))
            guard let found = WasmModule.interface(read: reader(prefix)) else { continue }
            answered += 1
            #expect(found == full, "prefix of \(length) bytes")
            if file == "wasm32-wasi.wasm-head" {
                #expect(throws: Never.self) { try BinaryInspector.inspect(path: "w", bytes: prefix) }
            }
        }
        // Every prefix that holds the export section has the whole answer (both heads hold it).
        #expect(answered > 0)
    }

    /// A module from its sections (id, body).
    static func module(_ sections: [(UInt8, [UInt8])]) -> [UInt8] {
        var bytes = WasmModule.magic + [1, 0, 0, 0]
        for (id, body) in sections { bytes += [id] + leb(body.count) + body }
        return bytes
    }

    static func leb(_ value: Int) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            out.append(byte)
        } while value != 0
        return out
    }

    static func name(_ text: String) -> [UInt8] { leb(text.utf8.count) + Array(text.utf8) }

    static let startExport: [UInt8] = [1] + name("_start") + [0x00, 0]
    static let memoryExport: [UInt8] = [1] + name("memory") + [0x02, 0]
    static let wasiImport: [UInt8] = [1] + name("wasi_snapshot_preview1") + name("fd_write") + [0x00, 0]
    static let envImports: [UInt8] = [4]
        + name("env") + name("f") + [0x00, 0]  // function
        + name("env") + name("t") + [0x01, 0x70, 0x01, 1, 2]  // table funcref, min 1 max 2
        + name("env") + name("m") + [0x02, 0x04, 1]  // memory64, min 1
        + name("env") + name("g") + [0x03, 0x7F, 0]  // global i32 const

    struct Built: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var interface: WasmModule.Interface?
        var testDescription: String { name }
    }

    static let built: [Built] = [
        // Nothing past where the exports would be: perhaps a module cut short, so not refused.
        Built(name: "empty module", bytes: module([]), interface: nil),
        Built(name: "imports only", bytes: module([(2, envImports)]), interface: nil),
        Built(name: "no export section, a code section", bytes: module([(2, envImports), (10, [0])]), interface: .init(importsWASI: false, exportsStart: false)),
        Built(name: "_start, no imports (a pure command)", bytes: module([(7, startExport)]), interface: .init(importsWASI: false, exportsStart: true)),
        Built(name: "WASI import, no _start (a reactor)", bytes: module([(2, wasiImport), (7, memoryExport)]), interface: .init(importsWASI: true, exportsStart: false)),
        Built(name: "every import kind, not WASI; custom sections around", bytes: module([(0, name("x") + [9, 9]), (2, envImports), (0, []), (7, memoryExport)]),
              interface: .init(importsWASI: false, exportsStart: false)),
        Built(name: "a function called _start that is a memory", bytes: module([(7, [1] + name("_start") + [0x02, 0])]), interface: .init(importsWASI: false, exportsStart: false)),
        Built(name: "no export section before the code section", bytes: module([(2, envImports), (10, [0]), (7, startExport)]), interface: .init(importsWASI: false, exportsStart: false)),
        Built(name: "unknown import kind", bytes: module([(2, [1] + name("env") + name("x") + [0x09, 0])]), interface: nil),
        Built(name: "import count past the body", bytes: module([(2, [5] + name("env") + name("f") + [0x00, 0])]), interface: nil),
        Built(name: "export name length past the body", bytes: module([(7, [1, 0x7F, 0x61])]), interface: nil),
        Built(name: "section size past the file", bytes: WasmModule.magic + [1, 0, 0, 0, 7, 0x80, 0x80, 0x04, 1], interface: nil),
        Built(name: "section size over the limit", bytes: WasmModule.magic + [1, 0, 0, 0, 2] + leb(WasmModule.maximumSectionSize + 1), interface: nil),
        Built(name: "LEB128 of more than 32 bits", bytes: WasmModule.magic + [1, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], interface: nil),
        Built(name: "section header cut short", bytes: WasmModule.magic + [1, 0, 0, 0, 7, 0x80], interface: nil),
    ]

    @Test("import and export sections of built modules: decided, or 'cannot tell' (nil) for anything malformed", arguments: built)
    func builtModules(module: Built) throws {
        #expect(WasmModule.interface(read: reader(module.bytes)) == module.interface)
        // Refused exactly when the answer is 'no WASI import and no _start'; 'cannot tell' runs it.
        let refused: Bool
        do {
            _ = try BinaryInspector.inspect(path: "m.wasm", bytes: module.bytes)
            refused = false
        } catch let error as CrossRunError {
            #expect(error.code == .foreignExecutable)
            refused = true
        }
        #expect(refused == (module.interface?.isUnknownUnknown == true))
    }

    @Test("the header's version and layer", arguments: [
        ([0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00], WasmModule.Kind.core(version: 1)),
        ([0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00], .component(version: 0x0D)),
        ([0x00, 0x61, 0x73, 0x6D, 0x0C, 0x00, 0x01, 0x00], .component(version: 0x0C)),
        ([0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00], .core(version: 2)),
    ] as [([UInt8], WasmModule.Kind)])
    func kinds(bytes: [UInt8], kind: WasmModule.Kind) throws {
        #expect(WasmModule.kind(header: bytes) == kind)
        #expect(WasmModule.kind(header: Array(bytes.prefix(7))) == nil)
    }

    @Test("wasm32-wasi names the wasm32-wasip1 runner; a component is no wasip1 binary and a module no wasip2 one")
    func names() throws {
        let catalog = try TargetCatalog.builtIn()
        #expect(try catalog.definition(named: "wasm32-wasi").name == "wasm32-wasip1")
        #expect(try catalog.definition(named: "wasm32-wasip1").name == "wasm32-wasip1")
        #expect(try catalog.definition(named: "wasm32-wasip2").name == "wasm32-wasip2")
        let module = try BinaryInspector.inspect(path: "m", read: reader(Fixtures.elf("wasm32-wasi.wasm-head")))
        let component = try BinaryInspector.inspect(path: "c", read: reader(Fixtures.elf("wasm32-wasip2-component.wasm-head")))
        #expect(try catalog.definition(named: "wasm32-wasip1").isCompatible(with: module))
        #expect(try !catalog.definition(named: "wasm32-wasip1").isCompatible(with: component))
        #expect(try catalog.definition(named: "wasm32-wasip2").isCompatible(with: component))
        #expect(try !catalog.definition(named: "wasm32-wasip2").isCompatible(with: module))
    }

    @Test("a component needs wasmtime: the embedded runtime is never chosen for it, even when configured")
    func componentRuntime() throws {
        let definition = try TargetCatalog.builtIn().definition(named: "wasm32-wasip2")
        let empty = try TemporaryDirectory("crossrun-wasip2")
        let none = EmulatorResolver(configuration: Configuration(options: RunOptions(), environment: [:], files: []), searchPath: empty.path)
        let error = #expect(throws: CrossRunError.self) { try none.resolve(definition).required() }
        #expect(error?.exitStatus == 127)
        #expect(error?.description.contains("wasmtime") == true)
        let forced = EmulatorResolver(
            configuration: Configuration(options: RunOptions(emulator: "embedded"), environment: [:], files: []), searchPath: empty.path)
        #expect(forced.resolve(definition).emulator == nil)
        _ = try empty.file("bin/wasmtime", text: "#!/bin/sh\n", mode: 0o755)
        let found = EmulatorResolver(configuration: Configuration(options: RunOptions(), environment: [:], files: []), searchPath: empty.path("bin"))
        #expect(found.resolve(definition).emulator == .executable(empty.path("bin/wasmtime")))
    }

    @Test("a wasm-component runner that names the embedded runtime is refused by name")
    func componentDefinitionWithEmbedded() throws {
        let text = """
            name = "c"
            description = "c"
            rust-targets = []
            [match]
            format = "wasm-component"
            [emulator]
            kind = "wasm"
            candidates = ["embedded"]
            install-hint = "x"
            [sysroot]
            debian = []
            install-hint = "x"
            """
        let error = #expect(throws: CrossRunError.self) { try RunnerDefinition.parse(toml: text, source: "Runners/c.toml") }
        #expect(error?.description.contains("core wasm modules only") == true)
    }

    /// `rustc --print target-list` of Debian 12's rustc 1.63.0 and of rustup's 1.95.0, recorded.
    static func targetList(_ version: String) throws -> Set<String> {
        try #require(CargoSetup.parseTargetList(String(decoding: Fixtures.data("rustc/target-list-\(version).txt"), as: UTF8.self)))
    }

    @Test("setup writes the wasip1 target under the name the installed rustc knows", arguments: [
        ("1.63.0", "wasm32-wasi"), ("1.95.0", "wasm32-wasip1"), (nil, "wasm32-wasip1"),
    ] as [(String?, String)])
    func setupTripleForRustc(version: String?, expected: String) throws {
        let known = try version.map(Self.targetList)
        if let known {
            // The recorded lists are what the choice is about: 1.63 knows only the old name, 1.95 only the new.
            #expect(known.contains(expected))
            #expect(!known.contains(expected == "wasm32-wasi" ? "wasm32-wasip1" : "wasm32-wasi"))
        }
        let setup = CargoSetup(catalog: try TargetCatalog.builtIn(), searchPath: "/nonexistent", knownTriples: known)
        let defaults = try setup.triples(for: [])
        #expect(defaults.contains(expected))
        #expect(!defaults.contains(expected == "wasm32-wasi" ? "wasm32-wasip1" : "wasm32-wasi"))
        #expect(try setup.triples(for: ["wasm32-wasip1"]) == [expected], "the runner's name")
        // A triple named outright is written as named.
        #expect(try setup.triples(for: ["wasm32-wasi"]) == ["wasm32-wasi"])
        #expect(try setup.triples(for: ["wasm32-wasip2"]) == ["wasm32-wasip2"])
        #expect(try setup.triples(for: ["aarch64"]) == ["aarch64-unknown-linux-gnu"])
    }

    @Test("the target list is read from the real rustc; none found is 'unknown'")
    func installedTriples() throws {
        #expect(CargoSetup.installedTriples(searchPath: "/nonexistent") == nil)
        #expect(CargoSetup.installedTriples(searchPath: "/nonexistent", rustc: "/nonexistent/rustc") == nil)
        #expect(CargoSetup.parseTargetList("\n \n") == nil)
        #expect(CargoSetup.parseTargetList("a\nb\r\n") == ["a", "b"])
    }
}

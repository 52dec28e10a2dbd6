import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// The one emulator lookup `run`, `doctor` and `targets` share: which layer wins, what each target kind and
/// mode looks for, and that the planner and the doctor agree.
struct EmulatorResolverTests {
    /// A PATH folder with fake executables, and a crossrun.toml.
    final class World {
        let folder: TemporaryDirectory
        let bin: String

        init(executables: [String]) throws {
            folder = try TemporaryDirectory("crossrun-resolver")
            bin = try folder.folder("bin")
            for name in executables { try folder.file("bin/" + name, text: "#!/bin/sh\nexit 0\n", mode: 0o755) }
        }

        func resolver(options: RunOptions = RunOptions(), environment: [String: String] = [:], toml: String? = nil) throws -> EmulatorResolver {
            let files = try toml.map { [try ConfigFile.parse(toml: $0, path: folder.path("crossrun.toml"))] } ?? []
            return EmulatorResolver(
                configuration: Configuration(options: options, environment: environment, files: files), searchPath: "/nonexistent:" + bin)
        }

        func path(_ name: String) -> String { bin + "/" + name }
    }

    static func definition(_ name: String) throws -> RunnerDefinition { try TargetCatalog.builtIn().definition(named: name) }

    @Test("the runner definition's candidates, in order: the first on PATH wins")
    func candidatesInOrder() throws {
        let world = try World(executables: ["qemu-aarch64", "qemu-aarch64-static"])
        let resolution = try world.resolver().resolve(try Self.definition("aarch64"))
        #expect(resolution.emulator == .executable(world.path("qemu-aarch64-static")))
        #expect(resolution.candidates == (try Self.definition("aarch64")).emulator.candidates)
        #expect(resolution.configuredBy == nil)
    }

    /// Which layer names the emulator, and the origin messages say.
    struct Layer: CustomTestStringConvertible, Sendable {
        var name: String
        var options: RunOptions
        var environment: [String: String]
        var toml: String?
        var expected: String
        var origin: String
        var testDescription: String { name }
    }

    static let layers: [Layer] = [
        Layer(name: "--emulator", options: RunOptions(emulator: "flag-qemu"), environment: ["CROSSRUN_EMULATOR": "env-qemu"],
              toml: "[target.aarch64]\nemulator = \"file-qemu\"\n", expected: "flag-qemu", origin: "--emulator"),
        Layer(name: "CROSSRUN_EMULATOR", options: RunOptions(), environment: ["CROSSRUN_EMULATOR": "env-qemu"],
              toml: "[target.aarch64]\nemulator = \"file-qemu\"\n", expected: "env-qemu", origin: "$CROSSRUN_EMULATOR"),
        Layer(name: "crossrun.toml [target.aarch64]", options: RunOptions(), environment: [:],
              toml: "[target.aarch64]\nemulator = \"file-qemu\"\n", expected: "file-qemu", origin: "crossrun.toml"),
        Layer(name: "crossrun.toml by Rust triple", options: RunOptions(), environment: [:],
              toml: "[target.aarch64-unknown-linux-gnu]\nemulator = \"file-qemu\"\n", expected: "file-qemu", origin: "crossrun.toml"),
    ]

    @Test("a configured emulator wins over the candidates, highest layer first", arguments: layers)
    func configuredLayers(_ layer: Layer) throws {
        let world = try World(executables: ["qemu-aarch64-static", "flag-qemu", "env-qemu", "file-qemu"])
        let resolution = try world.resolver(options: layer.options, environment: layer.environment, toml: layer.toml)
            .resolve(try Self.definition("aarch64"))
        #expect(resolution.emulator == .executable(world.path(layer.expected)))
        #expect(resolution.candidates == [layer.expected])
        #expect(resolution.configuredBy?.hasSuffix(layer.origin) == true, "\(resolution.configuredBy ?? "nil")")
    }

    @Test("mode = \"system\" looks for qemu-system-aarch64, with its own install hint")
    func systemMode() throws {
        let world = try World(executables: ["qemu-aarch64-static"])
        let missing = try world.resolver().resolve(try Self.definition("aarch64"), mode: .system)
        #expect(missing.emulator == nil)
        #expect(missing.candidates == ["qemu-system-aarch64"])
        #expect(missing.installHint == "apt-get install qemu-system-arm")
        let error = #expect(throws: CrossRunError.self) { try missing.required() }
        #expect(error?.description.contains("qemu-system-aarch64") == true)
        #expect(error?.description.contains("apt-get install qemu-system-arm") == true)
    }

    @Test("wasm: wasmtime when on PATH, else the embedded runtime; `embedded` means nothing for other targets")
    func wasmRuntimes() throws {
        let wasm = try Self.definition("wasm32-wasi")
        let withWasmtime = try World(executables: ["wasmtime"])
        #expect(try withWasmtime.resolver().resolve(wasm).emulator == .executable(withWasmtime.path("wasmtime")))
        #expect(try World(executables: []).resolver().resolve(wasm).emulator == .embedded)
        let forced = try withWasmtime.resolver(options: RunOptions(emulator: "embedded")).resolve(wasm)
        #expect(forced.emulator == .embedded)
        let notWasm = try World(executables: []).resolver(options: RunOptions(emulator: "embedded")).resolve(try Self.definition("aarch64"))
        #expect(notWasm.emulator == nil)
    }

    @Test("nothing found: the error names every candidate and the install hint")
    func notFound() throws {
        let definition = try Self.definition("riscv64")
        let resolution = try World(executables: []).resolver().resolve(definition)
        let error = #expect(throws: CrossRunError.self) { try resolution.required() }
        for candidate in definition.emulator.candidates { #expect(error?.description.contains(candidate) == true) }
        #expect(error?.description.contains(definition.emulator.installHint) == true)
    }

    @Test("run (the planner) and doctor pick the same emulator for every target, configuration included")
    func plannerAndDoctorAgree() throws {
        let world = try World(executables: ["qemu-aarch64-static", "qemu-arm-static", "qemu-riscv64", "my-qemu", "qemu-system-arm"])
        let toml = "[target.armv7]\nemulator = \"my-qemu\"\n"
        let resolver = try world.resolver(toml: toml)
        let doctor = Doctor(catalog: try TargetCatalog.builtIn(), configuration: resolver.configuration, environment: ["PATH": resolver.searchPath])
        for status in doctor.targets() {
            let definition = try Self.definition(status.name)
            #expect(status.emulator.path == resolver.resolve(definition).path, "\(status.name)")
        }
        #expect(doctor.targets().first { $0.name == "armv7" }?.emulator.path == world.path("my-qemu"))
    }
}

import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// `crossrun doctor` decides nothing on its own: the wasm runtime, the qemu-system list, the mode and full-system
/// mode's kernel come from the resolver, the catalogue, the mode setting and the run's fetcher, as `run` uses them.
struct DoctorUnitTests {
    typealias World = EmulatorResolverTests.World

    /// A doctor over `world`'s PATH and a crossrun.toml, with `environment` (the cache folder, offline, ...).
    static func doctor(
        _ world: World, toml: String? = nil, environment: [String: String] = [:], catalog: TargetCatalog? = nil
    ) throws -> Doctor {
        let resolver = try world.resolver(environment: environment, toml: toml)
        var environment = environment
        environment["PATH"] = resolver.searchPath
        return Doctor(catalog: try catalog ?? TargetCatalog.builtIn(), configuration: resolver.configuration, environment: environment)
    }

    static func target(_ name: String, in report: DoctorReport) throws -> DoctorReport.TargetStatus {
        try #require(report.targets.first { $0.name == name })
    }

    @Test("the wasm runtime is the one the configuration names, as in the wasm32-wasi row: embedded over wasmtime on PATH")
    func configuredEmbeddedRuntime() throws {
        let world = try World(executables: ["wasmtime"])
        let plain = try Self.doctor(world).diagnose()
        #expect(plain.wasmRuntime.selected == .wasmtime)
        #expect(plain.wasmRuntime.wasmtime.path == world.path("wasmtime"))
        #expect(plain.wasmRuntime.configuredBy == nil)

        let report = try Self.doctor(world, toml: "[target.wasm32-wasi]\nemulator = \"embedded\"\n").diagnose()
        #expect(report.wasmRuntime.selected == .embedded)
        #expect(report.wasmRuntime.configuredBy?.hasSuffix("crossrun.toml") == true)
        let row = try Self.target("wasm32-wasip1", in: report)
        #expect(row.emulator.emulator == .embedded)
        #expect(row.emulator.path == "embedded")
        #expect(report.text().contains("wasm runtime: embedded WasmKit runtime (set by "), "\(report.text())")
        #expect(!report.text().contains("wasm runtime: wasmtime"))
    }

    @Test("a configured wasm runtime path is the selected one; a configured one that is not there is missing")
    func configuredRuntimePath() throws {
        let world = try World(executables: ["my-wasmtime"])
        let configured = world.path("my-wasmtime")
        let report = try Self.doctor(world, toml: "[target.wasm32-wasi]\nemulator = \"\(configured)\"\n").diagnose()
        #expect(report.wasmRuntime.selected == .wasmtime)
        #expect(report.wasmRuntime.wasmtime.path == configured)
        #expect(try Self.target("wasm32-wasip1", in: report).emulator.path == configured)

        let gone = try Self.doctor(world, toml: "[target.wasm32-wasi]\nemulator = \"/nonexistent/wasmtime\"\n").diagnose()
        #expect(gone.wasmRuntime.selected == .missing)
        #expect(try Self.target("wasm32-wasip1", in: gone).canRun == false)
    }

    @Test("the qemu-system list is the catalogue's: bare-metal candidates and full-system mode's, each once, sorted")
    func qemuSystemFromCatalogue() throws {
        let world = try World(executables: [])
        let builtIn = try Self.doctor(world)
        #expect(builtIn.qemuSystemPrograms.map(\.name) == ["qemu-system-aarch64", "qemu-system-arm", "qemu-system-riscv32", "qemu-system-riscv64"])
        let catalog = try TargetCatalog.builtIn()
        var expected: [String: String] = [:]
        for definition in catalog.definitions where definition.emulator.kind == .qemuSystem {
            for candidate in definition.emulator.candidates where expected[candidate] == nil { expected[candidate] = definition.emulator.installHint }
        }
        for candidate in EmulatorResolver.systemModeCandidates where expected[candidate] == nil {
            expected[candidate] = EmulatorResolver.systemModeInstallHint
        }
        #expect(Dictionary(uniqueKeysWithValues: builtIn.qemuSystemPrograms.map { ($0.name, $0.installHint) }) == expected)
        #expect(builtIn.diagnose().qemuSystem.map(\.installHint) == builtIn.qemuSystemPrograms.map(\.installHint))

        // A runner added through CROSSRUN_RUNNERS_DIR brings its emulator into the list; a shared one stays once.
        let runners = try world.folder.folder("runners")
        try """
            name = "xtensa-bare-metal"
            description = "Xtensa bare metal (test runner)"
            rust-targets = ["xtensa-test-none-elf"]

            [match]
            machine = "xtensa"
            class = 32
            endian = "little"
            abi = "bare-metal"

            [emulator]
            kind = "qemu-system"
            candidates = ["qemu-system-xtensa", "qemu-system-riscv32"]
            install-hint = "apt-get install qemu-system-misc"
            machine = "sim"

            [sysroot]
            debian = []
            install-hint = "nothing: bare-metal images need no sysroot"
            """.write(toFile: runners + "/xtensa.toml", atomically: true, encoding: .utf8)
        let extended = try Self.doctor(world, catalog: try TargetCatalog.load(extraDirectory: runners))
        #expect(extended.qemuSystemPrograms.map(\.name) == ["qemu-system-aarch64", "qemu-system-arm", "qemu-system-riscv32", "qemu-system-riscv64", "qemu-system-xtensa"])
        #expect(extended.qemuSystemPrograms.first { $0.name == "qemu-system-xtensa" }?.installHint == "apt-get install qemu-system-misc")
    }

    @Test("a misspelled mode is the target's problem, with TargetMode's message, and it cannot run")
    func invalidMode() throws {
        let world = try World(executables: ["qemu-aarch64-static", "qemu-arm-static"])
        let report = try Self.doctor(world, toml: "[target.aarch64]\nmode = \"sytem\"\n").diagnose()
        let aarch64 = try Self.target("aarch64", in: report)
        let expected = #expect(throws: CrossRunError.self) { try TargetMode(setting: "sytem", target: "aarch64") }
        #expect(aarch64.canRun == false)
        #expect(aarch64.problems.map(\.message) == [expected?.message])
        #expect(report.text().contains("aarch64: \(expected?.message ?? "-")"))
        #expect(report.unrunnable(["aarch64"]).map(\.name) == ["aarch64"])
        // Other targets are not affected.
        #expect(try Self.target("armv7", in: report).problems.isEmpty)
    }

    @Test("mode = \"system\" on a target other than aarch64 is the problem run reports")
    func systemModeElsewhere() throws {
        let world = try World(executables: ["qemu-system-aarch64"])
        let riscv64 = try Self.target("riscv64", in: try Self.doctor(world, toml: "[target.riscv64]\nmode = \"system\"\n").diagnose())
        #expect(riscv64.canRun == false)
        #expect(riscv64.problems.contains { $0.message.contains("available for aarch64 only") })
        #expect(riscv64.systemImage == nil)
    }

    @Test("a fetch that would fail closed (no keyring to check signatures with) makes the kernel missing, with the package to install")
    func failClosedFetch() throws {
        let world = try World(executables: ["qemu-system-aarch64"])
        let cache = try world.folder.folder("cache")
        let report = try Self.doctor(
            world, toml: "[target.aarch64]\nmode = \"system\"\n",
            environment: ["CROSSRUN_CACHE_DIR": cache, "CROSSRUN_DEBIAN_KEYRING": "/nonexistent/keyring.gpg"]).diagnose()
        let target = try Self.target("aarch64", in: report)
        #expect(target.systemImage?.state == .missing)
        #expect(target.problems.contains { $0.message.contains("signature cannot be checked") && $0.message.contains("apt-get install debian-archive-keyring") }, "\(target.problems)")
        #expect(target.canRun == false)
        let unverified = try Self.doctor(
            world, toml: "[target.aarch64]\nmode = \"system\"\n",
            environment: ["CROSSRUN_CACHE_DIR": cache, "CROSSRUN_DEBIAN_KEYRING": "/nonexistent/keyring.gpg", "CROSSRUN_NO_VERIFY_SIGNATURE": "1"]).diagnose()
        #expect(try Self.target("aarch64", in: unverified).systemImage?.state == .fetchable)
    }

    @Test("full-system mode's kernel: missing offline with an empty cache, fetched on first use online, cached once fetched")
    func systemImageStates() throws {
        let world = try World(executables: ["qemu-system-aarch64"])
        let cache = try world.folder.folder("cache")
        let toml = "[target.aarch64]\nmode = \"system\"\n"

        let offline = try Self.doctor(world, toml: toml, environment: ["CROSSRUN_CACHE_DIR": cache, "CROSSRUN_OFFLINE": "1"]).diagnose()
        let missing = try Self.target("aarch64", in: offline)
        #expect(missing.emulator.path == world.path("qemu-system-aarch64"))
        #expect(missing.systemImage == .init(name: "system-aarch64", state: .missing, path: nil))
        #expect(missing.problems.contains(.init(
            message: "no system-aarch64 kernel cached and offline mode forbids fetching one", fix: "crossrun sysroot fetch system-aarch64")))
        #expect(missing.canRun == false)
        #expect(offline.text().contains("kernel missing (system-aarch64)"))

        // --locked (here CROSSRUN_LOCKED) forbids the fetch too: run would fail, so doctor says so.
        let locked = try Self.target(
            "aarch64", in: try Self.doctor(world, toml: toml, environment: ["CROSSRUN_CACHE_DIR": cache, "CROSSRUN_LOCKED": "1"]).diagnose())
        #expect(locked.systemImage?.state == .missing)
        #expect(locked.problems.contains(.init(
            message: "no system-aarch64 kernel cached and --locked (CROSSRUN_LOCKED) forbids fetching one",
            fix: "crossrun sysroot fetch system-aarch64 without --locked (CROSSRUN_LOCKED)")))
        #expect(locked.canRun == false)

        let online = try Self.doctor(world, toml: toml, environment: ["CROSSRUN_CACHE_DIR": cache]).diagnose()
        let fetchable = try Self.target("aarch64", in: online)
        #expect(fetchable.systemImage?.state == .fetchable)
        #expect(!fetchable.problems.contains { $0.message.contains("kernel") })
        #expect(fetchable.catalogueText.contains("  kernel:       fetched on first use\n"))

        // Put an entry where SystemImageFetcher looks, through the cache's own entry code (no download).
        let manifest = SystemImageManifest.aarch64
        let entry = try SysrootCache(environment: ["CROSSRUN_CACHE_DIR": cache]).entry(
            target: manifest.cacheName, digest: manifest.digest, options: FetchOptions(), lockedReason: "-"
        ) { root in
            for name in ["vmlinuz", "busybox"] { #expect(FileManager.default.createFile(atPath: root + "/" + name, contents: Data("x".utf8))) }
            let lock = SysrootLock(
                target: manifest.cacheName, digest: manifest.digest, suite: manifest.suite, architecture: manifest.architecture,
                root: "", mirror: "http://mirror.invalid/debian", fetchedAt: Date(timeIntervalSince1970: 1_700_000_000),
                signature: "signature verified", packages: [], files: [])
            return (lock, "test")
        }
        let cachedReport = try Self.doctor(world, toml: toml, environment: ["CROSSRUN_CACHE_DIR": cache, "CROSSRUN_OFFLINE": "1"]).diagnose()
        let cached = try Self.target("aarch64", in: cachedReport)
        #expect(cached.systemImage == .init(name: "system-aarch64", state: .cached, path: entry.path))
        #expect(!cached.problems.contains { $0.message.contains("kernel") })

        // JSON: the field is there for system mode only.
        let json = try #require(try JSONSerialization.jsonObject(with: try cachedReport.json()) as? [String: Any])
        let targets = try #require(json["targets"] as? [[String: Any]])
        let image = try #require(targets.first { $0["name"] as? String == "aarch64" }?["systemImage"] as? [String: Any])
        #expect(image["state"] as? String == "cached")
        #expect(image["name"] as? String == "system-aarch64")
        #expect(targets.first { $0["name"] as? String == "armv7" }?["systemImage"] == nil)
    }
}

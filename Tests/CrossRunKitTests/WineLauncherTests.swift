import Foundation
import Testing

@testable import CrossRunKit

/// The wine launch plan: argv, the variables crossrun adds (and leaves alone when the user set them), and the
/// resolver's answer, on the recorded PE head as the binary and a fake `wine` on a search path of the test's own.
@Suite("wine launch plans")
struct WineLauncherTests {
    final class World {
        let folder: TemporaryDirectory
        let bin: String
        let wine: String
        let binary: String

        init() throws {
            folder = try TemporaryDirectory("crossrun-wine")
            bin = try folder.folder("bin")
            wine = try folder.file("bin/wine", text: "#!/bin/sh\nexit 0\n", mode: 0o755)
            binary = try folder.file("target/tests-0123.exe", Data(try Fixtures.data("pe/x86_64-console-rust.exe-head")), mode: 0o644)
        }

        func plan(environment: [String: String] = [:], arguments: [String] = ["--test-threads=1"], searchPath: String? = nil) throws -> LaunchPlan {
            var planner = LaunchPlanner(
                catalog: try TargetCatalog.builtIn(), configuration: Configuration(options: RunOptions(), environment: environment, files: []),
                searchPath: searchPath ?? bin)
            planner.environment = environment
            return try planner.plan(binary: try BinaryInspector.inspect(path: binary), arguments: arguments)
        }
    }

    @Test("wine BINARY ARGS, kind wine, target x86_64-windows; the prefix in crossrun's cache, debug output and winedbg off")
    func plan() throws {
        let world = try World()
        let cache = world.folder.path + "/cache"
        let plan = try world.plan(environment: ["CROSSRUN_CACHE_DIR": cache])
        #expect(plan.argv == [world.wine, world.binary, "--test-threads=1"])
        #expect(plan.kind == .wine)
        #expect(plan.target == "x86_64-windows")
        #expect(plan.emulatorName == "wine")
        #expect(plan.sysroot == nil)
        #expect(plan.environment == ["WINEDEBUG": "-all", "WINEPREFIX": cache + "/wine/prefix", "WINEDLLOVERRIDES": "winedbg.exe=d"])
        // The prefix's parent is made (wine makes the prefix itself, not the folders above it).
        var isFolder: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: cache + "/wine", isDirectory: &isFolder) && isFolder.boolValue)
        #expect(plan.with(arguments: ["--list"]).argv == [world.wine, world.binary, "--list"])
    }

    @Test("what the user set wins", arguments: [
        (["WINEDEBUG": "+relay"], ["WINEPREFIX", "WINEDLLOVERRIDES"], nil as String?),
        (["WINEPREFIX": "/tmp/mine"], ["WINEDEBUG", "WINEDLLOVERRIDES"], nil),
        (["WINEDLLOVERRIDES": "mshtml="], ["WINEDEBUG", "WINEPREFIX", "WINEDLLOVERRIDES"], "mshtml=;winedbg.exe=d"),
        (["WINEDLLOVERRIDES": "winedbg.exe=n"], ["WINEDEBUG", "WINEPREFIX"], nil),
    ])
    func userSettings(_ set: [String: String], _ added: [String], _ overrides: String?) {
        let environment = WineLauncher.environment(guest: set.merging(["HOME": "/home/u"]) { a, _ in a })
        #expect(Set(environment.keys) == Set(added))
        if let overrides { #expect(environment["WINEDLLOVERRIDES"] == overrides) }
        if added.contains("WINEPREFIX") { #expect(environment["WINEPREFIX"] == "/home/u/.cache/crossrun/wine/prefix") }
    }

    @Test("no wine on the search path: 127 naming the candidates and the install command")
    func missing() throws {
        let world = try World()
        let error = #expect(throws: CrossRunError.self) { try world.plan(searchPath: "/nonexistent") }
        #expect(error.map(CrossRunError.exitStatus(for:)) == 127)
        #expect(error?.message.contains("looked for wine, wine64 on PATH") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("apt-get install wine wine64") == true)
    }

    @Test("the resolver (doctor, targets) finds the same wine as run; i686 wants Debian's 32-bit loader")
    func resolver() throws {
        let world = try World()
        let resolver = EmulatorResolver(configuration: Configuration(options: RunOptions(), environment: [:], files: []), searchPath: world.bin)
        let catalog = try TargetCatalog.builtIn()
        #expect(resolver.resolve(try catalog.definition(named: "x86_64-pc-windows-gnu")).path == world.wine)
        let i686 = resolver.resolve(try catalog.definition(named: "i686-pc-windows-gnu"))
        #expect(i686.candidates == ["/usr/lib/wine/wine"])
        #expect(i686.installHint.contains("wine32:i386"))
    }

    @Test("crossrun setup: mingw-w64's gcc links the Windows GNU triples; msvc gets none", arguments: [
        ("x86_64-pc-windows-gnu", "x86_64-w64-mingw32-gcc"), ("i686-pc-windows-gnu", "i686-w64-mingw32-gcc"), ("x86_64-pc-windows-msvc", nil as String?),
    ])
    func setupLinker(triple: String, linker: String?) {
        #expect(CrossToolchain(rustTarget: triple)?.linker == linker)
    }
}

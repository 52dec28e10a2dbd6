import Foundation
import Testing

@testable import CrossRunKit

/// A project with a nested working directory, a crossrun.toml at its root and a user config under XDG_CONFIG_HOME.
private final class ConfigWorld {
    let folder: TemporaryDirectory
    let projectFile: String
    let userFile: String
    /// project/crates/inner: crossrun.toml is two levels up.
    let nested: String
    /// A working directory with no crossrun.toml above it (inside the temporary folder).
    let elsewhere: String

    init(project: String? = nil, user: String? = nil) throws {
        folder = try TemporaryDirectory("crossrun-config")
        projectFile = folder.path("project/crossrun.toml")
        userFile = folder.path("xdg/crossrun/config.toml")
        nested = try folder.folder("project/crates/inner")
        elsewhere = try folder.folder("elsewhere/deeper")
        try folder.folder("xdg")
        if let project { try folder.file("project/crossrun.toml", text: project) }
        if let user { try folder.file("xdg/crossrun/config.toml", text: user) }
    }

    var baseEnvironment: [String: String] { ["XDG_CONFIG_HOME": folder.path("xdg"), "HOME": folder.path("home")] }

    func load(_ options: RunOptions = RunOptions(), environment extra: [String: String] = [:], in directory: String? = nil) throws -> Configuration {
        try Configuration.load(
            options: options, environment: baseEnvironment.merging(extra) { _, new in new }, workingDirectory: directory ?? nested)
    }
}

private func aarch64() throws -> RunnerDefinition {
    try TargetCatalog.builtIn().definition(named: "aarch64")
}

@Suite("Configuration precedence")
struct ConfigurationTests {
    static let projectTOML = """
        sysroot = "sysroots/project"
        report-dir = "reports-project"
        [target.aarch64]
        cpu = "project-cpu"
        """
    static let userTOML = """
        sysroot = "/user/sysroot"
        report-dir = "/user/reports"
        [target.aarch64]
        cpu = "user-cpu"
        emulator = "user-emulator"
        """

    enum Layer: String, CaseIterable, Sendable { case flag, environment, project, user }

    @Test("each setting comes from the highest layer that sets it", arguments: Layer.allCases)
    func precedence(top: Layer) throws {
        let world = try ConfigWorld(project: Self.projectTOML, user: Self.userTOML)
        let options = top == .flag
            ? RunOptions(reportDirectory: "/flag/reports", sysroot: "/flag/sysroot", cpu: "flag-cpu") : RunOptions()
        let environment = top == .flag || top == .environment
            ? ["CROSSRUN_CPU": "env-cpu", "CROSSRUN_SYSROOT": "/env/sysroot", "CROSSRUN_REPORT_DIR": "/env/reports"] : [:]
        // Without the project layer, work somewhere no crossrun.toml is above.
        let directory = top == .user ? world.elsewhere : world.nested
        let configuration = try world.load(options, environment: environment, in: directory)
        let (settings, origin) = configuration.settings(for: try aarch64())

        let projectRoot = world.folder.path("project")
        let expected: (cpu: String, sysroot: String, origin: SettingOrigin, reports: String) =
            switch top {
            case .flag: ("flag-cpu", "/flag/sysroot", .flag("--sysroot"), "/flag/reports")
            case .environment: ("env-cpu", "/env/sysroot", .environment("CROSSRUN_SYSROOT"), "/env/reports")
            case .project: ("project-cpu", projectRoot + "/sysroots/project", .file(world.projectFile), projectRoot + "/reports-project")
            case .user: ("user-cpu", "/user/sysroot", .file(world.userFile), "/user/reports")
            }
        #expect(settings.cpu == expected.cpu)
        #expect(settings.sysroot == expected.sysroot)
        #expect(origin == expected.origin)
        #expect(configuration.reportDirectory?.value == expected.reports)
        // Only the user file sets an emulator, so it shows through every layer above it.
        #expect(settings.emulator == "user-emulator")
        #expect(configuration.files.count == (top == .user ? 1 : 2))
    }

    @Test("with no configuration at all nothing is set")
    func nothingSet() throws {
        let world = try ConfigWorld()
        let configuration = try world.load(in: world.elsewhere)
        #expect(configuration.files.isEmpty)
        let (settings, origin) = configuration.settings(for: try aarch64())
        #expect(settings == TargetSettings())
        #expect(origin == nil)
        #expect(configuration.writeReports)
        #expect(!configuration.quiet)
        #expect(configuration.reportDirectory == nil)
    }

    @Test("an empty CROSSRUN_* variable counts as unset")
    func emptyVariable() throws {
        let world = try ConfigWorld(project: Self.projectTOML)
        let configuration = try world.load(environment: ["CROSSRUN_CPU": "", "CROSSRUN_SYSROOT": ""])
        let (settings, _) = configuration.settings(for: try aarch64())
        #expect(settings.cpu == "project-cpu")
        #expect(settings.sysroot == world.folder.path("project/sysroots/project"))
    }

    @Test("without XDG_CONFIG_HOME the user file is ~/.config/crossrun/config.toml")
    func homeConfig() throws {
        let world = try ConfigWorld()
        try world.folder.file("home/.config/crossrun/config.toml", text: "[target.aarch64]\ncpu = \"from-home\"\n")
        let configuration = try Configuration.load(
            options: RunOptions(), environment: ["HOME": world.folder.path("home")], workingDirectory: world.elsewhere)
        #expect(configuration.settings(for: try aarch64()).settings.cpu == "from-home")
    }

    @Test("an explicit config file (CROSSRUN_CONFIG, relative to the working directory) replaces the search")
    func explicitConfig() throws {
        let world = try ConfigWorld(project: Self.projectTOML, user: Self.userTOML)
        try world.folder.file("project/crates/custom.toml", text: "[target.aarch64]\ncpu = \"custom-cpu\"\n")
        let configuration = try world.load(environment: ["CROSSRUN_CONFIG": "../custom.toml"])
        #expect(configuration.files.map(\.path) == [world.folder.path("project/crates/custom.toml")])
        let (settings, _) = configuration.settings(for: try aarch64())
        #expect(settings.cpu == "custom-cpu")
        #expect(settings.emulator == nil)
    }

    @Test("[target.<rust triple>] applies and beats [target.<runner name>]; other targets' tables do not apply")
    func tripleBeatsRunnerName() throws {
        let world = try ConfigWorld(project: """
            [target.aarch64-unknown-linux-gnu]
            cpu = "cortex-a72"
            env = { FROM_TRIPLE = "1", SHARED = "triple" }

            [target.aarch64]
            cpu = "generic"
            args = ["-d", "unimp"]
            env = { FROM_NAME = "1", SHARED = "name" }

            [target.riscv64gc-unknown-linux-gnu]
            cpu = "rv64"
            emulator = "qemu-riscv64"
            """)
        let (settings, _) = try world.load().settings(for: try aarch64())
        #expect(settings.cpu == "cortex-a72")
        #expect(settings.args == ["-d", "unimp"])
        #expect(settings.env == ["FROM_TRIPLE": "1", "FROM_NAME": "1", "SHARED": "triple"])
        #expect(settings.emulator == nil)
    }

    @Test("a triple table alone applies")
    func tripleAlone() throws {
        let world = try ConfigWorld(project: "[target.aarch64-unknown-linux-musl]\ncpu = \"a53\"\n")
        #expect(try world.load().settings(for: try aarch64()).settings.cpu == "a53")
    }

    @Test("relative paths in a config file are relative to the file's folder, not the working directory")
    func relativePaths() throws {
        let world = try ConfigWorld(project: """
            sysroot = "sysroots/arm64"
            report-dir = "../shared-reports"
            junit = "out/{name}.xml"
            json = "/abs/{name}.json"
            [target.aarch64]
            sysroot = "./per-target"
            emulator = "tools/qemu-aarch64"
            [target.armv7]
            emulator = "qemu-arm"
            """)
        let configuration = try world.load()
        let root = world.folder.path("project")
        let file = try #require(configuration.files.first)
        #expect(file.sysroot == root + "/sysroots/arm64")
        #expect(file.reportDir == world.folder.path("shared-reports"))
        #expect(configuration.junitPath?.value == root + "/out/{name}.xml")
        #expect(configuration.jsonPath?.value == "/abs/{name}.json")
        let (settings, origin) = configuration.settings(for: try aarch64())
        #expect(settings.sysroot == root + "/per-target")
        #expect(origin == .file(world.projectFile))
        #expect(settings.emulator == root + "/tools/qemu-aarch64")
        // A bare name is looked up on PATH later, so it stays as it is.
        #expect(file.target?["armv7"]?.emulator == "qemu-arm")
    }

    @Test("CROSSRUN_NO_REPORT, --no-report and reports = false")
    func writeReports() throws {
        let world = try ConfigWorld(project: "reports = false\n")
        #expect(try world.load().writeReports == false)
        #expect(try world.load(environment: ["CROSSRUN_NO_REPORT": "0"]).writeReports == true)
        #expect(try world.load(RunOptions(writeReports: true), environment: ["CROSSRUN_NO_REPORT": "1"]).writeReports == true)
        let plain = try ConfigWorld()
        #expect(try plain.load(environment: ["CROSSRUN_NO_REPORT": "true"]).writeReports == false)
        #expect(try plain.load(environment: ["CROSSRUN_QUIET": "yes"]).quiet == true)
    }

    @Test("a boolean variable with another value is refused", arguments: [
        ("CROSSRUN_NO_REPORT", "maybe"), ("CROSSRUN_QUIET", "2"),
    ])
    func badBoolean(variable: String, value: String) throws {
        let world = try ConfigWorld()
        let error = #expect(throws: CrossRunError.self) { try world.load(environment: [variable: value]) }
        #expect(error?.code == .invalidEnvironmentValue, "\(String(describing: error))")
        #expect(error?.subject == variable)
        #expect(error?.reason == value)
        #expect(error?.exitStatus == 125)
        #expect(error.map { !$0.description.contains("\n") && $0.description.contains("\(variable)=\(value)") } == true)
    }

    @Test("a misspelt key is refused by name", arguments: [
        ("colour = true\n", "colour"),
        ("report_dir = \"x\"\n", "report_dir"),
        ("[target.aarch64]\ncpus = \"a72\"\n", "cpus"),
    ])
    func unknownKey(toml: String, key: String) throws {
        let world = try ConfigWorld(project: toml)
        let error = #expect(throws: CrossRunError.self) { try world.load() }
        #expect(error?.code == .invalidConfiguration, "\(String(describing: error))")
        #expect(error?.subject == world.projectFile)
        #expect(error?.description.contains("\"\(key)\"") == true, "\(String(describing: error?.description))")
        #expect(error.map { !$0.description.contains("\n") } == true)
    }

    @Test("broken TOML is refused with its line number")
    func badTOML() throws {
        let world = try ConfigWorld(project: "sysroot = \"/x\"\n# a comment\nreport-dir = = \"y\"\n")
        let error = #expect(throws: CrossRunError.self) { try world.load() }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.description.contains("line 3") == true, "\(String(describing: error?.description))")
        #expect(error?.description.contains(world.projectFile) == true)
        #expect(error.map { !$0.description.contains("\n") } == true, "\(String(describing: error?.description))")
    }

    @Test("a broken user file is refused too")
    func badUserFile() throws {
        let world = try ConfigWorld(user: "[target.aarch64\n")
        let error = #expect(throws: CrossRunError.self) { try world.load(in: world.elsewhere) }
        #expect(error?.code == .invalidConfiguration, "\(String(describing: error))")
        #expect(error?.subject == world.userFile)
    }

    @Test("a value of the wrong type is refused on one line", arguments: ["reports = \"yes\"\n", "[target.aarch64]\nargs = \"-d\"\n", "target = 3\n"])
    func wrongType(toml: String) throws {
        let world = try ConfigWorld(project: toml)
        let error = #expect(throws: CrossRunError.self) { try world.load() }
        #expect(error?.code == .invalidConfiguration, "\(String(describing: error))")
        #expect(error.map { !$0.description.contains("\n") } == true, "\(String(describing: error?.description))")
    }
}

// MARK: - Runner definitions and the catalogue

@Suite("Runner definitions")
struct RunnerDefinitionTests {
    static let valid = """
        name = "aarch64"
        description = "test copy"
        rust-targets = ["aarch64-unknown-linux-gnu"]

        [match]
        machine = "aarch64"
        class = 64
        endian = "little"

        [emulator]
        kind = "qemu-user"
        candidates = ["my-qemu-aarch64"]
        install-hint = "build it yourself"

        [sysroot]
        debian = ["/opt/arm64"]
        install-hint = "apt-get install something"
        """

    @Test func parsesValid() throws {
        let definition = try RunnerDefinition.parse(toml: Self.valid, source: "test.toml")
        #expect(definition.name == "aarch64")
        #expect(definition.emulator.candidates == ["my-qemu-aarch64"])
        #expect(definition.match.floatABI == nil)
        #expect(definition.isNamed("aarch64-unknown-linux-gnu"))
        #expect(!definition.isNamed("aarch64-unknown-linux-musl"))
    }

    @Test("invalid definitions are refused on one line that says why", arguments: [
        ("machine = \"aarch64\"", "machine = \"z80\"", "z80"),
        ("[sysroot]\ndebian = [\"/opt/arm64\"]\ninstall-hint = \"apt-get install something\"", "", "sysroot"),
        ("name = \"aarch64\"", "", "name"),
        ("candidates = [\"my-qemu-aarch64\"]", "candidates = []", "candidates"),
        ("class = 64", "class = \"sixty-four\"", "class"),
        ("endian = \"little\"", "endian = \"middle\"", "endian"),
        ("name = \"aarch64\"", "name = \"aarch64\"\nemulater = 1", "emulater"),
        ("kind = \"qemu-user\"", "kind = \"qemu-user\"\ncpus = \"a53\"", "cpus"),
        ("kind = \"qemu-user\"", "kind = \"qemu-system\"", "qemu-system"),
        ("candidates = [\"my-qemu-aarch64\"]", "candidates = \"my-qemu-aarch64\"", "emulator.candidates: expected an array of strings"),
        ("candidates = [\"my-qemu-aarch64\"]", "candidates = [1]", "emulator.candidates: expected an array of strings"),
        ("class = 64", "class = \"sixty-four\"", "match.class: expected an integer"),
        ("endian = \"little\"", "endian = \"middle\"", "\"middle\" is not one of \"little\", \"big\""),
        ("kind = \"qemu-user\"", "kind = 7", "emulator.kind: expected a string"),
        ("kind = \"qemu-user\"", "kind = \"qemu-user\"\nenv = [\"A=1\"]", "emulator.env: expected a table of strings"),
    ])
    func invalid(original: String, replacement: String, mentioned: String) throws {
        let text = Self.valid.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.valid)
        let error = #expect(throws: CrossRunError.self) { try RunnerDefinition.parse(toml: text, source: "Runners/bad.toml") }
        #expect(error?.code == .invalidRunnerDefinition, "\(String(describing: error))")
        #expect(error?.subject == "Runners/bad.toml")
        let description = error?.description ?? ""
        #expect(description.contains(mentioned), "\(description)")
        #expect(!description.contains("\n"), "\(description)")
        #expect(error?.exitStatus == 125)
    }

    @Test("every built-in definition names a machine crossrun knows (or is the wasm one) and has candidates")
    func builtInsAreSound() throws {
        for definition in try TargetCatalog.builtIn().definitions {
            if definition.match.isWasm {
                #expect(definition.emulator.kind == .wasm)
                // The embedded runtime for core modules; components need wasmtime.
                #expect(definition.emulator.candidates.contains("embedded") == definition.match.isWasmCoreModule)
            } else if definition.match.isPE {
                #expect(definition.emulator.kind == .wine && PEHeader.isMachineName(definition.match.machine ?? ""), "\(definition.name)")
            } else {
                #expect(ELFMachine.number(named: definition.match.machine ?? "") != nil, "\(definition.name)")
            }
            #expect(!definition.emulator.candidates.isEmpty)
            #expect(!definition.sysroot.installHint.isEmpty)
        }
    }

    @Test("a user name is a runner name or one of its triples")
    func definitionNamed() throws {
        let catalog = try TargetCatalog.builtIn()
        #expect(try catalog.definition(named: "armv7-unknown-linux-gnueabihf").name == "armv7")
        #expect(try catalog.definition(named: "riscv64").name == "riscv64")
        let error = #expect(throws: CrossRunError.self) { try catalog.definition(named: "m68k") }
        #expect(error?.code == .unknownTarget, "\(String(describing: error))")
        #expect(error?.subject == "m68k")
        #expect(error == .unknownTarget(name: "m68k", known: catalog.names))
    }

    @Test("an extra runners folder replaces a built-in definition by name and adds new ones")
    func extraDirectory() throws {
        let folder = try TemporaryDirectory()
        try folder.file("runners/aarch64.toml", text: Self.valid)
        try folder.file("runners/hppa.toml", text: Self.valid
            .replacingOccurrences(of: "name = \"aarch64\"", with: "name = \"hppa\"")
            .replacingOccurrences(of: "machine = \"aarch64\"", with: "machine = \"parisc\"")
            .replacingOccurrences(of: "class = 64", with: "class = 32")
            .replacingOccurrences(of: "little", with: "big"))
        try folder.file("runners/README.md", text: "not a definition")
        let builtIn = try TargetCatalog.builtIn()
        let catalog = try TargetCatalog.load(extraDirectory: folder.path("runners"))
        #expect(catalog.definitions.count == builtIn.definitions.count + 1)
        #expect(catalog.names.filter { $0 == "aarch64" }.count == 1)
        #expect(try catalog.definition(named: "aarch64").emulator.candidates == ["my-qemu-aarch64"])
        #expect(try catalog.definition(named: "aarch64").description == "test copy")
        #expect(try catalog.definition(named: "armv7") == builtIn.definition(named: "armv7"))

        let hppa = try BinaryInspector.inspect(path: "hppa", read: reader(Fixtures.elf("hppa-static.elf-head")))
        #expect(catalog.definition(for: hppa)?.name == "hppa")
        #expect(builtIn.definition(for: hppa) == nil)
        #expect(try TargetCatalog.load(extraDirectory: nil).definitions == builtIn.definitions)
    }

    @Test("an extra definition that matches the same binaries as a built-in one is tried first")
    func extraDefinitionWins() throws {
        let folder = try TemporaryDirectory()
        try folder.file("runners/mine.toml", text: Self.valid.replacingOccurrences(of: "name = \"aarch64\"", with: "name = \"my-aarch64\""))
        let catalog = try TargetCatalog.load(extraDirectory: folder.path("runners"))
        let binary = try BinaryInspector.inspect(path: "a", read: reader(Fixtures.elf("aarch64-static.elf-head")))
        #expect(catalog.definition(for: binary)?.name == "my-aarch64")
        #expect(try TargetCatalog.builtIn().definition(for: binary)?.name == "aarch64")
    }

    @Test("a [target.NAME] table that names no known target is refused by name")
    func unknownTargetTable() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.file("crossrun.toml", text: "[target.aarch46]\ncpu = \"a53\"\n[target.armv7-unknown-linux-gnueabihf]\ncpu = \"a7\"\n")
        let configuration = try Configuration.load(options: RunOptions(), environment: [:], workingDirectory: folder.path(""))
        let error = #expect(throws: CrossRunError.self) { try configuration.validateTargets(in: TargetCatalog.builtIn()) }
        #expect(error?.description.contains("[target.aarch46]") == true)
        #expect(error?.description.contains(path) == true)
        #expect(error?.exitStatus == 125)
        try folder.file("crossrun.toml", text: "[target.armv7-unknown-linux-gnueabihf]\ncpu = \"a7\"\n[target.riscv64]\ncpu = \"rv64\"\n")
        let valid = try Configuration.load(options: RunOptions(), environment: [:], workingDirectory: folder.path(""))
        try valid.validateTargets(in: TargetCatalog.builtIn())
    }

    @Test("a broken file in the extra folder is refused with its path")
    func extraDirectoryBroken() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.file("runners/broken.toml", text: "name = \n")
        let error = #expect(throws: CrossRunError.self) { try TargetCatalog.load(extraDirectory: folder.path("runners")) }
        #expect(error?.code == .invalidRunnerDefinition, "\(String(describing: error))")
        #expect(error?.subject == path)
    }

    @Test("a missing extra folder is a runner-definition error that names CROSSRUN_RUNNERS_DIR")
    func extraDirectoryMissing() throws {
        let folder = try TemporaryDirectory()
        let error = #expect(throws: CrossRunError.self) { try TargetCatalog.load(extraDirectory: folder.path("nope")) }
        #expect(error?.code == .invalidRunnerDefinition)
        #expect(error?.description.contains("CROSSRUN_RUNNERS_DIR") == true)
    }
}

// MARK: - Launch plans

@Suite("Launch plans", .disabled(if: HostMachine.machine == ELFMachine.aarch64, "these use aarch64 binaries as foreign ones"))
struct LaunchPlannerTests {
    /// A fake emulator folder, a fake sysroot with the aarch64 loader, and fixture heads as binaries.
    final class World {
        let folder: TemporaryDirectory
        let emulators: String
        let emulator: String
        let sysroot: String
        let dynamicBinary: String
        let staticBinary: String

        init() throws {
            folder = try TemporaryDirectory("crossrun-launch")
            emulators = try folder.folder("emulators")
            emulator = try folder.file("emulators/qemu-aarch64-static", text: "#!/bin/sh\nexit 0\n", mode: 0o755)
            sysroot = try folder.folder("sysroot")
            try folder.file("sysroot/lib/ld-linux-aarch64.so.1", text: "loader")
            dynamicBinary = try folder.file("bin/crossrun_demo-0123456789abcdef", Data(try Fixtures.elf("aarch64-dynamic.elf-head")), mode: 0o755)
            staticBinary = try folder.file("bin/plain_exit-aarch64-static", Data(try Fixtures.elf("aarch64-static.elf-head")), mode: 0o755)
        }

        func planner(_ options: RunOptions = RunOptions(), environment: [String: String] = [:], searchPath: String? = nil,
                     loaderExists: Bool? = nil) throws -> LaunchPlanner {
            let resolver = loaderExists.map { exists in SysrootResolver(fileExists: { _ in exists }) } ?? SysrootResolver()
            return LaunchPlanner(
                catalog: try TargetCatalog.builtIn(),
                configuration: Configuration(options: options, environment: environment, files: []),
                sysroots: resolver, searchPath: searchPath ?? "/nonexistent:" + emulators)
        }

        func info(_ path: String) throws -> BinaryInfo { try BinaryInspector.inspect(path: path) }
    }

    @Test("a dynamic binary: emulator, -L sysroot, binary, arguments")
    func dynamicWithSysroot() throws {
        let world = try World()
        let plan = try world.planner(RunOptions(sysroot: world.sysroot))
            .plan(binary: try world.info(world.dynamicBinary), arguments: ["--test-threads=1", "tests::"])
        #expect(plan.argv == [world.emulator, "-L", world.sysroot, world.dynamicBinary, "--test-threads=1", "tests::"])
        #expect(plan.executable == world.emulator)
        #expect(plan.kind == .qemuUser)
        #expect(plan.target == "aarch64")
        #expect(plan.emulatorName == "qemu-aarch64-static")
        #expect(plan.sysroot?.path == world.sysroot)
        #expect(plan.sysroot?.origin == "--sysroot")
        #expect(plan.binary == world.dynamicBinary)
    }

    @Test("--cpu adds -cpu")
    func cpu() throws {
        let world = try World()
        let plan = try world.planner(RunOptions(sysroot: world.sysroot, cpu: "cortex-a72"))
            .plan(binary: try world.info(world.dynamicBinary), arguments: [])
        #expect(plan.argv == [world.emulator, "-cpu", "cortex-a72", "-L", world.sysroot, world.dynamicBinary])
    }

    @Test("CROSSRUN_SYSROOT and CROSSRUN_CPU are used, with their origin")
    func fromEnvironment() throws {
        let world = try World()
        let plan = try world.planner(environment: ["CROSSRUN_SYSROOT": world.sysroot, "CROSSRUN_CPU": "max"])
            .plan(binary: try world.info(world.dynamicBinary), arguments: [])
        #expect(plan.argv == [world.emulator, "-cpu", "max", "-L", world.sysroot, world.dynamicBinary])
        #expect(plan.sysroot?.origin == "$CROSSRUN_SYSROOT")
    }

    @Test("a static binary needs no sysroot")
    func staticBinary() throws {
        let world = try World()
        let plan = try world.planner().plan(binary: try world.info(world.staticBinary), arguments: ["a"])
        #expect(plan.argv == [world.emulator, world.staticBinary, "a"])
        #expect(plan.sysroot == nil)
    }

    @Test("an emulator named by path is used as it is")
    func emulatorByPath() throws {
        let world = try World()
        let custom = try world.folder.file("tools/my-qemu", text: "#!/bin/sh\n", mode: 0o755)
        let plan = try world.planner(RunOptions(emulator: custom), searchPath: "")
            .plan(binary: try world.info(world.staticBinary), arguments: [])
        #expect(plan.argv.first == custom)
    }

    @Test("no emulator on the search path", arguments: ["", "/nonexistent", "EMPTY_DIR"])
    func emulatorNotFound(searchPath: String) throws {
        let world = try World()
        let path = searchPath == "EMPTY_DIR" ? try world.folder.folder("empty-bin") : searchPath
        let error = #expect(throws: CrossRunError.self) {
            try world.planner(RunOptions(sysroot: world.sysroot), searchPath: path).plan(binary: try world.info(world.dynamicBinary), arguments: [])
        }
        #expect(error?.code == .emulatorNotFound, "\(String(describing: error))")
        #expect(error?.subject == "aarch64")
        #expect(error?.message.contains("looked for qemu-aarch64-static") == true)
        #expect(error?.message.contains("install one with `apt-get install qemu-user") == true)
        #expect(error?.exitStatus == 127)
        #expect(error.map { !$0.description.contains("\n") && $0.description.contains("qemu-aarch64-static") } == true)
    }

    @Test("a non-executable file named like the emulator is not an emulator")
    func emulatorNotExecutable() throws {
        let world = try World()
        let other = try world.folder.folder("noexec")
        try world.folder.file("noexec/qemu-aarch64-static", text: "#!/bin/sh\n", mode: 0o644)
        let error = #expect(throws: CrossRunError.self) {
            try world.planner(searchPath: other).plan(binary: try world.info(world.staticBinary), arguments: [])
        }
        // Root passes access(X_OK) only when some execute bit is set, so this holds for root too.
        #expect(error?.code == .emulatorNotFound)
    }

    @Test("an explicit sysroot without the loader")
    func loaderMissing() throws {
        let world = try World()
        let empty = try world.folder.folder("empty-sysroot/lib")
        let sysroot = (empty as NSString).deletingLastPathComponent
        let error = #expect(throws: CrossRunError.self) {
            try world.planner(RunOptions(sysroot: sysroot)).plan(binary: try world.info(world.dynamicBinary), arguments: [])
        }
        #expect(error?.code == .loaderMissing, "\(String(describing: error))")
        #expect(error?.subject == "aarch64")
        #expect(error?.reason == "/lib/ld-linux-aarch64.so.1")
        #expect(error?.message.contains("not found under \(sysroot);") == true, "\(String(describing: error))")
        #expect(error?.exitStatus == 126)
        let description = error?.description ?? ""
        #expect(description.contains("/lib/ld-linux-aarch64.so.1"))
        #expect(description.contains("apt-get install libc6-arm64-cross"))
        #expect(!description.contains("\n"))
    }

    @Test("no sysroot given and no Debian cross sysroot installed")
    func noSysrootAnywhere() throws {
        let world = try World()
        let error = #expect(throws: CrossRunError.self) {
            try world.planner(loaderExists: false).plan(binary: try world.info(world.dynamicBinary), arguments: [])
        }
        #expect(error?.code == .loaderMissing, "\(String(describing: error))")
        #expect(error?.reason == "/lib/ld-linux-aarch64.so.1")
        let message = error?.message ?? ""
        #expect(message.contains("/usr/aarch64-linux-gnu"), "\(message)")
        #expect(message.contains("install it with `apt-get install libc6-arm64-cross libgcc-s1-arm64-cross`"), "\(message)")
    }

    @Test("the Debian cross sysroot is found when its loader exists")
    func debianSysroot() throws {
        let world = try World()
        let plan = try world.planner(loaderExists: true).plan(binary: try world.info(world.dynamicBinary), arguments: [])
        #expect(plan.argv == [world.emulator, "-L", "/usr/aarch64-linux-gnu", world.dynamicBinary])
        #expect(plan.sysroot?.origin == "Debian cross sysroot")
    }

    @Test("a sysroot that is a file is refused")
    func sysrootIsAFile() throws {
        let world = try World()
        let file = try world.folder.file("sysroot-file", text: "x")
        let error = #expect(throws: CrossRunError.self) {
            try world.planner(RunOptions(sysroot: file)).plan(binary: try world.info(world.dynamicBinary), arguments: [])
        }
        #expect(error == .sysrootNotADirectory(path: file, origin: "--sysroot", example: "/usr/aarch64-linux-gnu"))
        #expect(error?.exitStatus == 126)
    }

    @Test("binaries with no runner", arguments: ["hppa-static.elf-head", "ppc64-elfv2-be-static.elf-head"])
    func unsupported(file: String) throws {
        let world = try World()
        let path = try world.folder.file("bin/" + file, Data(try Fixtures.elf(file)), mode: 0o755)
        let error = #expect(throws: CrossRunError.self) { try world.planner().plan(binary: try world.info(path), arguments: []) }
        #expect(error?.code == .unsupportedMachine, "\(String(describing: error))")
        #expect(error?.exitStatus == 125)
        #expect(error.map { !$0.description.contains("\n") } == true)
    }

    @Test("a wasm module runs with the embedded runtime (crossrun-tools wasm-run) when no wasmtime is on the search path")
    func wasmModule() throws {
        let world = try World()
        let path = try world.folder.file("bin/module.wasm", Data(try Fixtures.elf("wasm32-wasi.wasm-head")), mode: 0o644)
        let tools = try world.folder.file("opt/crossrun/bin/crossrun-tools", Data("#!/bin/sh\n".utf8), mode: 0o755)
        var planner = try world.planner()
        planner.toolsExecutable = tools
        planner.workingDirectory = "/work/project"
        let plan = try planner.plan(binary: try world.info(path), arguments: ["--list"])
        #expect(plan.kind == .embeddedWasm)
        #expect(plan.argv == [tools, "wasm-run", "--dir", "/work/project", "--", path, "--list"])
        #expect(plan.emulatorName == "embedded WasmKit")
        #expect(plan.with(arguments: ["a", "b"]).argv.suffix(3) == [path, "a", "b"])

        // Without crossrun-tools beside crossrun: one line that says to reinstall, status 125.
        planner.toolsExecutable = world.folder.path("opt/crossrun/bin/missing/crossrun-tools")
        let error = #expect(throws: CrossRunError.self) { try planner.plan(binary: try world.info(path), arguments: []) }
        #expect(error?.code == .toolsNotInstalled)
        #expect(error?.exitStatus == 125)
        #expect(error?.message.contains("crossrun-tools is not installed beside") == true)
    }

    @Test("a host binary runs natively; without +x it cannot", .enabled(if: HostMachine.machine == ELFMachine.x86_64))
    func native() throws {
        let world = try World()
        let head = Data(try Fixtures.elf("x86_64-dynamic.elf-head"))
        let runnable = try world.folder.file("bin/true", head, mode: 0o755)
        let plan = try world.planner(searchPath: "").plan(binary: try world.info(runnable), arguments: ["x"])
        #expect(plan.kind == .native)
        #expect(plan.argv == [runnable, "x"])
        #expect(plan.emulatorName == "native")

        let locked = try world.folder.file("bin/not-executable", head, mode: 0o644)
        let error = #expect(throws: CrossRunError.self) { try world.planner().plan(binary: try world.info(locked), arguments: []) }
        #expect(error == .notExecutableOnHost(path: locked))
        #expect(error?.exitStatus == 126)
    }
}

// MARK: - Small pieces

@Suite("Report locations and names")
struct ReportLocationTests {
    @Test("cargo's layout with CACHEDIR.TAG at target/ and target/<triple>/ gives target/crossrun")
    func cargoCrossLayout() throws {
        let folder = try TemporaryDirectory()
        try folder.file("project/target/CACHEDIR.TAG", text: "Signature: 8a477f597d28d172789f06886806bc55\n")
        try folder.file("project/target/aarch64-unknown-linux-gnu/CACHEDIR.TAG", text: "Signature: 8a477f597d28d172789f06886806bc55\n")
        let binary = try folder.file("project/target/aarch64-unknown-linux-gnu/debug/deps/crossrun_demo-0123456789abcdef")
        let directory = TestRunner.defaultReportDirectory(binaryPath: binary, workingDirectory: folder.path("project"))
        #expect(directory == folder.path("project/target/crossrun"))
    }

    @Test("a native cargo layout, and a CARGO_TARGET_DIR not named target")
    func cargoNativeAndRenamed() throws {
        let folder = try TemporaryDirectory()
        try folder.file("a/target/CACHEDIR.TAG")
        let native = try folder.file("a/target/debug/deps/x-0123456789abcdef")
        #expect(TestRunner.defaultReportDirectory(binaryPath: native, workingDirectory: folder.path("a")) == folder.path("a/target/crossrun"))
        try folder.file("b/build-out/CACHEDIR.TAG")
        let renamed = try folder.file("b/build-out/debug/deps/x-0123456789abcdef")
        #expect(TestRunner.defaultReportDirectory(binaryPath: renamed, workingDirectory: folder.path("b")) == folder.path("b/build-out/crossrun"))
    }

    @Test("no tag but a folder named target")
    func namedTarget() throws {
        let folder = try TemporaryDirectory()
        let binary = try folder.file("project/target/debug/deps/x-0123456789abcdef")
        let directory = TestRunner.defaultReportDirectory(binaryPath: binary, workingDirectory: folder.path("somewhere"))
        #expect(directory == folder.path("project/target/crossrun"))
    }

    @Test("neither: crossrun-reports in the working directory")
    func neither() throws {
        let folder = try TemporaryDirectory()
        let binary = try folder.file("build/plain_exit-aarch64")
        let cwd = try folder.folder("cwd")
        #expect(TestRunner.defaultReportDirectory(binaryPath: binary, workingDirectory: cwd) == cwd + "/crossrun-reports")
    }

    @Test("suite names drop cargo's hash", arguments: [
        ("crossrun_demo-d95532c9863b41ec", "crossrun_demo"),
        ("integration-f5878e8c65d7234f", "integration"),
        ("my-crate-0123456789abcdef", "my-crate"),
        ("plain_exit-aarch64-static", "plain_exit-aarch64-static"),
        ("tool-0123456789abcde", "tool-0123456789abcde"),  // 15 digits
        ("tool-0123456789abcdef0", "tool-0123456789abcdef0"),  // 17 digits
        ("tool-0123456789abcdeg", "tool-0123456789abcdeg"),  // not hex
        ("crossrun_demo", "crossrun_demo"),
        ("", ""),
    ])
    func suiteName(file: String, expected: String) {
        #expect(RunResult.Binary.suiteName(forFile: file) == expected)
    }
}

@Suite("BoundedText")
struct BoundedTextTests {
    @Test("short text is kept whole")
    func short() {
        var text = BoundedText(headLimit: 10, tailLimit: 10)
        text.append("hello ".utf8)
        text.append(line: "world")
        #expect(text.text == "hello world\n")
        #expect(!text.isTruncated)
        #expect(text.droppedBytes == 0)
        #expect(text.totalBytes == 12)
        #expect(!text.isEmpty)
        #expect(BoundedText().isEmpty)
    }

    @Test("long text keeps its head and its tail and says how much is missing")
    func headAndTail() {
        var text = BoundedText(headLimit: 10, tailLimit: 10)
        text.append("0123456789".utf8)
        text.append("abcdefghij".utf8)
        text.append("ABCDEFGHIJ".utf8)
        text.append("KLMNOPQRST".utf8)
        #expect(text.totalBytes == 40)
        #expect(text.droppedBytes == 20)
        #expect(text.isTruncated)
        let kept = text.text
        #expect(kept.hasPrefix("0123456789"))
        #expect(kept.hasSuffix("KLMNOPQRST"))
        #expect(kept.contains("20 bytes"))
        #expect(!kept.contains("abcdefghij"))
        #expect(!kept.contains("ABCDEFGHIJ"))
    }

    @Test("the same text whatever the chunking", arguments: [1, 3, 7, 1000])
    func chunking(size: Int) {
        let input = Array((0..<5000).map { UInt8(ascii: "a") + UInt8($0 % 26) })
        var whole = BoundedText(headLimit: 100, tailLimit: 300)
        whole.append(input)
        var chunked = BoundedText(headLimit: 100, tailLimit: 300)
        var start = 0
        while start < input.count {
            chunked.append(input[start..<min(input.count, start + size)])
            start += size
        }
        #expect(chunked.text == whole.text)
        #expect(whole.text.hasPrefix(String(decoding: input.prefix(100), as: UTF8.self)))
        #expect(whole.text.hasSuffix(String(decoding: input.suffix(300), as: UTF8.self)))
    }

    @Test("50 MB appended: memory and text stay bounded")
    func flood() throws {
        var text = BoundedText()
        let chunk = [UInt8](repeating: UInt8(ascii: "y"), count: 64 * 1024)
        text.append("START".utf8)
        for _ in 0..<800 { text.append(chunk) }
        text.append("END".utf8)
        #expect(text.totalBytes == 800 * 64 * 1024 + 8)
        let kept = text.text
        #expect(kept.utf8.count <= BoundedText.defaultHead + BoundedText.defaultTail + 200)
        #expect(kept.hasPrefix("STARTyyy"))
        #expect(kept.hasSuffix("yyyEND"))
        #expect(kept.contains("omitted"))
        // What it holds in memory, whatever the representation: at most the head and twice the tail.
        var stored = 0
        for child in Mirror(reflecting: text).children {
            if let bytes = child.value as? [UInt8] { stored += bytes.count }
        }
        #expect(stored > 0)
        #expect(stored <= BoundedText.defaultHead + 2 * BoundedText.defaultTail)
    }
}

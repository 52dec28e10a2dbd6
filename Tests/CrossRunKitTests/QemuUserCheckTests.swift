import Foundation
import Testing

@testable import CrossRunKit

// Issue 14, item 5: qemu-user and a binary without an execute bit, and a `-cpu` value qemu does not know (the
// end-to-end cases are in Tests/EndToEndTests/FaultCasesSmall.swift).

@Suite("qemu-user: a binary without an execute bit, and a -cpu value qemu does not know")
struct QemuUserCheckTests {
    @Test("the execute bit qemu-user needs: any of the three", arguments: [
        (0o644 as mode_t, false), (0o600, false), (0o444, false), (0o755, true), (0o700, true), (0o601, true), (0o610, true),
    ])
    func executeBit(_ mode: mode_t, _ runs: Bool) throws {
        let folder = try TemporaryDirectory()
        let path = try folder.file("bin", Data([0x7F]), mode: mode)
        if runs {
            try QemuUserLauncher.checkExecutable(path)
        } else {
            let error = #expect(throws: CrossRunError.self) { try QemuUserLauncher.checkExecutable(path) }
            #expect(error?.code == .binaryNotExecutable)
            #expect(error?.exitStatus == 126)
            #expect(error?.message.contains("(mode 0" + String(mode, radix: 8) + ")") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("chmod +x") == true)
        }
    }

    @Test("a binary without an execute bit gets no launch plan for qemu-user")
    func planRefused() throws {
        let world = try LaunchPlannerWorld()
        chmod(world.staticBinary, 0o644)
        let error = #expect(throws: CrossRunError.self) {
            try world.planner().plan(binary: try BinaryInspector.inspect(path: world.staticBinary), arguments: [])
        }
        #expect(error?.code == .binaryNotExecutable)
    }

    @Test("the plan carries the -cpu value and the layer that set it", arguments: [
        ("--cpu", RunOptions(cpu: "max"), [String: String]()),
        ("$CROSSRUN_CPU", RunOptions(), ["CROSSRUN_CPU": "max"]),
    ])
    func cpuOrigin(_ origin: String, _ options: RunOptions, _ environment: [String: String]) throws {
        let world = try LaunchPlannerWorld()
        let plan = try world.planner(options, environment: environment).plan(binary: try BinaryInspector.inspect(path: world.staticBinary), arguments: [])
        #expect(plan.cpu?.value == "max")
        #expect(plan.cpu?.origin.description == origin)
        #expect(plan.argv.contains("-cpu"))
    }

    @Test("a config file's cpu is named by the file")
    func cpuFromFile() throws {
        let world = try LaunchPlannerWorld()
        let file = try ConfigFile.parse(toml: "[target.aarch64]\ncpu = \"nonsense\"", path: "/p/crossrun.toml")
        let planner = LaunchPlanner(
            catalog: try TargetCatalog.builtIn(), configuration: Configuration(options: RunOptions(), environment: [:], files: [file]),
            searchPath: world.emulators)
        let plan = try planner.plan(binary: try BinaryInspector.inspect(path: world.staticBinary), arguments: [])
        #expect(plan.cpu == Configured("nonsense", from: .file("/p/crossrun.toml")))
    }

    static let stderrs: [(String, Bool)] = [
        ("qemu-aarch64-static: unable to find CPU model 'nonsense'\n", true),
        ("Unable to find CPU definition\n", true),
        ("thread 'main' panicked at 'unable to find config'\n", false),
        ("", false),
    ]

    @Test("qemu's refusal of -cpu is recognised, from qemu 7 and older", arguments: stderrs)
    func refusal(_ stderr: String, _ refused: Bool) {
        #expect(QemuCPU.refused(stderr: stderr) == refused)
    }

    @Test("status 1, no stdout and qemu's refusal on stderr: crossrun's error, not a failed test")
    func cpuRefusedError() throws {
        let world = try LaunchPlannerWorld()
        let plan = try world.planner(RunOptions(cpu: "nonsense")).plan(binary: try BinaryInspector.inspect(path: world.staticBinary), arguments: [])
        var stderr = BoundedText()
        stderr.append("qemu-aarch64-static: unable to find CPU model 'nonsense'\n".utf8)
        let refused = ProcessOutcome(status: .exited(1), duration: .milliseconds(5))
        let error = #expect(throws: CrossRunError.self) { try TestRunner.checkCPU(plan, outcome: refused, stdoutBytes: 0, stderr: stderr) }
        #expect(error?.code == .cpuRefused)
        #expect(error?.exitStatus == 125)
        #expect(error?.message == "qemu-aarch64-static does not know the CPU model nonsense (cpu from --cpu); set cpu to one that `qemu-aarch64-static -cpu help` lists, or remove it for qemu's default.")
        // The binary ran (it printed), or ended otherwise: its own outcome.
        try TestRunner.checkCPU(plan, outcome: refused, stdoutBytes: 12, stderr: stderr)
        try TestRunner.checkCPU(plan, outcome: ProcessOutcome(status: .exited(101), duration: .zero), stdoutBytes: 0, stderr: stderr)
        try TestRunner.checkCPU(plan, outcome: refused, stdoutBytes: 0, stderr: BoundedText())
        var noCPU = plan
        noCPU.cpu = nil
        try TestRunner.checkCPU(noCPU, outcome: refused, stdoutBytes: 0, stderr: stderr)
    }
}

/// A folder with a stand-in qemu-aarch64-static on a search path and a recorded static aarch64 header.
struct LaunchPlannerWorld {
    let folder: TemporaryDirectory
    let emulators: String
    let staticBinary: String

    init() throws {
        folder = try TemporaryDirectory("crossrun-small")
        emulators = try folder.folder("emulators")
        try folder.file("emulators/qemu-aarch64-static", text: "#!/bin/sh\nexit 0\n", mode: 0o755)
        staticBinary = try folder.file("bin/plain_exit-aarch64-static", Data(try Fixtures.elf("aarch64-static.elf-head")), mode: 0o755)
    }

    func planner(_ options: RunOptions = RunOptions(), environment: [String: String] = [:]) throws -> LaunchPlanner {
        LaunchPlanner(
            catalog: try TargetCatalog.builtIn(), configuration: Configuration(options: options, environment: environment, files: []),
            searchPath: emulators)
    }
}

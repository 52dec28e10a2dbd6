// crossrun-inspect: CrossRunKit used as a library.
//
//   crossrun-inspect BINARY [ARGS...]          what the binary is and the command crossrun would launch
//   crossrun-inspect --run BINARY [ARGS...]    run it as `crossrun run` would, and print each test's outcome
import CrossRunKit
import Foundation

let environment = ProcessInfo.processInfo.environment
let workingDirectory = FileManager.default.currentDirectoryPath
var words = Array(CommandLine.arguments.dropFirst())
let execute = words.first == "--run"
if execute { words.removeFirst() }
guard let binary = words.first else {
    FileHandle.standardError.write(Data("usage: crossrun-inspect [--run] BINARY [ARGS...]\n".utf8))
    exit(2)
}
let arguments = Array(words.dropFirst())

do {
    if execute {
        // The whole pipeline: configuration, sysroot, emulator, libtest parsing; no report files.
        var options = RunOptions(writeReports: false, quiet: true)
        options.resume = true
        let invocation = Invocation(
            binary: binary, arguments: arguments, options: options, environment: environment, workingDirectory: workingDirectory)
        let report = try TestRunner().run(invocation)
        if let result = report.result {
            for test in result.tests {
                print("\(test.outcome.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(test.name)")
            }
            let counts = result.counts
            print("\(counts.passed) passed, \(counts.failed) failed, \(counts.ignored) ignored; exit status \(report.exitStatus)")
        }
        exit(report.exitStatus)
    }

    // Inspect the header, pick the runner definition, plan the launch (nothing is started).
    let info = try BinaryInspector.inspect(path: binary)
    print("binary:   \(info.summary)")
    let catalog = try TargetCatalog.load(extraDirectory: environment[Configuration.Variable.runnersDir])
    guard let definition = catalog.definition(for: info) else {
        print("target:   none of \(catalog.names.joined(separator: ", ")) (host binary or unsupported)")
        exit(0)
    }
    print("target:   \(definition.name) (\(definition.description)); Rust: \(definition.rustTargets.joined(separator: ", "))")
    let configuration = try Configuration.load(options: RunOptions(), environment: environment, workingDirectory: workingDirectory)
    var planner = LaunchPlanner(catalog: catalog, configuration: configuration, searchPath: environment["PATH"] ?? "/usr/bin:/bin")
    planner.environment = environment
    let plan = try planner.plan(binary: info, arguments: arguments)
    print("emulator: \(plan.emulatorName)")
    print("sysroot:  \(plan.sysroot.map { "\($0.path) (\($0.origin))" } ?? "none")")
    print("argv:     \(plan.argv.joined(separator: " "))")
} catch {
    // Any error, crossrun's or another's: one line, and the status crossrun itself would exit with.
    FileHandle.standardError.write(Data("crossrun-inspect: \(CrossRunError.message(for: error))\n".utf8))
    exit(CrossRunError.exitStatus(for: error))
}

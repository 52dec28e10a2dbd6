import ArgumentParser
import CrossRunCLI
import CrossRunKit
import CrossRunTools
import Foundation

/// `crossrun wasm-run [--dir HOST[::GUEST]]... -- MODULE ARGS...`: the embedded WasmKit runtime. crossrun
/// starts itself with this to run a wasm module as a child process; not meant to be typed.
struct WasmRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: CrossRunCommand.wasmRun.name,
        abstract: CrossRunCommand.wasmRun.abstract,
        shouldDisplay: CrossRunCommand.wasmRun.shouldDisplay
    )

    @Option(name: .customLong("dir"), help: ArgumentHelp("A host folder the module may see, HOST or HOST::GUEST.", valueName: "dir"))
    var directories: [String] = []

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The module, then its arguments.", valueName: "module args"))
    var command: [String] = []

    func run() throws {
        let words = command.first == "--" ? Array(command.dropFirst()) : command
        guard let module = words.first else { throw ValidationError("missing the wasm module: crossrun wasm-run -- MODULE [ARGS...]") }
        let preopens = directories.map { directory -> EmbeddedWasmRuntime.Preopen in
            guard let separator = directory.range(of: "::") else { return .init(hostPath: directory, guestPath: directory) }
            return .init(hostPath: String(directory[..<separator.lowerBound]), guestPath: String(directory[separator.upperBound...]))
        }
        let status = try EmbeddedWasmRuntime.run(
            module: module, arguments: Array(words.dropFirst()), environment: ProcessInfo.processInfo.environment,
            preopens: preopens)
        if status != 0 { throw ExitCode(status) }
    }
}

import Foundation
import Glibc

/// crossrun's own WasmKit runtime, run as a child so the module runs through the same pipeline as an
/// emulator: `crossrun wasm-run --dir CWD [--dir D]... -- MODULE ARGS...`. Everything the runtime needs is
/// in that argv and the child's environment (the definition's and the user's `env` added).
public struct EmbeddedWasmLauncher: Launcher {
    public var kind: LaunchPlan.Kind { .embeddedWasm }

    public init() {}

    public func plan(_ request: LaunchRequest) throws -> LaunchPlan {
        let runner = try request.requireRunner()
        let planner = request.planner
        let argv = [planner.selfExecutable, "wasm-run"] + planner.wasmPreopens.flatMap { ["--dir", $0] } + ["--"]
            + [request.binary.path] + request.arguments
        return request.plan(
            .embeddedWasm, target: runner.definition.name, executable: planner.selfExecutable, argv: argv,
            environment: runner.environment)
    }
}

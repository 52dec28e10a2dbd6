import FoundationEssentials
import Glibc

/// crossrun's own WasmKit runtime, run as a child so the module runs through the same pipeline as an
/// emulator: `crossrun-tools wasm-run --dir CWD [--dir D]... -- MODULE ARGS...` (the runtime lives in
/// crossrun-tools, beside crossrun). Everything the runtime needs is
/// in that argv and the child's environment (the definition's and the user's `env` added).
public struct EmbeddedWasmLauncher: Launcher {
    public var kind: LaunchPlan.Kind { .embeddedWasm }

    /// The status a trap ends the runtime with: 128 + SIGABRT, as wasmtime does, since a Rust panic under
    /// wasm's panic=abort and `std::process::abort` both end in a trap (the runtime, in crossrun-tools, uses it).
    public static let trapStatus: Int32 = 134

    public init() {}

    public func plan(_ request: LaunchRequest) throws -> LaunchPlan {
        let runner = try request.requireRunner()
        let planner = request.planner
        let tools = try ToolsExecutable.required(planner.toolsExecutable, for: "the embedded wasm runtime")
        let argv = [tools, "wasm-run"] + planner.wasmPreopens.flatMap { ["--dir", $0] } + ["--"]
            + [request.binary.path] + request.arguments
        return request.plan(
            .embeddedWasm, target: runner.definition.name, executable: tools, argv: argv,
            environment: runner.environment)
    }
}

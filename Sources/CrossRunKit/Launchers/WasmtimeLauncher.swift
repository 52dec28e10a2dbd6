import FoundationEssentials
import Glibc

/// An external WASI runtime: `wasmtime run --dir CWD [--env NAME]... [ARGS] MODULE ARGS...`.
public struct WasmtimeLauncher: Launcher {
    public var kind: LaunchPlan.Kind { .wasmtime }

    public init() {}

    public func plan(_ request: LaunchRequest) throws -> LaunchPlan {
        let runner = try request.requireRunner()
        let planner = request.planner
        let runtime = runner.executable(or: planner.selfExecutable)
        // wasmtime gives the guest only what it is told: each variable by name (`--env NAME` takes the value
        // from wasmtime's own environment), so no value, secrets included, lands in argv or the report.
        let added = runner.environment
        let names = Set(planner.environment.keys).union(added.keys)
        var argv = [runtime, "run"] + planner.wasmPreopens.flatMap { ["--dir", $0] }
        argv += names.sorted().flatMap { ["--env", $0] }
        argv += runner.extraArguments
        argv += [request.binary.path] + request.arguments
        return request.plan(.wasmtime, target: runner.definition.name, executable: runtime, argv: argv, environment: added)
    }
}

extension LaunchPlanner {
    /// The folders a wasm module may open: the working directory, then each `--dir`.
    var wasmPreopens: [String] { [workingDirectory] + wasmDirectories }
}

import FoundationEssentials
import Glibc

/// A binary for this machine runs directly: `BINARY ARGS...`.
public struct NativeLauncher: Launcher {
    public var kind: LaunchPlan.Kind { .native }

    public init() {}

    public func plan(_ request: LaunchRequest) throws -> LaunchPlan {
        let path = request.binary.path
        guard path.withRawCString({ access($0, X_OK) }) == 0 else { throw CrossRunError.notExecutableOnHost(path: path) }
        return request.plan(.native, target: "host", executable: path, argv: [path] + request.arguments, environment: [:])
    }
}

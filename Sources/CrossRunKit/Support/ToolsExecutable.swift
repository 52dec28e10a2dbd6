import Foundation

/// `crossrun-tools`: the executable of everything off cargo's path (`doctor`, `setup`, `sysroot`, `report`,
/// `targets`, and `wasm-run` and `system-run`, which a run starts as its child), installed beside `crossrun`. The run
/// path starts it by path, never through PATH, so the two always come from one installation.
public enum ToolsExecutable {
    /// Its file name.
    public static let name = "crossrun-tools"

    /// This process's executable (Linux: `/proc/self/exe`).
    public static var ownExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// crossrun-tools in the folder of `executable` (this process's by default).
    public static func beside(_ executable: String = ownExecutable) -> String {
        guard let slash = executable.lastIndex(of: "/") else { return name }
        return String(executable[...slash]) + name
    }
}

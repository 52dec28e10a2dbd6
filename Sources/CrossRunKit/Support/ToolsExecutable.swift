#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `crossrun-tools`: the executable of everything off cargo's path (`doctor`, `setup`, `sysroot`, `report`,
/// `targets`, and `wasm-run` and `system-run`, which a run starts as its child), installed beside `crossrun`. The run
/// path starts it by path, never through PATH, so the two always come from one installation.
public enum ToolsExecutable {
    /// Its file name.
    public static let name = "crossrun-tools"

    /// This process's executable (Linux: `/proc/self/exe`).
    public static var ownExecutable: String {
        var buffer = [UInt8](repeating: 0, count: 4097)
        let count = buffer.withUnsafeMutableBytes { readlink("/proc/self/exe", $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4096) }
        return count > 0 ? String(rawBytes: buffer[0..<count]) : CommandLine.arguments[0]
    }

    /// crossrun-tools in the folder of `executable` (this process's by default).
    public static func beside(_ executable: String = ownExecutable) -> String {
        guard let slash = executable.lastIndex(of: "/") else { return name }
        return String(executable[...slash]) + name
    }
}

import CSpawn
import Glibc

/// This process's environment and working directory, read straight from `environ` and `getcwd`: what
/// `ProcessInfo.processInfo.environment` and `FileManager.default.currentDirectoryPath` give, without setting up
/// either (their first use was a few tenths of a millisecond of every cargo run's start).
public enum ProcessEnvironment {
    /// Every `NAME=value` entry of `environ`; an entry without `=` is left out, and of two entries with the same
    /// name the first counts (as for `getenv`).
    public static func current() -> [String: String] {
        var variables: [String: String] = [:]
        guard var entry = crossrun_environment() else { return variables }
        while let pointer = entry.pointee {
            if let equals = strchr(pointer, Int32(UInt8(ascii: "="))) {
                let name = String(decoding: UnsafeRawBufferPointer(start: pointer, count: equals - pointer), as: UTF8.self)
                if variables[name] == nil { variables[name] = String(cString: equals + 1) }
            }
            entry += 1
        }
        return variables
    }

    /// One variable, or nil when it is not set.
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// The working directory (`getcwd`), or `/` when it cannot be read (removed from under the process).
    public static var workingDirectory: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(cString: buffer)
    }
}

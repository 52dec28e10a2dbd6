import Foundation

/// Finds executables the way a shell does, without a shell.
public enum Executables {
    /// `name` itself when it contains a slash and is executable, else the first executable `DIR/name` on `searchPath`.
    public static func find(_ name: String, searchPath: String) -> String? {
        if name.contains("/") {
            return isExecutableFile(name) ? name : nil
        }
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = String(directory) + "/" + name
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    package static func isExecutableFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    /// What `program ARGUMENTS` prints on stdout (stdin and stderr are /dev/null) and whether it exited with status
    /// 0; nil when it cannot be started or `timeout` passes first (the program is then terminated).
    package static func output(of program: String, arguments: [String], timeout: DispatchTimeInterval? = nil) -> (stdout: Data, succeeded: Bool)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var data = Data()
        DispatchQueue.global().async {
            data = output.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        if let timeout {
            if done.wait(timeout: .now() + timeout) == .timedOut {
                process.terminate()
                return nil
            }
        } else {
            done.wait()
        }
        process.waitUntilExit()
        return (data, process.terminationReason == .exit && process.terminationStatus == 0)
    }
}

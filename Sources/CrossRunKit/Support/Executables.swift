import FoundationEssentials
import Glibc
import Dispatch

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
    /// 0; nil when it cannot be started or `timeout` passes first (the program is then killed).
    package static func output(of program: String, arguments: [String], timeout: Duration? = nil) -> (stdout: Data, succeeded: Bool)? {
        guard case .success(let pipe) = Spawn.closeOnExecPipe() else { return nil }
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        let started = Spawn.start(
            program, argv: [program] + arguments, environment: Spawn.environment(adding: [:]), stdin: .null,
            stdout: pipe.write, stderr: null >= 0 ? null : nil)
        close(pipe.write)
        if null >= 0 { close(null) }
        defer { close(pipe.read) }
        guard case .success(let pid) = started else { return nil }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            var waitMilliseconds: Int32 = -1
            if let deadline {
                let left = deadline - ContinuousClock.now
                guard left > .zero else {
                    kill(pid, SIGKILL)
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    return nil
                }
                waitMilliseconds = Int32(min(left.milliseconds + 1, 60_000))
            }
            var ready = pollfd(fd: pipe.read, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, waitMilliseconds)
            if polled < 0 && errno == EINTR { continue }
            if polled == 0 { continue }
            let got = buffer.withUnsafeMutableBytes { read(pipe.read, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            data.append(contentsOf: buffer.prefix(got))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (data, status & 0x7f == 0 && (status >> 8) & 0xff == 0)
    }
}

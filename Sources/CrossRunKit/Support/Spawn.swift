import CSpawn
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Starting a child process that cannot outlive crossrun: fork and exec from one long-lived spawner thread
/// with a parent-death signal (SIGKILL), so an emulator dies with crossrun even when crossrun is killed with
/// SIGKILL (`Sources/CSpawn` has the details). `ProcessRunner` starts test processes with it, `SystemBoot`
/// qemu-system.
package enum Spawn {
    /// Where the child's stdin comes from.
    package enum Input {
        case inherit
        case null
    }

    /// Starts `executable` with `argv` (argv[0] included) and `environment` (`NAME=value`); stdout and stderr
    /// go to the given descriptors (nil: crossrun's own). Returns the pid, or the errno that stopped the start
    /// (fork, exec or the descriptors).
    package static func start(
        _ executable: String, argv: [String], environment: [String], stdin: Input = .inherit,
        stdout: Int32? = nil, stderr: Int32? = nil, newProcessGroup: Bool = false
    ) -> Result<pid_t, Failure> {
        var pid: pid_t = 0
        let result = withCStrings(argv) { argvPointer in
            withCStrings(environment) { envPointer in
                executable.withRawCString { path in
                    var request = crossrun_spawn_request(
                        path: path, argv: argvPointer, envp: envPointer, stdin_fd: -1, stdout_fd: stdout ?? -1,
                        stderr_fd: stderr ?? -1, stdin_null: stdin == .null ? 1 : 0, new_group: newProcessGroup ? 1 : 0)
                    return crossrun_spawn(&request, &pid)
                }
            }
        }
        return result == 0 ? .success(pid) : .failure(Failure(errno: result))
    }

    /// crossrun's environment with `additions` applied, as `NAME=value` strings.
    package static func environment(adding additions: [String: String]) -> [String] {
        var result: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            let name = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? text
            if additions[name] == nil { result.append(text) }
            index += 1
        }
        for (name, value) in additions.sorted(by: { $0.key < $1.key }) { result.append("\(name)=\(value)") }
        return result
    }

    /// A pipe (read end, write end) whose ends are close-on-exec from the start, so a child another thread
    /// starts meanwhile (`--isolate --jobs`) cannot inherit them; or the errno.
    package static func closeOnExecPipe() -> Result<(read: Int32, write: Int32), Failure> {
        var fds: [Int32] = [-1, -1]
        let result = crossrun_cloexec_pipe(&fds)
        return result == 0 ? .success((fds[0], fds[1])) : .failure(Failure(errno: result))
    }

    /// Makes crossrun the subreaper of what it starts (orphaned descendants become its children, not init's).
    /// Returns false when the kernel refused.
    @discardableResult
    static func becomeSubreaper() -> Bool { crossrun_become_subreaper() == 0 }

    /// Why a start failed.
    package struct Failure: Error, Equatable {
        package var errno: Int32
        /// strerror's text.
        package var reason: String { String(cString: strerror(errno)) }
    }
}

/// Calls `body` with a NULL-terminated C array of the strings, each as the bytes it stands for (`rawBytes`: an
/// argument that was not UTF-8 on crossrun's command line reaches the program byte for byte).
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { $0.withRawCString { strdup($0) } }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Support for the fault-injection suite (FaultInjectionTests.swift, docs/reliability.md): crossrun started as a
/// real child process with its output in files, its peak memory from wait4's rusage, signals sent to it while it
/// runs, and every process of a case found afterwards through a marker in its environment.
enum Fault {
    /// The variable every process of one case inherits (crossrun, qemu, the guest and its children).
    static let markerVariable = "CROSSRUN_FAULT_CASE"

    /// The faults example program (Examples/c/faults.c); `static` needs no sysroot.
    static func program(static isStatic: Bool = true) throws -> String {
        try Examples.c(isStatic ? "faults-aarch64-static" : "faults-aarch64")
    }

    /// Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN): the read-only and full report folders.
    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-fault-mount-probe-\(getpid())").path
        guard mkdir(probe, 0o700) == 0 || errno == EEXIST else { return false }
        defer { rmdir(probe) }
        guard mountTmpfs(at: probe, options: "size=4k") else { return false }
        umount2(probe, Int32(MNT_DETACH))
        return true
    }()

    /// Mounts a tmpfs with `options` (`size=16k`), optionally read-only.
    static func mountTmpfs(at path: String, options: String, flags: UInt = 0) -> Bool {
        options.withCString { mount("tmpfs", path, "tmpfs", flags, $0) } == 0
    }

    /// A finished crossrun run.
    struct Outcome {
        var status: Int32
        var stdout: Data
        var stderr: Data
        /// Peak resident memory of crossrun itself (wait4's ru_maxrss), in KiB.
        var maxRSSKiB: Int
        /// The run did not end by itself within the case's limit and was killed.
        var hung: Bool
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// A started child whose stdout and stderr go to files in `folder`.
    final class Child {
        let pid: pid_t
        let stdoutPath: String
        let stderrPath: String

        init(_ argv: [String], environment: [String: String], folder: URL, tag: String = "") throws {
            stdoutPath = folder.appendingPathComponent("stdout\(tag)").path
            stderrPath = folder.appendingPathComponent("stderr\(tag)").path
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            // A fresh process group, default signal handling and no blocked signals, as from a shell.
            var defaults = sigset_t()
            sigfillset(&defaults)
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            var mask = sigset_t()
            sigemptyset(&mask)
            posix_spawnattr_setsigmask(&attributes, &mask)
            posix_spawnattr_setpgroup(&attributes, 0)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
            let env = environment.map { "\($0.key)=\($0.value)" }
            var pid: pid_t = 0
            let result = withCStringArray(argv) { argvPointer in
                withCStringArray(env) { envPointer in posix_spawn(&pid, argv[0], &actions, &attributes, argvPointer, envPointer) }
            }
            guard result == 0 else {
                throw Examples.BuildFailure(message: "could not start \(argv[0]): \(String(cString: strerror(result)))")
            }
            self.pid = pid
        }

        /// The stdout written so far.
        var stdoutSoFar: Data { (try? Data(contentsOf: URL(fileURLWithPath: stdoutPath))) ?? Data() }

        /// Waits until the child exits or `limit` passes (then it is killed and `hung` is set).
        func wait(limit: TimeInterval) -> Outcome {
            let deadline = Date().addingTimeInterval(limit)
            var status: Int32 = 0
            var usage = rusage()
            var hung = false
            // crossrun's own peak memory, sampled from /proc while it runs: wait4's ru_maxrss would also count the
            // qemu processes crossrun reaped (its children's peak is folded into its own).
            var peakKiB = 0
            while true {
                peakKiB = max(peakKiB, Self.highWaterMarkKiB(pid))
                let result = wait4(pid, &status, WNOHANG, &usage)
                if result == pid { break }
                if result < 0 && errno != EINTR { break }
                if Date() > deadline && !hung {
                    hung = true
                    kill(pid, SIGKILL)
                }
                usleep(10_000)
            }
            let signaled = status & 0x7F != 0
            let shellStatus = signaled ? 128 + (status & 0x7F) : (status >> 8) & 0xFF
            let out = (try? Data(contentsOf: URL(fileURLWithPath: stdoutPath))) ?? Data()
            let err = (try? Data(contentsOf: URL(fileURLWithPath: stderrPath))) ?? Data()
            return Outcome(status: shellStatus, stdout: out, stderr: err, maxRSSKiB: peakKiB > 0 ? peakKiB : Int(usage.ru_maxrss), hung: hung)
        }

        /// `VmHWM` (peak resident set) of a running process, in KiB; 0 when it cannot be read.
        static func highWaterMarkKiB(_ pid: pid_t) -> Int {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
            else { return 0 }
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
    }

    /// Processes (other than this test process) whose environment holds `marker`: pid and command line.
    static func processes(carrying marker: String) -> [(pid: pid_t, command: String)] {
        let needle = Array("\(markerVariable)=\(marker)".utf8) + [0]
        var found: [(pid_t, String)] = []
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry), pid != getpid(),
                let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ")
            else { continue }
            let bytes = [UInt8](environ)
            guard bytes.count >= needle.count, contains(bytes, needle) || endsWith(bytes, needle.dropLast()) else { continue }
            let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") ?? Data()
            let command = String(decoding: cmdline.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            // A zombie (already dead, not yet reaped by its parent) is not running.
            let state = (try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8))?
                .split(separator: ")").last?.split(separator: " ").first
            if state == "Z" { continue }
            found.append((pid, command))
        }
        return found
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first && haystack[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    private static func endsWith(_ haystack: [UInt8], _ suffix: ArraySlice<UInt8>) -> Bool {
        haystack.count >= suffix.count && haystack.suffix(suffix.count).elementsEqual(suffix)
    }

    /// Waits up to `grace` seconds for every process carrying `marker` to end; kills and returns those left.
    static func leftovers(_ marker: String, grace: TimeInterval = 3) -> [String] {
        let deadline = Date().addingTimeInterval(grace)
        var left = processes(carrying: marker)
        while !left.isEmpty && Date() < deadline {
            usleep(100_000)
            left = processes(carrying: marker)
        }
        for process in left { kill(process.pid, SIGKILL) }
        return left.map { "\($0.pid): \($0.command)" }
    }

    /// The `test NAME ... ` headers a libtest-style program printed (what ran, independently of crossrun).
    static func printedTests(in stdout: Data) -> [String] {
        var names: [String] = []
        for line in stdout.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard line.starts(with: Array("test ".utf8)) else { continue }
            let text = String(decoding: line, as: UTF8.self)
            guard let separator = text.range(of: " ... ") else { continue }
            var name = String(text[text.index(text.startIndex, offsetBy: 5)..<separator.lowerBound])
            if let mode = name.range(of: " - should panic") { name = String(name[..<mode.lowerBound]) }
            names.append(name)
        }
        return names
    }

    /// A results JSON's tests as name -> outcome (a repeated name keeps every outcome, joined by `,`).
    static func outcomes(_ results: [String: Any]) -> [String: String] {
        var outcomes: [String: String] = [:]
        for test in results["tests"] as? [[String: Any]] ?? [] {
            let name = test["name"] as? String ?? ""
            let outcome = test["outcome"] as? String ?? ""
            outcomes[name] = outcomes[name].map { $0 + "," + outcome } ?? outcome
        }
        return outcomes
    }

    /// The number of `<testcase` elements in a JUnit file.
    static func junitCaseCount(_ path: String) -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return -1 }
        return String(decoding: data, as: UTF8.self).components(separatedBy: "<testcase ").count - 1
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

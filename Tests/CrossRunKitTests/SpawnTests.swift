import Foundation
import Testing

@testable import CrossRunKit

#if canImport(Glibc)
    import Glibc
#endif

/// Support/Spawn.swift and Sources/CSpawn: fork/exec from crossrun's one long-lived spawner thread, with a
/// parent-death signal, its own process group, default signals and exec errors reported as errno values.
@Suite struct SpawnTests {
    /// Reaps `pid` after SIGKILL.
    func end(_ pid: pid_t) {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Whether `pid` (a child of this process) is still running: not exited, not a zombie.
    func running(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let state = stat.split(separator: ")").last?.split(separator: " ").first
        else { return false }
        return state != "Z" && state != "X"
    }

    /// Linux sends the parent-death signal when the thread that forked ends, not the process. A child that was
    /// asked for by a thread that has since ended (an `--isolate` worker, a Dispatch or Swift concurrency
    /// thread) must keep running: the fork happens on the spawner thread, which never ends.
    @Test("a child outlives the thread that asked for it (the fork is on the long-lived spawner thread)")
    func outlivesRequestingThread() throws {
        final class Box: @unchecked Sendable { var result: Result<pid_t, Spawn.Failure>? }
        let box = Box()
        var thread = pthread_t()
        let context = Unmanaged.passRetained(box).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            box.result = Spawn.start("/bin/sleep", argv: ["sleep", "60"], environment: [])
            return nil
        }, context)
        try #require(created == 0)
        // The requesting thread has ended once joined; a parent-death signal would now be on its way.
        pthread_join(thread, nil)
        let pid = try #require(try box.result?.get())
        defer { end(pid) }
        usleep(300_000)
        #expect(running(pid), "the child died when the thread that asked for it ended")
    }

    @Test("the child leads its own process group, with no blocked and no ignored signals")
    func groupAndSignals() throws {
        let pipe = try Spawn.closeOnExecPipe().get()
        // This process ignores SIGPIPE (crossrun does too): the child must not inherit that. The shell's mask is
        // read by the program that replaces it (`exec grep ... /proc/self/status`): dash blocks every signal
        // while it forks, so reading its status from a child it forked could catch that moment.
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        let pid = try Spawn.start(
            "/bin/sh", argv: ["sh", "-c", "ps -o pgid= -p $$; exec grep -E '^(SigBlk|SigIgn):' /proc/self/status"], environment: [],
            stdin: .null, stdout: pipe.write, newProcessGroup: true
        ).get()
        close(pipe.write)
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipe.read, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output.append(contentsOf: buffer[0..<count])
        }
        close(pipe.read)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == "\(pid)", "process group: \(lines)")
        #expect(lines.contains("SigBlk:\t0000000000000000"), "\(lines)")
        // Bit N-1 stands for signal N; glibc's own real-time signals may stay ignored.
        let ignored = lines.first { $0.hasPrefix("SigIgn:") }.flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) }
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTTOU, SIGTTIN, SIGTSTP] {
            #expect(ignored.map { $0 & (1 << UInt64(signal - 1)) == 0 } == true, "signal \(signal) ignored in the child: \(lines)")
        }
    }

    @Test("a program that cannot be started gives exec's errno, and the failed child is reaped",
          arguments: [("/nonexistent/program", ENOENT), ("not-executable", EACCES), ("text", ENOEXEC)])
    func execErrors(name: String, expected: Int32) throws {
        var path = name
        if !name.hasPrefix("/") {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-spawn-\(getpid())-\(name)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            path = folder.appendingPathComponent(name).path
            try Data("not a program\n".utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: name == "text" ? 0o755 : 0o644], ofItemAtPath: path)
        }
        defer { if !name.hasPrefix("/") { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) } }
        switch Spawn.start(path, argv: [path], environment: []) {
        case .success(let pid):
            end(pid)
            Issue.record("\(path) started as \(pid)")
        case .failure(let failure):
            #expect(failure.errno == expected, "\(failure.reason)")
        }
    }

    @Test("the orphan sweep reads a child's parent from /proc/PID/stat")
    func parentFromProc() throws {
        let pid = try Spawn.start("/bin/sleep", argv: ["sleep", "60"], environment: []).get()
        defer { end(pid) }
        #expect(Orphans.parent(of: pid) == getpid())
        #expect(Orphans.children().contains(pid))
        #expect(Orphans.parent(of: getpid()) == getppid())
    }
}

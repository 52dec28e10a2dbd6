import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// The children crossrun is waiting for (each `ProcessRunner.run`'s process, from its start until it is
/// reaped), so that the orphan sweep never touches them.
enum LiveChildren {
    /// Starts hold it to read, several at once (`--isolate`'s jobs start their tests at the same time: a fork
    /// server's fork and reply take a while); the sweep holds it alone, so it never sees a child that has been
    /// started but is not recorded yet.
    private static let starts = ReadWriteLock()
    /// Guards `pids`.
    private static let lock = Lock()
    nonisolated(unsafe) private static var pids: Set<pid_t> = []

    /// Runs `start` and records the pid it gives before a sweep can look.
    static func starting(_ start: () -> Result<pid_t, Spawn.Failure>) -> Result<pid_t, Spawn.Failure> {
        starts.withReadLock {
            let result = start()
            if case .success(let pid) = result { lock.withLock { _ = pids.insert(pid) } }
            return result
        }
    }

    /// Forgets `pid` once it has been reaped.
    static func reaped(_ pid: pid_t) {
        lock.withLock { _ = pids.remove(pid) }
    }

    /// `body` with the recorded pids, while no start is under way.
    static func withRecorded<R>(_ body: (Set<pid_t>) -> R) -> R {
        starts.withWriteLock { lock.withLock { body(pids) } }
    }
}

/// Processes crossrun adopted as the subreaper of what it starts (PR_SET_CHILD_SUBREAPER): a process whose
/// parent ended, such as a guest's child that called `setsid()` (qemu-user runs a guest's fork as a host fork,
/// so that child is a qemu process in its own session and process group, out of reach of the group signals)
/// becomes crossrun's child when its qemu parent ends. At the end of a run crossrun ends every such process:
/// SIGTERM (and SIGCONT), then SIGKILL after the kill grace, each reaped with `waitpid(pid)` (never
/// `waitpid(-1)`, which could take another child's status).
enum Orphans {
    private static let lock = Lock()
    nonisolated(unsafe) private static var adopting = false

    /// Makes crossrun the subreaper of everything it starts from now on. Only a program that owns its process
    /// should (the `crossrun` command does): the sweep ends every child nobody here is waiting for.
    static func adopt() {
        lock.lock()
        defer { lock.unlock() }
        if !adopting { adopting = Spawn.becomeSubreaper() }
    }

    static var isAdopting: Bool {
        lock.lock()
        defer { lock.unlock() }
        return adopting
    }

    /// Ends every child of crossrun that no `ProcessRunner.run` is waiting for: SIGTERM, then SIGKILL once
    /// `grace` has passed (at once when crossrun receives another SIGINT, SIGTERM or SIGHUP meanwhile), until
    /// none is left; each is reaped. Processes that become orphans while this runs (the children of one just
    /// ended) are found on the next pass. Gives up on a process that does not die 5 s after SIGKILL (it is
    /// stuck in the kernel). Returns the pids it ended.
    @discardableResult
    static func end(grace: Duration, signalsSoFar: () -> Int32 = { 0 }) -> [pid_t] {
        guard isAdopting else { return [] }
        let start = ContinuousClock.now
        let signalsAtStart = signalsSoFar()
        var terminated: Set<pid_t> = []
        var killedAt: [pid_t: ContinuousClock.Instant] = [:]
        var ended: [pid_t] = []
        while true {
            let now = ContinuousClock.now
            let orphans = LiveChildren.withRecorded { live in children().filter { !live.contains($0) } }
                .filter { pid in killedAt[pid].map { now - $0 < .seconds(5) } ?? true }
                .filter { !isWineService($0) }
            if orphans.isEmpty { break }
            let graceOver = now - start >= grace || signalsSoFar() != signalsAtStart
            for pid in orphans {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    ended.append(pid)
                    continue
                }
                if !terminated.contains(pid) {
                    terminated.insert(pid)
                    kill(pid, SIGTERM)
                    // A stopped process does not act on SIGTERM.
                    kill(pid, SIGCONT)
                } else if graceOver && killedAt[pid] == nil {
                    killedAt[pid] = now
                    kill(pid, SIGKILL)
                }
            }
            usleep(20_000)
        }
        return ended
    }

    /// wine's server and its system processes, which wine starts for a Windows test executable and which outlive it:
    /// they are left running so that the next run of the same wine prefix finds a warm server (0.1 s instead of
    /// 0.8 s per test executable). They end by themselves: wineserver stops its system processes and exits 3 s
    /// after its last client (any other Windows process) has gone. A process a Windows test leaves behind is not one
    /// of these and is ended as any other.
    static let wineServices: Set<String> = [
        "wineserver", "wineserver64", "services.exe", "winedevice.exe", "plugplay.exe", "explorer.exe", "svchost.exe",
        "rpcss.exe", "conhost.exe",
    ]

    /// Whether `pid` is one of ``wineServices``, by its name in /proc/PID/comm.
    static func isWineService(_ pid: pid_t) -> Bool {
        let fd = open("/proc/\(pid)/comm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        let name = String(decoding: buffer[0..<count], as: UTF8.self).trimmingNewlines()
        return wineServices.contains(name)
    }

    /// The pids whose parent is this process (zombies included): the kernel's list of each of crossrun's threads'
    /// children (/proc/self/task/TID/children: a child belongs to the thread that started it, an adopted orphan to
    /// one of them), a few small reads; every /proc/PID/stat of the machine when the kernel has no such list.
    static func children() -> [pid_t] {
        if let listed = listedChildren() { return listed }
        return scannedChildren()
    }

    /// From /proc/self/task/*/children; nil when the kernel does not have those files (CONFIG_PROC_CHILDREN).
    static func listedChildren() -> [pid_t]? {
        guard let tasks = opendir("/proc/self/task") else { return nil }
        defer { closedir(tasks) }
        var found: [pid_t] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while let entry = readdir(tasks) {
            let name = Paths.name(of: entry)
            guard pid_t(name) != nil else { continue }
            let fd = open("/proc/self/task/\(name)/children", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT, name == String(getpid()) { return nil }  // no such file on this kernel
                continue  // a thread that ended meanwhile
            }
            defer { close(fd) }
            var text: [UInt8] = []
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                text += buffer[0..<count]
            }
            found += text.split(separator: UInt8(ascii: " ")).compactMap { pid_t(String(decoding: $0, as: UTF8.self)) }
        }
        return found
    }

    /// From every /proc/PID/stat whose parent is this process.
    static func scannedChildren() -> [pid_t] {
        let me = getpid()
        var found: [pid_t] = []
        guard let folder = opendir("/proc") else { return [] }
        defer { closedir(folder) }
        while let entry = readdir(folder) {
            let name = Paths.name(of: entry)
            guard let pid = pid_t(name), pid != me, parent(of: pid) == me else { continue }
            found.append(pid)
        }
        return found
    }

    /// The parent pid in /proc/PID/stat (`pid (comm) state ppid ...`; comm may hold spaces and parentheses).
    static func parent(of pid: pid_t) -> pid_t? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0, let close = buffer[0..<count].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = buffer[(close + 1)..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 1 else { return nil }
        return pid_t(String(decoding: fields[1], as: UTF8.self))
    }
}

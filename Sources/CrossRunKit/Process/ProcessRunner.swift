import CSpawn
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the runner saw of a finished process.
public struct ProcessOutcome: Equatable, Sendable {
    public var status: TerminationStatus
    /// Wall-clock time from spawn to exit.
    public var duration: Duration
    /// The signal crossrun forwarded to the process group (SIGINT, SIGTERM or SIGHUP), if any.
    public var forwardedSignal: Int32?
    /// True when the child's group was given the terminal (stdin is a TTY and crossrun was in the foreground).
    /// Ctrl-C then reaches the child alone, so a caller re-raises a SIGINT death on its own group
    /// (`Signals.reraiseOnOwnGroup`) to stop cargo as well, as it would without crossrun.
    public var hadTerminal: Bool = false
    /// Set when crossrun itself stopped the process (SIGTERM to its group, SIGKILL after the grace period).
    public var killedBy: KillReason? = nil
}

/// Why crossrun stopped a test process.
public enum KillReason: Equatable, Sendable {
    /// The binary's time limit (`--timeout`) ran out; `origin` says where the limit was set.
    case timeout(limit: Duration, origin: String)
    /// No test reported for the test time limit (`--test-timeout`); `test` is the one that was running, when
    /// libtest said which (one test thread: pretty output's `test NAME ... ` header, JSON's `started` event).
    case testTimeout(test: String?, limit: Duration, origin: String)

    /// `timeout` or `test-timeout`, as in the results JSON.
    public var kind: String {
        switch self {
        case .timeout: return "timeout"
        case .testTimeout: return "test-timeout"
        }
    }

    public var limit: Duration {
        switch self {
        case .timeout(let limit, _), .testTimeout(_, let limit, _): return limit
        }
    }

    /// `the 30s time limit (--timeout) ran out`, `no test reported for 5s (--test-timeout)`.
    public var description: String {
        switch self {
        case .timeout(let limit, let origin):
            return "the \(DurationText.format(limit)) time limit (\(origin)) ran out"
        case .testTimeout(let test?, let limit, let origin):
            return "the test \(test) ran longer than \(DurationText.format(limit)) (\(origin))"
        case .testTimeout(nil, let limit, let origin):
            return "no test reported for \(DurationText.format(limit)) (\(origin))"
        }
    }
}

/// The process groups a signal handler forwards SIGINT/SIGTERM/SIGHUP to: one slot per running process
/// (several under `--isolate --jobs N`), 0 in a free slot. A fixed block, so the handler only reads memory.
private let forwardingSlots = 1024
nonisolated(unsafe) private let forwardingGroups: UnsafeMutablePointer<pid_t> = {
    let groups = UnsafeMutablePointer<pid_t>.allocate(capacity: forwardingSlots)
    groups.initialize(repeating: 0, count: forwardingSlots)
    return groups
}()
private let forwardingLock = Lock()
/// The last signal forwarded, for the report.
nonisolated(unsafe) private var lastForwardedSignal: Int32 = 0
/// The first SIGINT/SIGTERM/SIGHUP crossrun received since ``ProcessRunner/resetInterruption()``: sticky, so a
/// signal that arrives between processes (a listing, a crash-resume rerun, report writing) is not lost.
nonisolated(unsafe) private var receivedSignal: Int32 = 0
/// How many such signals arrived; a second one while a process runs kills its group with SIGKILL.
nonisolated(unsafe) private var receivedCount: Int32 = 0

private func forwardSignal(_ signal: Int32) {
    lastForwardedSignal = signal
    if receivedSignal == 0 { receivedSignal = signal }
    receivedCount &+= 1
    for slot in 0..<forwardingSlots {
        let group = forwardingGroups[slot]
        if group > 0 { kill(-group, receivedCount > 1 ? SIGKILL : signal) }
    }
}

/// Puts `group` in a free forwarding slot; returns the slot (nil when all are taken: then the group is only
/// stopped when crossrun's run of it ends).
private func registerForwarding(_ group: pid_t) -> Int? {
    forwardingLock.lock()
    defer { forwardingLock.unlock() }
    for slot in 0..<forwardingSlots where forwardingGroups[slot] == 0 {
        forwardingGroups[slot] = group
        return slot
    }
    return nil
}

private func unregisterForwarding(_ slot: Int?) {
    guard let slot else { return }
    forwardingLock.lock()
    forwardingGroups[slot] = 0
    forwardingLock.unlock()
}

/// Runs one program in its own process group with its stdout and stderr passed through to crossrun's own,
/// byte for byte and as they arrive, while handing every chunk to the caller (the libtest parser).
/// stdin, the working directory and the environment are inherited. SIGINT, SIGTERM and SIGHUP sent to crossrun
/// are forwarded to the whole group; a group still running the kill grace later gets SIGKILL (at once on a
/// second signal), as after a timeout. The process dies with crossrun (a parent-death signal, Support/Spawn.swift).
public struct ProcessRunner: Sendable {
    /// Where the child's output goes besides the caller's handlers: crossrun's own stdout and stderr.
    public var stdoutDescriptor: Int32 = STDOUT_FILENO
    public var stderrDescriptor: Int32 = STDERR_FILENO
    /// Whether output is copied to the descriptors above (tests turn this off).
    public var passThrough = true
    /// Whether the child shares crossrun's stdin and, when crossrun is in the terminal's foreground, gets the
    /// terminal. Off for processes that run several at once (`--isolate`): their stdin is /dev/null.
    public var interactive = true

    public init(passThrough: Bool = true) {
        self.passThrough = passThrough
    }

    /// The first SIGINT, SIGTERM or SIGHUP crossrun received while (or after) running a process, if any.
    /// Callers start no further process once this is set.
    public static var interruption: Int32? { receivedSignal == 0 ? nil : receivedSignal }

    /// How many SIGINT, SIGTERM or SIGHUP crossrun received since ``resetInterruption()``.
    static var signalCount: Int32 { receivedCount }

    /// Forgets a received signal (the start of a new run in the same crossrun process).
    public static func resetInterruption() {
        receivedSignal = 0
        receivedCount = 0
    }

    /// Limits a process's run: a deadline and a check made on every tick of the output loop (about every 50 ms
    /// while output flows, at most 200 ms apart). When either fires, crossrun sends SIGTERM to the process
    /// group, waits `grace`, then sends SIGKILL, and the outcome's ``ProcessOutcome/killedBy`` says why.
    public struct Watch {
        public var deadline: (at: ContinuousClock.Instant, reason: KillReason)?
        public var grace: Duration

        public init(deadline: (at: ContinuousClock.Instant, reason: KillReason)? = nil, grace: Duration = .seconds(2)) {
            self.deadline = deadline
            self.grace = grace
        }
    }

    /// Spawns `plan`, streams its output, and waits for it.
    /// - Parameters:
    ///   - onStdout: called with each chunk of the child's stdout, in order.
    ///   - onStderr: called with each chunk of the child's stderr, in order.
    ///   - watch: a deadline and a grace period; `check` is asked on each tick whether to stop the process.
    public func run(
        _ plan: LaunchPlan,
        watch: Watch = Watch(),
        check: () -> KillReason? = { nil },
        onStdout: (UnsafeRawBufferPointer) -> Void,
        onStderr: (UnsafeRawBufferPointer) -> Void
    ) throws -> ProcessOutcome {
        try run(plan, watch: watch, check: check, starter: nil, onStdout: onStdout, onStderr: onStderr)
    }

    /// The same, with `starter` (when not nil) starting the process instead of a spawn of `plan`, given the write
    /// ends of its stdout and stderr (`--isolate`'s fork server, Pipeline/ForkServer.swift). The process it gives
    /// must be crossrun's child and the leader of its own process group, with /dev/null as stdin.
    func run(
        _ plan: LaunchPlan,
        watch: Watch = Watch(),
        check: () -> KillReason? = { nil },
        starter: ((_ stdout: Int32, _ stderr: Int32) -> Result<pid_t, Spawn.Failure>)?,
        onStdout: (UnsafeRawBufferPointer) -> Void,
        onStderr: (UnsafeRawBufferPointer) -> Void
    ) throws -> ProcessOutcome {
        // A closed stdout (crossrun ... | head) must not kill crossrun: it keeps reading so no result is lost.
        signal(SIGPIPE, SIG_IGN)
        // An inherited SIGCHLD=SIG_IGN would reap the child behind crossrun's back and lose its status.
        signal(SIGCHLD, SIG_DFL)

        let outPipe = try Pipe2()
        let errPipe = try Pipe2()

        let environment = Spawn.environment(adding: plan.environment)
        let start = ContinuousClock.now
        // Install forwarding before the child exists, so a signal that arrives at once is not lost.
        let signalsBefore = receivedCount
        installForwarding()
        // Its own process group, a parent-death signal (it dies with crossrun, SIGKILL included), default
        // signal handling and no blocked signals (Support/Spawn.swift).
        let spawned = LiveChildren.starting {
            if let starter { return starter(outPipe.write, errPipe.write) }
            return Spawn.start(
                plan.executable, argv: plan.argv, environment: environment, stdin: interactive ? .inherit : .null,
                stdout: outPipe.write, stderr: errPipe.write, newProcessGroup: true)
        }
        outPipe.closeWrite()
        errPipe.closeWrite()
        let pid: pid_t
        switch spawned {
        case .success(let started):
            pid = started
            StartupTrace.mark("spawned")
        case .failure(let failure):
            outPipe.closeRead()
            errPipe.closeRead()
            throw CrossRunError.spawnFailed(executable: plan.executable, reason: failure.reason)
        }
        defer { LiveChildren.reaped(pid) }
        let slot = registerForwarding(pid)
        defer { unregisterForwarding(slot) }
        // A signal that came between installing the handler and knowing the group was recorded, not forwarded.
        if receivedCount != signalsBefore, receivedSignal != 0 { kill(-pid, receivedSignal) }
        // A test that reads a terminal stdin must be in the terminal's foreground group, or it is stopped (SIGTTIN).
        let hadTerminal = starter == nil && interactive && isatty(STDIN_FILENO) == 1 && tcgetpgrp(STDIN_FILENO) == getpgrp()
        if hadTerminal {
            signal(SIGTTOU, SIG_IGN)
            _ = tcsetpgrp(STDIN_FILENO, pid)
        }
        defer { if hadTerminal { _ = tcsetpgrp(STDIN_FILENO, getpgrp()) } }

        var killedBy: KillReason?
        let status = pump(
            pid: pid, stdout: outPipe.read, stderr: errPipe.read, jobControl: hadTerminal, signalsBefore: signalsBefore,
            watch: watch, check: check, killedBy: &killedBy, onStdout: onStdout, onStderr: onStderr)
        StartupTrace.mark("ended")
        // The test process has ended: whatever it left running in its group (a forked helper, a second qemu)
        // goes with it, so no emulator outlives crossrun's run of the binary.
        // Those of them crossrun adopted (their parent was the test process) are reaped here, with
        // waitpid(-group): a zombie would answer kill(-group, 0) for the whole second.
        func reapGroup() {
            var status: Int32 = 0
            while waitpid(-pid, &status, WNOHANG) > 0 {}
        }
        if kill(-pid, 0) == 0 {
            kill(-pid, SIGTERM)
            var waited = 0
            while waited < 20 {
                reapGroup()
                if kill(-pid, 0) != 0 { break }
                usleep(50_000)
                waited += 1
            }
            kill(-pid, SIGKILL)
        }
        outPipe.closeRead()
        errPipe.closeRead()
        // A signal crossrun received while this process ran was forwarded to it.
        let signal = receivedCount != signalsBefore ? lastForwardedSignal : 0
        return ProcessOutcome(
            status: status, duration: ContinuousClock.now - start, forwardedSignal: signal == 0 ? nil : signal,
            hadTerminal: hadTerminal, killedBy: killedBy)
    }

    private func installForwarding() {
        _ = forwardingGroups  // initialised here, never first inside the handler
        var forwarded = sigset_t()
        sigemptyset(&forwarded)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, forwardSignal)
            sigaddset(&forwarded, sig)
        }
        // A parent may have started crossrun with these blocked (a thread pool's mask is inherited across
        // exec): unblock them here, or they would wait forever while the emulator runs on.
        pthread_sigmask(SIG_UNBLOCK, &forwarded, nil)
    }

    /// Reads both pipes until the child has exited and its pipes are drained; returns its status.
    private func pump(
        pid: pid_t, stdout: Int32, stderr: Int32, jobControl: Bool, signalsBefore: Int32,
        watch: Watch, check: () -> KillReason?, killedBy: inout KillReason?,
        onStdout: (UnsafeRawBufferPointer) -> Void, onStderr: (UnsafeRawBufferPointer) -> Void
    ) -> TerminationStatus {
        var fds = [pollfd(fd: stdout, events: Int16(POLLIN), revents: 0), pollfd(fd: stderr, events: Int16(POLLIN), revents: 0)]
        // Readable once the process has ended: the pause that lets output gather ends then, not 4 ms later (a
        // short program's last line came just before its exit, and every run paid the whole pause).
        let exitDescriptor = crossrun_pidfd_open(pid)
        defer { if exitDescriptor >= 0 { close(exitDescriptor) } }
        var open = [true, true]
        // Reads of up to 1 MiB (the pipes are enlarged to match): a flood of output costs few system calls.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var outWritable = passThrough
        var errWritable = passThrough
        var exitStatus: TerminationStatus?
        var quietPollsAfterExit = 0
        var lastTick = ContinuousClock.now
        var terminatedAt: ContinuousClock.Instant?
        var sentKill = false
        /// When crossrun first received SIGINT, SIGTERM or SIGHUP during this process (the handler forwarded it).
        var interruptedAt: ContinuousClock.Instant?

        /// Stops the group when the deadline passed or `check` says so: SIGTERM, then SIGKILL after the grace.
        /// A signal from outside (forwarded by the handler) gets the same grace, then SIGKILL.
        func tick() {
            let now = ContinuousClock.now
            if interruptedAt == nil && receivedCount != signalsBefore { interruptedAt = now }
            guard exitStatus == nil else { return }
            if let interrupted = interruptedAt, !sentKill, now - interrupted >= watch.grace {
                kill(-pid, SIGKILL)
                sentKill = true
                return
            }
            if let sent = terminatedAt {
                if !sentKill && now - sent >= watch.grace {
                    kill(-pid, SIGKILL)
                    sentKill = true
                }
                return
            }
            var reason: KillReason?
            if let deadline = watch.deadline, now >= deadline.at { reason = deadline.reason }
            if reason == nil { reason = check() }
            guard let reason else { return }
            killedBy = reason
            terminatedAt = now
            kill(-pid, SIGTERM)
            // The group may have been stopped (Ctrl-Z): a stopped process does not act on SIGTERM.
            kill(-pid, SIGCONT)
        }

        while open[0] || open[1] {
            let now = ContinuousClock.now
            if now - lastTick >= .milliseconds(50) {
                lastTick = now
                tick()
                // Past the deadline with the process gone, a grandchild holding the pipes cannot hold crossrun.
                if exitStatus != nil, let deadline = watch.deadline, now >= deadline.at + watch.grace { break }
                if exitStatus != nil, let interrupted = interruptedAt, now >= interrupted + watch.grace { break }
            }
            for index in 0..<2 { fds[index].fd = open[index] ? (index == 0 ? stdout : stderr) : -1 }
            // Poll with a timeout so a grandchild that keeps a pipe open cannot hold crossrun after the child exits.
            let ready = poll(&fds, 2, exitStatus == nil ? (terminatedAt == nil && interruptedAt == nil ? 200 : 50) : 50)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if ready == 0 {
                if exitStatus == nil {
                    exitStatus = reap(pid, block: false, jobControl: jobControl)
                } else {
                    quietPollsAfterExit += 1
                    if quietPollsAfterExit >= 4 { break }
                }
                continue
            }
            var trickle = false
            defer {
                // A test binary writes a line at a time: waking for each one takes a core from the emulator on a
                // busy machine (a 1036-test suite ran ~10% slower). After a small read, let output gather for a
                // moment (the pipe holds 1 MiB; a flood always reads full blocks and never waits here).
                if trickle && exitStatus == nil && terminatedAt == nil { Self.gather(until: exitDescriptor) }
            }
            for index in 0..<2 where open[index] && fds[index].revents != 0 {
                let got = read(fds[index].fd, buffer.baseAddress, buffer.count)
                if got > 0 && got < 16 << 10 { trickle = true }
                if got < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    open[index] = false
                    continue
                }
                if got == 0 {
                    open[index] = false
                    continue
                }
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
                if index == 0 {
                    if outWritable { outWritable = FileDescriptors.writeAll(stdoutDescriptor, chunk) }
                    onStdout(chunk)
                } else {
                    if errWritable { errWritable = FileDescriptors.writeAll(stderrDescriptor, chunk) }
                    onStderr(chunk)
                }
            }
        }
        // Without a status (someone else reaped the child), crossrun cannot vouch for the run.
        return exitStatus ?? reap(pid, block: true, jobControl: jobControl) ?? .exited(ExitStatus.crossrunError)
    }

    /// The child's status once it has exited; nil while it runs. With job control (the child has the
    /// terminal), a child stopped by Ctrl-Z stops crossrun too, so the shell sees the job stop; when the shell
    /// continues crossrun, the terminal goes back to the child and the child is continued.
    private func reap(_ pid: pid_t, block: Bool, jobControl: Bool) -> TerminationStatus? {
        var status: Int32 = 0
        let flags = (block ? 0 : WNOHANG) | (jobControl ? WUNTRACED : 0)
        var echildRetries = 0
        while true {
            let result = waitpid(pid, &status, flags)
            if result == pid {
                if status & 0xFF == 0x7F {  // stopped
                    _ = tcsetpgrp(STDIN_FILENO, getpgrp())
                    kill(getpid(), SIGSTOP)
                    _ = tcsetpgrp(STDIN_FILENO, pid)
                    kill(-pid, SIGCONT)
                    if block { continue }
                    return nil
                }
                return TerminationStatus.fromWaitStatus(status)
            }
            if result == 0 { return nil }
            if errno == EINTR { continue }
            // A fork server's test process killed before crossrun adopted it: its parent (the server's helper)
            // is exiting, and the adoption follows at once.
            if errno == ECHILD && block && echildRetries < 200 && kill(pid, 0) == 0 {
                echildRetries += 1
                usleep(1000)
                continue
            }
            return nil
        }
    }

    /// How long the output loop waits after a small read before it polls again (output still passes through
    /// within a few milliseconds).
    static let gatherMicroseconds: UInt32 = 4000

    /// Waits ``gatherMicroseconds`` for output to gather, or until the process ends (its pidfd, when the kernel
    /// has them, polls readable then).
    static func gather(until exitDescriptor: Int32) {
        guard exitDescriptor >= 0 else {
            usleep(gatherMicroseconds)
            return
        }
        var exited = pollfd(fd: exitDescriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&exited, 1, Int32(gatherMicroseconds / 1000))
    }
}

/// A pipe whose ends are closed on exec, so only the dup2'd copies reach the child.
final class Pipe2 {
    private(set) var read: Int32
    private(set) var write: Int32

    init() throws {
        // Close-on-exec from the start: a child another thread starts meanwhile (`--isolate --jobs`) must not
        // inherit this pipe, or it would hold the pipe open after this process ends.
        let fds: (read: Int32, write: Int32)
        switch Spawn.closeOnExecPipe() {
        case .success(let pipe): fds = pipe
        case .failure(let failure): throw CrossRunError.spawnFailed(executable: "pipe", reason: failure.reason)
        }
        // F_SETPIPE_SZ (1031, Linux): 1 MiB pipes, so a chatty test writes on while crossrun reads in big blocks.
        // Best effort: a smaller /proc/sys/fs/pipe-max-size keeps the default.
        _ = fcntl(fds.read, 1031, Int32(1 << 20))
        read = fds.read
        write = fds.write
    }

    func closeWrite() {
        if write >= 0 { close(write); write = -1 }
    }

    func closeRead() {
        if read >= 0 { close(read); read = -1 }
    }

    deinit {
        closeWrite()
        closeRead()
    }
}

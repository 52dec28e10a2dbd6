import CSpawn
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// `--isolate`'s fork server (docs/isolation.md): a dynamically linked glibc or musl test binary under qemu-user is started
/// once for every two jobs with a small preload library (ForkServerGuest.swift) that stops it just before `main`; each test's
/// process is then that warm process or a fork of it (qemu loaded, the guest's libraries loaded and relocated, libc
/// started) instead of a new qemu. The test's process is crossrun's own child (the server itself, when it was
/// crossrun's child, with a fork serving on; or a fork that crossrun, the subreaper of what it starts, adopted), so
/// ``ProcessRunner`` waits for it, times it out and signals its group as any test process.
///
/// A warm server's test processes can leave successors (docs/isolation.md, "Carrying translations forward"): the
/// test's process forks once more at its exit, the fork puts back the snapshot the warm-up took and serves in the
/// server's place, with every translation qemu made while the test ran. crossrun asks for one at the 1st, 2nd, 4th,
/// 8th, ... request of each server, and switches to it once it says it is ready.
final class ForkServer: @unchecked Sendable {
    /// The process serving now: the first server, the fork that serves on after a server became a test's
    /// process, or the latest successor (crossrun adopted both once their parent, a test's process, ended).
    private(set) var pid: pid_t
    private var socket: Int32
    private var stopped = false
    /// Servers a successor replaced: their sockets are closed, so they end; reaped by ``stop()``.
    private var retired: [pid_t] = []
    /// Tests started so far (listings not counted).
    private var started = 0
    var testsStarted: Int {
        requests.lock()
        defer { requests.unlock() }
        return started
    }
    /// Requests that asked for a successor, so far.
    private var served = 0
    /// Test processes asked to leave a successor that has not said yet whether it serves.
    private var awaited: Set<pid_t> = []
    /// Whether tests' processes are asked to leave successors (a warm server, not turned off).
    var carries = true
    /// How many successors took over.
    private(set) var successors = 0
    private let requests = Lock()
    /// Set when the server stopped answering: its job goes on with one qemu per test.
    private(set) var broken = false

    /// Why the server serves without having run the harness once first (its warm-up), or nil when it did.
    private(set) var cold: String?

    /// The first server's pid: crossrun started it, and LiveChildren knows it until ``stop()``.
    private let firstPid: pid_t

    private init(pid: pid_t, socket: Int32) {
        self.pid = pid
        self.firstPid = pid
        self.socket = socket
    }

    /// The variable the guest library reads: `0` serves without the warm-up.
    static let warmVariable = "CROSSRUN_FORKSERVER_WARM"

    /// How a binary's `--isolate` run starts its tests: from fork servers (`plan` starts one), or one emulator per
    /// test, for `reason`.
    enum Decision {
        /// `siblingAfter`: how many tests the shared server starts before the second job moves to a fork of it
        /// (``sibling()``).
        case fork(plan: LaunchPlan, library: String, siblingAfter: Int)
        case fallback(reason: String)
    }

    /// The variable that turns the fork server off (`0`, `false`, `no`, `off`) for one qemu per test.
    static let variable = "CROSSRUN_FORK_SERVER"

    /// The variable that turns successors off (`0`, `false`, `no`, `off`): every test is forked from the first server.
    static let carryVariable = "CROSSRUN_FORKSERVER_CARRY"

    /// The variable that sets after how many tests the second job of a pair moves to a sibling (a number, 0 or more).
    static let siblingAfterVariable = "CROSSRUN_FORKSERVER_SIBLING_AFTER"
    /// The number of tests when the variable is not set.
    static let defaultSiblingAfter = 64

    /// Whether `--isolate` can fork this binary's tests from a fork server, and the server's launch when it can.
    /// Builds (or finds in the cache) the preload library for the target.
    static func decide(run: PreparedRun, base: [String]) throws -> Decision {
        let environment = run.invocation.environment
        if let value = environment[variable] {
            guard let on = Configuration.boolean(value) else {
                throw CrossRunError.invalidEnvironmentValue(variable: variable, value: value, expected: "1, 0, true, false, yes, no, on or off")
            }
            if !on { return .fallback(reason: "\(variable)=\(value)") }
        }
        var carries = true
        if let value = environment[carryVariable] {
            guard let on = Configuration.boolean(value) else {
                throw CrossRunError.invalidEnvironmentValue(variable: carryVariable, value: value, expected: "1, 0, true, false, yes, no, on or off")
            }
            carries = on
        }
        var siblingAfter = defaultSiblingAfter
        if let value = environment[siblingAfterVariable] {
            guard let count = Int(value), count >= 0 else {
                throw CrossRunError.invalidEnvironmentValue(variable: siblingAfterVariable, value: value, expected: "a number of tests, 0 or more")
            }
            siblingAfter = count
        }
        let plan = run.plan
        guard plan.kind == .qemuUser else { return .fallback(reason: "the fork server is for qemu-user, not \(plan.kind.rawValue)") }
        guard let elf = run.info.elf, let interpreter = elf.interpreter else { return .fallback(reason: "statically linked binary") }
        let musl = SysrootManifest.libc(ofInterpreter: interpreter) == "musl"
        // EM_PPC, EM_PPC64: glibc's __libc_start_main takes other arguments there (argc first, a startup_info block);
        // musl's takes the same everywhere.
        guard musl || (elf.machine != 20 && elf.machine != 21) else {
            return .fallback(reason: "PowerPC's __libc_start_main is not wrapped (other arguments)")
        }
        guard Orphans.isAdopting else { return .fallback(reason: "crossrun is not the subreaper of its processes here") }
        if environment["LD_PRELOAD"] != nil || plan.environment["LD_PRELOAD"] != nil || plan.argv.contains(where: { $0.hasPrefix("LD_PRELOAD=") }) {
            return .fallback(reason: "LD_PRELOAD is already set")
        }
        guard let binaryIndex = plan.argv.lastIndex(of: plan.binary), binaryIndex == plan.argv.count - plan.arguments.count - 1 else {
            return .fallback(reason: "the qemu command line has no place for the preload library")
        }
        let definition = run.catalog.definitions.first { $0.name == plan.target }
        let rustTargets = definition?.rustTargets ?? []
        // The library is built against the binary's own C library: glibc's cross gcc, or a musl cross gcc.
        let compilers = musl
            ? rustTargets.compactMap(CrossToolchain.muslCompiler(rustTarget:))
            : rustTargets.compactMap(CrossToolchain.init(rustTarget:)).filter { !$0.isMinGW }.map(\.linker)
        let kind = musl ? "musl" : "GNU"
        guard !compilers.isEmpty else { return .fallback(reason: "no \(kind) cross C compiler is known for \(plan.target)") }
        let searchPath = environment["PATH"] ?? "/usr/bin:/bin"
        guard let compiler = compilers.lazy.compactMap({ Executables.find($0, searchPath: searchPath) }).first else {
            let names = compilers.joined(separator: ", ")
            return .fallback(reason: "no \(musl ? "musl " : "")cross C compiler (\(names)) on PATH to build the fork server with")
        }
        let library: String
        switch buildLibrary(compiler: compiler, environment: environment) {
        case .success(let path): library = path
        case .failure(let problem): return .fallback(reason: problem.text)
        }
        // qemu splits an -E value at commas.
        guard !library.contains(",") else { return .fallback(reason: "the cache path \(library) has a comma, which qemu's -E cannot pass") }
        var server = plan.with(arguments: base + ["--exact", ForkServerGuest.placeholder])
        server.argv.insert(contentsOf: ["-E", "LD_PRELOAD=\(library)", "-E", "CROSSRUN_FORKSERVER_FD=0"], at: binaryIndex)
        if !carries { server.environment[carryVariable] = "0" }
        return .fork(plan: server, library: library, siblingAfter: siblingAfter)
    }

    struct Problem: Error {
        var text: String
    }

    /// `<cache>/forkserver/<digest>/libcrossrun-forkserver.so`, built with `compiler` when it is not there yet; the
    /// digest covers the source and the compiler (its path, size and time), so a new compiler builds anew.
    static func buildLibrary(compiler: String, environment: [String: String]) -> Result<String, Problem> {
        var status = stat()
        _ = stat(compiler, &status)
        let key = "\(ForkServerGuest.source)\n\(compiler)\n\(status.st_size)\n\(status.st_mtim.tv_sec)"
        let digest = String(Hashing.sha256(Data(key.utf8)).prefix(24))
        let folder = SysrootCache(environment: environment).base + "/forkserver/" + digest
        let library = folder + "/libcrossrun-forkserver.so"
        if FileManager.default.fileExists(atPath: library) { return .success(library) }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            return .failure(Problem(text: "the fork server library cannot be cached in \(folder)"))
        }
        let unique = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let source = folder + "/forkserver-\(unique).c"
        let temporary = folder + "/libcrossrun-forkserver-\(unique).so"
        defer {
            unlink(source)
            unlink(temporary)
        }
        guard FileManager.default.createFile(atPath: source, contents: Data(ForkServerGuest.source.utf8)) else {
            return .failure(Problem(text: "the fork server's source cannot be written to \(folder)"))
        }
        let compiled = Executables.output(
            of: compiler, arguments: ["-shared", "-fPIC", "-O2", "-o", temporary, source, "-ldl", "-lpthread"], timeout: .seconds(120))
        guard compiled?.succeeded == true, rename(temporary, library) == 0 else {
            return .failure(Problem(text: "the fork server library did not build with \(compiler)"))
        }
        return .success(library)
    }

    /// Starts a server from `plan` (``decide(run:base:)``) and waits for its greeting; the failure says why it
    /// gave none (the loader's or qemu's first line on stderr when there is one). A server whose warm-up failed
    /// (it could not undo it, or the harness ended the process) is started again without one.
    static func start(_ plan: LaunchPlan, timeout: Duration = .seconds(60)) -> Result<ForkServer, Problem> {
        let warmOff = plan.environment[warmVariable] == "0" || ProcessEnvironment.value(warmVariable) == "0"
        let first = startOnce(plan, timeout: timeout)
        guard case .failure(let problem) = first, !warmOff, let binaryIndex = plan.argv.lastIndex(of: plan.binary) else { return first }
        var cold = plan
        cold.argv.insert(contentsOf: ["-E", "\(warmVariable)=0"], at: binaryIndex)
        return startOnce(cold, timeout: timeout).map { server in
            server.cold = problem.text.hasPrefix("the warm-up") ? problem.text : "the warm-up ended the server: " + problem.text
            return server
        }
    }

    private static func startOnce(_ plan: LaunchPlan, timeout: Duration) -> Result<ForkServer, Problem> {
        var pair: [Int32] = [-1, -1]
        guard crossrun_seqpacket_pair(&pair) == 0 else { return .failure(Problem(text: "socketpair failed")) }
        let errors: Pipe2
        do { errors = try Pipe2() } catch {
            close(pair[0])
            close(pair[1])
            return .failure(Problem(text: "pipe failed"))
        }
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        let environment = Spawn.environment(adding: plan.environment)
        var pid: pid_t = 0
        let started = LiveChildren.starting {
            let result = withCStrings(plan.argv) { argv in
                withCStrings(environment) { envp in
                    plan.executable.withRawCString { path in
                        var request = crossrun_spawn_request(
                            path: path, argv: argv, envp: envp, stdin_fd: pair[1], stdout_fd: null, stderr_fd: errors.write,
                            stdin_null: 0, new_group: 1)
                        return crossrun_spawn(&request, &pid)
                    }
                }
            }
            return result == 0 ? .success(pid) : .failure(Spawn.Failure(errno: result))
        }
        close(pair[1])
        close(null)
        errors.closeWrite()
        guard case .success = started else {
            close(pair[0])
            return .failure(Problem(text: "\(plan.executable) did not start"))
        }
        let server = ForkServer(pid: pid, socket: pair[0])
        let greeting = server.receive(timeout: timeout)?.text
        if let greeting, greeting.hasPrefix(ForkServerGuest.greeting) {
            // "crossrun-forkserver 1 ready PID warm", or "... cold (REASON)".
            if let open = greeting.firstRange(of: " cold ("), greeting.hasSuffix(")") {
                server.cold = String(greeting[open.upperBound..<greeting.index(before: greeting.endIndex)])
            }
            server.carries = server.cold == nil && plan.environment[carryVariable] != "0"
            return .success(server)
        }
        server.stop()
        if let greeting, greeting.hasPrefix("error ") { return .failure(Problem(text: String(greeting.dropFirst(6)))) }
        // Whatever the guest's loader or qemu said (the preload library refused, an older glibc, ...).
        var said = [UInt8](repeating: 0, count: 4096)
        _ = fcntl(errors.read, F_SETFL, O_NONBLOCK)
        let count = max(0, read(errors.read, &said, said.count))
        let line = String(decoding: said[0..<count], as: UTF8.self).split(separator: "\n").first.map(String.init)
        return .failure(Problem(text: "the fork server did not start" + (line.map { " (\($0))" } ?? "")))
    }

    /// The request for a process whose last two arguments (`--exact` and the test's name otherwise) are these.
    static func replacingLastTwo(_ first: String, _ second: String) -> String {
        "\u{1}\(first)\u{1}\(second)"
    }

    /// Asks for one test's process (or, with ``replacingLastTwo(_:_:)``, a listing's) with these descriptors as its
    /// stdin, stdout and stderr; its pid once it is crossrun's child. A failure marks the server broken. Jobs that
    /// share the server ask one at a time.
    func startTest(_ name: String, stdout: Int32, stderr: Int32) -> Result<pid_t, Spawn.Failure> {
        requests.lock()
        defer { requests.unlock() }
        takeSuccessor()
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard null >= 0 else { return .failure(Spawn.Failure(errno: errno)) }
        defer { close(null) }
        let fds = [null, stdout, stderr]
        var carry = false
        if !name.hasPrefix("\u{1}") { started += 1 }
        if carries && !name.hasPrefix("\u{1}") {
            served += 1
            // One successor at a time: a second, forked meanwhile from the same server, could not say so once the
            // first took over (its server's socket is closed then).
            carry = served & (served - 1) == 0 && awaited.isEmpty
        }
        let bytes = Array(((carry ? "\u{2}" : "") + name).utf8)
        let sent = bytes.withUnsafeBytes { buffer in
            crossrun_send_with_descriptors(socket, buffer.baseAddress, buffer.count, fds, 3)
        }
        guard sent == 0 else {
            broken = true
            return .failure(Spawn.Failure(errno: sent))
        }
        guard let (child, next) = awaitReply().flatMap(Self.pids) else {
            broken = true
            return .failure(Spawn.Failure(errno: EPIPE))
        }
        if let next { pid = next }
        if carry { awaited.insert(child) }
        return .success(child)
    }

    /// A reply's pids: "pid PID", or "pid TEST next SERVER" (the server became the test's process and SERVER
    /// serves on); nil for anything else.
    static func pids(_ reply: String) -> (pid_t, next: pid_t?)? {
        let words = reply.split(separator: " ")
        guard words.count == 2 || (words.count == 4 && words[2] == "next"), words[0] == "pid", let child = pid_t(words[1]), child > 0 else {
            return nil
        }
        guard words.count == 4 else { return (child, nil) }
        guard let next = pid_t(words[3]), next > 0 else { return nil }
        return (child, next)
    }

    /// The reply to a request; a successor's notices that come before it are taken (it serves once the reply has
    /// come). nil when the server gave none.
    private func awaitReply() -> String? {
        var notices: [(text: String, descriptor: Int32)] = []
        var reply: String?
        while let message = receive(timeout: .seconds(60)) {
            if Self.isNotice(message.text) {
                notices.append(message)
                continue
            }
            if message.descriptor >= 0 { close(message.descriptor) }
            reply = message.text
            break
        }
        take(notices)
        return reply
    }

    /// A server for another job, forked from this one (its warm-up and every translation so far, without a qemu
    /// start and a warm-up of its own) and adopted by crossrun; nil when it did not start.
    func sibling() -> ForkServer? {
        requests.lock()
        defer { requests.unlock() }
        guard !broken else { return nil }
        takeSuccessor()
        var pair: [Int32] = [-1, -1]
        guard crossrun_seqpacket_pair(&pair) == 0 else { return nil }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer {
            close(pair[1])
            if null >= 0 { close(null) }
        }
        guard null >= 0 else {
            close(pair[0])
            return nil
        }
        let fds = [pair[1], null, null]
        let bytes: [UInt8] = [3]
        let sent = bytes.withUnsafeBytes { buffer in
            crossrun_send_with_descriptors(socket, buffer.baseAddress, buffer.count, fds, 3)
        }
        guard sent == 0 else {
            broken = true
            close(pair[0])
            return nil
        }
        guard let reply = awaitReply() else {
            broken = true
            close(pair[0])
            return nil
        }
        guard let (child, next) = Self.pids(reply), next == nil else {
            close(pair[0])
            return nil
        }
        let sibling = ForkServer(pid: child, socket: pair[0])
        guard let greeting = sibling.receive(timeout: .seconds(10))?.text, greeting.hasPrefix(ForkServerGuest.greeting) else {
            sibling.stop()
            return nil
        }
        sibling.cold = cold
        sibling.carries = carries
        return sibling
    }

    /// A test's process asked to leave a successor was ended by a signal, not exit(): none is coming.
    func endedBySignal(_ test: pid_t) {
        requests.lock()
        defer { requests.unlock() }
        awaited.remove(test)
    }

    /// Switches to the latest successor that said it serves. A test's process asked for one that has ended (it is
    /// no longer there) is waited for, briefly: its successor is putting memory back.
    private func takeSuccessor() {
        var notices: [(text: String, descriptor: Int32)] = []
        while let message = receive(timeout: .zero) { notices.append(message) }
        take(notices)
        let deadline = ContinuousClock.now + .milliseconds(500)
        while awaited.contains(where: { kill($0, 0) != 0 && errno == ESRCH }), ContinuousClock.now < deadline {
            guard let message = receive(timeout: deadline - ContinuousClock.now) else { break }
            take([message])
            if !Self.isNotice(message.text) { break }
        }
        // A test's process that ended without exit() (a signal) leaves none.
        awaited = awaited.filter { kill($0, 0) == 0 }
    }

    /// Whether a message is a successor's, not a reply to a request.
    private static func isNotice(_ text: String) -> Bool {
        text.hasPrefix("successor ") || text.hasPrefix("uncarried ")
    }

    /// "successor PID of TEST" with the successor's socket, or "uncarried TEST REASON": the latest successor
    /// serves from now on; the others end when their sockets close.
    private func take(_ notices: [(text: String, descriptor: Int32)]) {
        var latest: (pid: pid_t, socket: Int32)?
        for notice in notices {
            let words = notice.text.split(separator: " ", maxSplits: 3).map(String.init)
            // "uncarried": the old server goes on (the reason is for whoever reads the protocol by hand).
            if words.first == "uncarried", words.count >= 2, let test = pid_t(words[1]) { awaited.remove(test) }
            guard words.first == "successor", words.count == 4, let successor = pid_t(words[1]), let test = pid_t(words[3]),
                notice.descriptor >= 0
            else {
                if notice.descriptor >= 0 { close(notice.descriptor) }
                continue
            }
            // Not recorded in LiveChildren (this runs inside its lock): the orphan sweep runs only once the run
            // is over and every server stopped.
            awaited.remove(test)
            if let earlier = latest {
                close(earlier.socket)
                retired.append(earlier.pid)
            }
            latest = (successor, notice.descriptor)
        }
        guard let latest else { return }
        close(socket)
        awaited = []
        retired.append(pid)
        pid = latest.pid
        socket = latest.socket
        successors += 1
        // Earlier servers end at once; those already gone are reaped here (LiveChildren forgets them in stop(),
        // not here: this runs inside its lock).
        retired.removeAll { old in
            var status: Int32 = 0
            return old != firstPid && waitpid(old, &status, WNOHANG) == old
        }
    }

    /// One message from the server, without its newline, and the descriptor that came with it (-1 when none); nil
    /// at its end or after `timeout` (`.zero`: only a message already there).
    private func receive(timeout: Duration) -> (text: String, descriptor: Int32)? {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            var ready = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let left = deadline - ContinuousClock.now
            let milliseconds = left <= .zero ? 0 : Int32(min(1000, max(1, left.milliseconds)))
            let polled = poll(&ready, 1, milliseconds)
            if polled < 0 && errno != EINTR { return nil }
            if polled <= 0 {
                if left <= .zero { return nil }
                continue
            }
            var descriptor: Int32 = -1
            let count = crossrun_receive_with_descriptor(socket, &buffer, buffer.count, &descriptor)
            guard count > 0 else { return nil }
            return (String(decoding: buffer[0..<count], as: UTF8.self).trimmingNewlines(), descriptor)
        }
    }

    /// Closes the server's socket, so it returns from its `main` (``stop()`` then reaps it); the servers of a run are
    /// all told first, so they end at the same time.
    func closeSocket() {
        requests.lock()
        defer { requests.unlock() }
        closeSocketHeld()
    }

    /// ``closeSocket()`` with `requests` already held.
    private func closeSocketHeld() {
        guard socket >= 0 else { return }
        close(socket)
        socket = -1
    }

    /// Ends the server: its socket closes, so it returns from its `main`; SIGKILL when it has not after 2 s. Reaped
    /// (looked for every millisecond: it ends in a few).
    func stop() {
        requests.lock()
        defer { requests.unlock() }
        guard !stopped else { return }
        stopped = true
        closeSocketHeld()
        for server in [pid] + retired {
            var status: Int32 = 0
            var waited = 0
            while true {
                let result = waitpid(server, &status, WNOHANG)
                if result < 0 && errno == EINTR { continue }
                // A server forked from a test's process is crossrun's once that process has ended (it has, when
                // the run is over); ECHILD for a process that still exists is a moment before the adoption.
                if result == server || (result < 0 && !(errno == ECHILD && kill(server, 0) == 0)) { break }
                if waited == 2000 {
                    kill(-server, SIGKILL)
                    kill(server, SIGKILL)
                    while waitpid(server, &status, 0) < 0 && errno == EINTR {}
                    break
                }
                usleep(1000)
                waited += 1
            }
            LiveChildren.reaped(server)
        }
    }

    deinit { stop() }
}

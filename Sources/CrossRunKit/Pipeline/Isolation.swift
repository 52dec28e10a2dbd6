import FoundationEssentials
import Glibc
import Dispatch

/// `--isolate`: every test runs alone in its own process (like nextest), up to `--jobs N` at once, for suites
/// whose tests interfere (global state, fixed ports, a crash that takes neighbours down). The tests come from
/// `--list` with the user's selection; ignored ones are reported without a process unless the user runs them.
///
/// Output: each process's output is kept until its test ends and then written whole, so parallel tests never
/// interleave. In libtest's pretty or terse format crossrun prints one libtest line per test as it ends and
/// libtest's own failures section and `test result:` line at the end (so tools that read libtest output still
/// can); with `--format json`, `--nocapture` or `--show-output` each process's own output is written unchanged.
extension TestRunner {
    /// Runs the selected tests one per process; nil when the binary does not list tests as libtest does (a C
    /// program, a `harness = false` test), which then runs as one process.
    /// Each job forks its tests from a fork server when the binary allows (ForkServer.swift), else starts one
    /// emulator per test.
    func runIsolated(plan: LaunchPlan, invocation: Invocation, jobs: Int, quiet: Bool, suiteName: String, prepared: PreparedRun? = nil) throws -> RunPhases? {
        let selection = TestListing.selection(from: invocation.arguments)
        let runsIgnored = selection.contains("--ignored") || selection.contains("--include-ignored")
        let base = LibtestArguments.resumeArguments(from: invocation.arguments)
        // Each of these is an emulator start: the listing of the ignored tests, the unfiltered listing (libtest's
        // closing line counts the tests its filters left out) and the first job's fork server start beside the
        // listing of the tests to run, not one after another.
        let runner = self
        let fullListing = selection.isEmpty ? nil : Concurrent { runner.listTests(plan: plan, selection: []) }
        let servers = ForkServerPool()
        defer { servers.stopAll() }
        nonisolated(unsafe) let preparedRun = prepared
        let firstServer = prepared == nil || jobs < 1 ? nil : Concurrent { () throws -> ForkServer.Decision in
            let decision = try ForkServer.decide(run: preparedRun!, base: base)
            guard case .fork(let serverPlan, _, _) = decision else { return decision }
            switch ForkServer.start(serverPlan) {
            case .success(let server):
                servers.put(server, at: 0)
                return decision
            case .failure(let problem):
                return .fallback(reason: problem.text)
            }
        }
        // With the first server up and nothing in the user's options that changes what a listing prints, the
        // ignored tests are listed by a process forked from it (`--list --ignored` in place of `--exact NAME`), not
        // by an emulator start of its own.
        let forkedListing = selection.isEmpty && base.allSatisfy(Self.listingNeutral.contains)
        let ignoredListing = runsIgnored ? nil : Concurrent { () -> [String]? in
            if forkedListing, let firstServer, case .fork? = try? firstServer.value(), let server = servers.server(at: 0), !server.broken {
                let request = ForkServer.replacingLastTwo("--list", "--ignored")
                let forked = try? runner.listTestsCheckingCPU(plan: plan, selection: ["--ignored"]) { server.startTest(request, stdout: $0, stderr: $1) }
                if let names = forked ?? nil { return names }
            }
            return runner.listTests(plan: plan, selection: selection + ["--ignored"])
        }
        let listing = Result { try listTestsCheckingCPU(plan: plan, selection: selection, requireLibtest: true) }
        let ignoredNames = try ignoredListing?.value()
        let allNames = try fullListing?.value()
        var decision = try firstServer?.value() ?? .fallback(reason: "no test to run")
        guard let listed = try listing.get() else { return nil }
        let ignored = Set(ignoredNames.flatMap { $0 } ?? [])
        let filteredOut = allNames.flatMap { $0 }.map { max(0, $0.count - listed.count) } ?? 0

        let started = ContinuousClock.now
        let toRun = listed.filter { !ignored.contains($0) }
        let output = IsolatedOutput(runner: processRunner, arguments: invocation.arguments, total: listed.count)
        let workerCount = min(jobs, toRun.count)
        if workerCount == 0 {
            servers.stopAll()
            decision = .fallback(reason: "no test to run")
        }
        if !quiet {
            let how: String
            switch decision {
            case .fork:
                let cold = servers.server(at: 0)?.cold
                let count = (workerCount + ForkServerPool.jobsPerServer - 1) / ForkServerPool.jobsPerServer
                how = (count == 1 ? "each forked from a fork server (one qemu start, " : "each forked from one of \(count) fork servers (one qemu start each, ")
                    + (cold.map { "no warm-up: \($0))" } ?? "its harness warmed up)")
            case .fallback(let reason): how = "one emulator start per test (no fork server: \(reason))"
            }
            TerminalSummary.emit("crossrun: --isolate: \(toRun.count) test process\(toRun.count == 1 ? "" : "es") for \(suiteName), up to \(min(jobs, max(1, toRun.count))) at a time, \(how)")
        }
        output.begin()
        for name in listed where ignored.contains(name) { output.testEnded(TestCase(name: name, outcome: .ignored), attempt: nil) }

        var quietRunner = self
        quietRunner.processRunner.passThrough = false
        quietRunner.processRunner.interactive = false
        let alone = quietRunner
        var forkPlan: LaunchPlan?
        var siblingAfterTests = ForkServer.defaultSiblingAfter
        if case .fork(let serverPlan, _, let after) = decision {
            forkPlan = serverPlan
            siblingAfterTests = after
        }
        let serverPlan = forkPlan
        let siblingAfter = siblingAfterTests
        let queue = IsolationQueue(names: toRun)
        let workers = DispatchGroup()
        for worker in 0..<workerCount {
            workers.enter()
            startThread {
                // Two jobs share a server: a fork takes a few milliseconds of the server's time, a test's process
                // many more of its own, so a second server would only add its start.
                let slot = worker / ForkServerPool.jobsPerServer
                var server = servers.server(at: slot) {
                    guard let serverPlan else { return nil }
                    return try? ForkServer.start(serverPlan).get()
                }
                var sharing = worker % ForkServerPool.jobsPerServer == 1
                while let (index, name) = queue.next(), alone.mayStartProcess {
                    // Once the shared server has carried the translations of a few dozen tests forward, the second
                    // job moves to a fork of it: a server whose parent is crossrun at every request, so that each
                    // test's process is one fork (docs/isolation.md).
                    if sharing, let shared = server, shared.testsStarted >= siblingAfter {
                        sharing = false
                        if let sibling = shared.sibling() {
                            servers.add(sibling)
                            server = sibling
                        }
                    }
                    let attempt: Attempt
                    let testPlan = plan.with(arguments: base + ["--exact", name])
                    do {
                        if let forking = server, !forking.broken {
                            do {
                                var forked: pid_t?
                                attempt = try alone.execute(testPlan, suiteName: suiteName, keepRawOutput: true) {
                                    let started = forking.startTest(name, stdout: $0, stderr: $1)
                                    forked = try? started.get()
                                    return started
                                }
                                // Killed or crashed, the test's process left no successor to wait for.
                                if let forked, case .signaled = attempt.outcome.status { forking.endedBySignal(forked) }
                            } catch where forking.broken {
                                // The server is gone: this job goes on with one emulator per test.
                                server = nil
                                attempt = try alone.execute(testPlan, suiteName: suiteName, keepRawOutput: true)
                            }
                        } else {
                            attempt = try alone.execute(testPlan, suiteName: suiteName, keepRawOutput: true)
                        }
                    } catch {
                        queue.fail(error)
                        break
                    }
                    let test = alone.isolatedResult(of: name, in: attempt, plan: plan, base: base, suiteName: suiteName)
                    queue.finish(index, attempt: attempt, test: test) { output.testEnded(test, attempt: attempt) }
                }
                workers.leave()
            }
        }
        workers.wait()
        if let error = queue.failure { throw error }
        let successors = servers.successors
        let siblings = servers.siblingCount

        // Listing order; ignored tests in their place; what never ran says why.
        var tests: [TestCase] = []
        var attempts: [Attempt] = []
        var runIndex = 0
        for name in listed {
            if ignored.contains(name) {
                tests.append(TestCase(name: name, outcome: .ignored))
                continue
            }
            if let (attempt, test) = queue.results[runIndex] {
                attempts.append(attempt)
                tests.append(test)
            } else {
                tests.append(notRun(name))
            }
            runIndex += 1
        }
        let duration = ContinuousClock.now - started
        output.end(tests: tests, filteredOut: filteredOut, duration: duration)

        let failed = tests.contains { $0.outcome == .failed || $0.outcome == .error }
        let outcome = ProcessOutcome(
            status: .exited(failed ? 101 : 0), duration: duration,
            forwardedSignal: attempts.lazy.compactMap(\.outcome.forwardedSignal).first)
        var collector = attempts.first?.collector ?? TestRunCollector()
        for attempt in attempts.dropFirst() { collector.absorbOutput(of: attempt.collector) }
        let summary = Attempt(plan: plan, outcome: outcome, collector: collector, tests: tests, counts: nil)
        var phases = RunPhases(first: summary)
        phases.format = output.format
        phases.isolated = attempts
        phases.jobs = jobs
        phases.successors = successors
        phases.siblings = siblings
        return phases
    }

    /// The options ``LibtestArguments/resumeArguments(from:)`` may keep that do not change what `--list` prints.
    static let listingNeutral: Set<String> = ["--test-threads=1", "--nocapture", "--show-output"]

    /// The one test a single-test process ran: its own result, or an error that says what happened to it.
    func isolatedResult(of name: String, in attempt: Attempt, plan: LaunchPlan, base: [String], suiteName: String) -> TestCase {
        let status = attempt.outcome.status
        var test = attempt.tests.first { $0.name == name }
            ?? TestCase(name: name, outcome: .error, message: "the test process reported no result for this test (it \(CrashResume.verb(status, plan: plan)))")
        if attempt.diedEarly, test.outcome == .error, test.errorKind == nil, attempt.outcome.killedBy == nil, attempt.outcome.forwardedSignal == nil {
            test = CrashResume(runner: self, suiteName: suiteName, progress: { _ in })
                .explainCrash(of: test, status: status, plan: plan, base: base)
        } else if test.outcome == .passed, !status.isSuccess,
            let process = attempt.tests.first(where: { $0.name == TestRunCollector.processCaseName })
        {
            // libtest said ok, the process did not: the test is not vouched for.
            test.outcome = .error
            test.message = process.message
        }
        if test.duration == nil { test.duration = attempt.outcome.duration.seconds }
        return test
    }
}

/// The fork servers of an `--isolate` run, one for every ``jobsPerServer`` jobs (a slot), all stopped when the run
/// ends.
final class ForkServerPool: @unchecked Sendable {
    static let jobsPerServer = 2
    /// Servers forked from a shared one for the second job of its pair.
    private var siblings: [ForkServer] = []
    private let lock = Lock()
    private var servers: [Int: ForkServer] = [:]
    private var starting: [Int: Lock] = [:]

    /// The slot's server, started by the first job that asks (the others wait for it); nil when it did not start.
    func server(at slot: Int, startingWith start: () -> ForkServer?) -> ForkServer? {
        lock.lock()
        let slotLock = starting[slot] ?? Lock()
        starting[slot] = slotLock
        lock.unlock()
        slotLock.lock()
        defer { slotLock.unlock() }
        if let server = server(at: slot) { return server }
        guard let started = start() else { return nil }
        put(started, at: slot)
        return started
    }

    /// How many servers were forked for a second job; nil when none was.
    var siblingCount: Int? {
        lock.lock()
        defer { lock.unlock() }
        return siblings.isEmpty ? nil : siblings.count
    }

    func add(_ sibling: ForkServer) {
        lock.lock()
        defer { lock.unlock() }
        siblings.append(sibling)
    }

    func put(_ server: ForkServer, at slot: Int) {
        lock.lock()
        defer { lock.unlock() }
        servers[slot] = server
    }

    func server(at slot: Int) -> ForkServer? {
        lock.lock()
        defer { lock.unlock() }
        return servers[slot]
    }

    /// How many successors took over, over every warm server that carries them; nil when none does.
    var successors: Int? {
        lock.lock()
        defer { lock.unlock() }
        let carrying = (Array(servers.values) + siblings).filter(\.carries)
        return carrying.isEmpty ? nil : carrying.reduce(0) { $0 + $1.successors }
    }

    func stopAll() {
        lock.lock()
        let all = Array(servers.values) + siblings
        servers = [:]
        siblings = []
        lock.unlock()
        for server in all { server.closeSocket() }
        for server in all { server.stop() }
    }
}

/// The work list the `--isolate` threads share: which test is next, and what each run gave.
final class IsolationQueue: @unchecked Sendable {
    private let lock = Lock()
    private let names: [String]
    private var position = 0
    private(set) var results: [Int: (Attempt, TestCase)] = [:]
    private(set) var failure: (any Error)?

    init(names: [String]) { self.names = names }

    func next() -> (Int, String)? {
        lock.lock()
        defer { lock.unlock() }
        guard position < names.count, failure == nil else { return nil }
        position += 1
        return (position - 1, names[position - 1])
    }

    /// Records a result and, under the same lock, prints it, so printed lines follow the order tests end in.
    func finish(_ index: Int, attempt: Attempt, test: TestCase, print: () -> Void) {
        var kept = attempt
        kept.rawStdout = nil
        kept.rawStderr = nil
        lock.lock()
        defer { lock.unlock() }
        print()
        results[index] = (kept, test)
    }

    func fail(_ error: any Error) {
        lock.lock()
        defer { lock.unlock() }
        if failure == nil { failure = error }
    }
}

/// What `--isolate` prints on crossrun's stdout and stderr (nothing when the runner does not pass output through).
final class IsolatedOutput: @unchecked Sendable {
    let runner: ProcessRunner
    /// `raw`: each process's own output, unchanged; else libtest-style lines in this format.
    let format: LibtestFormat
    let raw: Bool
    let total: Int
    private var marks = 0

    init(runner: ProcessRunner, arguments: [String], total: Int) {
        self.runner = runner
        self.total = total
        let json = LibtestArguments.asks(for: "json", in: arguments)
        let terse = arguments.contains("-q") || arguments.contains("--quiet") || LibtestArguments.asks(for: "terse", in: arguments)
        format = json ? .json : terse ? .terse : .pretty
        raw = json || arguments.contains("--nocapture") || arguments.contains("--show-output")
    }

    func begin() {
        guard !raw else { return }
        write("\nrunning \(total) test\(total == 1 ? "" : "s")\n")
    }

    func testEnded(_ test: TestCase, attempt: Attempt?) {
        if raw {
            if let bytes = attempt?.rawStdout { write(bytes) }
        } else if format == .terse {
            write(test.outcome == .passed ? "." : test.outcome == .ignored ? "i" : "F")
            marks += 1
        } else {
            let word = test.outcome == .passed ? "ok" : test.outcome == .ignored ? "ignored" : "FAILED"
            write("test \(test.name) ... \(word)\n")
        }
        if let bytes = attempt?.rawStderr, !bytes.isEmpty { write(bytes, to: runner.stderrDescriptor) }
    }

    func end(tests: [TestCase], filteredOut: Int, duration: Duration) {
        guard !raw else { return }
        if format == .terse && marks > 0 { write("\n") }
        let failures = tests.filter { $0.outcome == .failed || $0.outcome == .error }
        if !failures.isEmpty {
            write("\nfailures:\n\n")
            for test in failures {
                let text = test.output ?? test.message ?? ""
                write("---- \(test.name) stdout ----\n\(text)\(text.hasSuffix("\n") ? "" : "\n")\n")
            }
            write("\nfailures:\n" + failures.map { "    \($0.name)\n" }.joined())
        }
        let count = { (outcome: TestCase.Outcome) in tests.filter { $0.outcome == outcome }.count }
        let seconds = String(cFormat: "%.2f", duration.seconds)
        write("\ntest result: \(failures.isEmpty ? "ok" : "FAILED"). \(count(.passed)) passed; \(failures.count) failed; \(count(.ignored)) ignored; 0 measured; \(filteredOut) filtered out; finished in \(seconds)s\n\n")
    }

    private func write(_ text: String) { write(Array(text.utf8)) }

    private func write(_ bytes: [UInt8], to descriptor: Int32? = nil) {
        guard runner.passThrough else { return }
        bytes.withUnsafeBytes { _ = FileDescriptors.writeAll(descriptor ?? runner.stdoutDescriptor, $0) }
    }
}

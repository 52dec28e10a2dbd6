import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Fault injection (issue 6, docs/reliability.md): crossrun between CI and an emulator that hangs, crashes,
/// floods output or is interrupted, on real qemu with Examples/c/faults.c and the Rust demo. Every case checks
/// the same four guarantees besides its own: nothing lost (every test the program printed is in the report,
/// with the expected outcome), an honest exit status, no process of the case left running (found through a
/// marker variable in /proc/*/environ, killed if found), and a JUnit file that validates against junit-10.xsd.
@Suite(.enabled(if: Tool.available("qemu-aarch64-static", "xmllint")))
struct FaultInjectionTests {
    @Test("fault injection", arguments: FaultCase.all.filter { $0.needs.isEmpty && !$0.mounts })
    func fault(_ fault: FaultCase) throws {
        try fault.check()
    }

    @Test(
        "fault injection with time limits and interruption marking",
        arguments: FaultCase.all.filter { !$0.needs.isEmpty && !$0.mounts })
    func timeLimited(_ fault: FaultCase) throws {
        try fault.check()
    }

    @Test(
        "fault injection on a read-only or full file system",
        // Under CROSSRUN_E2E_REQUIRED (CI) these run, and fail where a tmpfs cannot be mounted, rather than skip.
        .enabled(if: Tool.required || Fault.canMount, "mounting a tmpfs is not permitted here (needs root with CAP_SYS_ADMIN)"),
        arguments: FaultCase.all.filter { $0.mounts })
    func mounted(_ fault: FaultCase) throws {
        try fault.check()
    }

    @Test("the table has at least 80 named cases with unique names")
    func table() {
        #expect(FaultCase.all.count >= 80)
        #expect(Set(FaultCase.all.map(\.name)).count == FaultCase.all.count)
    }
}

// MARK: - The table

/// The faults program's tests and their outcomes in a run without faults.
let cleanFaultTests: [String: String] = [
    "basic::adds": "passed", "basic::ignored": "ignored", "basic::prints": "passed", "fault::here": "passed", "zz::last": "passed",
]

func clean(_ changes: [String: String?]) -> [String: String] {
    var tests = cleanFaultTests
    for (name, outcome) in changes { tests[name] = outcome }
    return tests
}

/// What the report must hold.
enum ExpectedTests: Sendable {
    /// No report at all: crossrun refused before anything ran.
    case noReport
    /// Exactly these tests with these outcomes.
    case exactly([String: String])
    /// A report whose tests include every test the program printed a header for, and at least these.
    case including([String: String])
    /// A report, if one was written, must include every printed test (a run killed before it could write one).
    case ifWritten
}

/// Where the reports go.
enum ReportPlace: Sendable {
    case folder
    /// A folder below a regular file: every write fails with ENOTDIR.
    case underRegularFile
    /// A read-only tmpfs.
    case readOnlyMount
    /// A 16 KiB tmpfs already full.
    case fullMount
}

/// What to do while crossrun runs.
enum During: Sendable {
    case nothing
    /// Once `after` appears on stdout (or at once when nil), send these signals to crossrun, `gap` µs apart.
    case signals([Int32], after: String?, gap: UInt32)
}

/// The program a case runs.
enum FaultBinary: Sendable {
    case faults
    case faultsDynamic
    case rustDemo
    /// A file made in the case's folder.
    case made(@Sendable (URL) throws -> String)
    case path(String)
}

struct FaultCase: Sendable, CustomTestStringConvertible {
    var name: String
    var testDescription: String { name }
    /// The time-limit flags the case uses (`--timeout`, `--test-timeout`, `--kill-grace`): such cases form their
    /// own test.
    var needs: [String] = []
    var binary: FaultBinary = .faults
    /// CROSSRUN_FAULT for the faults program.
    var fault: String? = nil
    var options: [String] = []
    var arguments: [String] = []
    var env: [String: String?] = [:]
    var reports: ReportPlace = .folder
    var during: During = .nothing
    /// Run crossrun through this command first (e.g. setpriv to drop root).
    var prefix: [String] = []
    /// Empty folders to create before the run.
    var folders: [String] = []
    /// How long crossrun may take before the case counts it as hung and kills it.
    var limit: TimeInterval = 90

    // Expectations.
    var status: Set<Int32>
    var tests: ExpectedTests
    var stderrMentions: [String] = []
    var stderrLacks: [String] = []
    /// Byte strings that must reach crossrun's stdout unchanged.
    var stdoutContains: [[UInt8]] = []
    /// crossrun's own peak memory must stay below this (MiB).
    var maxRSSMiB: Int? = nil
    /// Extra checks on the results JSON.
    var results: (@Sendable ([String: Any]) -> Void)? = nil
    /// A case with its own procedure (several crossrun processes at once).
    var custom: (@Sendable (FaultCase, URL, String) throws -> Void)? = nil

    var mounts: Bool {
        switch reports {
        case .readOnlyMount, .fullMount: return true
        default: return false
        }
    }
}

extension FaultCase {
    static let timeLimitFlags = ["--timeout", "--test-timeout", "--kill-grace"]

    static var all: [FaultCase] {
        badBinaries + environment + crashes + hangs + signals + output + processes + reportFolders + fetching + reportTargets
            + lifetime + small + parsing + foreignFormats
    }

    // MARK: Bad binaries: one error line, the documented status, no report, nothing started.

    static let badBinaries: [FaultCase] = [
        FaultCase(name: "binary: empty file", binary: .made { try write($0, "empty", []) },
                  status: [125], tests: .noReport, stderrMentions: ["is empty"]),
        FaultCase(name: "binary: ELF header cut at 40 bytes",
                  binary: .made { try write($0, "cut", Array(try Data(contentsOf: URL(fileURLWithPath: try Fault.program())).prefix(40))) },
                  status: [125], tests: .noReport, stderrMentions: ["truncated ELF"]),
        // Headers intact, the file cut short: qemu maps it and dies by SIGBUS; crossrun reports that honestly.
        FaultCase(name: "binary: ELF body cut at 3000 bytes",
                  binary: .made { try write($0, "cut-body", Array(try Data(contentsOf: URL(fileURLWithPath: try Fault.program())).prefix(3000)), mode: 0o755) },
                  status: [128 + SIGBUS, 128 + SIGSEGV], tests: .exactly(["cut-body": "error"])),
        FaultCase(name: "binary: shell script text", binary: .made { try write($0, "script.sh", Array("#!/bin/sh\necho hi\n".utf8), mode: 0o755) },
                  status: [125], tests: .noReport, stderrMentions: ["neither an ELF executable nor a wasm module"]),
        FaultCase(name: "binary: a directory", binary: .made { $0.path },
                  status: [125], tests: .noReport, stderrMentions: ["is a directory"]),
        FaultCase(name: "binary: missing file", binary: .made { $0.appendingPathComponent("no-such-test").path },
                  status: [125], tests: .noReport, stderrMentions: ["no such file"]),
        FaultCase(name: "binary: no read permission (as an unprivileged user)",
                  binary: .made { folder in
                      try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
                      let path = try write(folder, "secret", Array(try Data(contentsOf: URL(fileURLWithPath: try Fault.program()))), mode: 0o000)
                      return path
                  },
                  prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
                  status: [125], tests: .noReport, stderrMentions: ["cannot be read", "Permission denied"]),
        FaultCase(name: "binary: foreign architecture (PA-RISC)",
                  binary: .made { try write($0, "hppa", Array(try Data(contentsOf: packageRoot.appendingPathComponent("Tests/CrossRunKitTests/Fixtures/elf/hppa-static.elf-head")))) },
                  status: [125], tests: .noReport, stderrMentions: ["parisc", "supported: aarch64"]),
        FaultCase(name: "binary: wasm magic followed by garbage",
                  binary: .made { try write($0, "garbage.wasm", Array("\0asm".utf8) + [1, 0, 0, 0] + Array("garbage".utf8)) },
                  status: [126], tests: .exactly(["garbage": "failed"]), stderrMentions: ["cannot be loaded as a wasm module"]),
        FaultCase(name: "binary: host program without execute permission",
                  binary: .made { try write($0, "true", Array(try Data(contentsOf: URL(fileURLWithPath: "/bin/true"))), mode: 0o644) },
                  status: [126], tests: .noReport, stderrMentions: ["not executable"]),
    ]

    // MARK: Missing emulator or sysroot.

    static let environment: [FaultCase] = [
        FaultCase(name: "emulator: not on PATH", env: ["PATH": "/nonexistent"],
                  status: [127], tests: .noReport, stderrMentions: ["qemu-aarch64-static", "apt-get install qemu-user-static"]),
        FaultCase(name: "emulator: CROSSRUN_EMULATOR=/nonexistent", env: ["CROSSRUN_EMULATOR": "/nonexistent"],
                  status: [127], tests: .noReport, stderrMentions: ["/nonexistent"]),
        FaultCase(name: "emulator: not an executable", env: ["CROSSRUN_EMULATOR": "/etc/hostname"],
                  status: [126], tests: .noReport, stderrMentions: ["could not start /etc/hostname"]),
        FaultCase(name: "sysroot: --sysroot /nonexistent", binary: .faultsDynamic, options: ["--sysroot", "/nonexistent/sysroot"],
                  status: [126], tests: .noReport, stderrMentions: ["/nonexistent/sysroot"]),
        FaultCase(name: "sysroot: empty --sysroot folder", binary: .faultsDynamic,
                  options: ["--sysroot", FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-fault-empty-sysroot").path],
                  folders: [FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-fault-empty-sysroot").path],
                  status: [126], tests: .noReport, stderrMentions: ["/lib/ld-linux-aarch64.so.1", "crossrun-fault-empty-sysroot"]),
        FaultCase(name: "sysroot: none installed, offline, empty cache", binary: .faultsDynamic,
                  options: ["--ignore-system-sysroots", "--offline"],
                  env: ["CROSSRUN_CACHE_DIR": nil, "XDG_CACHE_HOME": FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-fault-empty-cache-\(getpid())").path],
                  status: [126], tests: .noReport, stderrMentions: ["/lib/ld-linux-aarch64.so.1", "offline"]),
    ]

    // MARK: Guest crashes: crash-resume reports every test; the status is the first process's.

    static let crashes: [FaultCase] = [
        FaultCase(name: "crash: segfault in a test", fault: "segv",
                  status: [128 + SIGSEGV], tests: .exactly(clean(["fault::here": "error"])), stderrMentions: ["SIGSEGV"],
                  results: { #expect($0["restarts"] as? Int ?? 0 >= 1) }),
        FaultCase(name: "crash: abort in a test", fault: "abort",
                  status: [128 + SIGABRT], tests: .exactly(clean(["fault::here": "error"])), stderrMentions: ["SIGABRT"]),
        FaultCase(name: "crash: illegal instruction in a test", fault: "ill",
                  status: [128 + SIGILL], tests: .exactly(clean(["fault::here": "error"])), stderrMentions: ["SIGILL"]),
        FaultCase(name: "crash: illegal instruction in the first test", fault: "ill@basic::adds",
                  status: [128 + SIGILL], tests: .exactly(clean(["basic::adds": "error"]))),
        FaultCase(name: "crash: segfault in the last test", fault: "segv@zz::last",
                  status: [128 + SIGSEGV], tests: .exactly(clean(["zz::last": "error"]))),
        FaultCase(name: "crash: segfault before any test", fault: "segv@before",
                  status: [128 + SIGSEGV], tests: .exactly(["faults-aarch64-static": "error"])),
        FaultCase(name: "crash: abort after libtest's result line", fault: "abort@after",
                  status: [128 + SIGABRT], tests: .exactly(clean(["(process)": "error"]))),
        FaultCase(name: "crash: segfault without crash-resume", fault: "segv", options: ["--no-resume"],
                  status: [128 + SIGSEGV],
                  tests: .exactly(["basic::adds": "passed", "basic::ignored": "ignored", "basic::prints": "passed", "fault::here": "error", "(process)": "error"])),
        FaultCase(name: "crash: exit(0) inside a test", fault: "exit:0",
                  status: [0], tests: .exactly(clean(["fault::here": "error"])), stderrMentions: ["FAILED"]),
        FaultCase(name: "crash: exit(3) after libtest's result line", fault: "exit:3@after",
                  status: [3], tests: .exactly(clean(["(process)": "error"]))),
        FaultCase(name: "crash: segfault in a dynamic binary", binary: .faultsDynamic, fault: "segv",
                  status: [128 + SIGSEGV], tests: .exactly(clean(["fault::here": "error"]))),
        FaultCase(name: "crash: real Rust libtest, abort and segfault (CROSSRUN_DEMO_CRASH=1)", binary: .rustDemo,
                  env: ["CROSSRUN_DEMO_CRASH": "1"],
                  status: [128 + SIGABRT, 128 + SIGSEGV],
                  tests: .exactly([
                      "tests::add_small_numbers": "passed", "tests::divide_exact": "passed", "tests::divide_by_zero_panics": "passed",
                      "tests::reverse_words_works": "passed", "tests::prints_to_stdout": "passed", "tests::prints_to_stderr": "passed",
                      "tests::pointer_width_matches_arch": "passed", "tests::slow_exhaustive_add": "ignored",
                      "tests::needs_real_hardware": "ignored", "tests::opt_in_failure": "passed",
                      "crash::aborts": "error", "crash::segfaults": "error",
                  ])),
    ]

    // MARK: Hangs: time limits stop the whole process group; what ran is reported.

    static let hangs: [FaultCase] = [
        FaultCase(name: "hang: before any output, --timeout", needs: timeLimitFlags, fault: "hang@before", options: ["--timeout", "2s"],
                  limit: 30, status: [124], tests: .including([:]),
                  results: { #expect(($0["timeouts"] as? [Any])?.isEmpty == false) }),
        FaultCase(name: "hang: inside a test, --timeout", needs: timeLimitFlags, fault: "hang", options: ["--timeout", "3s"],
                  limit: 30, status: [124],
                  tests: .including(["basic::adds": "passed", "basic::ignored": "ignored", "basic::prints": "passed", "fault::here": "error"]),
                  results: { #expect(($0["timeouts"] as? [Any])?.isEmpty == false) }),
        FaultCase(name: "hang: inside a test, --test-timeout, the rest still run", needs: timeLimitFlags, fault: "hang",
                  options: ["--test-timeout", "2s"], limit: 40, status: [124], tests: .exactly(clean(["fault::here": "error"])),
                  results: { #expect(($0["timeouts"] as? [Any])?.isEmpty == false) }),
        FaultCase(name: "hang: after libtest's result line, --timeout", needs: timeLimitFlags, fault: "hang@after", options: ["--timeout", "3s"],
                  limit: 30, status: [124], tests: .including(cleanFaultTests)),
        FaultCase(name: "hang: guest ignores SIGTERM, --timeout kills after the grace", needs: timeLimitFlags, fault: "stubborn",
                  options: ["--timeout", "2s", "--kill-grace", "1s"], limit: 30, status: [124],
                  tests: .including(["basic::adds": "passed", "fault::here": "error"])),
        FaultCase(name: "hang: guest ignores SIGTERM, --test-timeout, the rest still run", needs: timeLimitFlags, fault: "stubborn",
                  options: ["--test-timeout", "2s", "--kill-grace", "1s"], limit: 40, status: [124],
                  tests: .exactly(clean(["fault::here": "error"]))),
    ]

    // MARK: Signal storms sent to crossrun while the guest hangs in a test.

    static func storm(_ signal: Int32, _ count: Int) -> [Int32] { Array(repeating: signal, count: count) }
    static let inTest = "test fault::here ... "

    static func interrupted(by name: String) -> @Sendable ([String: Any]) -> Void {
        { results in
            let exit = results["exit"] as? [String: Any] ?? [:]
            let marked = (exit["interruptedBy"] as? String) ?? ((results["interrupted"] as? [String: Any])?["signalName"] as? String)
            #expect(marked == name, "the report must say the run was interrupted by \(name)")
        }
    }

    static let stormTests = ["basic::adds": "passed", "basic::ignored": "ignored", "basic::prints": "passed", "fault::here": "error"]

    static let signals: [FaultCase] = [
        FaultCase(name: "signals: 20 × SIGINT", fault: "hang", during: .signals(storm(SIGINT, 20), after: inTest, gap: 1000),
                  limit: 30, status: [128 + SIGINT], tests: .including(stormTests), results: interrupted(by: "SIGINT")),
        FaultCase(name: "signals: 20 × SIGTERM", fault: "hang", during: .signals(storm(SIGTERM, 20), after: inTest, gap: 1000),
                  limit: 30, status: [128 + SIGTERM], tests: .including(stormTests), results: interrupted(by: "SIGTERM")),
        FaultCase(name: "signals: 20 × SIGHUP", fault: "hang", during: .signals(storm(SIGHUP, 20), after: inTest, gap: 1000),
                  limit: 30, status: [128 + SIGHUP], tests: .including(stormTests), results: interrupted(by: "SIGHUP")),
        // Which of the three ends the guest first is a race: the status and the report must agree on one of them.
        FaultCase(name: "signals: 50 mixed SIGTERM, SIGINT, SIGHUP without pause", fault: "hang",
                  during: .signals((0..<50).map { [SIGTERM, SIGINT, SIGHUP][$0 % 3] }, after: inTest, gap: 0),
                  limit: 30, status: [128 + SIGTERM, 128 + SIGINT, 128 + SIGHUP], tests: .including(stormTests),
                  results: { results in
                      let exit = results["exit"] as? [String: Any] ?? [:]
                      let marked = (exit["interruptedBy"] as? String) ?? ((results["interrupted"] as? [String: Any])?["signalName"] as? String)
                      #expect(["SIGTERM", "SIGINT", "SIGHUP"].contains(marked ?? "none"), "marked as interrupted by \(marked ?? "nothing")")
                  }),
        FaultCase(name: "signals: SIGTERM storm during a 10,000-test run", fault: "many:10000",
                  during: .signals(storm(SIGTERM, 10), after: "test many::t00100 ... ", gap: 2000),
                  limit: 60, status: [128 + SIGTERM], tests: .ifWritten),
        FaultCase(name: "signals: SIGTERM storm at start-up", fault: "hang", during: .signals(storm(SIGTERM, 10), after: nil, gap: 5000),
                  limit: 30, status: [128 + SIGTERM], tests: .ifWritten),
        FaultCase(name: "signals: guest ignores SIGTERM, a second SIGTERM kills it", needs: timeLimitFlags, fault: "stubborn",
                  during: .signals(storm(SIGTERM, 5), after: inTest, gap: 200_000),
                  limit: 30, status: [128 + SIGTERM], tests: .including(stormTests), results: interrupted(by: "SIGTERM")),
    ]

    // MARK: Output floods, binary output, control characters and XML markup.

    /// crossrun's peak memory under a flood (its own baseline is about 40 MiB in a debug build).
    static let floodRSS = 160

    static func truncatedOutput(_ test: String) -> @Sendable ([String: Any]) -> Void {
        { results in
            let tests = results["tests"] as? [[String: Any]] ?? []
            let entry = tests.first { $0["name"] as? String == test }
            #expect(entry?["outputTruncated"] as? Bool == true, "\(test)'s output is capped and says so")
            #expect((entry?["output"] as? String)?.contains("bytes of output omitted here") == true)
        }
    }

    static let stderrTruncated: @Sendable ([String: Any]) -> Void = { results in
        let stderr = results["stderr"] as? String ?? ""
        #expect(stderr.contains("bytes of output omitted here"))
        #expect(stderr.utf8.count < 300_000)
    }

    static let output: [FaultCase] = [
        FaultCase(name: "output: 2 MB of lines on stdout inside a test", fault: "flood:2000000",
                  status: [0], tests: .exactly(cleanFaultTests), maxRSSMiB: floodRSS, results: truncatedOutput("fault::here")),
        FaultCase(name: "output: 2 MB on stdout without a newline", fault: "flood-nonl:2000000",
                  status: [0], tests: .exactly(cleanFaultTests), maxRSSMiB: floodRSS, results: truncatedOutput("fault::here")),
        FaultCase(name: "output: 64 MB of lines on stderr", fault: "flood-err:64000000",
                  status: [0], tests: .exactly(cleanFaultTests), maxRSSMiB: floodRSS, results: stderrTruncated),
        FaultCase(name: "output: 64 MB on stderr without a newline", fault: "flood-err-nonl:64000000",
                  status: [0], tests: .exactly(cleanFaultTests), maxRSSMiB: floodRSS, results: stderrTruncated),
        FaultCase(name: "output: 2 MB captured in a failure section", fault: "flood-section:2000000",
                  status: [101], tests: .exactly(clean(["fault::here": "failed"])), maxRSSMiB: floodRSS, results: truncatedOutput("fault::here")),
        FaultCase(name: "output: a 1 MB panic message", fault: "longline:1000000",
                  status: [101], tests: .exactly(clean(["fault::here": "failed"])), maxRSSMiB: floodRSS),
        // 200 MB keeps the suite quick; Benchmarks (section 4) measures a 1 GiB flood (issue 7: about 0.5-0.8 GB/s
        // in a release build, peak memory flat).
        FaultCase(name: "output: 200 MB of lines on stdout", fault: "flood:200000000", limit: 45,
                  status: [0], tests: .exactly(cleanFaultTests), maxRSSMiB: floodRSS, results: truncatedOutput("fault::here")),
        FaultCase(name: "output: NUL, 0xFF and invalid UTF-8", fault: "binary",
                  status: [101], tests: .exactly(clean(["fault::here": "failed"])),
                  stdoutContains: [Array("bin: NUL[\0] FF[".utf8) + [0xFF] + Array("] FE[".utf8) + [0xFE]],
                  results: { results in
                      let entry = (results["tests"] as? [[String: Any]])?.first { $0["name"] as? String == "fault::here" }
                      #expect((entry?["output"] as? String)?.contains("bin: NUL[") == true)
                  }),
        FaultCase(name: "output: control characters in output, panic message and a test name", fault: "control",
                  status: [101], tests: .exactly(clean(["fault::here": "failed", "control::soh\u{01}unit\u{1F}sep": "passed"])),
                  stdoutContains: [Array("cr[a\rb] bs[a\u{08}b] ff[\u{0C}]".utf8), Array("esc[\u{1B}[31mred\u{1B}[0m]".utf8)]),
        FaultCase(name: "output: ]]>, <![CDATA[, & and < in names, output and panic messages", fault: "markup",
                  status: [101],
                  tests: .exactly(clean(["fault::here": "failed", "markup::cdata_end]]>here": "passed", "markup::<![CDATA[open": "passed", "markup::amp&lt<gt>": "passed"])),
                  stdoutContains: [Array("cdata-end[]]>] cdata-start[<![CDATA[] amp[&] lt[<]".utf8)]),
        FaultCase(name: "output: 10,000 tests", fault: "many:10000", limit: 180,
                  status: [0],
                  tests: .exactly(Dictionary(uniqueKeysWithValues: (0..<10_000).map { (String(format: "many::t%05d", $0), $0 % 100 == 99 ? "ignored" : "passed") }))),
        FaultCase(name: "output: a test name reported twice (FAILED, then ok)",
                  fault: "repeat", status: [101], tests: .exactly(clean(["dup::same": "failed,passed"]))),
    ]

    // MARK: Processes the test leaves behind.

    static let processes: [FaultCase] = [
        FaultCase(name: "processes: a grandchild keeps running and holds the output pipes",
                  fault: "fork", limit: 30, status: [0], tests: .exactly(cleanFaultTests)),
        FaultCase(name: "processes: a grandchild keeps running with its output closed",
                  fault: "fork-quiet", limit: 30, status: [0], tests: .exactly(cleanFaultTests)),
    ]

    // MARK: Report folders that cannot be written, concurrent writers, nextest-style invocations.

    static let reportFolders: [FaultCase] = [
        FaultCase(name: "reports: folder below a regular file, passing run", reports: .underRegularFile,
                  status: [125], tests: .noReport, stderrMentions: ["cannot write the report", "crossrun: faults-aarch64-static"]),
        FaultCase(name: "reports: folder below a regular file, failing run keeps 101", fault: "fail", reports: .underRegularFile,
                  status: [101], tests: .noReport, stderrMentions: ["cannot write the report"]),
        FaultCase(name: "reports: read-only file system", reports: .readOnlyMount,
                  status: [125], tests: .noReport, stderrMentions: ["cannot write the report", "Read-only file system"]),
        FaultCase(name: "reports: full file system (ENOSPC)", reports: .fullMount,
                  status: [125], tests: .noReport, stderrMentions: ["cannot write the report", "No space left on device"],
                  stderrLacks: [".tmp (", "I/O error"]),
        FaultCase(name: "reports: full file system, crash keeps its status", fault: "segv", reports: .fullMount,
                  status: [128 + SIGSEGV], tests: .noReport, stderrMentions: ["cannot write the report"]),
        FaultCase(name: "reports: 8 binaries at once into one folder", status: [0], tests: .noReport, custom: concurrentBinaries),
        FaultCase(name: "reports: 8 runs of one binary at once into one report", status: [0], tests: .noReport, custom: concurrentSameBinary),
        FaultCase(name: "nextest-style: 12 `BINARY --exact NAME --nocapture` processes at once", status: [0], tests: .noReport, custom: nextestStyle),
    ]
}

// MARK: - Running a case

extension FaultCase {
    func binaryPath(in folder: URL) throws -> String {
        switch binary {
        case .faults: return try Fault.program()
        case .faultsDynamic: return try Fault.program(static: false)
        case .rustDemo: return try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        case .made(let make):
            let made = folder.appendingPathComponent("made")
            try FileManager.default.createDirectory(at: made, withIntermediateDirectories: true)
            return try make(made)
        case .path(let path): return path
        }
    }

    func environment(marker: String) -> [String: String] {
        var changes = env
        changes[Fault.markerVariable] = marker
        if let fault { changes["CROSSRUN_FAULT"] = fault }
        return EndToEndTests.environment(changes)
    }

    /// Runs the case and checks its guarantees.
    func check() throws {
        try Examples.build()
        let folder = try temporaryDirectory("fault")
        let marker = UUID().uuidString
        var mounted: String?
        defer {
            if let mounted { _ = umount2(mounted, Int32(MNT_DETACH)) }
            try? FileManager.default.removeItem(at: folder)
        }
        if let custom {
            try custom(self, folder, marker)
            let left = Fault.leftovers(marker)
            #expect(left.isEmpty, "processes left running (killed now): \(left)")
            return
        }

        // Where the reports go.
        var reportDirectory = folder.appendingPathComponent("reports")
        switch reports {
        case .folder:
            break
        case .underRegularFile:
            try Data("a file, not a folder\n".utf8).write(to: folder.appendingPathComponent("file"))
            reportDirectory = folder.appendingPathComponent("file/reports")
        case .readOnlyMount, .fullMount:
            try FileManager.default.createDirectory(at: reportDirectory, withIntermediateDirectories: true)
            let readOnly = reports == .readOnlyMount
            guard Fault.mountTmpfs(at: reportDirectory.path, options: "size=16k") else {
                Issue.record("mount tmpfs on \(reportDirectory.path): \(String(cString: strerror(errno)))")
                return
            }
            mounted = reportDirectory.path
            if readOnly {
                guard Fault.mountTmpfs(at: reportDirectory.path, options: "size=16k", flags: UInt(MS_REMOUNT | MS_RDONLY)) else {
                    Issue.record("remount read-only: \(String(cString: strerror(errno)))")
                    return
                }
            } else {
                // Fill it: the first write of a report fails with ENOSPC.
                let filler = fopen(reportDirectory.appendingPathComponent("filler").path, "w")
                let block = [UInt8](repeating: 0x61, count: 4096)
                while fwrite(block, 1, block.count, filler) == block.count && fflush(filler) == 0 {}
                fclose(filler)
            }
        }
        for path in folders { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: reportDirectory.path)) ?? [])

        let binary = try binaryPath(in: folder)
        let argv = prefix + [crossrunExecutable, "--report-dir", reportDirectory.path] + options + [binary] + arguments
        let child = try Fault.Child(argv, environment: environment(marker: marker), folder: folder)
        if case .signals(let signals, let after, let gap) = during {
            if let after {
                let deadline = Date().addingTimeInterval(limit / 2)
                while !String(decoding: child.stdoutSoFar, as: UTF8.self).contains(after) && Date() < deadline {
                    usleep(20_000)
                }
                // Let the guest reach its hang after printing.
                if fault?.hasPrefix("hang") == true || fault?.hasPrefix("stubborn") == true { usleep(200_000) }
            }
            for signal in signals {
                kill(child.pid, signal)
                if gap > 0 { usleep(gap) }
            }
        }
        let outcome = child.wait(limit: limit)
        let left = Fault.leftovers(marker)

        // 1. Exit status.
        #expect(!outcome.hung, "crossrun did not end within \(Int(limit))s (killed)")
        #expect(status.contains(outcome.status), "exit status \(outcome.status), expected \(status.sorted()); stderr: \(outcome.stderrText.prefix(2000))")
        // 2. No process left.
        #expect(left.isEmpty, "processes left running (killed now): \(left)")
        // 3. Messages and pass-through.
        for text in stderrMentions {
            #expect(outcome.stderrText.contains(text), "stderr lacks \(text): \(outcome.stderrText.prefix(2000))")
        }
        for text in stderrLacks {
            #expect(!outcome.stderrText.contains(text), "stderr should not contain \(text): \(outcome.stderrText.prefix(2000))")
        }
        for bytes in stdoutContains {
            #expect(outcome.stdout.range(of: Data(bytes)) != nil, "stdout lacks the bytes of \(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
        if let maxRSSMiB {
            #expect(outcome.maxRSSKiB < maxRSSMiB * 1024, "crossrun's peak memory was \(outcome.maxRSSKiB / 1024) MiB (limit \(maxRSSMiB) MiB)")
        }
        // 4. Reports: complete, parseable, schema-valid.
        let fileName = (binary as NSString).lastPathComponent
        let json = reportDirectory.appendingPathComponent(fileName + ".json").path
        let junit = reportDirectory.appendingPathComponent(fileName + ".xml").path
        let printed = Fault.printedTests(in: outcome.stdout)
        switch tests {
        case .noReport:
            let after = Set((try? FileManager.default.contentsOfDirectory(atPath: reportDirectory.path)) ?? [])
            #expect(after == before, "no report and no temporary file expected, found \(after.subtracting(before).sorted())")
        case .exactly(let expected):
            guard let results = try checkReports(json: json, junit: junit, printed: printed) else { break }
            let got = Fault.outcomes(results)
            if got != expected {
                let wrong = Set(got.keys).union(expected.keys).sorted().filter { got[$0] != expected[$0] }
                let lines = wrong.prefix(20).map { name in "\(name.debugDescription): got \(got[name] ?? "-"), expected \(expected[name] ?? "-")" }
                Issue.record("report differs in \(wrong.count) tests: \(lines.joined(separator: "; "))")
            }
            self.results?(results)
        case .including(let expected):
            guard let results = try checkReports(json: json, junit: junit, printed: printed) else { break }
            let got = Fault.outcomes(results)
            for (name, outcome) in expected {
                #expect(got[name] == outcome, "\(name): got \(got[name] ?? "nothing"), expected \(outcome)")
            }
            self.results?(results)
        case .ifWritten:
            if FileManager.default.fileExists(atPath: json) || FileManager.default.fileExists(atPath: junit) {
                let results = try checkReports(json: json, junit: junit, printed: printed)
                if let results { self.results?(results) }
            }
        }
    }

    /// Checks that both reports exist, parse and validate, agree on the number of tests, and hold every test
    /// the program printed a header for. Returns the results JSON.
    @discardableResult
    func checkReports(json: String, junit: String, printed: [String]) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: json), FileManager.default.fileExists(atPath: junit) else {
            Issue.record("missing report: \(json) or \(junit)")
            return nil
        }
        let results = try readResults(json)
        #expect(try schemaProblems(junit) == nil, "JUnit does not validate: \(String(describing: try? schemaProblems(junit)).prefix(2000))")
        let tests = results["tests"] as? [[String: Any]] ?? []
        #expect(Fault.junitCaseCount(junit) == tests.count, "JUnit and JSON disagree on the number of tests")
        let names = Set(tests.compactMap { $0["name"] as? String })
        let missing = Set(printed).subtracting(names)
        #expect(missing.isEmpty, "tests that ran but are not in the report: \(missing.sorted().prefix(20))")
        return results
    }
}

/// Writes a file into `folder` and returns its path.
@discardableResult
func write(_ folder: URL, _ name: String, _ bytes: [UInt8], mode: Int = 0o644) throws -> String {
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    return url.path
}

// MARK: - Concurrent cases

/// Eight differently named copies of the faults program run at once with one report folder: eight complete,
/// valid report pairs, no temporary file left.
@Sendable func concurrentBinaries(_ fault: FaultCase, _ folder: URL, _ marker: String) throws {
    let program = try Fault.program()
    let reports = folder.appendingPathComponent("reports")
    var children: [(Fault.Child, String)] = []
    for index in 0..<8 {
        let copy = folder.appendingPathComponent("faults-copy-\(index)").path
        try FileManager.default.copyItem(atPath: program, toPath: copy)
        // Every other copy crashes, so crash-resume runs interleave with plain ones.
        let env = EndToEndTests.environment([Fault.markerVariable: marker, "CROSSRUN_FAULT": index % 2 == 0 ? "fail" : "segv"])
        children.append((try Fault.Child([crossrunExecutable, "--report-dir", reports.path, copy], environment: env, folder: folder, tag: "-\(index)"), copy))
    }
    for (index, (child, copy)) in children.enumerated() {
        let outcome = child.wait(limit: 120)
        #expect(outcome.status == (index % 2 == 0 ? 101 : 128 + SIGSEGV), "copy \(index): \(outcome.status)")
        let name = (copy as NSString).lastPathComponent
        let results = try fault.checkReports(
            json: reports.appendingPathComponent(name + ".json").path, junit: reports.appendingPathComponent(name + ".xml").path,
            printed: Fault.printedTests(in: outcome.stdout))
        if let results {
            #expect(Fault.outcomes(results) == clean(["fault::here": index % 2 == 0 ? "failed" : "error"]), "copy \(index)")
        }
    }
    let files = try FileManager.default.contentsOfDirectory(atPath: reports.path)
    #expect(files.count == 16, "expected 8 JSON and 8 JUnit files, found \(files.sorted())")
}

/// Eight runs of one binary at once write the same two report files: the survivor is one whole report.
@Sendable func concurrentSameBinary(_ fault: FaultCase, _ folder: URL, _ marker: String) throws {
    let program = try Fault.program()
    let reports = folder.appendingPathComponent("reports")
    let env = EndToEndTests.environment([Fault.markerVariable: marker, "CROSSRUN_FAULT": "flood-err:300000"])
    let children = try (0..<8).map { try Fault.Child([crossrunExecutable, "--report-dir", reports.path, program], environment: env, folder: folder, tag: "-\($0)") }
    for child in children {
        let outcome = child.wait(limit: 120)
        #expect(outcome.status == 0)
    }
    let name = (program as NSString).lastPathComponent
    let results = try fault.checkReports(
        json: reports.appendingPathComponent(name + ".json").path, junit: reports.appendingPathComponent(name + ".xml").path, printed: [])
    if let results { #expect(Fault.outcomes(results) == cleanFaultTests) }
    let files = try FileManager.default.contentsOfDirectory(atPath: reports.path)
    #expect(Set(files) == [name + ".json", name + ".xml"], "no temporary or torn files: \(files.sorted())")
}

/// What cargo-nextest does: one process per test, `BINARY --exact NAME --nocapture`, many at once. Each gets
/// its own test's result and status; nothing is left running.
@Sendable func nextestStyle(_ fault: FaultCase, _ folder: URL, _ marker: String) throws {
    let program = try Fault.program()
    let names = ["basic::adds", "basic::prints", "fault::here", "zz::last"]
    var children: [(Fault.Child, String, Bool)] = []
    for index in 0..<12 {
        let name = names[index % names.count]
        // fault::here fails in half of the processes.
        let failing = name == "fault::here" && index % 8 == 2
        var changes: [String: String?] = [Fault.markerVariable: marker]
        if failing { changes["CROSSRUN_FAULT"] = "fail" }
        let reports = folder.appendingPathComponent("reports-\(index)")
        children.append((
            try Fault.Child([crossrunExecutable, "--report-dir", reports.path, program, "--exact", name, "--nocapture"],
                            environment: EndToEndTests.environment(changes), folder: folder, tag: "-\(index)"),
            name, failing))
    }
    for (index, (child, name, failing)) in children.enumerated() {
        let outcome = child.wait(limit: 120)
        #expect(outcome.status == (failing ? 101 : 0), "process \(index) (\(name)): \(outcome.status)")
        #expect(outcome.stdoutText.contains("test \(name) ... "), "process \(index) ran \(name)")
        #expect(Fault.printedTests(in: outcome.stdout) == [name])
        let reports = folder.appendingPathComponent("reports-\(index)")
        let file = (program as NSString).lastPathComponent
        if let results = try fault.checkReports(
            json: reports.appendingPathComponent(file + ".json").path, junit: reports.appendingPathComponent(file + ".xml").path,
            printed: Fault.printedTests(in: outcome.stdout))
        {
            #expect(Fault.outcomes(results) == [name: failing ? "failed" : "passed"], "process \(index)")
        }
    }
}

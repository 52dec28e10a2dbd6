import Foundation
import Testing

@testable import CrossRunKit

@Suite("CrossRunError")
struct CrossRunErrorTests {
    /// At least one error of every code, with awkward but realistic details, and the exit status
    /// docs/exit-status.md gives it.
    static let samples: [(CrossRunError, Int32)] = [
        (.binaryNotFound(path: "target/debug/deps/x"), 125),
        (.binaryIsDirectory(path: "target"), 125),
        (.binaryNotReadable(path: "x", reason: "Permission denied"), 125),
        (.binaryEmpty(path: "x"), 125),
        (.binaryTruncated(path: "x", detail: "2 bytes"), 125),
        (.binaryMalformed(path: "x", detail: "unknown ELF class 0"), 125),
        (.notAnExecutable(path: "run.sh", magic: "\"#!/b\""), 125),
        (.foreignExecutable(path: "app.exe", what: "a Windows PE executable (x86-64)", instead: "run it on Windows"), 125),
        (.unsupportedMachine(path: "x", found: "ELF 64-bit big-endian s390", supported: ["aarch64 (AArch64 Linux)", "armv7 (ARMv7)"]), 125),
        (.notExecutableOnHost(path: "x"), 126),
        (.binaryNotExecutable(path: "target/aarch64-unknown-linux-gnu/debug/deps/x", mode: 0o644), 126),
        (.targetMismatch(path: "x", found: "AArch64", target: "armv7", expected: "ARMv7"), 125),
        (.partitionListingFailed(path: "x", partition: "hash:1/2"), 125),
        (.notELF, 125),
        (.elfTruncated("the program header table at offset 64 is cut short"), 125),
        (.elfInvalid("unknown ELF class 0"), 125),
        (.emulatorNotFound(target: "aarch64", candidates: ["qemu-aarch64-static", "qemu-aarch64"], installHint: "apt-get install qemu-user-static"), 127),
        (.loaderMissing(target: "aarch64", interpreter: "/lib/ld-linux-aarch64.so.1", searched: [], installHint: "apt-get install libc6-arm64-cross"), 126),
        (.loaderMissing(target: "aarch64", interpreter: "/lib/ld-linux-aarch64.so.1", searched: ["/usr/aarch64-linux-gnu"], installHint: "apt-get install libc6-arm64-cross"), 126),
        (.sysrootNotADirectory(path: "/opt/x", origin: "--sysroot"), 126),
        (.spawnFailed(executable: "/usr/bin/qemu-aarch64-static", reason: "Exec format error"), 126),
        (.cpuRefused(cpu: "cortex-z99", origin: "/src/app/crossrun.toml", emulator: "/usr/bin/qemu-aarch64-static"), 125),
        (.invalidConfiguration(file: "crossrun.toml", reason: "unknown key \"colour\""), 125),
        (.invalidRunnerDefinition(name: "Runners/x.toml", reason: "missing key sysroot"), 125),
        (.unknownTarget(name: "sparc64", known: ["aarch64", "armv7"]), 125),
        (.invalidEnvironmentValue(variable: "CROSSRUN_NO_REPORT", value: "maybe", expected: "1, 0, true or false"), 125),
        (.reportNotWritable(path: "/ro/x.xml", reason: "Read-only file system"), 125),
        (.reportNotReadable(path: "x.xml", reason: "it is not well-formed XML"), 125),
        (.noReportsToMerge(paths: ["target/crossrun"]), 125),
        (.noRunRecord(directory: "target/crossrun"), 125),
        (.invalidSysrootManifest(name: "Sysroots/x.toml", reason: "packages is empty"), 125),
        (.noSysrootManifest(target: "wasm32-wasi"), 125),
        (.noMirror(searched: ["/etc/apt/sources.list"]), 126),
        (.downloadFailed(url: "http://127.0.0.1/x", reason: "HTTP 404"), 126),
        (.checksumMismatch(what: "libc6.deb", expected: "aa", actual: "bb"), 126),
        (.sizeMismatch(what: "libc6.deb", expected: 2, actual: 1), 126),
        (.signatureInvalid(file: "InRelease", reason: "BAD signature"), 126),
        (.signatureUnverifiable(file: "InRelease", reason: "gpgv is not installed (not on PATH)", fix: "Install it (apt-get install gpgv)"), 126),
        (.packageMissing(package: "libgcc-s1", index: "Packages.xz"), 126),
        (.unsafeArchiveEntry(package: "libc6.deb", entry: "../escape", reason: "a path with a .. component"), 126),
        (.archiveUnreadable(package: "libc6.deb", reason: "truncated"), 126),
        (.sysrootIncomplete(target: "aarch64", loader: "/lib/ld-linux-aarch64.so.1"), 126),
        (.sysrootNotCached(target: "aarch64", reason: "--offline forbids downloading one"), 126),
        (.sysrootLocked(target: "aarch64", reason: "no lock record"), 126),
        (.sysrootModified(target: "aarch64", problems: ["a", "b", "c", "d"]), 126),
        (.cacheNotWritable(path: "/ro/cache", reason: "Read-only file system"), 126),
        (.qemuNotFound(candidates: ["qemu-system-aarch64"]), 127),
        (.kernelNotFound(path: "/boot/Image"), 126),
        (.kernelNotImage(path: "/boot/vmlinuz"), 126),
        (.busyboxNotFound(path: "/bin/busybox"), 126),
        (.unreadable(path: "/lib/libc.so.6", reason: "Permission denied"), 126),
        (.initramfs(path: "/tmp/x/initramfs.cpio", reason: "No space left on device"), 126),
        (.libraryMissing(binary: "/bin/sh", library: "libc.so.6", searched: ["/s/lib", "/s/usr/lib"]), 126),
        (.sysrootNeeded(binary: "x", interpreter: "/lib/ld-linux-aarch64.so.1"), 126),
        (.unsupportedBinary(path: "x", found: "ARMv7"), 125),
        (.invalidEnvironmentName("A B=1"), 125),
        (.kernelPackageUnresolved(package: "linux-image-arm64", reason: "no Depends"), 126),
        (.qemuFailed(reason: "ended with exit status 1", console: "line one\r\nline two\r\n"), 126),
        (.noStartMarker(console: "[ 1.0] Kernel panic - not syncing: No working init found.\r\n[ 1.1] end\r\n"), 126),
        (.noEndMarker(console: ""), 126),
        (.wasmModuleUnreadable(path: "x.wasm", reason: "magic header not detected"), 126),
        (.targetsCannotRun(names: ["aarch64", "riscv64"]), 1),
        (.sysrootFetchFailed(target: "aarch64", message: "no Debian mirror found in /etc/apt/sources.list; pass --mirror URL.", ended: "exit status 126"), 126),
        (.sysrootFetchFailed(target: "aarch64", message: nil, ended: "killed by signal 9"), 126),
        (.toolsNotInstalled(what: "`crossrun doctor`", tools: "/usr/bin/crossrun-tools", executable: "/usr/bin/crossrun"), 125),
    ]

    @Test("one line, a full stop, the documented exit status", arguments: samples)
    func shape(error: CrossRunError, status: Int32) {
        #expect(error.exitStatus == status)
        #expect(CrossRunError.exitStatus(for: error) == status)
        #expect(!error.message.contains("\n") && !error.message.contains("\r"))
        #expect(error.message.hasSuffix("."))
        #expect(error.description == error.message)
        #expect(error.localizedDescription == error.message)
        #expect(CrossRunError.message(for: error) == error.message)
    }

    @Test("every code has a sample error: its exit status, and a non-empty one-line message", arguments: CrossRunError.Code.all)
    func code(_ code: CrossRunError.Code) {
        let samples = Self.samples.filter { $0.0.code == code }
        #expect(!samples.isEmpty, "add a sample error of code \(code) to the table")
        for (error, status) in samples {
            #expect(code.exitStatus == status)
            #expect(!error.message.isEmpty)
            #expect(error.message.split(whereSeparator: \.isNewline).count == 1)
        }
        #expect(CrossRunError.Code(rawValue: code.rawValue) == code)
    }

    @Test("codes are distinct and named like their factory functions")
    func codeNames() {
        #expect(Set(CrossRunError.Code.all).count == CrossRunError.Code.all.count)
        #expect(CrossRunError.Code.binaryNotFound.rawValue == "binaryNotFound")
        #expect(CrossRunError.Code(rawValue: "noSuchCode") == nil)
        #expect(CrossRunError.binaryNotFound(path: "x").code == .binaryNotFound)
    }

    struct Foreign: Error {}
    struct ForeignLocalized: LocalizedError {
        var errorDescription: String? { "first line\nsecond line" }
    }

    @Test("an error of another type is crossrun's own error, 125, on one line")
    func foreignError() {
        #expect(CrossRunError.exitStatus(for: Foreign()) == ExitStatus.crossrunError)
        #expect(CrossRunError.exitStatus(for: CocoaError(.fileNoSuchFile)) == 125)
        #expect(!CrossRunError.message(for: Foreign()).isEmpty)
        #expect(CrossRunError.message(for: ForeignLocalized()) == "first line second line")
    }

    @Test("signals map to 128 + N and are named")
    func signals() {
        #expect(ExitStatus.forSignal(11) == 139)
        #expect(TerminationStatus.signaled(6).shellStatus == 134)
        #expect(TerminationStatus.exited(101).shellStatus == 101)
        #expect(TerminationStatus.signaled(11).description == "killed by SIGSEGV (signal 11)")
        #expect(TerminationStatus.exited(3).description == "exit status 3")
        #expect(Signals.name(64) == "signal 64")
    }

    @Test("wait statuses decode", arguments: [
        (Int32(0), TerminationStatus.exited(0)), (101 << 8, .exited(101)), (11, .signaled(11)), (6 | 0x80, .signaled(6)),
    ])
    func waitStatus(raw: Int32, expected: TerminationStatus) {
        #expect(TerminationStatus.fromWaitStatus(raw) == expected)
    }
}

@Suite("TestListing")
struct TestListingTests {
    static let demoNames = [
        "tests::add_small_numbers", "tests::divide_by_zero_panics", "tests::divide_exact", "tests::needs_real_hardware",
        "tests::opt_in_failure", "tests::pointer_width_matches_arch", "tests::prints_to_stderr", "tests::prints_to_stdout",
        "tests::reverse_words_works", "tests::slow_exhaustive_add",
    ]

    @Test("names from recorded --list output", arguments: [
        ("rust1.63-aarch64-list", demoNames), ("rust1.95-x86_64-list", demoNames),
        ("rust1.63-aarch64-list-terse", demoNames), ("rust1.95-x86_64-list-terse", demoNames),
        ("rust1.63-aarch64-list-ignored", ["tests::needs_real_hardware", "tests::slow_exhaustive_add"]),
        ("rust1.95-x86_64-list-ignored", ["tests::needs_real_hardware", "tests::slow_exhaustive_add"]),
    ])
    func names(fixture: String, expected: [String]) throws {
        let text = String(decoding: try Fixtures.libtest(fixture + ".stdout"), as: UTF8.self)
        #expect(TestListing.names(in: text) == expected)
    }

    @Test("libtest's closing --list line tells a libtest binary (even with no tests) from a program that ignored --list",
          arguments: [("10 tests, 0 benchmarks\n", true), ("a: test\n\n1 test, 0 benchmarks\n", true), ("0 tests, 0 benchmarks\n", true),
                      ("plain_exit: --list\n", false), ("", false), ("10 tests passed\n", false), ("tests, 0 benchmarks\n", false)])
    func closingLine(output: String, isLibtest: Bool) {
        #expect(TestListing.hasClosingLine(output) == isLibtest)
    }

    @Test("benchmarks and prose are not test names")
    func notNames() {
        #expect(TestListing.names(in: "a: test\nb: bench\n\n2 tests, 1 benchmark\nc: test\n") == ["a", "c"])
    }

    @Test("CRLF line ends, which names(in:) means to accept")
    func crlf() {
        // In Swift "\r\n" is one Character, so splitting on "\n" never splits there and the "\r" check is dead.
        #expect(TestListing.names(in: "a: test\r\nb: test\r\n") == ["a", "b"])
    }

    @Test("the selection keeps filters and drops output options", arguments: [
        (["--format", "terse", "tests::divide", "--exact"], ["tests::divide", "--exact"]),
        (["-q", "--test-threads=1", "--skip", "slow", "--ignored"], ["--skip", "slow", "--ignored"]),
        (["--nocapture", "--color", "always", "-Z", "unstable-options", "--shuffle"], []),
        (["--include-ignored", "--show-output"], ["--include-ignored"]),
    ])
    func selection(arguments: [String], expected: [String]) {
        #expect(TestListing.selection(from: arguments) == expected)
    }

    @Test("--report-time is a flag: the filter after it is kept")
    func reportTimeIsAFlag() {
        // libtest declares `report-time` with optflag (no value) in both 1.63 and current releases.
        #expect(TestListing.selection(from: ["-Z", "unstable-options", "--report-time", "tests::divide"]) == ["tests::divide"])
    }

    @Test("terse outcomes from a listing, only when they add up")
    func terseOutcomes() throws {
        let ignored: Set<String> = ["tests::needs_real_hardware", "tests::slow_exhaustive_add"]
        let outcomes = try #require(TestListing.terseOutcomes(
            listed: Self.demoNames, ignored: ignored, failed: ["tests::opt_in_failure"], counts: UnnamedCounts(passed: 7, ignored: 2)))
        #expect(outcomes.count == 9)
        #expect(outcomes.filter { $0.outcome == .ignored }.map(\.name).sorted() == ignored.sorted())
        #expect(!outcomes.contains { $0.name == "tests::opt_in_failure" })
        #expect(TestListing.terseOutcomes(listed: Self.demoNames, ignored: ignored, failed: [], counts: UnnamedCounts(passed: 7, ignored: 2)) == nil)
    }
}

@Suite("Smaller parser gaps")
struct ParserGapTests {
    @Test("a `should panic` test whose result comes on a later line keeps its mode",
          arguments: ["rust1.63-aarch64-nocapture-threads1-fail", "rust1.95-x86_64-nocapture-threads1-fail"])
    func modeOfPendingTest(name: String) throws {
        let (_, tests, _) = collect(stdout: try Fixtures.libtest(name + ".combined"), status: try LibtestManifest.status(of: name))
        let test = try #require(tests.first { $0.name == "tests::divide_by_zero_panics" })
        #expect(test.outcome == .passed)
        #expect(test.mode == "should panic")
    }

    @Test("an absurd duration does not crash the JUnit writer")
    func hugeDuration() {
        // A test's own print can imitate a --report-time line: `test x ... ok <1e999s>` would be +infinity.
        var parser = LibtestLineParser()
        let events = parser.consume("test x ... ok <1e999s>")
        for event in events {
            if case .testFinished(let test) = event { #expect(test.duration?.isFinite ?? true) }
        }
        #expect(XMLText.seconds(.infinity) == "0.000")
        #expect(XMLText.seconds(.nan) == "0.000")
        #expect(XMLText.seconds(1e300).hasSuffix(".000"))
        #expect(!XMLText.seconds(1e300).contains("e"))
    }
}

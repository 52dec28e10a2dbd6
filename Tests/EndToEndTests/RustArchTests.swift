import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import Testing

/// The Rust demo's suites for the Linux targets Debian 12 ships a Rust std for beyond aarch64 and armv7: 32-bit
/// x86, little-endian POWER, big-endian s390x, 64- and 32-bit little-endian MIPS and arm soft-float. Each runs as
/// a team runs it, `cargo test --target T` with `runner = "crossrun"` (Examples/rust-demo/.cargo/config.toml), and
/// is held to libtest's own output: exit status, counts and every test's outcome per binary, the results JSON's
/// launch, and JUnit that validates against the schema.
@Suite(.serialized, .enabled(if: Tool.available(
    "cargo", "xmllint", "qemu-i386-static", "qemu-ppc64le-static", "qemu-s390x-static", "qemu-mips64el-static",
    "qemu-mipsel-static", "qemu-arm-static")))
struct RustArchTests {
    struct Target: CustomTestStringConvertible, Sendable {
        var triple: String
        /// The Runners/ file crossrun picks from the binary's ELF header.
        var runner: String
        var qemu: String
        var sysroot: String
        var bigEndian: Bool
        var bits: Int
        /// `std::env::consts::ARCH` on the target, which the demo prints.
        var arch: String
        var testDescription: String { triple }

        /// cargo's runner variable for this target.
        var runnerVariable: String { cargoRunnerVariable(triple) }
    }

    static let targets = [
        Target(triple: "s390x-unknown-linux-gnu", runner: "s390x", qemu: "qemu-s390x-static", sysroot: "/usr/s390x-linux-gnu",
               bigEndian: true, bits: 64, arch: "s390x"),
        Target(triple: "i686-unknown-linux-gnu", runner: "i686", qemu: "qemu-i386-static", sysroot: "/usr/i686-linux-gnu",
               bigEndian: false, bits: 32, arch: "x86"),
        Target(triple: "powerpc64le-unknown-linux-gnu", runner: "powerpc64le", qemu: "qemu-ppc64le-static",
               sysroot: "/usr/powerpc64le-linux-gnu", bigEndian: false, bits: 64, arch: "powerpc64"),
        Target(triple: "mips64el-unknown-linux-gnuabi64", runner: "mips64el", qemu: "qemu-mips64el-static",
               sysroot: "/usr/mips64el-linux-gnuabi64", bigEndian: false, bits: 64, arch: "mips64"),
        Target(triple: "mipsel-unknown-linux-gnu", runner: "mipsel", qemu: "qemu-mipsel-static", sysroot: "/usr/mipsel-linux-gnu",
               bigEndian: false, bits: 32, arch: "mips"),
        Target(triple: "armv5te-unknown-linux-gnueabi", runner: "armel", qemu: "qemu-arm-static", sysroot: "/usr/arm-linux-gnueabi",
               bigEndian: false, bits: 32, arch: "arm"),
    ]

    /// What libtest must report for each binary cargo runs, from the demo's source: the library's unit tests
    /// (12, two of them #[ignore]; with CROSSRUN_DEMO_FAIL=1 tests::opt_in_failure fails and cargo stops there),
    /// then tests/integration.rs (3).
    static func expectedCounts(failing: Bool) -> [(binary: String, counts: LibtestCounts)] {
        failing
            ? [("crossrun_demo", LibtestCounts(passed: 9, failed: 1, ignored: 2))]
            : [("crossrun_demo", LibtestCounts(passed: 10, failed: 0, ignored: 2)), ("integration", LibtestCounts(passed: 3, failed: 0, ignored: 0))]
    }

    /// `cargo test --offline --target T -- --test-threads=1 --show-output` in Examples/rust-demo with `runner` (a
    /// command line, as cargo splits it on spaces). One thread fixes libtest's order, so two runs' stdout compare
    /// byte for byte; --show-output puts the demo's own lines about byte order and word size in stdout.
    func cargoTest(_ target: Target, runner: String, failing: Bool, reportDir: URL) throws -> ProcessResult {
        try Examples.build()
        let env = environment([
            target.runnerVariable: runner,
            "CROSSRUN_DEMO_FAIL": failing ? "1" : nil,
            "CROSSRUN_REPORT_DIR": reportDir.path,
        ])
        return try run("/usr/bin/cargo", ["test", "--offline", "--target", target.triple, "--", "--test-threads=1", "--show-output"],
                       environment: env, in: Examples.rustDemo)
    }

    /// Each binary's `test NAME ... RESULT` lines from libtest's pretty output, as crossrun's outcome words, read
    /// independently of crossrun's parser. Binaries in the order cargo ran them.
    static func libtestOutcomes(in output: String) -> [[String: String]] {
        var binaries: [[String: String]] = []
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("running ") && line.hasSuffix(" tests") || line == "running 1 test" {
                binaries.append([:])
                continue
            }
            guard line.hasPrefix("test "), !line.hasPrefix("test result:"), let separator = line.range(of: " ... ") else { continue }
            var name = String(line[line.index(line.startIndex, offsetBy: 5)..<separator.lowerBound])
            if name.hasSuffix(" - should panic") { name = String(name.dropLast(" - should panic".count)) }
            let result = line[separator.upperBound...]
            let outcome = result == "ok" ? "passed" : result == "FAILED" ? "failed" : result.hasPrefix("ignored") ? "ignored" : "unknown: \(result)"
            if binaries.isEmpty { binaries.append([:]) }
            binaries[binaries.count - 1][name] = outcome
        }
        return binaries
    }

    @Test("cargo test --target T through crossrun: exit status, libtest's counts and outcomes per binary, launch, valid JUnit",
          arguments: targets, [false, true])
    func cargoSuite(target: Target, failing: Bool) throws {
        let reports = try temporaryDirectory("rust-\(target.runner)")
        defer { try? FileManager.default.removeItem(at: reports) }
        let plainReports = try temporaryDirectory("rust-plain-\(target.runner)")
        defer { try? FileManager.default.removeItem(at: plainReports) }
        let result = try cargoTest(target, runner: crossrunExecutable, failing: failing, reportDir: reports)
        let plain = try cargoTest(target, runner: "\(target.qemu) -L \(target.sysroot)", failing: failing, reportDir: plainReports)

        // cargo's own exit status: 0, or 101 when a test failed; the same as with qemu as the runner.
        #expect(result.status == (failing ? 101 : 0), "\(result.stderrText)")
        #expect(plain.status == result.status)
        #expect(normalisedTimings(result.stdoutText) == normalisedTimings(plain.stdoutText))
        #expect(!result.stdoutText.contains("crossrun:"))

        // The demo's own lines: the byte order it observed through memory and its word size.
        #expect(result.stdoutText.contains("running on \(target.arch) (little-endian: \(!target.bigEndian))"), "\(result.stdoutText)")
        #expect(result.stdoutText.contains("pointer width: \(target.bits) bits"))

        // libtest's counts per binary are exactly what the demo's source says.
        let expected = Self.expectedCounts(failing: failing)
        let libtest = LibtestCounts.all(in: result.stdoutText)
        #expect(libtest == expected.map(\.counts))
        let outcomes = Self.libtestOutcomes(in: result.stdoutText)
        #expect(outcomes.count == expected.count)

        // One summary line per binary, naming the runner and emulator.
        let summaries = result.stderrText.split(separator: "\n").filter { $0.hasPrefix("crossrun: ") }
        #expect(summaries.count == expected.count, "\(result.stderrText)")
        #expect(summaries.allSatisfy { $0.contains("[\(target.runner) via \(target.qemu)]") }, "\(summaries)")

        // One results JSON and one JUnit file per binary, each equal to that binary's libtest output.
        let files = try FileManager.default.contentsOfDirectory(atPath: reports.path)
        #expect(files.filter { $0.hasSuffix(".json") }.count == expected.count, "\(files)")
        #expect(files.filter { $0.hasSuffix(".xml") }.count == expected.count, "\(files)")
        for (index, binary) in expected.enumerated() {
            let stem = try #require(files.first { $0.hasPrefix(binary.binary + "-") && $0.hasSuffix(".json") }, "\(binary.binary) in \(files)")
                .dropLast(".json".count)
            let results = try readResults(reports.appendingPathComponent(stem + ".json").path)
            let launch = try #require(results["launch"] as? [String: Any])
            #expect(launch["kind"] as? String == "qemu-user")
            #expect(launch["target"] as? String == target.runner)
            #expect(launch["emulator"] as? String == target.qemu)
            #expect(launch["sysroot"] as? String == target.sysroot)
            let described = (results["binary"] as? [String: Any])?["description"] as? String ?? ""
            #expect(described.hasPrefix("ELF \(target.bits)-bit \(target.bigEndian ? "big" : "little")-endian"), "\(described)")
            let code = (results["exit"] as? [String: Any])?["code"] as? Int
            #expect(code == (binary.counts.failed > 0 ? 101 : 0))

            let counts = try #require(results["counts"] as? [String: Any])
            #expect(counts["passed"] as? Int == binary.counts.passed)
            #expect(counts["failed"] as? Int == binary.counts.failed)
            #expect(counts["ignored"] as? Int == binary.counts.ignored)
            #expect(counts["errors"] as? Int == 0)
            let tests = (results["tests"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0["outcome"] as? String ?? "") }
            let reported = Dictionary(tests, uniquingKeysWith: { first, _ in first })
            #expect(reported.count == tests.count, "a test reported twice")
            if index < outcomes.count {
                #expect(reported == outcomes[index])
                #expect(outcomes[index].count == binary.counts.passed + binary.counts.failed + binary.counts.ignored)
            }

            let junit = reports.appendingPathComponent(stem + ".xml").path
            #expect(try schemaProblems(junit) == nil)
            let document = try XMLDocument(contentsOf: URL(fileURLWithPath: junit))
            let suite = try #require(try document.nodes(forXPath: "/testsuites/testsuite").first as? XMLElement)
            #expect(suite.attribute(forName: "tests")?.stringValue == String(binary.counts.passed + binary.counts.failed + binary.counts.ignored))
            #expect(suite.attribute(forName: "failures")?.stringValue == String(binary.counts.failed))
            #expect(suite.attribute(forName: "skipped")?.stringValue == String(binary.counts.ignored))
            #expect(suite.attribute(forName: "errors")?.stringValue == "0")
            #expect(try document.nodes(forXPath: "//testcase").count == binary.counts.passed + binary.counts.failed + binary.counts.ignored)
            let failures = try document.nodes(forXPath: "//testcase[failure]/@name").compactMap(\.stringValue)
            #expect(failures == (binary.counts.failed > 0 ? ["opt_in_failure"] : []))
        }
    }
}

import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import Testing

/// rust-demo's tests built by cargo-zigbuild for `aarch64-unknown-linux-gnu.2.17` (zig links them against glibc 2.17
/// symbol versions; Examples/build.sh builds them into Examples/rust-demo/target/zig): crossrun runs them unchanged,
/// directly and as cargo's runner, exactly as it runs gcc-linked ones.
@Suite(.serialized, .enabled(if: PythonTools.available("cargo-zigbuild") && Tool.available("cargo", "qemu-aarch64-static", "xmllint")))
struct ZigTests {
    static let triple = "aarch64-unknown-linux-gnu.2.17"
    static let targetDir = Examples.rustDemo.appendingPathComponent("target/zig")

    /// The zig compiler PyPI's ziglang installed next to cargo-zigbuild.
    static func zig() throws -> String {
        let lib = URL(fileURLWithPath: PythonTools.folder).deletingLastPathComponent().appendingPathComponent("lib")
        let pythons = (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
        for python in pythons.sorted() where python.hasPrefix("python3") {
            let path = lib.appendingPathComponent("\(python)/site-packages/ziglang/zig").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw Examples.BuildFailure(message: "no ziglang/zig under \(lib.path); run scripts/install-deps.sh")
    }

    func library() throws -> String { try Examples.rustDemoLibrary(Self.triple) }

    @Test("the fixture is linked by zig's lld and asks for no glibc symbol version newer than 2.17")
    func fixtureIsZigLinked() throws {
        let path = try library()
        #expect(path.hasPrefix(Self.targetDir.path + "/aarch64-unknown-linux-gnu/"))
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        #expect(text.contains("Linker: LLD"))
        #expect(text.contains("GLIBC_2.17"))
        #expect(text.range(of: #"GLIBC_2\.(1[89]|[2-9][0-9])"#, options: .regularExpression) == nil)
    }

    @Test("crossrun runs the zig-linked test binary: same output and status as plain qemu, exact counts, valid JUnit",
          arguments: [false, true])
    func runsDirectly(failing: Bool) throws {
        let path = try library()
        let scratch = try temporaryDirectory("zig")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let junit = scratch.appendingPathComponent("junit.xml").path
        let json = scratch.appendingPathComponent("results.json").path
        let env = environment(["CROSSRUN_DEMO_FAIL": failing ? "1" : nil])
        let arguments = ["--test-threads=1"]
        let result = try crossrun(["--junit", junit, "--json", json, path] + arguments, environment: env)
        let plain = try run("/usr/bin/qemu-aarch64-static", ["-L", "/usr/aarch64-linux-gnu", path] + arguments, environment: env)
        #expect(result.status == (failing ? 101 : 0))
        #expect(result.status == plain.status)
        #expect(normalisedTimings(result.stdoutText) == normalisedTimings(plain.stdoutText))
        #expect(result.stderrText.contains("[aarch64 via qemu-aarch64-static]"))

        #expect(try schemaProblems(junit) == nil)
        let results = try readResults(json)
        let launch = try #require(results["launch"] as? [String: Any])
        #expect(launch["target"] as? String == "aarch64")
        #expect(launch["sysroot"] as? String == "/usr/aarch64-linux-gnu")
        let counts = try #require(results["counts"] as? [String: Any])
        #expect(counts["passed"] as? Int == (failing ? 9 : 10))
        #expect(counts["failed"] as? Int == (failing ? 1 : 0))
        #expect(counts["ignored"] as? Int == 2)
        let libtest = try #require(LibtestCounts.all(in: result.stdoutText).first)
        #expect(libtest == LibtestCounts(passed: failing ? 9 : 10, failed: failing ? 1 : 0, ignored: 2, measured: 0))
        let outcomes = Dictionary(
            ((results["tests"] as? [[String: Any]]) ?? []).map { ($0["name"] as? String ?? "", $0["outcome"] as? String ?? "") },
            uniquingKeysWith: { a, _ in a })
        #expect(outcomes["tests::opt_in_failure"] == (failing ? "failed" : "passed"))
        #expect(outcomes["tests::needs_real_hardware"] == "ignored")
        #expect(outcomes["tests::divide_by_zero_panics"] == "passed")
    }

    @Test("`cargo zigbuild test` with crossrun as cargo's runner: exit status, one valid JUnit file per binary, libtest's counts",
          arguments: [false, true])
    func throughCargoZigbuild(failing: Bool) throws {
        _ = try library()
        let reports = try temporaryDirectory("zig-cargo")
        defer { try? FileManager.default.removeItem(at: reports) }
        let zigFolder = Self.targetDir
        let env = environment([
            "CROSSRUN_DEMO_FAIL": failing ? "1" : nil,
            "CROSSRUN_REPORT_DIR": reports.path,
            "CARGO_ZIGBUILD_ZIG_PATH": try Self.zig(),
            "ZIG_GLOBAL_CACHE_DIR": zigFolder.appendingPathComponent("zig-global-cache").path,
            "ZIG_LOCAL_CACHE_DIR": zigFolder.appendingPathComponent("zig-local-cache").path,
            "XDG_CACHE_HOME": zigFolder.appendingPathComponent("xdg-cache").path,
        ])
        // Examples/rust-demo/.cargo/config.toml names runner = "crossrun" for aarch64-unknown-linux-gnu; the built
        // crossrun is first on PATH.
        let result = try run(
            try #require(PythonTools.find("cargo-zigbuild")),
            ["test", "--offline", "--target", Self.triple, "--target-dir", zigFolder.path, "--", "--test-threads=1"],
            environment: env, in: Examples.rustDemo)
        #expect(result.status == (failing ? 101 : 0))
        let libtest = LibtestCounts.all(in: result.stdoutText)
        // With the failure the library's unit tests fail and cargo stops there; otherwise both binaries ran.
        #expect(libtest == (failing
            ? [LibtestCounts(passed: 9, failed: 1, ignored: 2)]
            : [LibtestCounts(passed: 10, failed: 0, ignored: 2), LibtestCounts(passed: 3, failed: 0, ignored: 0)]))
        let summaries = result.stderrText.split(separator: "\n").filter { $0.hasPrefix("crossrun: ") && $0.contains(" via ") }
        #expect(summaries.count == libtest.count)
        #expect(summaries.allSatisfy { $0.contains("[aarch64 via qemu-aarch64-static]") })
        let junitFiles = try FileManager.default.contentsOfDirectory(atPath: reports.path).filter { $0.hasSuffix(".xml") }.sorted()
        #expect(junitFiles.count == libtest.count)
        var tests = 0
        var failures = 0
        for file in junitFiles {
            let path = reports.appendingPathComponent(file).path
            #expect(try schemaProblems(path) == nil)
            let document = try XMLDocument(contentsOf: URL(fileURLWithPath: path))
            let suite = try #require(try document.nodes(forXPath: "/testsuites/testsuite").first as? XMLElement)
            tests += Int(suite.attribute(forName: "tests")?.stringValue ?? "") ?? -1
            failures += Int(suite.attribute(forName: "failures")?.stringValue ?? "") ?? -1
        }
        #expect(tests == libtest.reduce(0) { $0 + $1.passed + $1.failed + $1.ignored })
        #expect(failures == (failing ? 1 : 0))
    }
}

import Foundation
import Testing

/// Every further Linux architecture qemu-user runs (issue 15): Examples/c/libtest_style.c, cross-built dynamic (against
/// Debian's /usr/<triple> cross sysroot) and static, run by crossrun with the runner its header picks, under the right
/// qemu with the right sysroot; status, output and counts as plain qemu gives them. Big-endian and 32-bit included.
@Suite(.enabled(if: Tool.available(
    "qemu-i386-static", "qemu-x86_64-static", "qemu-ppc-static", "qemu-ppc64-static", "qemu-ppc64le-static", "qemu-s390x-static",
    "qemu-mips-static", "qemu-mipsel-static", "qemu-mips64-static", "qemu-mips64el-static", "qemu-sparc64-static", "xmllint")))
struct LinuxArchTests {
    struct Arch: CustomTestStringConvertible, Sendable {
        /// The runner name, also the fixture's suffix (Examples/c/build/libtest_style-NAME[-static]).
        var runner: String
        var emulator: String
        /// Debian's cross sysroot for the dynamic build.
        var sysroot: String
        /// The qemu -cpu the runner passes, if any.
        var cpu: String? = nil
        var testDescription: String { runner }
    }

    static let arches: [Arch] = [
        Arch(runner: "i686", emulator: "qemu-i386-static", sysroot: "/usr/i686-linux-gnu"),
        Arch(runner: "powerpc", emulator: "qemu-ppc-static", sysroot: "/usr/powerpc-linux-gnu"),
        Arch(runner: "powerpc64", emulator: "qemu-ppc64-static", sysroot: "/usr/powerpc64-linux-gnu"),
        Arch(runner: "powerpc64le", emulator: "qemu-ppc64le-static", sysroot: "/usr/powerpc64le-linux-gnu"),
        Arch(runner: "s390x", emulator: "qemu-s390x-static", sysroot: "/usr/s390x-linux-gnu"),
        Arch(runner: "mips", emulator: "qemu-mips-static", sysroot: "/usr/mips-linux-gnu"),
        Arch(runner: "mipsel", emulator: "qemu-mipsel-static", sysroot: "/usr/mipsel-linux-gnu"),
        Arch(runner: "mips64", emulator: "qemu-mips64-static", sysroot: "/usr/mips64-linux-gnuabi64"),
        Arch(runner: "mips64el", emulator: "qemu-mips64el-static", sysroot: "/usr/mips64el-linux-gnuabi64"),
        Arch(runner: "mipsisa64r6el", emulator: "qemu-mips64el-static", sysroot: "/usr/mipsisa64r6el-linux-gnuabi64", cpu: "I6400"),
        Arch(runner: "sparc64", emulator: "qemu-sparc64-static", sysroot: "/usr/sparc64-linux-gnu"),
        // On an x86-64 host x86_64 binaries run natively; `--target x86_64` asks for qemu-x86_64 (with the host's
        // own root as the sysroot, which holds the loader).
        Arch(runner: "x86_64", emulator: "qemu-x86_64-static", sysroot: "/"),
    ]

    /// x86_64 needs `--target` where the host is x86-64 (native is the default there).
    func targetArguments(_ arch: Arch) -> [String] {
        arch.runner == "x86_64" ? ["--target", "x86_64"] : []
    }

    func plainQemu(_ arch: Arch, path: String, isStatic: Bool, _ arguments: [String]) throws -> ProcessResult {
        let cpu = arch.cpu.map { ["-cpu", $0] } ?? []
        let sysroot = isStatic ? [] : ["-L", arch.sysroot]
        return try run("/usr/bin/\(arch.emulator)", cpu + sysroot + [path] + arguments, environment: environment())
    }

    @Test("libtest_style.c: right runner, emulator and sysroot; status, stdout and counts as plain qemu; valid JUnit",
          arguments: arches, [false, true])
    func libtestStyle(arch: Arch, isStatic: Bool) throws {
        let reports = try temporaryDirectory("linux-arch")
        defer { try? FileManager.default.removeItem(at: reports) }
        let path = try Examples.c("libtest_style-\(arch.runner)\(isStatic ? "-static" : "")")
        for failing in [false, true] {
            let arguments = failing ? ["--fail"] : []
            let junit = reports.appendingPathComponent("\(failing).xml").path
            let json = reports.appendingPathComponent("\(failing).json").path
            let result = try crossrun(targetArguments(arch) + ["--junit", junit, "--json", json, path] + arguments)
            let plain = try plainQemu(arch, path: path, isStatic: isStatic, arguments)
            #expect(result.status == (failing ? 101 : 0), "\(result.stderrText)")
            #expect(result.status == plain.status)
            #expect(result.stdout == plain.stdout)
            #expect(!result.stdout.isEmpty)

            #expect(try schemaProblems(junit) == nil)
            let results = try readResults(json)
            let launch = try #require(results["launch"] as? [String: Any])
            #expect(launch["target"] as? String == arch.runner)
            #expect(launch["emulator"] as? String == arch.emulator)
            #expect(launch["kind"] as? String == "qemu-user")
            #expect(launch["sysroot"] as? String == (isStatic ? nil : arch.sysroot))
            let argv = try #require(launch["argv"] as? [String])
            #expect(argv.first == "/usr/bin/\(arch.emulator)")
            #expect(argv.contains("-L") == !isStatic)
            if let cpu = arch.cpu { #expect(argv.contains(cpu)) }
            let counts = try #require(results["counts"] as? [String: Any])
            let libtest = try #require(LibtestCounts.all(in: result.stdoutText).first)
            #expect(counts["passed"] as? Int == libtest.passed)
            #expect(counts["failed"] as? Int == libtest.failed)
            #expect(counts["ignored"] as? Int == libtest.ignored)
            #expect(libtest.failed == (failing ? 1 : 0))
            #expect(results["format"] as? String == "libtest-pretty")
        }
    }

    @Test("an x86_64 binary runs natively on an x86-64 host unless --target or a config file's emulator asks for qemu",
          .enabled(if: Tool.available("gcc") && {
              #if arch(x86_64)
                  true
              #else
                  false
              #endif
          }()))
    func x86_64NativeOrEmulated() throws {
        let folder = try temporaryDirectory("x86_64")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try Examples.c("libtest_style-x86_64")
        let json = folder.appendingPathComponent("results.json").path

        let native = try crossrun(["--junit", folder.appendingPathComponent("junit.xml").path, "--json", json, path], in: folder)
        #expect(native.status == 0, "\(native.stderrText)")
        #expect(try (readResults(json)["launch"] as? [String: Any])?["kind"] as? String == "native")

        // Not the global --emulator or CROSSRUN_EMULATOR meant for the cross targets: still native.
        let withEnvironment = try crossrun(["--junit", folder.appendingPathComponent("junit.xml").path, "--json", json, path], environment: environment(["CROSSRUN_EMULATOR": "/usr/bin/qemu-aarch64-static"]), in: folder)
        #expect(withEnvironment.status == 0, "\(withEnvironment.stderrText)")
        #expect(try (readResults(json)["launch"] as? [String: Any])?["kind"] as? String == "native")

        try "[target.x86_64]\nemulator = \"qemu-x86_64-static\"\n".write(
            to: folder.appendingPathComponent("crossrun.toml"), atomically: true, encoding: .utf8)
        let configured = try crossrun(["--junit", folder.appendingPathComponent("junit.xml").path, "--json", json, path], in: folder)
        #expect(configured.status == 0, "\(configured.stderrText)")
        let launch = try #require(readResults(json)["launch"] as? [String: Any])
        #expect(launch["target"] as? String == "x86_64")
        #expect(launch["emulator"] as? String == "qemu-x86_64-static")
        #expect((launch["argv"] as? [String])?.first == "/usr/bin/qemu-x86_64-static")

        try FileManager.default.removeItem(at: folder.appendingPathComponent("crossrun.toml"))
        let targeted = try crossrun(["--junit", folder.appendingPathComponent("junit.xml").path, "--json", json, "--target", "x86_64-unknown-linux-gnu", path], in: folder)
        #expect(targeted.status == 0, "\(targeted.stderrText)")
        #expect(try (readResults(json)["launch"] as? [String: Any])?["emulator"] as? String == "qemu-x86_64-static")
    }

    @Test("the dynamic build passes with only a sysroot fetched from Debian's archive (Sysroots/<runner>.toml)",
          .enabled(if: Tool.available("gpgv")), arguments: arches)
    func fetchedSysroot(arch: Arch) throws {
        let cache = try temporaryDirectory("fetched-\(arch.runner)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let path = try Examples.c("libtest_style-\(arch.runner)")
        let json = cache.appendingPathComponent("results.json").path
        let env = environment(["CROSSRUN_CACHE_DIR": cache.path, "CROSSRUN_IGNORE_SYSTEM_SYSROOTS": "1"])
        let result = try crossrun(targetArguments(arch) + ["--json", json, "--junit", cache.appendingPathComponent("junit.xml").path, path], environment: env)
        #expect(result.status == 0, "\(result.stderrText)")
        let launch = try #require(readResults(json)["launch"] as? [String: Any])
        #expect(launch["target"] as? String == arch.runner)
        #expect((launch["sysroot"] as? String)?.hasPrefix(cache.path) == true, "\(launch)")
        #expect((launch["sysrootOrigin"] as? String)?.contains("sysroot cache") == true)
        #expect(try crossrun(["sysroot", "verify", arch.runner], environment: env).status == 0)
    }

    @Test("crossrun targets lists every Linux architecture with its emulator")
    func targetsListing() throws {
        let listing = try crossrun(["targets"])
        #expect(listing.status == 0)
        for arch in Self.arches + [Arch(runner: "loongarch64", emulator: "qemu-loongarch64-static", sysroot: "")] {
            #expect(listing.stdoutText.contains("\n\(arch.runner): ") || listing.stdoutText.hasPrefix("\(arch.runner): "), "\(arch.runner)")
            #expect(listing.stdoutText.contains("/usr/bin/\(arch.emulator)"), "\(arch.emulator)")
        }
    }
}

import Foundation
import Testing

/// Debian's musl for arm64 as scripts/install-deps.sh leaves it: the .debs and their unpacked root.
enum MuslPackages {
    static let folder: String = {
        let base = ProcessInfo.processInfo.environment["CROSSRUN_TOOLS_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/opt/crossrun-tools"
        return base + "/musl/arm64"
    }()

    /// Debian's real `musl_<version>_arm64.deb` (the runtime: the loader link and libc.so).
    static func runtimeDeb() throws -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        guard let name = names.first(where: { $0.hasPrefix("musl_") && $0.hasSuffix("_arm64.deb") }) else {
            throw Examples.BuildFailure(message: "no musl_*_arm64.deb in \(folder); run scripts/install-deps.sh")
        }
        return folder + "/" + name
    }

    static var available: Bool { Tool.required || (try? runtimeDeb()) != nil }
}

/// A signed local Debian repository (Tests/SysrootFetchTests/Support/make-repo.py) that also publishes Debian's
/// real musl .deb for arm64, read through a `file://` mirror: the musl sysroot is fetched, verified and unpacked
/// exactly as from Debian, deterministically and offline.
final class MuslRepository: @unchecked Sendable {
    let folder: URL
    var mirror: String { "file://" + folder.appendingPathComponent("good").path }
    var keyring: String { folder.appendingPathComponent("keyring.gpg").path }

    init() throws {
        folder = try temporaryDirectory("musl-repo")
        let script = packageRoot.appendingPathComponent("Tests/SysrootFetchTests/Support/make-repo.py").path
        let made = try run("/usr/bin/python3", [script, folder.path, "--force", "--add-deb", try MuslPackages.runtimeDeb()])
        guard made.status == 0 else { throw Examples.BuildFailure(message: "make-repo.py failed: \(made.stderrText)") }
    }

    /// crossrun's environment: this repository as the mirror, its key as the keyring, and a cache of the caller's.
    func environment(cache: URL, _ changes: [String: String?] = [:]) -> [String: String] {
        var all: [String: String?] = [
            "CROSSRUN_DEBIAN_MIRROR": mirror, "CROSSRUN_DEBIAN_KEYRING": keyring, "CROSSRUN_CACHE_DIR": cache.path,
        ]
        for (key, value) in changes { all[key] = value }
        return EndToEndTests.environment(all)
    }

    static let shared = Result { try MuslRepository() }
}

/// musl binaries for aarch64 (Examples/build.sh compiles Examples/c against Debian's musl-dev): a dynamic one gets
/// the musl sysroot (Sysroots/aarch64-musl.toml, Debian's `musl` package) and never a glibc download; a static one
/// needs no sysroot at all.
@Suite(.serialized, .enabled(if: Tool.available("qemu-aarch64-static", "xmllint", "gpg", "gpgv", "dpkg-deb") && MuslPackages.available))
struct MuslTests {
    /// The musl root unpacked by install-deps, given to plain qemu as the reference run.
    static let referenceRoot = MuslPackages.folder + "/root"

    func plainQemu(_ binary: String, _ arguments: [String], sysroot: String?) throws -> ProcessResult {
        try run("/usr/bin/qemu-aarch64-static", (sysroot.map { ["-L", $0] } ?? []) + [binary] + arguments, environment: environment())
    }

    /// The cache's sysroot folders per target name (`aarch64`, `aarch64-musl`).
    func cachedTargets(_ cache: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("sysroots").path)) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test("dynamic musl libtest-style program: the musl sysroot is fetched from the (local) Debian repository, no glibc one; same output and status as plain qemu; JUnit valid",
          arguments: [false, true])
    func dynamicFetchesMusl(failing: Bool) throws {
        let repository = try MuslRepository.shared.get()
        let scratch = try temporaryDirectory("musl-dyn")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cache = scratch.appendingPathComponent("cache")
        let binary = try Examples.c("libtest_style-aarch64-musl")
        let junit = scratch.appendingPathComponent("junit.xml").path
        let json = scratch.appendingPathComponent("results.json").path
        let arguments = failing ? ["--fail"] : []
        // No Debian cross sysroot counts: the run must reach the fetched sysroot even where one is installed.
        let env = repository.environment(cache: cache, ["CROSSRUN_IGNORE_SYSTEM_SYSROOTS": "1"])
        let result = try crossrun(["--junit", junit, "--json", json, binary] + arguments, environment: env)
        let plain = try plainQemu(binary, arguments, sysroot: Self.referenceRoot)

        #expect(result.status == (failing ? 101 : 0))
        #expect(result.status == plain.status)
        #expect(result.stdout == plain.stdout)
        #expect(result.stderrText.contains("fetched the aarch64-musl sysroot"))
        #expect(!result.stderrText.contains("libc6"))
        // Only the musl sysroot was fetched: no glibc download the binary could not use.
        #expect(cachedTargets(cache) == ["aarch64-musl"])

        #expect(try schemaProblems(junit) == nil)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("tests=\"3\""))
        #expect(xml.contains("failures=\"\(failing ? 1 : 0)\""))
        #expect(xml.contains("skipped=\"1\""))
        let results = try readResults(json)
        let launch = try #require(results["launch"] as? [String: Any])
        #expect(launch["target"] as? String == "aarch64")
        #expect(launch["emulator"] as? String == "qemu-aarch64-static")
        let sysroot = try #require(launch["sysroot"] as? String)
        #expect(sysroot.hasPrefix(cache.path + "/sysroots/aarch64-musl/"))
        #expect(sysroot.hasSuffix("/root"))
        #expect(FileManager.default.fileExists(atPath: sysroot + "/lib/ld-musl-aarch64.so.1"))
        #expect(!FileManager.default.fileExists(atPath: sysroot + "/lib/ld-linux-aarch64.so.1"))
        let argv = try #require(launch["argv"] as? [String])
        #expect(argv.contains("-L") && argv.contains(sysroot))
        let counts = try #require(results["counts"] as? [String: Any])
        #expect(counts["passed"] as? Int == (failing ? 1 : 2))
        #expect(counts["failed"] as? Int == (failing ? 1 : 0))
        #expect(counts["ignored"] as? Int == 1)
        let lock = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: (sysroot as NSString).deletingLastPathComponent + "/lock.json"))) as? [String: Any]
        #expect(lock?["target"] as? String == "aarch64-musl")
        #expect(lock?["architecture"] as? String == "arm64")
        let packages = try #require(lock?["packages"] as? [[String: Any]])
        #expect(packages.compactMap { $0["name"] as? String } == ["musl"])
    }

    @Test("dynamic musl program: its exit status passes through with the fetched musl sysroot", arguments: [0, 3, 42])
    func dynamicExitStatus(code: Int) throws {
        let repository = try MuslRepository.shared.get()
        let scratch = try temporaryDirectory("musl-exit")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let binary = try Examples.c("plain_exit-aarch64-musl")
        let result = try crossrun(
            ["--report-dir", scratch.path, binary, String(code)],
            environment: repository.environment(cache: scratch.appendingPathComponent("cache"), ["CROSSRUN_IGNORE_SYSTEM_SYSROOTS": "1"]))
        #expect(result.status == Int32(code))
        let junit = scratch.appendingPathComponent("plain_exit-aarch64-musl.xml").path
        #expect(try schemaProblems(junit) == nil)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("tests=\"1\""))
        #expect(xml.contains("<failure") == (code != 0))
    }

    @Test("static musl program: no sysroot, nothing fetched (offline, empty cache), same output and status as plain qemu",
          arguments: [false, true])
    func staticNeedsNoSysroot(failing: Bool) throws {
        let scratch = try temporaryDirectory("musl-static")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cache = scratch.appendingPathComponent("cache")
        let binary = try Examples.c("libtest_style-aarch64-musl-static")
        let junit = scratch.appendingPathComponent("junit.xml").path
        let json = scratch.appendingPathComponent("results.json").path
        let arguments = failing ? ["--fail"] : []
        let env = environment([
            "CROSSRUN_CACHE_DIR": cache.path, "CROSSRUN_OFFLINE": "1", "CROSSRUN_IGNORE_SYSTEM_SYSROOTS": "1",
            "CROSSRUN_DEBIAN_MIRROR": "file:///nonexistent",
        ])
        let result = try crossrun(["--junit", junit, "--json", json, binary] + arguments, environment: env)
        let plain = try plainQemu(binary, arguments, sysroot: nil)
        #expect(result.status == (failing ? 101 : 0))
        #expect(result.status == plain.status)
        #expect(result.stdout == plain.stdout)
        #expect(cachedTargets(cache) == [])
        #expect(try schemaProblems(junit) == nil)
        let results = try readResults(json)
        let launch = try #require(results["launch"] as? [String: Any])
        #expect(launch["target"] as? String == "aarch64")
        #expect(launch["sysroot"] == nil || launch["sysroot"] is NSNull)
        let argv = try #require(launch["argv"] as? [String])
        #expect(!argv.contains("-L"))
        let counts = try #require(results["counts"] as? [String: Any])
        #expect(counts["passed"] as? Int == (failing ? 1 : 2))
        #expect(counts["failed"] as? Int == (failing ? 1 : 0))
        #expect(counts["ignored"] as? Int == 1)
    }

    @Test("dynamic musl program offline with no musl sysroot: 126 naming musl and `crossrun sysroot fetch aarch64-musl`, not libc6; after that fetch it runs offline")
    func offlineSaysFetchMusl() throws {
        let repository = try MuslRepository.shared.get()
        let scratch = try temporaryDirectory("musl-offline")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cache = scratch.appendingPathComponent("cache")
        let binary = try Examples.c("libtest_style-aarch64-musl")
        let offline = repository.environment(cache: cache, ["CROSSRUN_OFFLINE": "1", "CROSSRUN_IGNORE_SYSTEM_SYSROOTS": "1"])
        let refused = try crossrun(["--no-report", binary], environment: offline)
        #expect(refused.status == 126)
        let lines = refused.stderrText.split(separator: "\n").filter { $0.contains("error:") }
        #expect(lines.count == 1)
        let line = String(lines.first ?? "")
        #expect(line.contains("linked against musl"))
        #expect(line.contains("/lib/ld-musl-aarch64.so.1"))
        #expect(line.contains("`crossrun sysroot fetch aarch64-musl`"))
        #expect(line.contains("apt-get download musl:arm64"))
        #expect(!line.contains("libc6-arm64-cross"))
        #expect(refused.stdout.isEmpty)
        #expect(cachedTargets(cache) == [])

        // The fetch the message names, by its cache name and by the Rust triple: the same sysroot.
        let fetched = try crossrun(["sysroot", "fetch", "aarch64-musl"], environment: repository.environment(cache: cache))
        #expect(fetched.status == 0)
        let path = fetched.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(path.hasPrefix(cache.path + "/sysroots/aarch64-musl/"))
        let byTriple = try crossrun(["sysroot", "path", "aarch64-unknown-linux-musl"], environment: offline)
        #expect(byTriple.status == 0)
        #expect(byTriple.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == path)
        let glibc = try crossrun(["sysroot", "path", "aarch64"], environment: offline)
        #expect(glibc.status == 126)
        #expect(cachedTargets(cache) == ["aarch64-musl"])

        let ran = try crossrun(["--no-report", binary], environment: offline)
        #expect(ran.status == 0)
        #expect(ran.stdoutText.contains("test result: ok. 2 passed; 0 failed; 1 ignored"))
    }
}

import Foundation
import Testing

@testable import CrossRunKit

/// A project folder for full-system mode: `crossrun.toml` with `settings` (top-level keys) and
/// `[target.aarch64] mode = "system"`, and an aarch64 static binary's header as `demo` (never run: these tests
/// stop at the launch plan or before it).
struct SystemProject {
    let scratch: ScratchFolder
    var cache: String { scratch.path + "/cache" }
    var binary: String { scratch.path + "/demo" }

    static let elfHead = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CrossRunKitTests/Fixtures/elf/aarch64-static.elf-head")

    init(_ settings: String = "") throws {
        scratch = try ScratchFolder("crossrun-system")
        try scratch.write("crossrun.toml", settings + "\n[target.aarch64]\nmode = \"system\"\n")
        try FileManager.default.copyItem(atPath: Self.elfHead.path, toPath: binary)
        chmod(binary, 0o755)
    }

    /// The image's cache folder.
    var imageFolder: String { SysrootCache(base: cache).targetDirectory(SystemImageManifest.aarch64.cacheName) }

    /// This process's environment without `CROSSRUN_*`, with this project's cache and no user config.
    func environment(_ changes: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CROSSRUN_") }
        environment["CROSSRUN_CACHE_DIR"] = cache
        environment["XDG_CONFIG_HOME"] = scratch.path + "/config"
        return environment.merging(changes) { _, new in new }
    }

    /// `crossrun run`'s first stage, in process: the configuration, the binary and the launch plan.
    func prepare(_ options: RunOptions = RunOptions(), environment changes: [String: String] = [:]) throws -> LaunchPlan {
        let invocation = Invocation(
            binary: binary, arguments: [], options: options, environment: environment(changes), workingDirectory: scratch.path)
        return try TestRunner().prepare(invocation).plan
    }

    func remove() { scratch.remove() }
}

/// The offline error for system mode's kernel, exactly.
let systemOfflineError = "no fetched system-aarch64 sysroot is cached and offline mode (--offline, CROSSRUN_OFFLINE or offline = true) forbids downloading one; run `crossrun sysroot fetch system-aarch64` with network access first."

/// RunOptions with some fields set.
func runOptions(mirror: String? = nil, offline: Bool? = nil, verifySignature: Bool? = nil, locked: Bool? = nil) -> RunOptions {
    var options = RunOptions()
    options.mirror = mirror
    options.offline = offline
    options.verifySignature = verifySignature
    options.locked = locked
    return options
}

// In the serialized suite of SysrootFetchTests: these tests count the shared server's requests.
extension SysrootFetchTests {
    static let kernelDeb = "linux-image-6.1.0-99-arm64_6.1.99-1_arm64.deb"
    static let busyboxDeb = "busybox-static_1.35.0-4+b3_arm64.deb"

    struct OfflineSetting: CustomTestStringConvertible, Sendable {
        var label: String
        var options: RunOptions
        var environment: [String: String]
        var settings: String
        var testDescription: String { label }
    }

    @Test("mode = system, offline and an empty cache: the one-line offline error, and no request to the mirror",
          arguments: [
              OfflineSetting(label: "--offline", options: runOptions(offline: true), environment: [:], settings: ""),
              OfflineSetting(label: "CROSSRUN_OFFLINE=true", options: RunOptions(), environment: ["CROSSRUN_OFFLINE": "true"], settings: ""),
              OfflineSetting(label: "offline = true", options: RunOptions(), environment: [:], settings: "offline = true"),
          ])
    func systemOffline(_ setting: OfflineSetting) throws {
        let project = try SystemProject(setting.settings + "\nmirror = \"\(server.mirror())\"")
        defer { project.remove() }
        let start = server.requests(endingWith: "")
        let error = #expect(throws: CrossRunError.self) {
            try project.prepare(setting.options, environment: setting.environment)
        }
        #expect(error?.description == systemOfflineError)
        #expect(error?.exitStatus == 126)
        #expect(server.requests(endingWith: "") == start)
        #expect(names(in: project.imageFolder).isEmpty)
    }

    @Test("the command line says it in one line: crossrun run --offline, crossrun system-run --fetch --offline, sysroot fetch --offline")
    func systemOfflineCommandLine() throws {
        let project = try SystemProject()
        defer { project.remove() }
        let start = server.requests(endingWith: "")
        for arguments in [
            ["--offline", "--mirror", server.mirror(), project.binary],
            ["system-run", "--fetch", "--offline", "--mirror", server.mirror(), "--", project.binary],
            ["sysroot", "fetch", "--offline", "--mirror", server.mirror(), "system-aarch64"],
        ] {
            let result = try runCrossrun(arguments, cache: project.cache, scratch: project.scratch)
            #expect(result.status == 126, "\(arguments): \(result.err)")
            #expect(result.err == "crossrun: error: \(systemOfflineError)\n", "\(arguments)")
            #expect(result.out.isEmpty)
        }
        #expect(server.requests(endingWith: "") == start)
    }

    @Test("--mirror reaches the kernel fetch: the plan gets the cached kernel and busybox, fetched once, with a sysroot lock record")
    func systemMirrorFlag() throws {
        let project = try SystemProject()
        defer { project.remove() }
        let (kernelBefore, busyboxBefore) = (server.requests(endingWith: Self.kernelDeb), server.requests(endingWith: Self.busyboxDeb))
        let plan = try project.prepare(runOptions(mirror: server.mirror()), environment: ["CROSSRUN_DEBIAN_KEYRING": server.keyring])
        #expect(server.requests(endingWith: Self.kernelDeb) == kernelBefore + 1)
        #expect(server.requests(endingWith: Self.busyboxDeb) == busyboxBefore + 1)
        #expect(server.requests(endingWith: "linux-image-arm64_6.1.99-1_arm64.deb") == 0, "the metapackage is resolved, not downloaded")

        let manifest = SystemImageManifest.aarch64
        let entry = try #require(SysrootCache(base: project.cache).lookup(target: manifest.cacheName, digest: manifest.digest))
        #expect(entry.directory == project.imageFolder + "/" + manifest.digest)
        let kernel = entry.path + "/vmlinuz"
        let busybox = entry.path + "/busybox"
        #expect(plan.kind == .qemuSystemLinux)
        #expect(!plan.argv.contains("--fetch"))
        let kernelAt = try #require(plan.argv.firstIndex(of: "--kernel"))
        let busyboxAt = try #require(plan.argv.firstIndex(of: "--busybox"))
        #expect(plan.argv[kernelAt + 1] == kernel)
        #expect(plan.argv[busyboxAt + 1] == busybox)

        // The files are the packages' own, recorded in the same lock record as a sysroot's.
        let repo = try #require(try RepoDescription.load(server).repos["good"])
        let image = try #require(repo.packages["linux-image-6.1.0-99-arm64"]?.files.first { $0.path.hasPrefix("./boot/vmlinuz-") })
        let shell = try #require(repo.packages["busybox-static"]?.files.first { $0.path == "./bin/busybox" })
        #expect(Hashing.sha256(file: kernel)?.0 == image.sha256)
        #expect(Hashing.sha256(file: busybox)?.0 == shell.sha256)
        #expect(FileManager.default.isExecutableFile(atPath: busybox))
        #expect(entry.lock.schema == "crossrun-sysroot-lock")
        #expect(entry.lock.target == "system-aarch64")
        #expect(entry.lock.digest == manifest.digest)
        #expect(entry.lock.mirror == server.mirror())
        #expect(entry.lock.signature == "signature verified")
        #expect(entry.lock.packages.map(\.name) == ["linux-image-6.1.0-99-arm64", "busybox-static"])
        #expect(entry.lock.files.map(\.path) == ["busybox", "vmlinuz"])
        #expect(SysrootCache(base: project.cache).verify(entry).isEmpty)
        #expect(names(in: project.imageFolder) == [".lock", manifest.digest])

        // The next run uses the cache: no request, even offline.
        let before = server.requests(endingWith: "")
        #expect(try project.prepare(runOptions(mirror: server.mirror(), offline: true)).argv == plan.argv)
        #expect(server.requests(endingWith: "") == before)
    }

    @Test("the mirror and keyring config keys reach the kernel fetch; a wrong keyring fails closed and installs nothing")
    func systemConfigKeys() throws {
        let otherKeyring = server.folder.appendingPathComponent("other-keyring.gpg").path
        let wrong = try SystemProject("mirror = \"\(server.mirror())\"\nkeyring = \"\(otherKeyring)\"")
        defer { wrong.remove() }
        let start = server.requests(endingWith: "")
        let error = #expect(throws: CrossRunError.self) { try wrong.prepare() }
        #expect(error?.code == .signatureInvalid, "\(String(describing: error))")
        #expect(error?.description.contains(server.mirror() + "/dists/bookworm/InRelease") == true)
        #expect(server.requests(endingWith: "InRelease") > 0)
        #expect(server.requests(endingWith: "") > start)
        #expect(names(in: wrong.imageFolder) == [".lock"])

        let right = try SystemProject("mirror = \"\(server.mirror())\"\nkeyring = \"\(server.keyring)\"")
        defer { right.remove() }
        let before = server.requests(endingWith: Self.kernelDeb)
        let plan = try right.prepare()
        #expect(server.requests(endingWith: Self.kernelDeb) == before + 1)
        let manifest = SystemImageManifest.aarch64
        let entry = try #require(SysrootCache(base: right.cache).lookup(target: manifest.cacheName, digest: manifest.digest))
        #expect(entry.lock.mirror == server.mirror())
        #expect(entry.lock.signature == "signature verified")
        #expect(plan.argv.contains(entry.path + "/vmlinuz"))
    }

    @Test("--no-verify-signature reaches the kernel fetch: a tampered InRelease is accepted and the lock record says so")
    func systemNoVerifySignature() throws {
        let project = try SystemProject()
        defer { project.remove() }
        let environment = ["CROSSRUN_DEBIAN_KEYRING": server.keyring]
        let refused = #expect(throws: CrossRunError.self) {
            try project.prepare(runOptions(mirror: server.mirror("bad-signature")), environment: environment)
        }
        #expect(refused?.code == .signatureInvalid, "\(String(describing: refused))")
        #expect(names(in: project.imageFolder) == [".lock"])

        let before = server.requests(endingWith: "/bad-signature/pool/main/l/linux-signed-arm64/" + Self.kernelDeb)
        _ = try project.prepare(runOptions(mirror: server.mirror("bad-signature"), verifySignature: false), environment: environment)
        #expect(server.requests(endingWith: "/bad-signature/pool/main/l/linux-signed-arm64/" + Self.kernelDeb) == before + 1)
        let manifest = SystemImageManifest.aarch64
        let entry = try #require(SysrootCache(base: project.cache).lookup(target: manifest.cacheName, digest: manifest.digest))
        #expect(entry.lock.signature == "signature NOT verified (--no-verify-signature)")
    }

    @Test("--locked reaches the kernel fetch: with no lock record it fails as for sysroots, without a request; once fetched, it is used")
    func systemLocked() throws {
        let project = try SystemProject()
        defer { project.remove() }
        let environment = ["CROSSRUN_DEBIAN_KEYRING": server.keyring]
        let start = server.requests(endingWith: "")
        for locked in [runOptions(mirror: server.mirror(), locked: true), runOptions(mirror: server.mirror())] {
            let changes = locked.locked == nil ? environment.merging(["CROSSRUN_LOCKED": "1"]) { a, _ in a } : environment
            let error = #expect(throws: CrossRunError.self) { try project.prepare(locked, environment: changes) }
            #expect(error?.code == .sysrootLocked, "\(String(describing: error))")
            #expect(error?.description == "the system-aarch64 sysroot would change (no kernel and busybox with a lock record are installed) but --locked forbids it; run without --locked to update the lock record.")
            #expect(error?.exitStatus == 126)
        }
        #expect(server.requests(endingWith: "") == start)
        #expect(names(in: project.imageFolder).isEmpty)

        let fetched = try project.prepare(runOptions(mirror: server.mirror()), environment: environment)
        let afterFetch = server.requests(endingWith: "")
        #expect(afterFetch > start)
        #expect(try project.prepare(runOptions(mirror: server.mirror(), locked: true), environment: environment).argv == fetched.argv)
        #expect(server.requests(endingWith: "") == afterFetch)
    }

    @Test("crossrun system-run --fetch loads crossrun.toml: its mirror and keyring fetch the kernel before qemu is looked for")
    func systemRunLoadsConfiguration() throws {
        let project = try SystemProject("mirror = \"\(server.mirror())\"\nkeyring = \"\(server.keyring)\"")
        defer { project.remove() }
        let before = server.requests(endingWith: Self.kernelDeb)
        let result = try runCrossrun(
            ["system-run", "--fetch", "--qemu", project.scratch.path + "/no-qemu", "--", project.binary], cache: project.cache,
            scratch: project.scratch)
        #expect(result.status == 127, "\(result.err)")
        #expect(result.err.contains("no qemu-system-aarch64 found"), "\(result.err)")
        #expect(server.requests(endingWith: Self.kernelDeb) == before + 1)
        let manifest = SystemImageManifest.aarch64
        let entry = try #require(SysrootCache(base: project.cache).lookup(target: manifest.cacheName, digest: manifest.digest))
        #expect(entry.lock.mirror == server.mirror())
    }

    @Test("crossrun sysroot fetch, list, path, verify and remove take system-aarch64")
    func systemSysrootCommands() throws {
        let project = try SystemProject()
        defer { project.remove() }
        let run = { (arguments: [String]) in try runCrossrun(arguments, cache: project.cache, scratch: project.scratch) }
        let missing = try run(["sysroot", "path", "system-aarch64"])
        #expect(missing.status == 126)
        #expect(missing.err.contains("run `crossrun sysroot fetch system-aarch64`"), "\(missing.err)")

        let fetched = try run(["sysroot", "fetch", "--mirror", server.mirror(), "system-aarch64"])
        #expect(fetched.status == 0, "\(fetched.err)")
        let manifest = SystemImageManifest.aarch64
        let entry = try #require(SysrootCache(base: project.cache).lookup(target: manifest.cacheName, digest: manifest.digest))
        #expect(fetched.out == entry.path + "\n")
        #expect(fetched.err.contains("fetched linux-image-6.1.0-99-arm64 6.1.99-1 and busybox-static 1.35.0-4+b3 (signature verified) into \(entry.directory)"), "\(fetched.err)")
        #expect(FileManager.default.fileExists(atPath: entry.path + "/vmlinuz"))

        let list = try run(["sysroot", "list"])
        #expect(list.out == "system-aarch64\t\(entry.path)\tbookworm/arm64: linux-image-6.1.0-99-arm64 6.1.99-1, busybox-static 1.35.0-4+b3\n")
        #expect(try run(["sysroot", "path", "system-aarch64"]).out == entry.path + "\n")
        let verified = try run(["sysroot", "verify", "system-aarch64"])
        #expect(verified.status == 0, "\(verified.err)")
        #expect(verified.err == "crossrun: the system-aarch64 sysroot matches its lock record (2 files)\n")

        try Data("changed".utf8).write(to: URL(fileURLWithPath: entry.path + "/busybox"))
        let modified = try run(["sysroot", "verify", "system-aarch64"])
        #expect(modified.status == 126)
        #expect(modified.err.contains("(busybox was modified)"), "\(modified.err)")

        let removed = try run(["sysroot", "remove", "system-aarch64"])
        #expect(removed.status == 0, "\(removed.err)")
        #expect(removed.err == "crossrun: removed 1 cached system-aarch64 sysroot\n")
        #expect(names(in: project.imageFolder) == [".lock"])
    }
}

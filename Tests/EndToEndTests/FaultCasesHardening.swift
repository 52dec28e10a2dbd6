import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Fault cases of issue 14 (hardening): signatures fail closed, the cache's place and permissions, the
/// extraction cap, and report paths that are not regular files. Each runs the real `crossrun`; fetches use a
/// real signed Debian-layout repository on disk (Tests/SysrootFetchTests/Support/make-repo.py) as a file://
/// mirror, so nothing touches the network or the user's cache.
extension FaultCase {
    static let fetching: [FaultCase] = [
        FaultCase(name: "signatures: gpgv missing from PATH, badly signed mirror", status: [126], tests: .noReport,
                  stderrMentions: ["apt-get install gpgv", "--no-verify-signature"],
                  custom: fetchCase(variant: "bad-signature", env: ["PATH": "/nonexistent"], installs: false)),
        FaultCase(name: "signatures: CROSSRUN_DEBIAN_KEYRING names a missing file", status: [126], tests: .noReport,
                  stderrMentions: ["no keyring file", "apt-get install debian-archive-keyring"],
                  custom: fetchCase(variant: "bad-signature", env: ["CROSSRUN_DEBIAN_KEYRING": "/nonexistent/keyring.gpg"], installs: false)),
        FaultCase(name: "signatures: signed by an expired key (gpgv exits 0 with EXPKEYSIG)", status: [126], tests: .noReport,
                  stderrMentions: ["EXPKEYSIG", "nothing was installed"],
                  custom: fetchCase(variant: "expired-key", installs: false)),
        FaultCase(name: "signatures: file:// mirror without InRelease uses Release + Release.gpg", status: [0], tests: .noReport,
                  custom: fetchCase(variant: "release-gpg-only", installs: true)),
        FaultCase(name: "sysroot: 20,000 folders in a 45 KB .deb count against the size cap", status: [126], tests: .noReport,
                  stderrMentions: ["size cap"],
                  custom: fetchCase(variant: "many-folders", env: ["CROSSRUN_SYSROOT_SIZE_CAP": "16M"], installs: false)),
        FaultCase(name: "cache: umask 000 makes nothing group or world writable", status: [0], tests: .noReport,
                  custom: fetchCase(variant: "good", umask: true, installs: true)),
        FaultCase(name: "cache: HOME=\"\" uses the password database's home, not /.cache", status: [126], tests: .noReport,
                  stderrMentions: ["/nonexistent/.cache/crossrun"],
                  custom: fetchCase(variant: "good", env: ["HOME": "", "XDG_CACHE_HOME": nil, "CROSSRUN_CACHE_DIR": nil], asNobody: true, installs: false)),
        FaultCase(name: "cache: a relative XDG_CACHE_HOME is ignored", status: [0], tests: .noReport,
                  custom: fetchCase(variant: "good", env: ["XDG_CACHE_HOME": "relative-cache", "CROSSRUN_CACHE_DIR": nil], home: true, installs: true)),
    ]

    /// Files crossrun does not run, named in one line with what to do instead (a start on issue 15).
    static let foreignFormats: [FaultCase] = [
        // x86-64 and i386 PE executables run under wine (WindowsTests); an arm64 one is refused.
        FaultCase(name: "binary: a Windows PE file (arm64)",
                  binary: .made { try write($0, "tests.exe", Array("MZ".utf8) + [UInt8](repeating: 0, count: 0x3A) + [0x40, 0, 0, 0] + [0x50, 0x45, 0, 0, 0x64, 0xAA] + [UInt8](repeating: 0, count: 40), mode: 0o755) },
                  status: [125], tests: .noReport, stderrMentions: ["is a Windows PE file (arm64, no subsystem)", "wine"]),
        FaultCase(name: "binary: a Mach-O executable (arm64)",
                  binary: .made { try write($0, "tests-macos", [0xCF, 0xFA, 0xED, 0xFE, 0x0C, 0, 0, 0x01] + [UInt8](repeating: 0, count: 56), mode: 0o755) },
                  status: [125], tests: .noReport, stderrMentions: ["is a Mach-O executable (arm64)", "macOS"]),
    ]

    static let reportTargets: [FaultCase] = [
        FaultCase(name: "reports: --json into a character device (a /dev/null node) leaves it a device", status: [0], tests: .noReport,
                  custom: reportIntoDevice),
        FaultCase(name: "reports: --junit /dev/stdout as an unprivileged user", status: [0], tests: .noReport,
                  custom: reportToStandardOutput),
        FaultCase(name: "reports: --junit into a FIFO with a reader", status: [0], tests: .noReport, custom: reportIntoFIFO(reader: true)),
        FaultCase(name: "reports: --junit into a FIFO nobody reads: one line, no wait", status: [125], tests: .noReport,
                  stderrMentions: ["no process is reading"], custom: reportIntoFIFO(reader: false)),
        FaultCase(name: "reports: --json naming a folder is refused, the folder untouched", status: [125], tests: .noReport,
                  stderrMentions: ["is a folder"], custom: reportIntoFolder),
        FaultCase(name: "reports: a 250-character binary name", status: [0], tests: .noReport, custom: longBinaryName),
    ]
}

// MARK: - Fetch cases

/// The test repository, made once per test process (about 5 s).
private let faultRepository: Result<URL, Error> = Result {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-fault-repo-\(getpid())")
    let script = packageRoot.appendingPathComponent("Tests/SysrootFetchTests/Support/make-repo.py").path
    let made = try run("/usr/bin/python3", [script, folder.path, "--force", "--variant", "bad-signature", "--variant", "expired-key",
                                            "--variant", "release-gpg-only", "--variant", "many-folders"])
    guard made.status == 0 else { throw Examples.BuildFailure(message: "make-repo.py: \(made.stderrText)") }
    // The whole tree is readable by anyone, so a case can fetch from it as nobody.
    try run("/bin/chmod", ["-R", "a+rX", folder.path])
    faultRepositoryToRemove = folder.path
    atexit {
        if let path = faultRepositoryToRemove { try? FileManager.default.removeItem(atPath: path) }
    }
    return folder
}

/// The repository folder `atexit` removes (a global's value is never deinitialised).
nonisolated(unsafe) private var faultRepositoryToRemove: String?

/// `crossrun sysroot fetch --mirror file://REPO/VARIANT aarch64` with its own cache (or HOME), then: the case's
/// status and stderr; stderr's error (if any) one line; an install only when `installs`, with the signature
/// verified and nothing group/world writable in the cache.
func fetchCase(
    variant: String, env: [String: String?] = [:], umask: Bool = false, asNobody: Bool = false, home: Bool = false, installs: Bool
) -> @Sendable (FaultCase, URL, String) throws -> Void {
    { fault, folder, marker in
        let repository = try faultRepository.get()
        let cache = folder.appendingPathComponent("cache").path
        var changes: [String: String?] = [
            Fault.markerVariable: marker, "CROSSRUN_CACHE_DIR": cache,
            "CROSSRUN_DEBIAN_KEYRING": repository.appendingPathComponent("keyring.gpg").path,
        ]
        let homeFolder = folder.appendingPathComponent("home").path
        if home { changes["HOME"] = homeFolder }
        for (key, value) in env { changes[key] = value }
        let fetch = [crossrunExecutable, "sysroot", "fetch", "--mirror", "file://" + repository.appendingPathComponent(variant).path, "aarch64"]
        var argv = fetch
        if umask { argv = ["/bin/sh", "-c", "umask 000; exec \"$@\"", "sh"] + fetch }
        if asNobody { argv = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + argv }
        let result = try run(argv[0], Array(argv.dropFirst()), environment: EndToEndTests.environment(changes), in: folder)
        #expect(fault.status.contains(result.status), "status \(result.status): \(result.stderrText.prefix(2000))")
        for text in fault.stderrMentions {
            #expect(result.stderrText.contains(text), "stderr lacks \(text): \(result.stderrText.prefix(2000))")
        }
        let errors = result.stderrText.split(separator: "\n").filter { $0.hasPrefix("crossrun: error:") }
        #expect(errors.count == (result.status == 0 ? 0 : 1), "one error line: \(result.stderrText.prefix(2000))")
        let cacheBase = home ? homeFolder + "/.cache/crossrun" : cache
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: cacheBase + "/sysroots/aarch64"))?.filter { !$0.hasPrefix(".") } ?? []
        #expect(entries.count == (installs ? 1 : 0), "installed: \(entries)")
        if installs {
            #expect(result.stdoutText.hasPrefix(cacheBase + "/sysroots/aarch64/"), "\(result.stdoutText)")
            let lock = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cacheBase + "/sysroots/aarch64/" + entries[0] + "/lock.json"))) as? [String: Any]
            #expect(lock?["signature"] as? String == "signature verified")
            for path in walk(cacheBase) {
                var status = stat()
                guard lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFLNK else { continue }
                #expect(status.st_mode & 0o022 == 0, "\(path) has mode \(String(status.st_mode & 0o777, radix: 8))")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("relative-cache").path), "a relative XDG_CACHE_HOME is not used")
        #expect(!FileManager.default.fileExists(atPath: "/.cache"), "nothing at /.cache")
    }
}

/// Every path under `root`, root included (links not followed).
private func walk(_ root: String) -> [String] {
    var paths = [root]
    for relative in (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? [] { paths.append(root + "/" + relative) }
    return paths
}

// MARK: - Report targets

private func fileType(_ path: String) -> mode_t {
    var status = stat()
    return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
}

/// Runs the faults program through crossrun with `options` and the case's marker; returns the outcome.
private func runFaults(_ options: [String], prefix: [String] = [], binary: String? = nil, folder: URL, marker: String, limit: TimeInterval = 60) throws -> Fault.Outcome {
    let program = try binary ?? Fault.program()
    let child = try Fault.Child(prefix + [crossrunExecutable] + options + [program], environment: EndToEndTests.environment([Fault.markerVariable: marker]), folder: folder)
    let outcome = child.wait(limit: limit)
    #expect(!outcome.hung, "crossrun did not end within \(Int(limit))s")
    return outcome
}

private func expectStatus(_ fault: FaultCase, _ outcome: Fault.Outcome) {
    #expect(fault.status.contains(outcome.status), "status \(outcome.status): \(outcome.stderrText.prefix(2000))")
    for text in fault.stderrMentions {
        #expect(outcome.stderrText.contains(text), "stderr lacks \(text): \(outcome.stderrText.prefix(2000))")
    }
}

/// `--json NODE` where NODE is a character device like /dev/null (made in the case's folder, so a regression
/// cannot damage the machine's own /dev/null): the run passes and NODE is still a device.
@Sendable func reportIntoDevice(_ fault: FaultCase, _ folder: URL, _ marker: String) throws {
    let node = folder.appendingPathComponent("null").path
    #expect(mknod(node, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0, "mknod: \(String(cString: strerror(errno)))")
    let junit = folder.appendingPathComponent("report.xml").path
    let outcome = try runFaults(["--json", node, "--junit", junit], folder: folder, marker: marker)
    expectStatus(fault, outcome)
    #expect(fileType(node) == S_IFCHR, "the device node is still a device")
    #expect(try schemaProblems(junit) == nil)
}

/// `--junit /dev/stdout --json /dev/stderr` as nobody (who could not replace /dev/stdout, and so failed): the
/// XML arrives on stdout after the test output, the JSON on stderr, status 0.
@Sendable func reportToStandardOutput(_ fault: FaultCase, _ folder: URL, _ marker: String) throws {
    try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: folder.path)
    let outcome = try runFaults(["--junit", "/dev/stdout", "--json", "/dev/stderr"], prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"], folder: folder, marker: marker)
    expectStatus(fault, outcome)
    let text = outcome.stdoutText
    #expect(text.contains("test basic::adds ... ok"), "the test output still passes through")
    guard let start = text.range(of: "<?xml") else {
        Issue.record("no XML on stdout: \(text.suffix(500))")
        return
    }
    let xml = folder.appendingPathComponent("stdout.xml").path
    try Data(text[start.lowerBound...].utf8).write(to: URL(fileURLWithPath: xml))
    #expect(try schemaProblems(xml) == nil)
    #expect(outcome.stderrText.contains("\"tests\""), "the JSON on stderr")
    #expect(fileType("/dev/stdout") == S_IFLNK)
}

/// `--junit FIFO`: with `cat` reading it, the whole valid report arrives; with nobody reading, one error line
/// at once and the FIFO untouched.
func reportIntoFIFO(reader: Bool) -> @Sendable (FaultCase, URL, String) throws -> Void {
    { fault, folder, marker in
        let fifo = folder.appendingPathComponent("report.fifo").path
        #expect(mkfifo(fifo, 0o644) == 0)
        let received = folder.appendingPathComponent("received.xml").path
        var cat: Process?
        if reader {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "exec cat \"$0\" > \"$1\"", fifo, received]
            process.environment = [Fault.markerVariable: marker]
            try process.run()
            cat = process
        }
        let json = folder.appendingPathComponent("report.json").path
        let outcome = try runFaults(["--junit", fifo, "--json", json], folder: folder, marker: marker, limit: 30)
        expectStatus(fault, outcome)
        #expect(fileType(fifo) == S_IFIFO)
        if let cat {
            cat.waitUntilExit()
            #expect(try schemaProblems(received) == nil)
            #expect(Fault.junitCaseCount(received) == 5)
        } else {
            #expect(outcome.stderrText.split(separator: "\n").filter { $0.hasPrefix("crossrun: error:") }.count == 1)
        }
    }
}

/// `--json FOLDER`: one line, status 125 on a passing run, the folder and its content untouched.
@Sendable func reportIntoFolder(_ fault: FaultCase, _ folder: URL, _ marker: String) throws {
    let target = folder.appendingPathComponent("a-folder")
    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
    try Data("keep".utf8).write(to: target.appendingPathComponent("inside"))
    let outcome = try runFaults(["--json", target.path, "--junit", folder.appendingPathComponent("r.xml").path], folder: folder, marker: marker)
    expectStatus(fault, outcome)
    #expect(fileType(target.path) == S_IFDIR)
    #expect(try FileManager.default.contentsOfDirectory(atPath: target.path) == ["inside"])
}

/// A copy of the faults program named with 250 characters: both reports are written (names within 255 bytes)
/// and valid.
@Sendable func longBinaryName(_ fault: FaultCase, _ folder: URL, _ marker: String) throws {
    let copy = folder.appendingPathComponent(String(repeating: "t", count: 250)).path
    try FileManager.default.copyItem(atPath: try Fault.program(), toPath: copy)
    let reports = folder.appendingPathComponent("reports")
    let outcome = try runFaults(["--report-dir", reports.path], binary: copy, folder: folder, marker: marker)
    expectStatus(fault, outcome)
    let files = try FileManager.default.contentsOfDirectory(atPath: reports.path).sorted()
    #expect(files.count == 2, "\(files)")
    #expect(files.allSatisfy { $0.utf8.count <= 255 && $0.hasPrefix("tttttttttt") })
    if let json = files.first(where: { $0.hasSuffix(".json") }), let xml = files.first(where: { $0.hasSuffix(".xml") }) {
        let results = try fault.checkReports(json: reports.appendingPathComponent(json).path, junit: reports.appendingPathComponent(xml).path,
                                             printed: Fault.printedTests(in: outcome.stdout))
        #expect(results.map(Fault.outcomes) == cleanFaultTests)
    }
}

import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// gpgv's status lines, as it prints them with `--status-fd`, and whether crossrun (like apt) trusts them.
struct VerdictCase: CustomTestStringConvertible, Sendable {
    var name: String
    var status: String
    /// nil: trusted; else a word the reason must contain.
    var rejectedFor: String?
    var testDescription: String { name }
}

let verdictCases: [VerdictCase] = [
    VerdictCase(name: "one good, valid signature", status: """
        [GNUPG:] NEWSIG
        [GNUPG:] GOODSIG 5DC87C61D3691D21 test <t@invalid>
        [GNUPG:] VALIDSIG D0DD78157826E5C2A784B5375DC87C61D3691D21 2026-01-01 1 0 4 0 22 10 01 D0DD
        """, rejectedFor: nil),
    VerdictCase(name: "an expired key (gpgv exits 0, VALIDSIG present)", status: """
        [GNUPG:] NEWSIG
        [GNUPG:] KEYEXPIRED 1577923200
        [GNUPG:] EXPKEYSIG 5DC87C61D3691D21 exp <e@invalid>
        [GNUPG:] VALIDSIG D0DD78157826E5C2A784B5375DC87C61D3691D21 2020-01-01 1577840400 0 4 0 22 8 01 D0DD
        """, rejectedFor: "EXPKEYSIG"),
    VerdictCase(name: "a revoked key", status: "[GNUPG:] NEWSIG\n[GNUPG:] REVKEYSIG 5DC8 r\n[GNUPG:] VALIDSIG D0DD 2020-01-01 1 0 4 0 22 8 01 D0DD", rejectedFor: "REVKEYSIG"),
    VerdictCase(name: "an expired signature", status: "[GNUPG:] NEWSIG\n[GNUPG:] EXPSIG 5DC8 e\n[GNUPG:] VALIDSIG D0DD 2020-01-01 1 0 4 0 22 8 01 D0DD", rejectedFor: "EXPSIG"),
    VerdictCase(name: "a bad signature", status: "[GNUPG:] NEWSIG\n[GNUPG:] BADSIG 5DC8 b", rejectedFor: "BADSIG"),
    VerdictCase(name: "an unknown key", status: "[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG 5DC8 22 10 01 1 9 -\n[GNUPG:] NO_PUBKEY 5DC8", rejectedFor: "NO_PUBKEY"),
    VerdictCase(name: "GOODSIG without VALIDSIG", status: "[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 5DC8 g", rejectedFor: "no good signature"),
    VerdictCase(name: "no status at all", status: "", rejectedFor: "no good signature"),
    VerdictCase(name: "no signature data", status: "[GNUPG:] NODATA 1", rejectedFor: "NODATA"),
    VerdictCase(name: "Debian's several keys: one good, one unknown", status: """
        [GNUPG:] NEWSIG
        [GNUPG:] ERRSIG AAAA 1 10 01 1 9 -
        [GNUPG:] NO_PUBKEY AAAA
        [GNUPG:] NEWSIG
        [GNUPG:] GOODSIG BBBB debian
        [GNUPG:] VALIDSIG BBBB 2026-01-01 1 0 4 0 1 10 01 BBBB
        """, rejectedFor: nil),
    VerdictCase(name: "one good and one bad signature", status: """
        [GNUPG:] NEWSIG
        [GNUPG:] GOODSIG BBBB debian
        [GNUPG:] VALIDSIG BBBB 2026-01-01 1 0 4 0 1 10 01 BBBB
        [GNUPG:] NEWSIG
        [GNUPG:] BADSIG CCCC other
        """, rejectedFor: "BADSIG"),
    VerdictCase(name: "one good and one expired-key signature", status: """
        [GNUPG:] NEWSIG
        [GNUPG:] EXPKEYSIG AAAA old
        [GNUPG:] VALIDSIG AAAA 2020-01-01 1 0 4 0 1 10 01 AAAA
        [GNUPG:] NEWSIG
        [GNUPG:] GOODSIG BBBB debian
        [GNUPG:] VALIDSIG BBBB 2026-01-01 1 0 4 0 1 10 01 BBBB
        """, rejectedFor: nil),
]

@Suite("Signature checks fail closed")
struct SignatureVerdictTests {
    @Test("gpgv's status lines judged as apt judges them", arguments: verdictCases)
    func verdict(_ verdictCase: VerdictCase) {
        let reason = GPGV.verdict(status: verdictCase.status)
        if let expected = verdictCase.rejectedFor {
            #expect(reason?.contains(expected) == true, "\(reason ?? "accepted")")
        } else {
            #expect(reason == nil)
        }
    }

    @Test("no gpgv on PATH is a one-line 126 error naming the package")
    func noGPGV() throws {
        let error = #expect(throws: CrossRunError.self) {
            try GPGV.tool(keyring: "/etc/hostname", checking: "http://m/dists/x/InRelease", path: "/nonexistent")
        }
        #expect(error?.code == .signatureUnverifiable)
        #expect(error.map(CrossRunError.exitStatus(for:)) == 126)
        #expect(error?.message.contains("apt-get install gpgv") == true)
        #expect(error?.message.contains("--no-verify-signature") == true)
        #expect(error?.message.contains("\n") == false)
    }

    @Test("a keyring that is missing, or a folder, is a one-line 126 error naming the package", arguments: ["/nonexistent/keyring.gpg", "/tmp"])
    func noKeyring(_ keyring: String) throws {
        let error = #expect(throws: CrossRunError.self) { try GPGV.tool(keyring: keyring, checking: "file:///m/InRelease") }
        #expect(error?.code == .signatureUnverifiable)
        #expect(error?.message.contains("debian-archive-keyring") == true)
        #expect(error?.message.contains(keyring) == true)
    }

    @Test("a missing file is missing on every mirror scheme; a failed download is not", arguments: [
        ("HTTP 404", true), ("HTTP 410", true), ("no such file", true), ("HTTP 500", false), ("Connection refused", false),
    ])
    func missing(_ reason: String, _ expected: Bool) {
        #expect(HTTPDownloader.isMissing(.downloadFailed(url: "u", reason: reason)) == expected)
    }
}

@Suite("Cache folder and permissions")
struct CacheLocationTests {
    @Test("the cache folder: explicit, absolute XDG_CACHE_HOME, else an absolute HOME, else the password database's home", arguments: [
        (["CROSSRUN_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"], "/c"),
        (["XDG_CACHE_HOME": "/x", "HOME": "/h"], "/x/crossrun"),
        (["XDG_CACHE_HOME": "relative/cache", "HOME": "/h"], "/h/.cache/crossrun"),
        (["XDG_CACHE_HOME": "", "HOME": "/h"], "/h/.cache/crossrun"),
        (["HOME": "/h"], "/h/.cache/crossrun"),
    ])
    func base(_ environment: [String: String], _ expected: String) {
        #expect(SysrootCache(environment: environment).base == expected)
    }

    @Test("HOME empty, relative or unset: the home folder from the password database, never /.cache", arguments: [["HOME": ""], ["HOME": "relative"], [:]])
    func noHome(_ environment: [String: String]) throws {
        let home = try #require(getpwuid(getuid())?.pointee.pw_dir).withMemoryRebound(to: CChar.self, capacity: 1) { String(cString: $0) }
        #expect(SysrootCache(environment: environment).base == home + "/.cache/crossrun")
        #expect(!SysrootCache(environment: environment).base.hasPrefix("/.cache"))
    }

    @Test("what a fill leaves group or world writable (as under umask 000) is not, once installed; new cache folders are 0755")
    func othersKeptOut() throws {
        let scratch = try ScratchFolder("crossrun-umask")
        defer { scratch.remove() }
        let cache = SysrootCache(base: scratch.path + "/cache")
        // The process umask is not changed here (tests run in parallel): the fill makes its files 0777 and 0666
        // itself; the fault suite runs crossrun under a real `umask 000`.
        let entry = try cache.entry(target: "t", digest: "d", options: FetchOptions(), lockedReason: "") { root in
            try FileManager.default.createDirectory(atPath: root + "/lib", withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: root + "/lib/file", contents: Data("x".utf8)))
            #expect(chmod(root + "/lib", 0o777) == 0 && chmod(root + "/lib/file", 0o666) == 0 && chmod(root, 0o777) == 0)
            #expect(symlink("file", root + "/lib/link") == 0)
            return (sampleLock(target: "t", digest: "d"), "t")
        }
        for path in [scratch.path + "/cache", scratch.path + "/cache/sysroots", cache.targetDirectory("t"), cache.targetDirectory("t") + "/.lock",
                     entry.directory, entry.directory + "/lock.json", entry.directory + "/root", entry.directory + "/root/lib", entry.directory + "/root/lib/file"] {
            var status = stat()
            #expect(stat(path, &status) == 0, "\(path)")
            #expect(status.st_mode & 0o022 == 0, "\(path) has mode \(String(status.st_mode & 0o777, radix: 8))")
        }
        #expect(FileManager.default.fileExists(atPath: entry.directory + "/root/lib/link"))
    }

    @Test("an entry installed unverified by an older crossrun (gpgv missing) is fetched again while signatures are checked")
    func unverifiedEntryRefetched() throws {
        let scratch = try ScratchFolder("crossrun-unverified")
        defer { scratch.remove() }
        let cache = SysrootCache(base: scratch.path)
        var fills = 0
        func fill(_ signature: String) -> (String) throws -> (lock: SysrootLock, summary: String) {
            { _ in
                fills += 1
                var lock = sampleLock(target: "t", digest: "d")
                lock.signature = signature
                return (lock, "t")
            }
        }
        _ = try cache.entry(target: "t", digest: "d", options: FetchOptions(), lockedReason: "", fill: fill("signature not verified (gpgv is not installed)"))
        let again = try cache.entry(target: "t", digest: "d", options: FetchOptions(), lockedReason: "", fill: fill("signature verified"))
        #expect(fills == 2)
        #expect(again.lock.signature == "signature verified")
        // An explicit --no-verify-signature fetch is kept: the user chose it and the record says so.
        var unverified = FetchOptions()
        unverified.verifySignature = false
        _ = try cache.entry(target: "u", digest: "d", options: unverified, lockedReason: "", fill: fill("signature NOT verified (--no-verify-signature)"))
        _ = try cache.entry(target: "u", digest: "d", options: FetchOptions(), lockedReason: "", fill: fill("signature verified"))
        #expect(fills == 3)
    }
}

@Suite("Extraction cap counts every entry")
struct ExtractionCapTests {
    @Test("folders, links and empty files count against the cap (one block each)")
    func entriesCount() throws {
        let scratch = try ScratchFolder("crossrun-cap")
        defer { scratch.remove() }
        var tar = TarBuilder()
        for index in 0..<100 { tar.add("./many/\(index)/", .directory) }
        var budget = 64 * DebArchive.entryCost
        let error = #expect(throws: CrossRunError.self) {
            _ = try DebArchive.unpackTar(tar.archive, package: "many.deb", into: scratch.path, budget: &budget)
        }
        #expect(error?.code == .unsafeArchiveEntry)
        #expect(error?.message.contains("size cap") == true)

        var links = TarBuilder()
        for index in 0..<10 { links.add("./l\(index)", .symlink("target")) }
        links.add("./empty", .file(""))
        budget = 12 * DebArchive.entryCost
        try FileManager.default.createDirectory(atPath: scratch.path + "/links", withIntermediateDirectories: true)
        _ = try DebArchive.unpackTar(links.archive, package: "links.deb", into: scratch.path + "/links", budget: &budget)
        #expect(budget == DebArchive.entryCost, "11 entries charged one block each")
    }

    @Test("CROSSRUN_SYSROOT_SIZE_CAP sets the cap; a bad value is a one-line error", arguments: [
        ("64M", 64 << 20), ("2G", 2 << 30), ("512k", 512 << 10), ("1000", 1000), ("3MiB", 3 << 20),
    ])
    func sizeCap(_ text: String, _ bytes: Int) throws {
        let configuration = try Configuration.load(options: RunOptions(), environment: ["CROSSRUN_SYSROOT_SIZE_CAP": text], workingDirectory: "/nonexistent")
        #expect(configuration.fetchOptions().sizeCap == bytes)
    }

    @Test("bad CROSSRUN_SYSROOT_SIZE_CAP values", arguments: ["0", "-1", "lots", "1T", "99999999999G"])
    func badSizeCap(_ text: String) {
        let error = #expect(throws: CrossRunError.self) {
            try Configuration.load(options: RunOptions(), environment: ["CROSSRUN_SYSROOT_SIZE_CAP": text], workingDirectory: "/nonexistent")
        }
        #expect(error?.code == .invalidEnvironmentValue)
        #expect(error?.message.contains("CROSSRUN_SYSROOT_SIZE_CAP") == true)
    }
}

// Against the local signed repository (serialized with the rest of SysrootFetchTests: they count requests).
extension SysrootFetchTests {
    @Test("a signature by an expired key (gpgv exits 0 with EXPKEYSIG) is refused and nothing is installed")
    func expiredKey() throws {
        let (fetcher, cache) = try fetcher(mirror: server.mirror("expired-key"))
        defer { try? FileManager.default.removeItem(at: cache) }
        let error = #expect(throws: CrossRunError.self) { try fetcher.sysroot(for: try aarch64Manifest()) }
        #expect(error?.code == .signatureInvalid)
        #expect(error?.message.contains("EXPKEYSIG") == true)
        #expect(fetcher.cache.all().isEmpty)
    }

    @Test("no InRelease: Release + Release.gpg, verified, over HTTP and over file://", arguments: ["http", "file"])
    func releaseGPGOnly(_ scheme: String) throws {
        let mirror = scheme == "http" ? server.mirror("release-gpg-only") : "file://" + server.folder.appendingPathComponent("release-gpg-only").path
        let (fetcher, cache) = try fetcher(mirror: mirror)
        defer { try? FileManager.default.removeItem(at: cache) }
        let sysroot = try fetcher.sysroot(for: try aarch64Manifest())
        #expect(sysroot.lock.signature == "signature verified")
    }

    @Test("a file:// mirror without InRelease whose Release.gpg is bad is refused")
    func fileMirrorBadDetached() throws {
        let scratch = try ScratchFolder("crossrun-file-mirror")
        defer { scratch.remove() }
        try runTool("/bin/cp", ["-a", server.folder.appendingPathComponent("bad-signature").path, scratch.path + "/mirror"])
        try FileManager.default.removeItem(atPath: scratch.path + "/mirror/dists/bookworm/InRelease")
        let (fetcher, cache) = try fetcher(mirror: "file://" + scratch.path + "/mirror")
        defer { try? FileManager.default.removeItem(at: cache) }
        let error = #expect(throws: CrossRunError.self) { try fetcher.sysroot(for: try aarch64Manifest()) }
        #expect(error?.code == .signatureInvalid)
        #expect(error?.subject?.hasSuffix("/Release") == true)
    }

    @Test("crossrun sysroot fetch without gpgv or without the keyring: 126, one line, nothing installed, no request", arguments: ["gpgv", "keyring"])
    func failClosedCommand(_ missing: String) throws {
        let scratch = try ScratchFolder("crossrun-fail-closed")
        defer { scratch.remove() }
        let before = server.requests(endingWith: "InRelease")
        let process = crossrunProcess(["sysroot", "fetch", "--mirror", server.mirror("bad-signature"), "aarch64"], cache: scratch.path + "/cache", scratch: scratch)
        var environment = process.environment ?? [:]
        if missing == "gpgv" { environment["PATH"] = "/nonexistent" } else { environment["CROSSRUN_DEBIAN_KEYRING"] = scratch.path + "/no-keyring.gpg" }
        process.environment = environment
        let text = try stderrOf(process)
        #expect(process.terminationStatus == 126, "\(text)")
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("crossrun: error:") }
        #expect(lines.count == 1, "\(text)")
        #expect(text.contains(missing == "gpgv" ? "apt-get install gpgv" : "apt-get install debian-archive-keyring"), "\(text)")
        #expect(SysrootCache(base: scratch.path + "/cache").all().isEmpty)
        #expect(server.requests(endingWith: "InRelease") == before, "nothing downloaded before failing")
    }

    @Test("20,000 folders in a 45 KB .deb count against the cap: refused under CROSSRUN_SYSROOT_SIZE_CAP=16M, nothing left")
    func manyFolders() throws {
        let scratch = try ScratchFolder("crossrun-many-folders")
        defer { scratch.remove() }
        let process = crossrunProcess(["sysroot", "fetch", "--mirror", server.mirror("many-folders"), "aarch64"], cache: scratch.path + "/cache", scratch: scratch)
        process.environment?["CROSSRUN_SYSROOT_SIZE_CAP"] = "16M"
        let text = try stderrOf(process)
        #expect(process.terminationStatus == 126, "\(text)")
        #expect(text.contains("size cap"), "\(text)")
        #expect(names(in: scratch.path + "/cache/sysroots/aarch64") == [".lock"])
    }
}

/// Runs `process` to the end with stdout discarded; returns its stderr.
func stderrOf(_ process: Process) throws -> String {
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return text
}

import CrossRunKit
import Foundation
import Glibc

/// One suite's Packages index for a component and architecture, on the mirror it came from, checked against
/// the suite's signed Release.
public struct DebianSuiteIndex: Sendable {
    /// The mirror's base URL.
    public var mirror: String
    /// `signature verified`, `signature NOT verified (--no-verify-signature)` or why it was not verified.
    public var signature: String
    /// The index file's URL (for errors).
    public var url: String
    /// The decompressed index.
    public var data: Data

    /// The named packages' entries; a name the index lacks is missing from the result.
    public func packages(_ names: [String]) -> [String: DebianPackage] {
        DebianControl.packages(data, only: Set(names))
    }

    /// The named package's entry, or a ``CrossRunError/packageMissing(package:index:)``.
    public func package(_ name: String) throws -> DebianPackage {
        guard let package = packages([name])[name] else { throw CrossRunError.packageMissing(package: name, index: url) }
        return package
    }
}

/// The one Debian repository client, for sysroots and for system mode's kernel and busybox alike: the mirror
/// (explicit, or this machine's apt sources), the suite's InRelease (or Release + Release.gpg) checked with
/// gpgv against the keyring, the Packages index checked against it, and each `.deb` checked against the
/// index's size and SHA-256. What to do with the packages (unpack, or take one file) is the caller's.
public struct DebianRepositoryClient: Sendable {
    public var options: FetchOptions
    public var downloader = HTTPDownloader()

    public init(options: FetchOptions) {
        self.options = options
    }

    /// The verified index of `suite`'s `component`/`architecture`, announcing `what` is fetched from which mirror.
    public func index(suite: String, component: String, architecture: String, fetching what: String) throws -> DebianSuiteIndex {
        let mirror = try DebianMirror.resolve(
            explicit: options.mirror, suite: suite, sourcesList: options.sourcesList, sourcesDirectory: options.sourcesDirectory)
        options.progress("crossrun: fetching \(what) from \(mirror) ...")
        let (release, signature) = try release(mirror: mirror, suite: suite)
        let folder = "\(component)/binary-\(architecture)/Packages"
        for suffix in [".xz", ".gz", ""] {
            let path = folder + suffix
            guard let entry = release.sha256[path] else { continue }
            let url = "\(mirror)/dists/\(suite)/\(path)"
            let data = try checked(url, what: url, size: entry.size, sha256: entry.sha256)
            return DebianSuiteIndex(
                mirror: mirror, signature: signature, url: url, data: suffix.isEmpty ? data : try DebArchive.decompress(data, name: url))
        }
        throw CrossRunError.packageMissing(package: folder, index: "\(mirror)/dists/\(suite)/InRelease")
    }

    /// A package's `.deb` from the index's mirror, checked against the index's size and SHA-256.
    public func download(_ package: DebianPackage, from index: DebianSuiteIndex) throws -> Data {
        try checked(index.mirror + "/" + package.filename, what: package.debName, size: package.size, sha256: package.sha256)
    }

    /// `url`'s body, which must have `size` bytes and hash to `sha256`; `what` names it in errors.
    func checked(_ url: String, what: String, size: Int, sha256: String) throws -> Data {
        let data = try downloader.fetch(url)
        guard data.count == size else { throw CrossRunError.sizeMismatch(what: what, expected: size, actual: data.count) }
        let hash = Hashing.sha256(data)
        guard hash == sha256 else { throw CrossRunError.checksumMismatch(what: what, expected: sha256, actual: hash) }
        return data
    }

    /// InRelease (or Release + Release.gpg), verified; returns the parsed Release and a word on its signature.
    /// Verification fails closed: without gpgv or the keyring nothing is fetched unless `--no-verify-signature`.
    func release(mirror: String, suite: String) throws -> (DebianRelease, String) {
        let base = "\(mirror)/dists/\(suite)"
        var gpgv: String?
        let signature: String
        if options.verifySignature {
            gpgv = try GPGV.tool(keyring: options.keyring, checking: base + "/InRelease")
            signature = "signature verified"
        } else {
            signature = "signature NOT verified (--no-verify-signature)"
            options.progress("crossrun: warning: not verifying the signature of \(base)/InRelease (--no-verify-signature)")
        }
        let inRelease: Data
        do {
            inRelease = try downloader.fetch(base + "/InRelease")
        } catch let error as CrossRunError where HTTPDownloader.isMissing(error) {
            // Older or smaller archives (on any scheme): Release with a detached Release.gpg.
            let release = try downloader.fetch(base + "/Release")
            if let gpgv {
                let detached = try downloader.fetch(base + "/Release.gpg")
                _ = try GPGV.verify(signed: release, detachedSignature: detached, keyring: options.keyring, gpgv: gpgv, name: base + "/Release")
            }
            let parsed = DebianRelease.parse(String(decoding: release, as: UTF8.self))
            try Self.checkFreshness(parsed, suite: suite, file: base + "/Release", verified: gpgv != nil)
            return (parsed, signature)
        }
        let text: String
        if let gpgv {
            text = String(decoding: try GPGV.verify(signed: inRelease, detachedSignature: nil, keyring: options.keyring, gpgv: gpgv, name: base + "/InRelease"), as: UTF8.self)
        } else {
            text = DebianControl.clearsignedText(String(decoding: inRelease, as: UTF8.self))
        }
        let release = DebianRelease.parse(text)
        try Self.checkFreshness(release, suite: suite, file: base + "/InRelease", verified: gpgv != nil)
        return (release, signature)
    }

    /// A signed Release for another suite, or one past its `Valid-Until`, could be an old file replayed by a
    /// mirror (or someone between): refused like a bad signature.
    static func checkFreshness(_ release: DebianRelease, suite: String, file: String, verified: Bool, now: Date = Date()) throws {
        let names = [release.fields["Suite"], release.fields["Codename"]].compactMap { $0 }
        if !names.isEmpty && !names.contains(suite) {
            throw CrossRunError.signatureInvalid(file: file, reason: "it is the Release of \(names.joined(separator: "/")), not of \(suite)")
        }
        guard verified, let text = release.fields["Valid-Until"] else { return }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let validUntil = formatter.date(from: text), validUntil < now {
            throw CrossRunError.signatureInvalid(file: file, reason: "it expired on \(text) (Valid-Until)")
        }
    }
}

/// Signature checks with Debian's gpgv, run as a child process (no shell). The verdict comes from gpgv's status
/// lines (`--status-fd`), judged as apt judges them: at least one signature that is both GOODSIG and VALIDSIG, and
/// no BADSIG. An expired or revoked key (EXPKEYSIG, REVKEYSIG), an expired signature (EXPSIG), an unknown key
/// (NO_PUBKEY, ERRSIG) never counts as good, whatever gpgv's exit status says.
enum GPGV {
    /// The gpgv to run, found on this process's PATH, after checking that the keyring exists; otherwise a
    /// ``CrossRunError/signatureUnverifiable(file:reason:fix:)`` naming what to install.
    static func tool(keyring: String, checking file: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) throws -> String {
        switch find(keyring: keyring, path: path) {
        case .success(let gpgv): return gpgv
        case .failure(let missing): throw CrossRunError.signatureUnverifiable(file: file, reason: missing.reason, fix: missing.fix)
        }
    }

    /// What is missing to check signatures: why, and what installs it.
    struct Missing: Error, Equatable {
        var reason: String
        var fix: String
    }

    /// gpgv on `path` and the keyring file, or what is missing (`crossrun doctor` reports it before a fetch would).
    static func find(keyring: String, path: String?) -> Result<String, Missing> {
        guard let gpgv = Executables.find("gpgv", searchPath: path ?? "/usr/bin:/bin") else {
            return .failure(Missing(reason: "gpgv is not installed (not on PATH)", fix: "Install it (apt-get install gpgv)"))
        }
        var status = stat()
        guard stat(keyring, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            return .failure(Missing(
                reason: "there is no keyring file at \(keyring)",
                fix: "Install debian-archive-keyring (apt-get install debian-archive-keyring) or set the keyring (CROSSRUN_DEBIAN_KEYRING, keyring = \"...\" in crossrun.toml)"))
        }
        return .success(gpgv)
    }

    /// gpgv's verdict from its `[GNUPG:]` status lines: nil when good, else the reason it is not.
    static func verdict(status: String) -> String? {
        var signatures: [[String]] = []
        for line in status.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 2, words[0] == "[GNUPG:]" else { continue }
            if words[1] == "NEWSIG" || signatures.isEmpty { signatures.append([]) }
            signatures[signatures.count - 1].append(words[1])
        }
        let keywords = signatures.flatMap { $0 }
        if keywords.contains("BADSIG") { return "BADSIG: the file was changed after it was signed" }
        if signatures.contains(where: { $0.contains("GOODSIG") && $0.contains("VALIDSIG") }) { return nil }
        let reasons = [
            ("EXPKEYSIG", "EXPKEYSIG: signed by an expired key"), ("REVKEYSIG", "REVKEYSIG: signed by a revoked key"),
            ("EXPSIG", "EXPSIG: the signature has expired"), ("NO_PUBKEY", "NO_PUBKEY: signed by a key not in the keyring"),
            ("ERRSIG", "ERRSIG: the signature cannot be checked"), ("NODATA", "NODATA: no signature found"),
        ]
        return reasons.first { keywords.contains($0.0) }?.1 ?? "no good signature"
    }

    /// Verifies and returns the signed content (for InRelease, gpgv's own output: only what was signed).
    static func verify(signed: Data, detachedSignature: Data?, keyring: String, gpgv: String, name: String) throws -> Data {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-gpgv-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let signedFile = folder.appendingPathComponent("signed")
        let output = folder.appendingPathComponent("output")
        try signed.write(to: signedFile)
        var arguments = ["--quiet", "--status-fd", "1", "--keyring", keyring]
        if let detachedSignature {
            let signatureFile = folder.appendingPathComponent("signature")
            try detachedSignature.write(to: signatureFile)
            arguments += [signatureFile.path, signedFile.path]
        } else {
            arguments += ["--output", output.path, signedFile.path]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gpgv)
        process.arguments = arguments
        let statusLines = Pipe()
        process.standardOutput = statusLines
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CrossRunError.signatureInvalid(file: name, reason: "gpgv could not be started: \(error.localizedDescription)")
        }
        let status = String(decoding: statusLines.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if let reason = verdict(status: status) {
            throw CrossRunError.signatureInvalid(file: name, reason: reason)
        }
        return detachedSignature == nil ? (FileManager.default.contents(atPath: output.path) ?? Data()) : signed
    }
}

import Foundation

/// Fetches a sysroot: the suite's InRelease (signature checked with gpgv), the Packages index (checked against
/// InRelease's SHA-256), each package (checked against the index's SHA-256 and size), unpacked safely into a
/// temporary folder in the cache and renamed into place with its lock record. Any failure leaves nothing behind.
public struct SysrootFetcher: Sendable {
    public var cache: SysrootCache
    public var options: FetchOptions
    public var downloader = HTTPDownloader()

    public init(cache: SysrootCache, options: FetchOptions) {
        self.cache = cache
        self.options = options
    }

    /// The cached sysroot for `manifest`, fetching it first when it is missing (unless offline or locked).
    public func sysroot(for manifest: SysrootManifest) throws -> CachedSysroot {
        if let cached = cache.lookup(manifest) { return cached }
        if options.offline {
            throw CrossRunError.sysrootNotCached(target: manifest.name, reason: "--offline (CROSSRUN_OFFLINE) forbids downloading one")
        }
        if options.locked {
            throw CrossRunError.sysrootLocked(target: manifest.name, reason: "no sysroot with a lock record is installed for these packages")
        }
        return try cache.withLock(target: manifest.name) {
            // Another process may have installed it while this one waited for the lock.
            if let cached = cache.lookup(manifest) { return cached }
            cache.removeLeftovers(target: manifest.name)
            return try install(manifest)
        }
    }

    /// Fetches and installs `manifest` unconditionally. Call while holding the target's lock.
    func install(_ manifest: SysrootManifest) throws -> CachedSysroot {
        let mirror = try DebianMirror.resolve(
            explicit: options.mirror, suite: manifest.suite, sourcesList: options.sourcesList,
            sourcesDirectory: options.sourcesDirectory)
        options.progress("crossrun: fetching the \(manifest.name) sysroot (\(manifest.packages.joined(separator: ", "))) from \(mirror) ...")
        let (release, signature) = try fetchRelease(mirror: mirror, suite: manifest.suite)
        let index = try fetchPackages(mirror: mirror, manifest: manifest, release: release)
        let final = cache.directory(for: manifest)
        let temporary = cache.targetDirectory(manifest.name) + "/.tmp-\(manifest.digest)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try FileManager.default.createDirectory(atPath: temporary + "/root", withIntermediateDirectories: true)
            var budget = options.sizeCap
            var files: [SysrootFile] = []
            var packages: [DebianPackage] = []
            var downloaded = 0
            for name in manifest.packages {
                guard let package = index.packages[name] else {
                    throw CrossRunError.packageMissing(package: name, index: index.url)
                }
                let deb = try downloader.fetch(mirror + "/" + package.filename)
                let what = (package.filename as NSString).lastPathComponent
                guard deb.count == package.size else {
                    throw CrossRunError.sizeMismatch(what: what, expected: package.size, actual: deb.count)
                }
                let hash = Hashing.sha256(deb)
                guard hash == package.sha256 else {
                    throw CrossRunError.checksumMismatch(what: what, expected: package.sha256, actual: hash)
                }
                files += try DebArchive.unpack(deb: deb, package: what, into: temporary + "/root", budget: &budget)
                packages.append(package)
                downloaded += deb.count
            }
            // Links of one package may be redirected by another's: check them all against the whole tree.
            try DebArchive.checkLinks(files, in: temporary + "/root", package: manifest.packages.joined(separator: ", "))
            let loaderPath = temporary + "/root/" + (manifest.root.isEmpty ? "" : manifest.root) + manifest.loader
            guard Self.resolvesInside(loaderPath, root: temporary + "/root") else {
                throw CrossRunError.sysrootIncomplete(target: manifest.name, loader: manifest.loader)
            }
            let lock = SysrootLock(
                target: manifest.name, digest: manifest.digest, suite: manifest.suite, architecture: manifest.architecture,
                root: manifest.root, mirror: mirror, fetchedAt: Date(), signature: signature, packages: packages,
                files: files.sorted { $0.path < $1.path })
            try cache.install(lock, from: temporary, to: final, what: "the sysroot")
            options.progress("crossrun: fetched the \(manifest.name) sysroot (\(downloaded / 1024) KiB, \(signature)) into \(final)")
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        guard let cached = cache.lookup(manifest) else {
            throw CrossRunError.sysrootIncomplete(target: manifest.name, loader: manifest.loader)
        }
        return cached
    }

    /// Whether `path` exists once its links are followed, without leaving `root`.
    static func resolvesInside(_ path: String, root: String) -> Bool {
        guard let real = realpath(path, nil) else { return false }
        defer { free(real) }
        guard let realRoot = realpath(root, nil) else { return false }
        defer { free(realRoot) }
        return String(cString: real).hasPrefix(String(cString: realRoot) + "/")
    }

    /// InRelease (or Release + Release.gpg), verified; returns the parsed Release and a word on its signature.
    func fetchRelease(mirror: String, suite: String) throws -> (DebianRelease, String) {
        let base = "\(mirror)/dists/\(suite)"
        let keyringPresent = FileManager.default.fileExists(atPath: options.keyring)
        let gpgv = Executables.find("gpgv", searchPath: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let verify = options.verifySignature && keyringPresent && gpgv != nil
        var signature: String
        if !options.verifySignature {
            signature = "signature NOT verified (--no-verify-signature)"
            options.progress("crossrun: warning: not verifying the signature of \(base)/InRelease (--no-verify-signature)")
        } else if !verify {
            signature = "signature not verified (\(keyringPresent ? "gpgv is not installed" : "no keyring at \(options.keyring)"))"
            options.progress("crossrun: warning: \(signature); install gpgv and debian-archive-keyring to verify")
        } else {
            signature = "signature verified"
        }
        let inRelease: Data
        do {
            inRelease = try downloader.fetch(base + "/InRelease")
        } catch let error as CrossRunError where error.code == .downloadFailed && error.reason == "HTTP 404" {
            // Older or smaller archives: Release with a detached Release.gpg.
            let release = try downloader.fetch(base + "/Release")
            if verify {
                let detached = try downloader.fetch(base + "/Release.gpg")
                _ = try GPGV.verify(signed: release, detachedSignature: detached, keyring: options.keyring, gpgv: gpgv!, name: base + "/Release")
            }
            let parsed = DebianRelease.parse(String(decoding: release, as: UTF8.self))
            try Self.checkFreshness(parsed, suite: suite, file: base + "/Release", verified: verify)
            return (parsed, signature)
        }
        let text: String
        if verify {
            text = String(decoding: try GPGV.verify(signed: inRelease, detachedSignature: nil, keyring: options.keyring, gpgv: gpgv!, name: base + "/InRelease"), as: UTF8.self)
        } else {
            text = DebianControl.clearsignedText(String(decoding: inRelease, as: UTF8.self))
        }
        let release = DebianRelease.parse(text)
        try Self.checkFreshness(release, suite: suite, file: base + "/InRelease", verified: verify)
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

    struct PackageIndex {
        var url: String
        var packages: [String: DebianPackage]
    }

    /// The suite's Packages index for the manifest's component and architecture, checked against Release.
    func fetchPackages(mirror: String, manifest: SysrootManifest, release: DebianRelease) throws -> PackageIndex {
        let folder = "\(manifest.component)/binary-\(manifest.architecture)/Packages"
        for suffix in [".xz", ".gz", ""] {
            let path = folder + suffix
            guard let entry = release.sha256[path] else { continue }
            let url = "\(mirror)/dists/\(manifest.suite)/\(path)"
            let data = try downloader.fetch(url)
            guard data.count == entry.size else { throw CrossRunError.sizeMismatch(what: url, expected: entry.size, actual: data.count) }
            let hash = Hashing.sha256(data)
            guard hash == entry.sha256 else { throw CrossRunError.checksumMismatch(what: url, expected: entry.sha256, actual: hash) }
            let text = suffix.isEmpty ? data : try DebArchive.decompress(data, name: url)
            return PackageIndex(url: url, packages: DebianControl.packages(text, only: Set(manifest.packages)))
        }
        throw CrossRunError.packageMissing(package: folder, index: "\(mirror)/dists/\(manifest.suite)/InRelease")
    }
}

/// Signature checks with Debian's gpgv, run as a child process (no shell).
enum GPGV {
    /// Verifies and returns the signed content (for InRelease, gpgv's own output: only what was signed).
    static func verify(signed: Data, detachedSignature: Data?, keyring: String, gpgv: String, name: String) throws -> Data {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-gpgv-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let signedFile = folder.appendingPathComponent("signed")
        let output = folder.appendingPathComponent("output")
        try signed.write(to: signedFile)
        var arguments = ["--quiet", "--keyring", keyring]
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
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CrossRunError.signatureInvalid(file: name, reason: "gpgv could not be started: \(error.localizedDescription)")
        }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let reason = String(decoding: message, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.replacingOccurrences(of: "gpgv: ", with: "") }.last ?? "gpgv exited with \(process.terminationStatus)"
            throw CrossRunError.signatureInvalid(file: name, reason: reason)
        }
        return detachedSignature == nil ? (FileManager.default.contents(atPath: output.path) ?? Data()) : signed
    }
}

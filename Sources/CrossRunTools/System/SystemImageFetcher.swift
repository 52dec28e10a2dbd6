import CrossRunKit
import Foundation
import Glibc

/// Fetches system mode's kernel and busybox through a ``SysrootFetcher``: the same Debian client, options
/// (mirror, keyring, signature checks, offline, locked), cache, file lock and lock record as sysroots. Only
/// `/boot/vmlinuz-*` is taken from the kernel package (the modules are not unpacked) and only `/bin/busybox`
/// from busybox-static.
public struct SystemImageFetcher: Sendable {
    public var fetcher: SysrootFetcher
    public var manifest: SystemImageManifest

    public init(fetcher: SysrootFetcher, manifest: SystemImageManifest = .aarch64) {
        self.fetcher = fetcher
        self.manifest = manifest
    }

    /// The cached image, if there is one.
    public func lookup() -> SystemImage? {
        fetcher.cache.lookup(target: manifest.cacheName, digest: manifest.digest).map(SystemImage.init)
    }

    /// The cached image, fetched first when missing (unless offline or locked).
    public func image() throws -> SystemImage {
        SystemImage(
            entry: try fetcher.cache.entry(
                target: manifest.cacheName, digest: manifest.digest, options: fetcher.options,
                lockedReason: SystemImageManifest.lockedReason, fill: install))
    }

    /// Downloads the kernel and busybox packages and writes `vmlinuz` and `busybox` into `root`.
    func install(into root: String) throws -> (lock: SysrootLock, summary: String) {
        let client = fetcher.client
        let index = try client.index(
            suite: manifest.suite, component: manifest.component, architecture: manifest.architecture,
            fetching: "the \(manifest.architecture) kernel (\(manifest.kernelPackage)) and \(manifest.busyboxPackage)")
        let kernelPackage = try index.package(try Self.kernelPackage(manifest.kernelPackage, index: index.data, indexURL: index.url))
        let busyboxPackage = try index.package(manifest.busyboxPackage)
        var kernel = try Self.extract(kernelPackage, from: index, with: client, what: "/boot/vmlinuz-*") { $0.hasPrefix("boot/vmlinuz-") }
        // qemu's -kernel takes an arm64 Image; Debian ships it uncompressed, but a gzip'd one is unpacked here.
        if kernel.starts(with: [0x1F, 0x8B]) { kernel = try DebArchive.decompress(kernel, name: kernelPackage.debName + " vmlinuz") }
        guard kernel.count > 64, SystemBoot.isArm64Image(kernel) else {
            throw CrossRunError.archiveUnreadable(package: kernelPackage.debName, reason: "its vmlinuz is not an arm64 Image")
        }
        let busybox = try Self.extract(busyboxPackage, from: index, with: client, what: "/bin/busybox") { $0 == "bin/busybox" }
        var files: [SysrootFile] = []
        for (name, data, mode) in [("busybox", busybox, 0o755), ("vmlinuz", kernel, 0o644)] {
            guard FileManager.default.createFile(atPath: root + "/" + name, contents: data, attributes: [.posixPermissions: mode]) else {
                throw CrossRunError.cacheNotWritable(path: root + "/" + name, reason: "it cannot be written")
            }
            files.append(SysrootFile(path: name, sha256: Hashing.sha256(data), size: data.count, link: nil))
        }
        let lock = SysrootLock(
            target: manifest.cacheName, digest: manifest.digest, suite: manifest.suite, architecture: manifest.architecture,
            root: "", mirror: index.mirror, fetchedAt: Date(), signature: index.signature,
            packages: [kernelPackage, busyboxPackage], files: files)
        return (lock, "\(kernelPackage.name) \(kernelPackage.version) and \(busyboxPackage.name) \(busyboxPackage.version) (\(index.signature))")
    }

    /// The one file of `package` whose path matches (`what` names it in the error when there is none).
    static func extract(
        _ package: DebianPackage, from index: DebianSuiteIndex, with client: DebianRepositoryClient, what: String,
        where matches: (String) -> Bool
    ) throws -> Data {
        let deb = try client.download(package, from: index)
        guard let file = try DebArchive.extractFirst(deb: deb, package: package.debName, limit: client.options.sizeCap, where: matches) else {
            throw CrossRunError.archiveUnreadable(package: package.debName, reason: "it holds no \(what)")
        }
        return file.data
    }

    /// The real kernel package for `name`: itself when it has a `/boot/vmlinuz-*` of its own (its Depends name
    /// no other linux-image), else its first `linux-image-*` dependency (metapackages such as linux-image-arm64).
    static func kernelPackage(_ name: String, index: Data, indexURL: String) throws -> String {
        guard let stanza = DebianControl.stanza(of: name, in: index) else { throw CrossRunError.packageMissing(package: name, index: indexURL) }
        let alternatives: [Substring] = (stanza["Depends"] ?? "").split(separator: ",").flatMap { $0.split(separator: "|") }
        let dependencies: [String] = alternatives.compactMap { alternative in
            alternative.split(whereSeparator: { $0 == " " || $0 == "(" }).first.map { String($0) }
        }
        return dependencies.first { $0.hasPrefix("linux-image-") && $0 != name } ?? name
    }
}

extension SysrootFetcher {
    /// The cached kernel and busybox of `manifest`, fetched first when missing (unless offline or locked).
    public func systemImage(_ manifest: SystemImageManifest) throws -> SystemImage {
        try SystemImageFetcher(fetcher: self, manifest: manifest).image()
    }
}

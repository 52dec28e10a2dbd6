import CrossRunKit
import Foundation
import Glibc

/// Fetches a sysroot with the one ``DebianRepositoryClient`` (InRelease checked with gpgv, the Packages index
/// against it, each package against the index), unpacked safely into the cache as a ``SysrootCache`` entry
/// with its lock record. Any failure leaves nothing behind. System mode's kernel and busybox come through the
/// same fetcher (``SystemImageFetcher``), so the same options apply to both. The run path (CrossRunKit) reaches
/// it through `crossrun-tools sysroot fetch` (CrossRunKit's `ToolsSysrootFetcher`); in this module it is the
/// ``SysrootFetching`` a launch planner can be given directly.
public struct SysrootFetcher: SysrootFetching {
    public var cache: SysrootCache
    public var options: FetchOptions

    public init(cache: SysrootCache, options: FetchOptions) {
        self.cache = cache
        self.options = options
    }

    /// The fetcher of a run or command: `configuration`'s fetch settings (mirror, keyring, signature checks,
    /// offline, locked) and the cache its environment names, progress lines to `progress`.
    public init(configuration: Configuration, progress: @escaping @Sendable (String) -> Void) {
        var options = configuration.fetchOptions()
        options.progress = progress
        self.init(cache: SysrootCache(environment: configuration.environment), options: options)
    }

    /// The client that talks to the mirror.
    public var client: DebianRepositoryClient { DebianRepositoryClient(options: options) }

    /// The cached sysroot for `manifest`, fetching it first when it is missing (unless offline or locked).
    public func sysroot(for manifest: SysrootManifest) throws -> CachedSysroot {
        try cache.entry(
            target: manifest.cacheName, digest: manifest.digest, options: options,
            lockedReason: SysrootManifest.lockedReason
        ) { root in
            try install(manifest, into: root)
        }
    }

    /// Downloads and unpacks `manifest`'s packages into `root`; returns the lock record and a summary.
    func install(_ manifest: SysrootManifest, into root: String) throws -> (lock: SysrootLock, summary: String) {
        let client = self.client
        let index = try client.index(
            suite: manifest.suite, component: manifest.component, architecture: manifest.architecture,
            fetching: "the \(manifest.cacheName) sysroot (\(manifest.packages.joined(separator: ", ")))")
        let found = index.packages(manifest.packages)
        var budget = options.sizeCap
        var files: [SysrootFile] = []
        var packages: [DebianPackage] = []
        var downloaded = 0
        for name in manifest.packages {
            guard let package = found[name] else { throw CrossRunError.packageMissing(package: name, index: index.url) }
            let deb = try client.download(package, from: index)
            files += try DebArchive.unpack(deb: deb, package: package.debName, into: root, budget: &budget)
            packages.append(package)
            downloaded += deb.count
        }
        // Links of one package may be redirected by another's: check them all against the whole tree.
        try DebArchive.checkLinks(files, in: root, package: manifest.packages.joined(separator: ", "))
        guard Self.resolvesInside(root + "/" + manifest.root + manifest.loader, root: root) else {
            throw CrossRunError.sysrootIncomplete(target: manifest.cacheName, loader: manifest.loader)
        }
        let lock = SysrootLock(
            target: manifest.cacheName, digest: manifest.digest, suite: manifest.suite, architecture: manifest.architecture,
            root: manifest.root, mirror: index.mirror, fetchedAt: Date(), signature: index.signature, packages: packages,
            files: files.sorted { $0.path < $1.path })
        return (lock, "the \(manifest.cacheName) sysroot (\(downloaded / 1024) KiB, \(index.signature))")
    }

    /// Whether `path` exists once its links are followed, without leaving `root`.
    static func resolvesInside(_ path: String, root: String) -> Bool {
        guard let real = realpath(path, nil) else { return false }
        defer { free(real) }
        guard let realRoot = realpath(root, nil) else { return false }
        defer { free(realRoot) }
        return String(cString: real).hasPrefix(String(cString: realRoot) + "/")
    }
}

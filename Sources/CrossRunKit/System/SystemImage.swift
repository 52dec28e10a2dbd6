import CLibArchive
import Foundation

/// Which Debian packages give system mode its kernel and busybox. Data, not code: one per architecture.
public struct SystemImageManifest: Codable, Equatable, Sendable {
    /// The runner name (`aarch64`); the cache folder is `sysroots/system-<name>`.
    public var name: String
    public var suite: String
    public var component: String
    public var architecture: String
    /// A kernel package, or a metapackage (`linux-image-arm64`) whose first `linux-image-*` dependency is one.
    public var kernelPackage: String
    public var busyboxPackage: String

    public static let aarch64 = SystemImageManifest(
        name: "aarch64", suite: "bookworm", component: "main", architecture: "arm64",
        kernelPackage: "linux-image-arm64", busyboxPackage: "busybox-static")

    /// The cache's target name.
    public var cacheName: String { "system-" + name }

    public var digest: String {
        let canonical = [name, suite, component, architecture, kernelPackage, busyboxPackage].joined(separator: "\n")
        return String(Hashing.sha256(Data(canonical.utf8)).prefix(16))
    }
}

/// The lock record beside a fetched kernel and busybox: exactly which packages and files they are.
public struct SystemImageLock: Codable, Equatable, Sendable {
    public static let schemaName = "crossrun-system-image-lock"

    public var schema = SystemImageLock.schemaName
    public var version = 1
    public var manifest: SystemImageManifest
    public var mirror: String
    public var fetchedAt: Date
    public var signature: String
    /// The kernel package the metapackage resolved to, and busybox's.
    public var packages: [DebianPackage]
    /// `vmlinuz` and `busybox`, relative to the folder.
    public var files: [SysrootFile]
}

/// A fetched kernel and busybox in the cache.
public struct SystemImage: Equatable, Sendable {
    /// `<cache>/sysroots/system-<name>/<digest>`.
    public var directory: String
    public var lock: SystemImageLock
    public var kernel: String { directory + "/vmlinuz" }
    public var busybox: String { directory + "/busybox" }

    /// Re-hashes the files against the lock record; returns the differences.
    public func verify() -> [String] {
        lock.files.compactMap { file in
            guard let (hash, size) = Hashing.sha256(file: directory + "/" + file.path) else { return "\(file.path) is missing" }
            return hash == file.sha256 && size == file.size ? nil : "\(file.path) was modified"
        }
    }
}

/// Fetches system mode's kernel and busybox the way sysroots are fetched (InRelease checked with gpgv, the
/// Packages index against InRelease, each .deb against the index) and caches them beside the sysroots, under
/// the same file lock. Only `/boot/vmlinuz-*` is taken from the kernel package (the modules are not unpacked)
/// and only `/bin/busybox` from busybox-static.
public struct SystemImageFetcher: Sendable {
    public var cache: SysrootCache
    public var options: FetchOptions
    public var manifest: SystemImageManifest

    public init(cache: SysrootCache, options: FetchOptions, manifest: SystemImageManifest = .aarch64) {
        self.cache = cache
        self.options = options
        self.manifest = manifest
    }

    public var directory: String { cache.targetDirectory(manifest.cacheName) + "/" + manifest.digest }

    /// The cached image, if complete.
    public func lookup() -> SystemImage? {
        guard let data = FileManager.default.contents(atPath: directory + "/lock.json") else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let lock = try? decoder.decode(SystemImageLock.self, from: data), lock.schema == SystemImageLock.schemaName,
            lock.manifest == manifest
        else { return nil }
        let image = SystemImage(directory: directory, lock: lock)
        // A cheap check on every use; `verify()` re-hashes.
        for file in lock.files {
            var status = stat()
            guard stat(directory + "/" + file.path, &status) == 0, Int(status.st_size) == file.size else { return nil }
        }
        return image
    }

    /// The cached image, fetched first when missing (unless offline or locked).
    public func image() throws -> SystemImage {
        if let cached = lookup() { return cached }
        if options.offline {
            throw CrossRunError.sysrootNotCached(target: manifest.cacheName, reason: "--offline (CROSSRUN_OFFLINE) forbids downloading one")
        }
        if options.locked {
            throw CrossRunError.sysrootLocked(target: manifest.cacheName, reason: "no kernel with a lock record is installed")
        }
        return try cache.withLock(target: manifest.cacheName) {
            if let cached = lookup() { return cached }
            cache.removeLeftovers(target: manifest.cacheName)
            return try install()
        }
    }

    /// Fetches and installs the image. Call while holding the lock.
    func install() throws -> SystemImage {
        let fetcher = SysrootFetcher(cache: cache, options: options)
        let mirror = try DebianMirror.resolve(
            explicit: options.mirror, suite: manifest.suite, sourcesList: options.sourcesList, sourcesDirectory: options.sourcesDirectory)
        options.progress("crossrun: fetching the \(manifest.architecture) kernel (\(manifest.kernelPackage)) and \(manifest.busyboxPackage) from \(mirror) ...")
        let (release, signature) = try fetcher.fetchRelease(mirror: mirror, suite: manifest.suite)
        let (indexURL, index) = try fetcher.fetchIndex(
            mirror: mirror, suite: manifest.suite, component: manifest.component, architecture: manifest.architecture, release: release)
        let kernelName = try Self.kernelPackage(manifest.kernelPackage, index: index, indexURL: indexURL)
        let found = DebianControl.packages(index, only: [kernelName, manifest.busyboxPackage])
        guard let kernelPackage = found[kernelName] else { throw CrossRunError.packageMissing(package: kernelName, index: indexURL) }
        guard let busyboxPackage = found[manifest.busyboxPackage] else {
            throw CrossRunError.packageMissing(package: manifest.busyboxPackage, index: indexURL)
        }
        let kernelDeb = try fetcher.download(kernelPackage, mirror: mirror)
        guard var kernel = try DebArchive.extractFirst(deb: kernelDeb, package: kernelPackage.name, where: { $0.hasPrefix("boot/vmlinuz-") })?.data else {
            throw CrossRunError.archiveUnreadable(package: kernelPackage.name, reason: "it holds no /boot/vmlinuz-*")
        }
        // qemu's -kernel takes an arm64 Image; Debian ships it uncompressed, but a gzip'd one is unpacked here.
        if kernel.starts(with: [0x1F, 0x8B]) { kernel = try DebArchive.decompress(kernel, name: kernelPackage.name + " vmlinuz") }
        guard kernel.count > 64, kernel[kernel.startIndex + 56..<kernel.startIndex + 60].elementsEqual(Array("ARM\u{64}".utf8)) else {
            throw CrossRunError.archiveUnreadable(package: kernelPackage.name, reason: "its vmlinuz is not an arm64 Image")
        }
        let busyboxDeb = try fetcher.download(busyboxPackage, mirror: mirror)
        guard let busybox = try DebArchive.extractFirst(deb: busyboxDeb, package: busyboxPackage.name, where: { $0 == "bin/busybox" })?.data else {
            throw CrossRunError.archiveUnreadable(package: busyboxPackage.name, reason: "it holds no /bin/busybox")
        }

        let temporary = cache.targetDirectory(manifest.cacheName) + "/.tmp-\(manifest.digest)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
            var files: [SysrootFile] = []
            for (name, data, mode) in [("vmlinuz", kernel, 0o644), ("busybox", busybox, 0o755)] {
                guard FileManager.default.createFile(atPath: temporary + "/" + name, contents: data, attributes: [.posixPermissions: mode]) else {
                    throw CrossRunError.cacheNotWritable(path: temporary + "/" + name, reason: "it cannot be written")
                }
                files.append(SysrootFile(path: name, sha256: Hashing.sha256(data), size: data.count, link: nil))
            }
            let lock = SystemImageLock(
                manifest: manifest, mirror: mirror, fetchedAt: Date(), signature: signature,
                packages: [kernelPackage, busyboxPackage], files: files)
            try cache.install(lock, from: temporary, to: directory, what: "the kernel")
            options.progress(
                "crossrun: fetched \(kernelPackage.name) \(kernelPackage.version) and \(busyboxPackage.name) \(busyboxPackage.version) (\(signature)) into \(directory)")
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        guard let image = lookup() else {
            throw CrossRunError.cacheNotWritable(path: directory, reason: "the installed kernel cannot be read back")
        }
        return image
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

extension DebianControl {
    /// The fields of package `name`'s stanza in a Packages index (the last one, as `packages` does).
    static func stanza(of name: String, in index: Data) -> [String: String]? {
        let needle = Data("Package: \(name)\n".utf8)
        var found: Range<Data.Index>?
        var searchStart = index.startIndex
        while let range = index.range(of: needle, in: searchStart..<index.endIndex) {
            if range.lowerBound == index.startIndex || index[range.lowerBound - 1] == UInt8(ascii: "\n") { found = range }
            searchStart = range.upperBound
        }
        guard let found else { return nil }
        let end = index.range(of: Data("\n\n".utf8), in: found.lowerBound..<index.endIndex)?.lowerBound ?? index.endIndex
        return stanzas(String(decoding: index[found.lowerBound..<end], as: UTF8.self)).first
    }
}

extension SysrootFetcher {
    /// A suite's decompressed Packages index for one component and architecture, checked against Release.
    func fetchIndex(mirror: String, suite: String, component: String, architecture: String, release: DebianRelease) throws -> (url: String, data: Data) {
        let folder = "\(component)/binary-\(architecture)/Packages"
        for suffix in [".xz", ".gz", ""] {
            let path = folder + suffix
            guard let entry = release.sha256[path] else { continue }
            let url = "\(mirror)/dists/\(suite)/\(path)"
            let data = try downloader.fetch(url)
            guard data.count == entry.size else { throw CrossRunError.sizeMismatch(what: url, expected: entry.size, actual: data.count) }
            let hash = Hashing.sha256(data)
            guard hash == entry.sha256 else { throw CrossRunError.checksumMismatch(what: url, expected: entry.sha256, actual: hash) }
            return (url, suffix.isEmpty ? data : try DebArchive.decompress(data, name: url))
        }
        throw CrossRunError.packageMissing(package: folder, index: "\(mirror)/dists/\(suite)/InRelease")
    }

    /// A package's .deb, checked against the index's size and SHA-256.
    func download(_ package: DebianPackage, mirror: String) throws -> Data {
        let deb = try downloader.fetch(mirror + "/" + package.filename)
        let what = (package.filename as NSString).lastPathComponent
        guard deb.count == package.size else { throw CrossRunError.sizeMismatch(what: what, expected: package.size, actual: deb.count) }
        let hash = Hashing.sha256(deb)
        guard hash == package.sha256 else { throw CrossRunError.checksumMismatch(what: what, expected: package.sha256, actual: hash) }
        return deb
    }
}

extension DebArchive {
    /// The first regular file of a .deb's data.tar.* whose path (without `./`) satisfies `matches`; reading stops
    /// there, so the rest of a large package is never decompressed. Nothing is written to disk.
    static func extractFirst(deb: Data, package: String, where matches: (String) -> Bool) throws -> (path: String, data: Data)? {
        let outer = archive_read_new()
        defer { archive_read_free(outer) }
        archive_read_support_format_ar(outer)
        return try deb.withUnsafeBytes { raw -> (path: String, data: Data)? in
            guard archive_read_open_memory(outer, raw.baseAddress, raw.count) == ARCHIVE_OK else {
                throw CrossRunError.archiveUnreadable(package: package, reason: errorText(outer))
            }
            var entry: OpaquePointer?
            while true {
                let status = archive_read_next_header(outer, &entry)
                if status == ARCHIVE_EOF { return nil }
                guard status >= ARCHIVE_WARN, let entry else { throw CrossRunError.archiveUnreadable(package: package, reason: errorText(outer)) }
                let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
                guard name.hasPrefix("data.tar") else { continue }
                let member = try readAll(outer, name: package, limit: 1 << 30)
                return try extractFirst(tar: member, package: package, where: matches)
            }
        }
    }

    static func extractFirst(tar: Data, package: String, where matches: (String) -> Bool) throws -> (path: String, data: Data)? {
        let archive = archive_read_new()
        defer { archive_read_free(archive) }
        archive_read_support_filter_all(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_format_gnutar(archive)
        return try tar.withUnsafeBytes { raw -> (path: String, data: Data)? in
            guard archive_read_open_memory(archive, raw.baseAddress, raw.count) == ARCHIVE_OK else {
                throw CrossRunError.archiveUnreadable(package: package, reason: errorText(archive))
            }
            var entry: OpaquePointer?
            while true {
                let status = archive_read_next_header(archive, &entry)
                if status == ARCHIVE_EOF { return nil }
                guard status >= ARCHIVE_WARN, let entry else { throw CrossRunError.archiveUnreadable(package: package, reason: errorText(archive)) }
                var path = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
                while path.hasPrefix("./") { path.removeFirst(2) }
                let type = UInt32(archive_entry_filetype(entry)) & typeMask
                guard type == regular, archive_entry_hardlink(entry) == nil, matches(path) else { continue }
                return (path, try readAll(archive, name: package, limit: 256 << 20))
            }
        }
    }
}

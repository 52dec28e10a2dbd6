import FoundationEssentials
import Glibc

/// The lock record written beside each fetched sysroot: exactly what was installed.
public struct SysrootLock: Codable, Equatable, Sendable {
    public static let schemaName = "crossrun-sysroot-lock"

    public var schema = SysrootLock.schemaName
    public var version = 1
    public var target: String
    public var digest: String
    public var suite: String
    public var architecture: String
    /// The folder inside the unpacked packages that qemu gets as `-L` (from the manifest).
    public var root: String
    public var mirror: String
    public var fetchedAt: Date
    /// `verified with KEYRING`, or why it was not.
    public var signature: String
    public var packages: [DebianPackage]
    public var files: [SysrootFile]

    public init(
        target: String, digest: String, suite: String, architecture: String, root: String, mirror: String, fetchedAt: Date,
        signature: String, packages: [DebianPackage], files: [SysrootFile]
    ) {
        self.target = target
        self.digest = digest
        self.suite = suite
        self.architecture = architecture
        self.root = root
        self.mirror = mirror
        self.fetchedAt = fetchedAt
        self.signature = signature
        self.packages = packages
        self.files = files
    }
}

/// A fetched sysroot in the cache.
public struct CachedSysroot: Equatable, Sendable {
    /// `<cache>/sysroots/<target>/<digest>`.
    public var directory: String
    public var lock: SysrootLock
    /// The folder qemu gets as `-L`.
    public var path: String
}

/// `$XDG_CACHE_HOME/crossrun/sysroots/<target>/<manifest digest>/` (or `~/.cache/...`, or `CROSSRUN_CACHE_DIR`):
/// `root/` holds the unpacked packages, `lock.json` the lock record. A sysroot is installed by renaming a
/// finished temporary folder into place while holding the target's file lock, so concurrent crossrun processes
/// fetch once and none ever sees half a sysroot.
public struct SysrootCache: Sendable {
    public var base: String

    public init(base: String) {
        self.base = base
    }

    public init(environment: [String: String]) {
        if let explicit = environment["CROSSRUN_CACHE_DIR"], !explicit.isEmpty {
            base = explicit
        } else if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            // The XDG base directory spec: a relative XDG_CACHE_HOME is invalid and must be ignored.
            base = xdg + "/crossrun"
        } else {
            base = Self.home(environment: environment) + "/.cache/crossrun"
        }
    }

    /// `$HOME` when it is an absolute path; otherwise (unset, empty, relative) the user's home folder from the
    /// password database, so `HOME=""` does not put the cache at `/.cache`.
    static func home(environment: [String: String]) -> String {
        if let home = environment["HOME"], home.hasPrefix("/") { return home }
        if let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir {
            let home = String(cString: directory)
            if home.hasPrefix("/") { return home }
        }
        return "/nonexistent"
    }

    public func targetDirectory(_ target: String) -> String { base + "/sysroots/" + target }

    /// The complete entry `<target>/<digest>`: from the cache, else filled now, unless `options` forbid it
    /// (offline: ``CrossRunError/sysrootNotCached(target:reason:)``; locked: ``CrossRunError/sysrootLocked(target:reason:)``
    /// with `lockedReason`). Filling holds the target's file lock, looks again (another process may have
    /// installed it meanwhile), removes leftovers of killed fetches, lets `fill` write the files into
    /// `<temporary>/root` and return the lock record and a summary for the progress line, then renames the
    /// folder into place, so no reader ever sees half an entry. A failure leaves nothing behind.
    public func entry(
        target: String, digest: String, options: FetchOptions, lockedReason: String,
        fill: (_ root: String) throws -> (lock: SysrootLock, summary: String)
    ) throws -> CachedSysroot {
        if let cached = try cached(target: target, digest: digest, options: options, lockedReason: lockedReason) { return cached }
        return try withLock(target: target) {
            if let cached = trusted(target: target, digest: digest, options: options) { return cached }
            removeLeftovers(target: target)
            let final = directory(target: target, digest: digest)
            let temporary = targetDirectory(target) + "/.tmp-\(digest)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            do {
                try Self.makeFolders(temporary + "/root")
                let (lock, summary) = try fill(temporary + "/root")
                try install(lock, from: temporary, to: final)
                options.progress("crossrun: fetched \(summary) into \(final)")
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw error
            }
            guard let cached = lookup(target: target, digest: digest) else {
                throw CrossRunError.cacheNotWritable(path: final, reason: "the installed lock record cannot be read back")
            }
            return cached
        }
    }

    /// The complete, trusted entry `<target>/<digest>` if there is one; nil when it must be fetched; an error
    /// when `options` forbid fetching (offline: ``CrossRunError/sysrootNotCached(target:reason:)``; locked:
    /// ``CrossRunError/sysrootLocked(target:reason:)`` with `lockedReason`). The first step of
    /// ``entry(target:digest:options:lockedReason:fill:)``, and all the run path does before it asks
    /// crossrun-tools to fetch (``ToolsSysrootFetcher``).
    public func cached(target: String, digest: String, options: FetchOptions, lockedReason: String) throws -> CachedSysroot? {
        if let cached = trusted(target: target, digest: digest, options: options) { return cached }
        if options.offline {
            throw CrossRunError.sysrootNotCached(target: target, reason: "offline mode (--offline, CROSSRUN_OFFLINE or offline = true) forbids downloading one")
        }
        if options.locked { throw CrossRunError.sysrootLocked(target: target, reason: lockedReason) }
        return nil
    }

    /// The entry, unless it is missing or not trusted: one an older crossrun installed when gpgv or the keyring was
    /// missing (it failed open) is not trusted while signatures are checked, so it is fetched again, verified.
    func trusted(target: String, digest: String, options: FetchOptions) -> CachedSysroot? {
        guard let cached = lookup(target: target, digest: digest) else { return nil }
        return options.verifySignature && cached.lock.signature.hasPrefix("signature not verified (") ? nil : cached
    }

    /// Writes `lock` as `lock.json` into the filled `temporary` folder, then moves it to `final` in one rename
    /// (replacing what was there), so a reader sees a complete entry or none.
    func install(_ lock: SysrootLock, from temporary: String, to final: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard FileManager.default.createFile(atPath: temporary + "/lock.json", contents: try encoder.encode(lock)) else {
            throw CrossRunError.cacheNotWritable(path: temporary + "/lock.json", reason: "the lock record cannot be written")
        }
        Self.keepOthersOut(under: temporary)
        try? FileManager.default.removeItem(atPath: final)
        guard rename(temporary, final) == 0 else {
            throw CrossRunError.cacheNotWritable(path: final, reason: "cannot move \(lock.target) into place: \(String(cString: strerror(errno)))")
        }
    }

    /// The complete entry `<target>/<digest>`, if there is one.
    public func lookup(target: String, digest: String) -> CachedSysroot? {
        load(directory: directory(target: target, digest: digest))
    }

    /// The folder of the entry `<target>/<digest>`.
    public func directory(target: String, digest: String) -> String { targetDirectory(target) + "/" + digest }

    public func directory(for manifest: SysrootManifest) -> String {
        directory(target: manifest.cacheName, digest: manifest.digest)
    }

    /// The installed sysroot for `manifest`, if one is complete.
    public func lookup(_ manifest: SysrootManifest) -> CachedSysroot? {
        lookup(target: manifest.cacheName, digest: manifest.digest)
    }

    func load(directory: String) -> CachedSysroot? {
        guard let data = FileManager.default.contents(atPath: directory + "/lock.json") else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let lock = try? decoder.decode(SysrootLock.self, from: data), lock.schema == SysrootLock.schemaName else { return nil }
        let path = lock.root.isEmpty ? directory + "/root" : directory + "/root/" + lock.root
        return CachedSysroot(directory: directory, lock: lock, path: path)
    }

    /// Every complete sysroot in the cache.
    public func all() -> [CachedSysroot] {
        let targets = (try? FileManager.default.contentsOfDirectory(atPath: base + "/sysroots")) ?? []
        var result: [CachedSysroot] = []
        for target in targets.sorted() where !target.hasPrefix(".") {
            let folder = targetDirectory(target)
            for digest in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() where !digest.hasPrefix(".") {
                if let cached = load(directory: folder + "/" + digest) { result.append(cached) }
            }
        }
        return result
    }

    /// Runs `body` holding the target's exclusive file lock (`flock`), which other crossrun processes wait for.
    /// The folders it makes are 0755 and the lock file 0644 whatever the umask (see ``keepOthersOut(under:)``).
    public func withLock<T>(target: String, _ body: () throws -> T) throws -> T {
        let folder = targetDirectory(target)
        try Self.makeFolders(folder)
        let fd = open(folder + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CrossRunError.cacheNotWritable(path: folder + "/.lock", reason: "the lock cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var status = stat()
        if fstat(fd, &status) == 0, status.st_uid == geteuid(), status.st_mode & 0o022 != 0 { fchmod(fd, status.st_mode & 0o755) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw CrossRunError.cacheNotWritable(path: folder + "/.lock", reason: "the lock cannot be taken: \(String(cString: strerror(errno)))")
            }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// Makes `path` and its missing parents, each new one 0755 whatever the umask (under `umask 000` a
    /// world-writable cache would let anyone change what qemu runs). Folders that exist are left as they are.
    static func makeFolders(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + part
            if mkdir(current, 0o755) == 0 {
                chmod(current, 0o755)
            } else if errno != EEXIST {
                throw CrossRunError.cacheNotWritable(path: path, reason: "cannot make \(current): \(String(cString: strerror(errno)))")
            }
        }
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw CrossRunError.cacheNotWritable(path: path, reason: "it is not a folder")
        }
    }

    /// Takes group and other write permission off everything under `root` (links aside), whatever the umask
    /// it was made with: what qemu runs from the cache can be changed by its owner alone.
    static func keepOthersOut(under root: String) {
        var paths = [root]
        for relative in Paths.walk(root) ?? [] { paths.append(root + "/" + relative) }
        for path in paths {
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFLNK, status.st_mode & 0o022 != 0 else { continue }
            chmod(path, status.st_mode & 0o7755)
        }
    }

    /// Removes temporary folders that a killed crossrun left behind. Call while holding the target's lock.
    func removeLeftovers(target: String) {
        let folder = targetDirectory(target)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(".tmp-") {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
    }

    /// Re-hashes every recorded file and checks every recorded link; returns the differences.
    public func verify(_ sysroot: CachedSysroot) -> [String] {
        var problems: [String] = []
        let root = sysroot.directory + "/root/"
        for file in sysroot.lock.files {
            let path = root + file.path
            if let link = file.link {
                let actual = try? FileManager.default.destinationOfSymbolicLink(atPath: path)
                if actual != link { problems.append("\(file.path) no longer links to \(link)") }
            } else if let sha256 = file.sha256 {
                guard let (hash, size) = Hashing.sha256(file: path) else {
                    problems.append("\(file.path) is missing")
                    continue
                }
                if hash != sha256 || size != file.size { problems.append("\(file.path) was modified") }
            } else if !FileManager.default.fileExists(atPath: path) {
                problems.append("\(file.path) is missing")
            }
        }
        return problems
    }

    /// Deletes every cached sysroot of `target`; returns how many were removed.
    @discardableResult
    public func remove(target: String) throws -> Int {
        try withLock(target: target) {
            let folder = targetDirectory(target)
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0 != ".lock" }
            for entry in entries { try? FileManager.default.removeItem(atPath: folder + "/" + entry) }
            return entries.filter { !$0.hasPrefix(".") }.count
        }
    }
}

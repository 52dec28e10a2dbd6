#if canImport(Glibc)
    import Glibc
#endif

/// What the run path needs from a fetcher: a target's sysroot and full-system mode's kernel and busybox, from the
/// cache or fetched on first use (unless offline or locked), and the cache and options it uses. The Debian
/// fetcher itself (`SysrootFetcher` in CrossRunTools) conforms; the run path uses ``ToolsSysrootFetcher``, which
/// reads the cache here and has `crossrun-tools sysroot fetch` fill it.
public protocol SysrootFetching: Sendable {
    var cache: SysrootCache { get }
    var options: FetchOptions { get }
    /// The cached sysroot for `manifest`, fetched first when missing.
    func sysroot(for manifest: SysrootManifest) throws -> CachedSysroot
    /// The cached kernel and busybox of `manifest`, fetched first when missing.
    func systemImage(_ manifest: SystemImageManifest) throws -> SystemImage
}

/// The run path's fetcher: a trusted cache entry is used as it is, offline and `--locked` refuse here as the
/// Debian fetcher would, and a missing entry is fetched by a child,
/// `crossrun-tools sysroot fetch [--mirror URL] [--no-verify-signature] --keyring FILE [--package P]... -- NAME`,
/// with this run's environment (and `CROSSRUN_CONFIG` for `--config`), its stdout discarded and its stderr
/// passed through line by line (the `crossrun: fetched ...` progress). The entry is then read from the cache.
/// When the child fails, its `crossrun: error:` line is not passed through but becomes this run's error, said
/// once: with the child's code, which it names on a `crossrun: error code: NAME` line because this sets
/// ``errorCodeVariable`` for it (so the exit status is the one the fetch error has), else as
/// ``CrossRunError/sysrootFetchFailed(target:message:ended:)``.
public struct ToolsSysrootFetcher: SysrootFetching {
    public var cache: SysrootCache
    public var options: FetchOptions
    /// The crossrun-tools executable that fetches.
    public var tools: String
    /// The child's environment (the run's).
    public var environment: [String: String]

    public init(cache: SysrootCache, options: FetchOptions, tools: String, environment: [String: String]) {
        self.cache = cache
        self.options = options
        self.tools = tools
        self.environment = environment
    }

    /// Set to `1` in the child's environment: its error path then adds the line `crossrun: error code: NAME`
    /// after its `crossrun: error:` line (CrossRunCLI's `exitStatus(reporting:)`).
    public static let errorCodeVariable = "CROSSRUN_REPORT_ERROR_CODE"
    /// The prefixes of the child's error lines.
    public static let errorPrefix = "crossrun: error: "
    public static let errorCodePrefix = "crossrun: error code: "

    /// The fetcher of a run: `configuration`'s fetch settings and cache; the child gets its environment, and its
    /// explicit config file (`--config`) as `CROSSRUN_CONFIG`, so it reads the same configuration.
    public init(configuration: Configuration, tools: String) {
        var environment = configuration.environment
        if let file = configuration.options.configFile { environment[Configuration.Variable.config] = file }
        self.init(
            cache: SysrootCache(environment: configuration.environment), options: configuration.fetchOptions(), tools: tools,
            environment: environment)
    }

    public func sysroot(for manifest: SysrootManifest) throws -> CachedSysroot {
        let lockedReason = SysrootManifest.lockedReason
        if let cached = try cache.cached(target: manifest.cacheName, digest: manifest.digest, options: options, lockedReason: lockedReason) {
            return cached
        }
        // The glibc manifest's packages include the configured extra ones: the child is given them all.
        try fetch(manifest.cacheName, packages: manifest.libc == "glibc" ? manifest.packages : [])
        return try installed(target: manifest.cacheName, digest: manifest.digest)
    }

    public func systemImage(_ manifest: SystemImageManifest) throws -> SystemImage {
        let lockedReason = SystemImageManifest.lockedReason
        if let cached = try cache.cached(target: manifest.cacheName, digest: manifest.digest, options: options, lockedReason: lockedReason) {
            return SystemImage(entry: cached)
        }
        try fetch(manifest.cacheName, packages: [])
        return SystemImage(entry: try installed(target: manifest.cacheName, digest: manifest.digest))
    }

    /// The child's argv for the cache entry `name` (offline and locked never get here).
    func arguments(_ name: String, packages: [String]) -> [String] {
        var argv = [tools, "sysroot", "fetch"]
        if let mirror = options.mirror { argv += ["--mirror", mirror] }
        if !options.verifySignature { argv.append("--no-verify-signature") }
        argv += ["--keyring", options.keyring]
        for package in packages { argv += ["--package", package] }
        return argv + ["--", name]
    }

    /// The entry the child installed; an error when it says it succeeded but installed another one.
    func installed(target: String, digest: String) throws -> CachedSysroot {
        guard let cached = cache.lookup(target: target, digest: digest) else {
            throw CrossRunError.sysrootFetchFailed(
                target: target,
                message: "crossrun-tools sysroot fetch \(target) left no \(target)/\(digest) entry in \(cache.base)/sysroots; check that crossrun-tools is the one installed with this crossrun (\(CrossRunVersion.current)).",
                ended: "exit status 0")
        }
        return cached
    }

    /// Runs `crossrun-tools sysroot fetch NAME` and waits for it.
    func fetch(_ name: String, packages: [String]) throws {
        let tools = try ToolsExecutable.required(self.tools, for: "fetching the \(name) sysroot", executable: ToolsExecutable.ownExecutable)
        let (readEnd, writeEnd) = try Spawn.closeOnExecPipe().mapError {
            CrossRunError.spawnFailed(executable: tools, reason: "no pipe for its stderr: \($0.reason)")
        }.get()
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        let started = Spawn.start(
            tools, argv: arguments(name, packages: packages),
            environment: environment.merging([Self.errorCodeVariable: "1"]) { _, code in code }.sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value)" },
            stdin: .null, stdout: null >= 0 ? null : nil, stderr: writeEnd)
        close(writeEnd)
        if null >= 0 { close(null) }
        guard case .success(let pid) = started else {
            close(readEnd)
            if case .failure(let failure) = started { throw CrossRunError.spawnFailed(executable: tools, reason: failure.reason) }
            return
        }
        let said = Self.passThrough(readEnd)
        close(readEnd)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let ended = TerminationStatus.fromWaitStatus(status)
        guard ended.isSuccess else {
            if let message = said.message, let code = said.code.flatMap(CrossRunError.Code.init(rawValue:)) {
                throw CrossRunError(code: code, message: message, subject: name)
            }
            throw CrossRunError.sysrootFetchFailed(target: name, message: said.message, ended: ended.description)
        }
    }

    /// Copies the child's stderr from `fd` to crossrun's line by line, except its `crossrun: error: ` and
    /// `crossrun: error code: ` lines, whose message and code are returned.
    static func passThrough(_ fd: Int32) -> (message: String?, code: String?) {
        var message: String?
        var code: String?
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        func text(_ line: ArraySlice<UInt8>, after prefix: String) -> String {
            String(decoding: line.dropFirst(prefix.utf8.count).filter { $0 != 0x0A }, as: UTF8.self)
        }
        func emit(_ line: ArraySlice<UInt8>) {
            if line.starts(with: errorPrefix.utf8) {
                message = text(line, after: errorPrefix)
            } else if line.starts(with: errorCodePrefix.utf8) {
                code = text(line, after: errorCodePrefix)
            } else {
                line.withUnsafeBytes { _ = FileDescriptors.writeAll(2, $0) }
            }
        }
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending += chunk[0..<count]
            while let newline = pending.firstIndex(of: 0x0A) {
                emit(pending[...newline])
                pending.removeSubrange(...newline)
            }
        }
        if !pending.isEmpty { emit(pending[...]) }
        return (message, code)
    }
}

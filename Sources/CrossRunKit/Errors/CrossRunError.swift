import Foundation

/// Every error crossrun itself raises. Each description is one sentence that says what happened and what to do.
///
/// A failing test is never a `CrossRunError`: test outcomes are data in ``RunResult``.
public enum CrossRunError: Error, Equatable, Sendable {
    // The binary
    case binaryNotFound(path: String)
    case binaryIsDirectory(path: String)
    case binaryNotReadable(path: String, reason: String)
    case binaryEmpty(path: String)
    case binaryTruncated(path: String, detail: String)
    case binaryMalformed(path: String, detail: String)
    case notAnExecutable(path: String, magic: String)
    case unsupportedMachine(path: String, found: String, supported: [String])
    case notExecutableOnHost(path: String)
    case targetMismatch(path: String, found: String, target: String, expected: String)
    case partitionListingFailed(path: String, partition: String)

    // Emulator and sysroot
    case emulatorNotFound(target: String, candidates: [String], installHint: String)
    case loaderMissing(target: String, interpreter: String, searched: [String], installHint: String)
    case sysrootNotADirectory(path: String, origin: String)
    case spawnFailed(executable: String, reason: String)

    // Fetched sysroots
    case invalidSysrootManifest(name: String, reason: String)
    case noSysrootManifest(target: String)
    case noMirror(searched: [String])
    case downloadFailed(url: String, reason: String)
    case checksumMismatch(what: String, expected: String, actual: String)
    case sizeMismatch(what: String, expected: Int, actual: Int)
    case signatureInvalid(file: String, reason: String)
    case packageMissing(package: String, index: String)
    case unsafeArchiveEntry(package: String, entry: String, reason: String)
    case archiveUnreadable(package: String, reason: String)
    case sysrootIncomplete(target: String, loader: String)
    case sysrootNotCached(target: String, reason: String)
    case sysrootLocked(target: String, reason: String)
    case sysrootModified(target: String, problems: [String])
    case cacheNotWritable(path: String, reason: String)

    // Configuration and data
    case invalidConfiguration(file: String, reason: String)
    case invalidRunnerDefinition(name: String, reason: String)
    case unknownTarget(name: String, known: [String])
    case invalidEnvironmentValue(variable: String, value: String, expected: String)

    // Reports
    case reportNotWritable(path: String, reason: String)
    case reportNotReadable(path: String, reason: String)
    case noReportsToMerge(paths: [String])

    /// The exit status crossrun uses for this error (see docs/exit-status.md).
    public var exitStatus: Int32 {
        switch self {
        case .emulatorNotFound: return ExitStatus.emulatorMissing
        case .loaderMissing, .sysrootNotADirectory, .notExecutableOnHost, .spawnFailed: return ExitStatus.cannotExecute
        case .noMirror, .downloadFailed, .checksumMismatch, .sizeMismatch, .signatureInvalid, .packageMissing,
            .unsafeArchiveEntry, .archiveUnreadable, .sysrootIncomplete, .sysrootNotCached, .sysrootLocked, .sysrootModified,
            .cacheNotWritable:
            return ExitStatus.cannotExecute
        default: return ExitStatus.crossrunError
        }
    }
}

extension CrossRunError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case .binaryNotFound(let path):
            return "\(path): no such file; build the test binary first (cargo test --no-run) or check the path."
        case .binaryIsDirectory(let path):
            return "\(path) is a directory, not a test binary; pass the path of an executable file."
        case .binaryNotReadable(let path, let reason):
            return "\(path) cannot be read (\(reason)); check its permissions (chmod +r) or run as a user who can read it."
        case .binaryEmpty(let path):
            return "\(path) is empty (0 bytes), not a program; rebuild it (cargo test --no-run)."
        case .binaryTruncated(let path, let detail):
            return "\(path) is a truncated ELF file (\(detail)); rebuild it, the build or copy was probably interrupted."
        case .binaryMalformed(let path, let detail):
            return "\(path) is a damaged ELF file (\(detail)); rebuild it."
        case .notAnExecutable(let path, let magic):
            return "\(path) is neither an ELF executable nor a wasm module (it starts with \(magic)); pass a compiled test binary."
        case .unsupportedMachine(let path, let found, let supported):
            return "\(path) is built for \(found), which crossrun has no runner for; supported: \(supported.joined(separator: ", ")) (see crossrun targets)."
        case .partitionListingFailed(let path, let partition):
            return "\(path) did not list its tests with --list, so --partition \(partition) cannot choose its share; partition only libtest test binaries (or run without --partition)."
        case .targetMismatch(let path, let found, let target, let expected):
            return "\(path) is built for \(found), but --target \(target) runs \(expected); pass the target the binary was built for, or leave --target out to choose by the binary's header."
        case .notExecutableOnHost(let path):
            return "\(path) is built for this machine but is not executable; make it executable (chmod +x) or rebuild it."
        case .emulatorNotFound(let target, let candidates, let hint):
            return "no emulator for \(target) found (looked for \(candidates.joined(separator: ", ")) on PATH); install one with `\(hint)` or set emulator for this target in crossrun.toml."
        case .loaderMissing(let target, let interpreter, let searched, let hint):
            let places = searched.isEmpty ? "no sysroot is configured" : "not found under \(searched.joined(separator: ", "))"
            return "the \(target) binary needs the loader \(interpreter), \(places); install it with `\(hint)` or pass --sysroot DIR (also CROSSRUN_SYSROOT)."
        case .sysrootNotADirectory(let path, let origin):
            return "the sysroot \(path) (from \(origin)) is not a directory; point it at a folder that holds the target's lib/ (e.g. /usr/aarch64-linux-gnu)."
        case .spawnFailed(let executable, let reason):
            return "could not start \(executable) (\(reason)); check that it is an executable for this machine."
        case .invalidSysrootManifest(let name, let reason):
            return "sysroot manifest \(name) is invalid (\(reason)); fix it (see docs/sysroots.md)."
        case .noSysrootManifest(let target):
            return "crossrun has no sysroot manifest for \(target); pass --sysroot DIR or install the target's Debian cross packages."
        case .noMirror(let searched):
            return "no Debian mirror is configured and none was found in \(searched.joined(separator: ", ")); pass --mirror URL, set CROSSRUN_DEBIAN_MIRROR or mirror in crossrun.toml (for example http://deb.debian.org/debian)."
        case .downloadFailed(let url, let reason):
            return "downloading \(url) failed (\(reason)); check the mirror (--mirror, CROSSRUN_DEBIAN_MIRROR) and the network, then try again."
        case .checksumMismatch(let what, let expected, let actual):
            return "\(what) has SHA-256 \(actual), not the \(expected) its index promises; the mirror served a wrong or corrupted file, so nothing was installed. Try again or use another mirror."
        case .sizeMismatch(let what, let expected, let actual):
            return "\(what) is \(actual) bytes, not the \(expected) its index promises; the download was cut or the mirror is inconsistent, so nothing was installed. Try again or use another mirror."
        case .signatureInvalid(let file, let reason):
            return "the signature of \(file) does not verify (\(reason)); the mirror's index cannot be trusted, so nothing was installed. Use another mirror, or --no-verify-signature only if you trust it."
        case .packageMissing(let package, let index):
            return "package \(package) is not in \(index); check its name in the sysroot manifest or crossrun.toml (packages = [...])."
        case .unsafeArchiveEntry(let package, let entry, let reason):
            return "\(package) holds an unsafe entry \(entry) (\(reason)); it was refused and nothing was installed."
        case .archiveUnreadable(let package, let reason):
            return "\(package) cannot be unpacked (\(reason)); the file is damaged or not a Debian package."
        case .sysrootIncomplete(let target, let loader):
            return "the fetched \(target) sysroot has no loader \(loader); add the package that holds it to packages in crossrun.toml."
        case .sysrootNotCached(let target, let reason):
            return "no fetched \(target) sysroot is cached and \(reason); run `crossrun sysroot fetch \(target)` with network access first."
        case .sysrootLocked(let target, let reason):
            return "the \(target) sysroot would change (\(reason)) but --locked forbids it; run without --locked to update the lock record."
        case .sysrootModified(let target, let problems):
            let shown = problems.prefix(3).joined(separator: "; ") + (problems.count > 3 ? "; and \(problems.count - 3) more" : "")
            return "the cached \(target) sysroot differs from its lock record (\(shown)); run `crossrun sysroot remove \(target)` and fetch it again."
        case .cacheNotWritable(let path, let reason):
            return "crossrun's sysroot cache cannot be written at \(path) (\(reason)); make it writable, free some space, or set CROSSRUN_CACHE_DIR to another folder."
        case .invalidConfiguration(let file, let reason):
            return "\(file): \(reason); fix it (see docs/configuration.md)."
        case .invalidRunnerDefinition(let name, let reason):
            return "runner definition \(name) is invalid (\(reason)); fix it (see docs/runners.md)."
        case .unknownTarget(let name, let known):
            return "unknown target \(name); known targets: \(known.joined(separator: ", "))."
        case .invalidEnvironmentValue(let variable, let value, let expected):
            return "\(variable)=\(value) is not valid; expected \(expected)."
        case .reportNotWritable(let path, let reason):
            return "cannot write the report \(path) (\(reason)); make that folder writable or choose another place (crossrun run: --report-dir, --junit, --json; report merge: -o)."
        case .reportNotReadable(let path, let reason):
            return "cannot read the report \(path) (\(reason)); pass JUnit files that crossrun or another tool wrote."
        case .noReportsToMerge(let paths):
            return "no JUnit reports found in \(paths.joined(separator: ", ")); run the tests first or pass the .xml files."
        }
    }

    public var errorDescription: String? { description }
}

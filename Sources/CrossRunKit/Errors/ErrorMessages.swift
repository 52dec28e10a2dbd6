import FoundationEssentials
import Glibc

/// One function per code, named like it, that builds the error with its message. Each message is one sentence
/// that says what happened and what to do (docs/exit-status.md lists them).
extension CrossRunError {
    // MARK: The binary

    public static func binaryNotFound(path: String) -> CrossRunError {
        CrossRunError(
            code: .binaryNotFound, message: "\(path): no such file; build the test binary first (cargo test --no-run) or check the path.",
            subject: path)
    }

    public static func binaryIsDirectory(path: String) -> CrossRunError {
        CrossRunError(
            code: .binaryIsDirectory, message: "\(path) is a directory, not a test binary; pass the path of an executable file.", subject: path)
    }

    public static func binaryNotReadable(path: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .binaryNotReadable,
            message: "\(path) cannot be read (\(reason)); check its permissions (chmod +r) or run as a user who can read it.",
            subject: path, reason: reason)
    }

    public static func binaryEmpty(path: String) -> CrossRunError {
        CrossRunError(code: .binaryEmpty, message: "\(path) is empty (0 bytes), not a program; rebuild it (cargo test --no-run).", subject: path)
    }

    public static func binaryTruncated(path: String, detail: String) -> CrossRunError {
        CrossRunError(
            code: .binaryTruncated,
            message: "\(path) is a truncated ELF file (\(detail)); rebuild it, the build or copy was probably interrupted.",
            subject: path, reason: detail)
    }

    public static func binaryMalformed(path: String, detail: String) -> CrossRunError {
        CrossRunError(code: .binaryMalformed, message: "\(path) is a damaged ELF file (\(detail)); rebuild it.", subject: path, reason: detail)
    }

    /// A Mach-O or Windows PE file: named, with what to do instead.
    public static func foreignExecutable(path: String, what: String, instead: String) -> CrossRunError {
        CrossRunError(code: .foreignExecutable, message: "\(path) is \(what); \(instead).", subject: path, reason: what)
    }

    public static func notAnExecutable(path: String, magic: String) -> CrossRunError {
        CrossRunError(
            code: .notAnExecutable,
            message: "\(path) is neither an ELF executable nor a wasm module (it starts with \(magic)); pass a compiled test binary.",
            subject: path, reason: magic)
    }

    public static func unsupportedMachine(path: String, found: String, supported: [String]) -> CrossRunError {
        CrossRunError(
            code: .unsupportedMachine,
            message: "\(path) is built for \(found), which crossrun has no runner for; supported: \(supported.joined(separator: ", ")) (see crossrun targets).",
            subject: path, reason: found)
    }

    public static func notExecutableOnHost(path: String) -> CrossRunError {
        CrossRunError(
            code: .notExecutableOnHost,
            message: "\(path) is built for this machine but is not executable; make it executable (chmod +x) or rebuild it.", subject: path)
    }

    public static func binaryNotExecutable(path: String, mode: UInt32) -> CrossRunError {
        let octal = String(mode, radix: 8).leftPadded(to: 4)
        return CrossRunError(
            code: .binaryNotExecutable,
            message: "\(path) is not executable (mode \(octal)) and qemu-user runs only executable files; make it executable (chmod +x), CI artifact downloads often drop the execute bit.",
            subject: path, reason: "mode \(octal)")
    }

    public static func targetMismatch(path: String, found: String, target: String, expected: String) -> CrossRunError {
        CrossRunError(
            code: .targetMismatch,
            message: "\(path) is built for \(found), but --target \(target) runs \(expected); pass the target the binary was built for, or leave --target out to choose by the binary's header.",
            subject: path, reason: found)
    }

    public static func partitionListingFailed(path: String, partition: String) -> CrossRunError {
        CrossRunError(
            code: .partitionListingFailed,
            message: "\(path) did not list its tests with --list, so --partition \(partition) cannot choose its share; partition only libtest test binaries (or run without --partition).",
            subject: path)
    }

    // MARK: ELF parsing (no path: BinaryInspector and GuestLibraries add it)

    public static let notELF = CrossRunError(
        code: .notELF, message: "the file is not an ELF file (it does not start with 0x7f ELF); pass a compiled test binary.",
        reason: "not an ELF file")

    public static func elfTruncated(_ detail: String) -> CrossRunError {
        CrossRunError(code: .elfTruncated, message: "the ELF file is truncated (\(detail)); rebuild it.", reason: detail)
    }

    public static func elfInvalid(_ detail: String) -> CrossRunError {
        CrossRunError(code: .elfInvalid, message: "the ELF file is damaged (\(detail)); rebuild it.", reason: detail)
    }

    // MARK: Emulator and sysroot

    public static func emulatorNotFound(target: String, candidates: [String], installHint: String) -> CrossRunError {
        CrossRunError(
            code: .emulatorNotFound,
            message: "no emulator for \(target) found (looked for \(candidates.joined(separator: ", ")) on PATH); install one with `\(installHint)` or set emulator for this target in crossrun.toml.",
            subject: target)
    }

    public static func loaderMissing(target: String, interpreter: String, searched: [String], installHint: String) -> CrossRunError {
        let places = searched.isEmpty ? "no sysroot is configured" : "not found under \(searched.joined(separator: ", "))"
        return CrossRunError(
            code: .loaderMissing,
            message: "the \(target) binary needs the loader \(interpreter), \(places); install it with `\(installHint)` or pass --sysroot DIR (also CROSSRUN_SYSROOT).",
            subject: target, reason: interpreter)
    }

    /// A musl binary (`/lib/ld-musl-<arch>.so.1`) whose loader no sysroot holds: Debian's glibc cross packages
    /// cannot help, so the fix is crossrun's musl sysroot (`fetchName`, when a Sysroots/ manifest exists) or a
    /// musl root given with --sysroot.
    public static func muslLoaderMissing(
        target: String, interpreter: String, searched: [String], fetchName: String?, debianArchitecture: String?
    ) -> CrossRunError {
        let places = searched.isEmpty ? "no sysroot is configured" : "not found under \(searched.joined(separator: ", "))"
        let fix: String
        if let fetchName {
            let unpack = debianArchitecture.map { " (for example Debian's musl: `apt-get download musl:\($0)` and `dpkg-deb -x` it into DIR)" } ?? ""
            fix = "fetch crossrun's musl sysroot with `crossrun sysroot fetch \(fetchName)` (without --offline it is fetched on first use) or pass --sysroot DIR holding a musl root\(unpack)"
        } else {
            fix = "crossrun has no musl sysroot for \(target), so pass --sysroot DIR holding a musl root with \(interpreter) (glibc's libc6 packages do not have it)"
        }
        return CrossRunError(
            code: .loaderMissing,
            message: "the \(target) binary is linked against musl and needs the loader \(interpreter), \(places); \(fix).",
            subject: target, reason: interpreter)
    }

    /// `example`: the target's own Debian sysroot (`/usr/riscv64-linux-gnu`), when it has one.
    public static func sysrootNotADirectory(path: String, origin: String, example: String? = nil) -> CrossRunError {
        CrossRunError(
            code: .sysrootNotADirectory,
            message: "the sysroot \(path) (from \(origin)) is not a directory; point it at a folder that holds the target's lib/\(example.map { " (e.g. \($0))" } ?? "").",
            subject: path)
    }

    public static func spawnFailed(executable: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .spawnFailed, message: "could not start \(executable) (\(reason)); check that it is an executable for this machine.",
            subject: executable, reason: reason)
    }

    public static func cpuRefused(cpu: String, origin: String, emulator: String) -> CrossRunError {
        let name = emulator.lastPathComponent
        return CrossRunError(
            code: .cpuRefused,
            message: "\(name) does not know the CPU model \(cpu) (cpu from \(origin)); set cpu to one that `\(name) -cpu help` lists, or remove it for qemu's default.",
            subject: cpu, reason: origin)
    }

    // MARK: Fetched sysroots

    public static func invalidSysrootManifest(name: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .invalidSysrootManifest, message: "sysroot manifest \(name) is invalid (\(reason)); fix it (see docs/sysroots.md).",
            subject: name, reason: reason)
    }

    public static func noSysrootManifest(target: String, libc: String = "glibc") -> CrossRunError {
        guard libc == "glibc" else {
            return CrossRunError(
                code: .noSysrootManifest,
                message: "crossrun has no \(libc) sysroot manifest for \(target); pass --sysroot DIR holding a \(libc) root (Debian's cross packages are glibc).",
                subject: target, reason: libc)
        }
        return CrossRunError(
            code: .noSysrootManifest,
            message: "crossrun has no sysroot manifest for \(target); pass --sysroot DIR or install the target's Debian cross packages.",
            subject: target)
    }

    public static func noMirror(searched: [String]) -> CrossRunError {
        CrossRunError(
            code: .noMirror,
            message: "no Debian mirror is configured and none was found in \(searched.joined(separator: ", ")); pass --mirror URL, set CROSSRUN_DEBIAN_MIRROR or mirror in crossrun.toml (for example http://deb.debian.org/debian).")
    }

    public static func downloadFailed(url: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .downloadFailed,
            message: "downloading \(url) failed (\(reason)); check the mirror (--mirror, CROSSRUN_DEBIAN_MIRROR) and the network, then try again.",
            subject: url, reason: reason)
    }

    public static func checksumMismatch(what: String, expected: String, actual: String) -> CrossRunError {
        CrossRunError(
            code: .checksumMismatch,
            message: "\(what) has SHA-256 \(actual), not the \(expected) its index promises; the mirror served a wrong or corrupted file, so nothing was installed. Try again or use another mirror.",
            subject: what)
    }

    public static func sizeMismatch(what: String, expected: Int, actual: Int) -> CrossRunError {
        CrossRunError(
            code: .sizeMismatch,
            message: "\(what) is \(actual) bytes, not the \(expected) its index promises; the download was cut or the mirror is inconsistent, so nothing was installed. Try again or use another mirror.",
            subject: what)
    }

    public static func signatureInvalid(file: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .signatureInvalid,
            message: "the signature of \(file) does not verify (\(reason)); the mirror's index cannot be trusted, so nothing was installed. Use another mirror, or --no-verify-signature only if you trust it.",
            subject: file, reason: reason)
    }

    /// Verification is on but cannot be done (no gpgv, no keyring): fail closed, naming what to install.
    public static func signatureUnverifiable(file: String, reason: String, fix: String) -> CrossRunError {
        CrossRunError(
            code: .signatureUnverifiable,
            message: "cannot check the signature of \(file): \(reason), so nothing was fetched. \(fix), or pass --no-verify-signature only if you trust the mirror.",
            subject: file, reason: reason)
    }

    public static func packageMissing(package: String, index: String) -> CrossRunError {
        CrossRunError(
            code: .packageMissing,
            message: "package \(package) is not in \(index); check its name in the sysroot manifest or crossrun.toml (packages = [...]).",
            subject: package)
    }

    public static func unsafeArchiveEntry(package: String, entry: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .unsafeArchiveEntry, message: "\(package) holds an unsafe entry \(entry) (\(reason)); it was refused and nothing was installed.",
            subject: package, reason: reason)
    }

    public static func archiveUnreadable(package: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .archiveUnreadable, message: "\(package) cannot be unpacked (\(reason)); the file is damaged or not a Debian package.",
            subject: package, reason: reason)
    }

    public static func sysrootIncomplete(target: String, loader: String) -> CrossRunError {
        CrossRunError(
            code: .sysrootIncomplete,
            message: "the fetched \(target) sysroot has no loader \(loader); add the package that holds it to packages in crossrun.toml.",
            subject: target)
    }

    public static func sysrootNotCached(target: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .sysrootNotCached,
            message: "no fetched \(target) sysroot is cached and \(reason); run `crossrun sysroot fetch \(target)` with network access first.",
            subject: target, reason: reason)
    }

    public static func sysrootLocked(target: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .sysrootLocked,
            message: "the \(target) sysroot would change (\(reason)) but --locked forbids it; run without --locked to update the lock record.",
            subject: target, reason: reason)
    }

    /// `crossrun-tools sysroot fetch` (the run path's fetch, ``ToolsSysrootFetcher``) failed: `message` is the
    /// one it printed after `crossrun: error: `, else what ended it (`exit status 2`, `killed by signal 9`).
    public static func sysrootFetchFailed(target: String, message: String?, ended: String) -> CrossRunError {
        CrossRunError(
            code: .sysrootFetchFailed,
            message: message.flatMap { $0.isEmpty ? nil : $0 }
                ?? "crossrun-tools sysroot fetch \(target) failed (\(ended)) without saying why; run it yourself to see its output.",
            subject: target, reason: ended)
    }

    public static func sysrootModified(target: String, problems: [String]) -> CrossRunError {
        let shown = problems.prefix(3).joined(separator: "; ") + (problems.count > 3 ? "; and \(problems.count - 3) more" : "")
        return CrossRunError(
            code: .sysrootModified,
            message: "the cached \(target) sysroot differs from its lock record (\(shown)); run `crossrun sysroot remove \(target)` and fetch it again.",
            subject: target)
    }

    public static func cacheNotWritable(path: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .cacheNotWritable,
            message: "crossrun's sysroot cache cannot be written at \(path) (\(reason)); make it writable, free some space, or set CROSSRUN_CACHE_DIR to another folder.",
            subject: path, reason: reason)
    }

    // MARK: Configuration and data

    public static func invalidConfiguration(file: String, reason: String) -> CrossRunError {
        CrossRunError(code: .invalidConfiguration, message: "\(file): \(reason); fix it (see docs/configuration.md).", subject: file, reason: reason)
    }

    public static func invalidRunnerDefinition(name: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .invalidRunnerDefinition, message: "runner definition \(name) is invalid (\(reason)); fix it (see docs/runners.md).",
            subject: name, reason: reason)
    }

    public static func unknownTarget(name: String, known: [String]) -> CrossRunError {
        CrossRunError(code: .unknownTarget, message: "unknown target \(name); known targets: \(known.joined(separator: ", ")).", subject: name)
    }

    public static func invalidEnvironmentValue(variable: String, value: String, expected: String) -> CrossRunError {
        CrossRunError(code: .invalidEnvironmentValue, message: "\(variable)=\(value) is not valid; expected \(expected).", subject: variable, reason: value)
    }

    // MARK: Reports

    public static func reportNotWritable(path: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .reportNotWritable,
            message: "cannot write the report \(path) (\(reason)); make that folder writable or choose another place (crossrun run: --report-dir, --junit, --json; report merge: -o).",
            subject: path, reason: reason)
    }

    public static func reportNotReadable(path: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .reportNotReadable, message: "cannot read the report \(path) (\(reason)); pass JUnit files that crossrun or another tool wrote.",
            subject: path, reason: reason)
    }

    public static func noReportsToMerge(paths: [String]) -> CrossRunError {
        CrossRunError(
            code: .noReportsToMerge,
            message: "no JUnit reports found in \(paths.joined(separator: ", ")); run the tests first or pass the .xml files.")
    }

    /// A results JSON file (`report merge --json`, `report matrix`) that cannot be used.
    public static func resultsNotReadable(path: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .reportNotReadable,
            message: "cannot read the results JSON \(path) (\(reason)); pass the .json files (or their folders) that crossrun wrote, or `crossrun report merge --json`'s file.",
            subject: path, reason: reason)
    }

    /// No results JSON among the inputs of `report merge --json` or `report matrix`.
    public static func noResultsFound(paths: [String]) -> CrossRunError {
        CrossRunError(
            code: .noReportsToMerge,
            message: "no results JSON found in \(paths.joined(separator: ", ")); run the tests with crossrun first (each binary writes one, by default into target/crossrun/) or pass the .json files.")
    }

    public static func noRunRecord(directory: String) -> CrossRunError {
        CrossRunError(
            code: .noRunRecord,
            message: "no record of a cargo test in \(directory); run `cargo test` with runner = \"crossrun\" first (each binary's report folder keeps one), or name the report folder it wrote to.",
            subject: directory)
    }

    // MARK: Linux full-system mode

    public static func qemuNotFound(candidates: [String]) -> CrossRunError {
        CrossRunError(
            code: .qemuNotFound,
            message: "no qemu-system-aarch64 found (looked for \(candidates.joined(separator: ", "))); install it with `apt-get install qemu-system-arm` or pass --qemu PATH.")
    }

    public static func kernelNotFound(path: String) -> CrossRunError {
        CrossRunError(
            code: .kernelNotFound,
            message: "the kernel \(path) does not exist; pass --kernel with an arm64 Linux Image, or --fetch to use Debian's.", subject: path)
    }

    public static func kernelNotImage(path: String) -> CrossRunError {
        CrossRunError(
            code: .kernelNotImage,
            message: "\(path) is not an arm64 Linux kernel Image (no ARM\\x64 magic at offset 56); pass --kernel with an uncompressed arm64 Image (Debian's /boot/vmlinuz-*-arm64), or --fetch.",
            subject: path)
    }

    public static func busyboxNotFound(path: String) -> CrossRunError {
        CrossRunError(
            code: .busyboxNotFound,
            message: "the busybox \(path) does not exist; pass --busybox with a static arm64 busybox (Debian's busybox-static).", subject: path)
    }

    public static func unreadable(path: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .unreadable, message: "\(path) cannot be read (\(reason)); check that it exists and is readable.", subject: path, reason: reason)
    }

    public static func initramfs(path: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .initramfs, message: "the initramfs \(path) cannot be written (\(reason)); check the free space in TMPDIR.",
            subject: path, reason: reason)
    }

    public static func libraryMissing(binary: String, library: String, searched: [String]) -> CrossRunError {
        CrossRunError(
            code: .libraryMissing,
            message: "\(binary) needs \(library), which is not in \(searched.joined(separator: ", ")); install the library's arm64 package into the sysroot or pass another --sysroot.",
            subject: binary, reason: library)
    }

    public static func sysrootNeeded(binary: String, interpreter: String) -> CrossRunError {
        CrossRunError(
            code: .sysrootNeeded,
            message: "\(binary) is dynamically linked (\(interpreter)) but no sysroot was given; pass --sysroot DIR (for example /usr/aarch64-linux-gnu).",
            subject: binary, reason: interpreter)
    }

    public static func unsupportedBinary(path: String, found: String) -> CrossRunError {
        CrossRunError(
            code: .unsupportedBinary,
            message: "\(path) is built for \(found); system mode boots aarch64 Linux only, so run it with its own target's runner.",
            subject: path, reason: found)
    }

    public static func invalidEnvironmentName(_ name: String) -> CrossRunError {
        CrossRunError(
            code: .invalidEnvironmentName,
            message: "--env \(name) is not a valid variable name; use NAME or NAME=VALUE with letters, digits and underscores.", subject: name)
    }

    public static func kernelPackageUnresolved(package: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .kernelPackageUnresolved,
            message: "cannot find the kernel behind \(package) (\(reason)); check the mirror (--mirror) serves the suite's arm64 index.",
            subject: package, reason: reason)
    }

    public static func qemuFailed(reason: String, console: String) -> CrossRunError {
        CrossRunError(
            code: .qemuFailed,
            message: "qemu-system-aarch64 \(reason) before the test binary finished\(consoleTail(console)); check the kernel and qemu (run with CROSSRUN_SYSTEM_CONSOLE=1 to see the whole console).",
            reason: reason)
    }

    public static func noStartMarker(console: String) -> CrossRunError {
        CrossRunError(
            code: .noStartMarker,
            message: "the guest never started the test binary\(consoleTail(console)); check the kernel (it must be an arm64 Image for qemu's virt machine) and busybox (run with CROSSRUN_SYSTEM_CONSOLE=1 to see the whole console).")
    }

    public static func noEndMarker(console: String) -> CrossRunError {
        CrossRunError(
            code: .noEndMarker,
            message: "the guest stopped before the test binary reported its exit status\(consoleTail(console)); the kernel may have panicked or run out of memory (set memory = \"1G\" in [target.aarch64] of crossrun.toml, or CROSSRUN_SYSTEM_CONSOLE=1 to see the whole console).")
    }

    /// ` (console: "last console line")`, or nothing, kept to one line. `isNewline` also splits at "\r\n", one
    /// Character in Swift, which a serial console ends its lines with.
    static func consoleTail(_ console: String) -> String {
        let lines = console.split(whereSeparator: \.isNewline)
            .map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        // A panic's first line says why; otherwise the last thing the console showed.
        guard let line = lines.first(where: { $0.contains("Kernel panic") }) ?? lines.last else { return "" }
        let short = line.count > 200 ? String(line.prefix(200)) + "..." : line
        return " (console: \"\(short)\")"
    }

    // MARK: The embedded wasm runtime

    public static func wasmModuleUnreadable(path: String, reason: String) -> CrossRunError {
        CrossRunError(
            code: .wasmModuleUnreadable, message: "\(path) cannot be loaded as a wasm module (\(reason)); rebuild it for wasm32-wasip1 (wasm32-wasi).",
            subject: path, reason: reason)
    }

    // MARK: crossrun doctor

    /// Targets named with `doctor --target` that cannot run here, and Rust targets whose tests cannot be linked.
    public static func targetsCannotRun(names: [String], cannotLink: [String] = []) -> CrossRunError {
        var parts: [String] = []
        if !names.isEmpty { parts.append("\(names.joined(separator: ", ")) cannot run on this machine") }
        if !cannotLink.isEmpty {
            parts.append("\(cannotLink.joined(separator: ", ")) cannot link \(cannotLink.count == 1 ? "its" : "their") tests here (pass --run-only when tests are built elsewhere)")
        }
        return CrossRunError(code: .targetsCannotRun, message: parts.joined(separator: "; ") + "; see the fixes above.")
    }

    // MARK: The crossrun-tools executable beside crossrun (ToolsExecutable)

    /// `what` (`crossrun doctor`, the embedded wasm runtime, fetching a sysroot) needs crossrun-tools, which is
    /// missing (or not executable) at `tools`, beside `executable`.
    public static func toolsNotInstalled(what: String, tools: String, executable: String) -> CrossRunError {
        CrossRunError(
            code: .toolsNotInstalled,
            message: "\(what) needs \(tools), but crossrun-tools is not installed beside \(executable); reinstall crossrun (make install installs both).",
            subject: tools)
    }
}

extension ToolsExecutable {
    /// `tools` when it is an executable file; else ``CrossRunError/toolsNotInstalled(what:tools:executable:)``
    /// saying that `what` needs it, and that it is missing beside `executable` (crossrun's).
    public static func required(_ tools: String, for what: String, executable: String = ownExecutable) throws -> String {
        guard Executables.isExecutableFile(tools) else {
            throw CrossRunError.toolsNotInstalled(what: what, tools: tools, executable: executable)
        }
        return tools
    }
}

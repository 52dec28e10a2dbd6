import Foundation

/// What can go wrong booting a test binary in Linux full-system mode. Each description is one sentence that says
/// what happened and what to do; `exitStatus` follows docs/exit-status.md.
public enum SystemModeError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case qemuNotFound(candidates: [String])
    case kernelNotFound(path: String)
    case kernelNotImage(path: String)
    case busyboxNotFound(path: String)
    case unreadable(path: String, reason: String)
    case initramfs(path: String, reason: String)
    case libraryMissing(binary: String, library: String, searched: [String])
    case sysrootNeeded(binary: String, interpreter: String)
    case unsupportedBinary(path: String, found: String)
    case invalidEnvironmentName(String)
    case kernelPackageUnresolved(package: String, reason: String)
    case qemuFailed(reason: String, console: String)
    case noStartMarker(console: String)
    case noEndMarker(console: String)

    public var exitStatus: Int32 {
        switch self {
        case .qemuNotFound: return ExitStatus.emulatorMissing
        case .invalidEnvironmentName, .unsupportedBinary: return ExitStatus.crossrunError
        default: return ExitStatus.cannotExecute
        }
    }

    public var description: String {
        switch self {
        case .qemuNotFound(let candidates):
            return "no qemu-system-aarch64 found (looked for \(candidates.joined(separator: ", "))); install it with `apt-get install qemu-system-arm` or pass --qemu PATH."
        case .kernelNotFound(let path):
            return "the kernel \(path) does not exist; pass --kernel with an arm64 Linux Image, or --fetch to use Debian's."
        case .kernelNotImage(let path):
            return "\(path) is not an arm64 Linux kernel Image (no ARM\\x64 magic at offset 56); pass --kernel with an uncompressed arm64 Image (Debian's /boot/vmlinuz-*-arm64), or --fetch."
        case .busyboxNotFound(let path):
            return "the busybox \(path) does not exist; pass --busybox with a static arm64 busybox (Debian's busybox-static)."
        case .unreadable(let path, let reason):
            return "\(path) cannot be read (\(reason)); check that it exists and is readable."
        case .initramfs(let path, let reason):
            return "the initramfs \(path) cannot be written (\(reason)); check the free space in TMPDIR."
        case .libraryMissing(let binary, let library, let searched):
            return "\(binary) needs \(library), which is not in \(searched.joined(separator: ", ")); install the library's arm64 package into the sysroot or pass another --sysroot."
        case .sysrootNeeded(let binary, let interpreter):
            return "\(binary) is dynamically linked (\(interpreter)) but no sysroot was given; pass --sysroot DIR (for example /usr/aarch64-linux-gnu)."
        case .unsupportedBinary(let path, let found):
            return "\(path) is built for \(found); system mode boots aarch64 Linux only, so run it with its own target's runner."
        case .invalidEnvironmentName(let name):
            return "--env \(name) is not a valid variable name; use NAME or NAME=VALUE with letters, digits and underscores."
        case .kernelPackageUnresolved(let package, let reason):
            return "cannot find the kernel behind \(package) (\(reason)); check the mirror (--mirror) serves the suite's arm64 index."
        case .qemuFailed(let reason, let console):
            return "qemu-system-aarch64 \(reason) before the test binary finished\(Self.tail(console)); check the kernel and qemu (run with CROSSRUN_SYSTEM_CONSOLE=1 to see the whole console)."
        case .noStartMarker(let console):
            return "the guest never started the test binary\(Self.tail(console)); check the kernel (it must be an arm64 Image for qemu's virt machine) and busybox (run with CROSSRUN_SYSTEM_CONSOLE=1 to see the whole console)."
        case .noEndMarker(let console):
            return "the guest stopped before the test binary reported its exit status\(Self.tail(console)); the kernel may have panicked or run out of memory (try --memory 1G, or CROSSRUN_SYSTEM_CONSOLE=1 to see the whole console)."
        }
    }

    public var errorDescription: String? { description }

    /// `: "last console line"`, or nothing, kept to one line.
    static func tail(_ console: String) -> String {
        let lines = console.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        // A panic's first line says why; otherwise the last thing the console showed.
        guard let line = lines.first(where: { $0.contains("Kernel panic") }) ?? lines.last else { return "" }
        let short = line.count > 200 ? String(line.prefix(200)) + "..." : line
        return " (console: \"\(short)\")"
    }
}

import CrossRunKit
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// The qemu-system-aarch64 process of the running boot, for the signal handler; 0 when none runs.
nonisolated(unsafe) private var bootingQemu: pid_t = 0
/// The signal (SIGINT, SIGTERM, SIGHUP) that stopped the boot, 0 when none.
nonisolated(unsafe) private var bootSignal: Int32 = 0

private func stopBoot(_ signal: Int32) {
    bootSignal = signal
    let pid = bootingQemu
    if pid > 0 { kill(pid, SIGKILL) }
}

/// Linux full-system mode for aarch64: boots a kernel under qemu-system-aarch64 (machine `virt`) with an
/// initramfs built for one run (busybox, the test binary, the libraries it needs from the sysroot, and an
/// `/init` that runs it), and streams what the binary printed on the console.
public struct SystemBoot: Sendable {
    /// How a boot ended.
    public enum Outcome: Equatable, Sendable {
        /// The guest's shell status for the program: its exit code, or 128 + N when signal N killed it.
        case guestStatus(Int32)
        /// SIGINT, SIGTERM or SIGHUP reached crossrun: qemu was killed.
        case interrupted(signal: Int32)
    }

    /// `max` with the cheap IMPDEF pointer-authentication algorithm: QARMA5 costs boots about 3 times as long
    /// under TCG (measured: 12.6 s against 4.6 s for the rust-demo binary).
    public static let defaultCPU = "max,pauth-impdef=on"
    public static let defaultMemory = "512M"

    public var qemu: String
    public var kernel: String
    public var busybox: String
    /// The folder the binary's loader and libraries are copied from (for a dynamic binary).
    public var sysroot: String?
    public var memory = SystemBoot.defaultMemory
    public var cpu = SystemBoot.defaultCPU
    /// The guest's working folder, created empty.
    public var workingDirectory = "/tmp/work"
    public var compression = InitramfsBuilder.Compression.none
    /// Every console byte is copied here too (CROSSRUN_SYSTEM_CONSOLE=1: stderr); -1 for none.
    public var consoleCopy: Int32 = -1

    public init(qemu: String, kernel: String, busybox: String, sysroot: String? = nil) {
        self.qemu = qemu
        self.kernel = kernel
        self.busybox = busybox
        self.sysroot = sysroot
    }

    /// Whether `bytes` start with an arm64 Linux `Image` header (64 bytes, the magic `ARM\x64` at offset 56), what
    /// qemu's `-kernel` needs: the fetched kernel is checked once when it is cached, a given one before each boot.
    public static func isArm64Image(_ bytes: Data) -> Bool {
        bytes.count >= 64 && bytes[bytes.startIndex + 56..<bytes.startIndex + 60].elementsEqual([0x41, 0x52, 0x4D, 0x64])
    }

    /// The kernel command line: the PL011 console, quiet, and a panic powers the machine off at once.
    public static let kernelCommandLine = "console=ttyAMA0 quiet loglevel=1 panic=-1 rdinit=/init"

    /// qemu's arguments for a boot with `initramfs`.
    public func qemuArguments(initramfs: String) -> [String] {
        [
            "-machine", "virt", "-cpu", cpu, "-m", memory, "-smp", "1",
            "-nodefaults", "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
            "-kernel", kernel, "-initrd", initramfs, "-append", Self.kernelCommandLine,
        ]
    }

    /// The initramfs for one run of `binary` with `init`: written to `path`.
    public func buildInitramfs(binary: String, init guestInit: GuestInit, to path: String) throws {
        var builder = InitramfsBuilder()
        for folder in ["bin", "dev", "proc", "sys", "tmp", "root", "etc", "crossrun"] { builder.addDirectory(folder) }
        builder.addDirectory("tmp", permissions: 0o1777)
        builder.addCharacterDevice("dev/console", major: 5, minor: 1)
        builder.addCharacterDevice("dev/null", major: 1, minor: 3, permissions: 0o666)
        try builder.addFile(GuestInit.busyboxPath, copying: busybox, permissions: 0o755)
        builder.addSymlink("bin/sh", target: "busybox")
        builder.addFile("etc/passwd", contents: Data("root:x:0:0:root:/root:/bin/sh\n".utf8))
        builder.addFile("etc/group", contents: Data("root:x:0:\n".utf8))
        builder.addFile("init", contents: Data(guestInit.script.utf8), permissions: 0o755)
        try builder.addFile(guestInit.program, copying: binary, permissions: 0o755)
        let info = try BinaryInspector.inspect(path: binary)
        if let interpreter = info.elf?.interpreter {
            guard let sysroot else { throw CrossRunError.sysrootNeeded(binary: binary, interpreter: interpreter) }
            for placement in try GuestLibraries.placements(binary: binary, interpreter: interpreter, sysroot: sysroot) {
                try builder.addFile(placement.guest, copying: placement.host, permissions: 0o755)
            }
        }
        try builder.write(to: path, compression: compression)
    }

    /// Checks the inputs, builds the initramfs in a temporary folder, boots, streams the program's output to
    /// `output` as it arrives, and removes the folder. SIGINT, SIGTERM and SIGHUP kill qemu and end the boot.
    public func run(
        binary: String, arguments: [String], environment: [GuestVariable],
        output: (UnsafeRawBufferPointer) -> Void
    ) throws -> Outcome {
        guard FileManager.default.fileExists(atPath: kernel) else { throw CrossRunError.kernelNotFound(path: kernel) }
        // qemu runs any file given as -kernel, and garbage never reaches the start marker: check the Image header.
        guard let head = FileDescriptors.head(of: kernel, count: 64), Self.isArm64Image(Data(head))
        else { throw CrossRunError.kernelNotImage(path: kernel) }
        guard FileManager.default.fileExists(atPath: busybox) else { throw CrossRunError.busyboxNotFound(path: busybox) }
        let info = try BinaryInspector.inspect(path: binary)
        guard let elf = info.elf, elf.machine == 183 else {
            throw CrossRunError.unsupportedBinary(path: binary, found: info.machineName)
        }
        let name = binary.lastPathComponent
        let guestInit = GuestInit(
            program: "/crossrun/" + (name.isEmpty ? "test-binary" : name), arguments: arguments, environment: environment,
            workingDirectory: workingDirectory)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-system-\(getpid())-\(guestInit.nonce.prefix(8))").path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw CrossRunError.initramfs(path: folder, reason: ErrorText.reason(error))
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let initramfs = folder + "/initramfs.cpio" + (compression == .gzip ? ".gz" : "")
        try buildInitramfs(binary: binary, init: guestInit, to: initramfs)
        return try boot(initramfs: initramfs, filter: ConsoleFilter(guestInit), output: output)
    }

    /// Spawns qemu (stdin /dev/null, stdout and stderr into one pipe), filters the console, waits for it.
    func boot(initramfs: String, filter initialFilter: ConsoleFilter, output: (UnsafeRawBufferPointer) -> Void) throws -> Outcome {
        var filter = initialFilter
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CrossRunError.qemuFailed(reason: "could not get a pipe: \(String(cString: strerror(errno)))", console: "") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        // Only qemu's stdout and stderr keep the write end: nothing else this process starts may inherit it.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        // The handlers are in place before qemu exists, so no signal can leave it behind.
        bootSignal = 0
        var previous: [Int32: sigaction] = [:]
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { stopBoot($0) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0  // no SA_RESTART: a blocked read returns EINTR
            var old = sigaction()
            sigaction(signal, &action, &old)
            previous[signal] = old
        }
        defer {
            for (signal, old) in previous {
                var old = old
                sigaction(signal, &old, nil)
            }
        }
        // In this process's group (crossrun's run of it signals that group), with a parent-death signal: qemu
        // dies with this process, SIGKILL included (Support/Spawn.swift).
        let argv = [qemu] + qemuArguments(initramfs: initramfs)
        let spawned = Spawn.start(
            qemu, argv: argv, environment: Spawn.environment(adding: [:]), stdin: .null, stdout: writeEnd, stderr: writeEnd)
        close(writeEnd)
        let pid: pid_t
        switch spawned {
        case .success(let started):
            pid = started
        case .failure(let failure):
            close(readEnd)
            throw CrossRunError.qemuFailed(reason: "could not be started (\(failure.reason))", console: "")
        }
        bootingQemu = pid
        if bootSignal != 0 { kill(pid, SIGKILL) }

        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            if consoleCopy >= 0 { buffer.withUnsafeBytes { _ = write(consoleCopy, $0.baseAddress, count) } }
            let chunk = filter.feed(buffer[0..<count])
            if !chunk.isEmpty { chunk.withUnsafeBytes(output) }
            // Once the status is in, the guest only powers off: qemu need not be waited for.
            if case .finished = filter.state { kill(pid, SIGKILL) }
        }
        close(readEnd)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        bootingQemu = 0
        let rest = filter.finish()
        if !rest.isEmpty { rest.withUnsafeBytes(output) }

        if bootSignal != 0 { return .interrupted(signal: bootSignal) }
        switch filter.state {
        case .finished(let guestStatus):
            return .guestStatus(guestStatus)
        case .booting:
            let how = TerminationStatus.fromWaitStatus(status)
            if how != .exited(0) { throw CrossRunError.qemuFailed(reason: "ended with \(how.description)", console: filter.console) }
            throw CrossRunError.noStartMarker(console: filter.console)
        case .running:
            throw CrossRunError.noEndMarker(console: filter.console)
        }
    }
}

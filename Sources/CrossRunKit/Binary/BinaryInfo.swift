import FoundationEssentials
import Glibc

/// The floating-point calling convention an ELF binary was built for.
public enum FloatABI: String, Sendable, Codable, Equatable, CaseIterable {
    case soft, single, double, quad
    /// ARM hard-float (VFP registers): Debian armhf.
    case hard
}

/// The calling convention (ABI) an ELF file's `e_flags` and class name, for the machines that have more than one
/// on Linux: MIPS (`o32`, `n32`, `n64`, and the rare `o64`, `eabi32`, `eabi64`) and PowerPC64 (`elfv1`, `elfv2`).
public enum ELFABI: String, Sendable, Codable, Equatable, CaseIterable {
    case o32, n32, n64, o64, eabi32, eabi64
    case elfv1, elfv2

    /// The machine (``ELFMachine`` short name) whose binaries can have this ABI.
    public var machine: String {
        switch self {
        case .elfv1, .elfv2: return "ppc64"
        default: return "mips"
        }
    }
}

/// What crossrun learned about a binary from its header alone.
public struct BinaryInfo: Equatable, Sendable {
    public enum Format: Equatable, Sendable {
        case elf(ELFHeader)
        /// A core WebAssembly module (WASI preview 1, or wasm32-unknown-unknown, refused by ``BinaryInspector``).
        case wasm(version: UInt32)
        /// A Windows PE executable wine can run (x86-64 or i386, console or GUI subsystem).
        case pe(PEHeader)
        /// A WebAssembly component (the component model: WASI 0.2, Rust's wasm32-wasip2).
        case wasmComponent(version: UInt16)
    }

    public var path: String
    public var format: Format

    public init(path: String, format: Format) {
        self.path = path
        self.format = format
    }

    public var elf: ELFHeader? {
        if case .elf(let header) = format { return header }
        return nil
    }

    public var pe: PEHeader? {
        if case .pe(let header) = format { return header }
        return nil
    }

    /// The `e_machine` short name (`aarch64`, `arm`, `riscv`, `x86_64`, ...), `wasm32`, or a PE machine (`x86_64`, `i386`).
    public var machineName: String {
        switch format {
        case .elf(let header): return ELFMachine.name(header.machine)
        case .wasm, .wasmComponent: return "wasm32"
        case .pe(let header): return header.machineName
        }
    }

    /// What an ELF binary runs on: a Linux kernel (qemu-user), or bare metal (qemu-system, semihosting).
    public enum Environment: String, Sendable, Codable, Equatable, CaseIterable {
        case linux
        case bareMetal = "bare-metal"
    }

    /// Linux unless the header says otherwise: M-profile ARM code (no Linux runs there), or a static
    /// `ET_EXEC` file with no interpreter, no GNU ABI tag, no Linux OS/ABI byte, and code placed where a Linux
    /// process cannot be (below 0x8000, or at or above 0x8000_0000 as RISC-V boards and QEMU's `virt` load it).
    /// A user states it outright with `--target` when a heuristic is not enough.
    public var environment: Environment? {
        guard let header = elf else { return nil }
        if header.armAttributes?.mProfileArchitecture != nil { return .bareMetal }
        guard header.interpreter == nil, !header.hasDynamicSegment, !header.hasABITag, header.osABI != 3, header.type == 2,
            let lowest = header.lowestLoadAddress
        else { return .linux }
        return lowest < 0x8000 || (lowest >= 0x8000_0000 && lowest < 0x1_0000_0000) ? .bareMetal : .linux
    }

    /// The ARM M-profile architecture (`v7-M`, ...) from the build attributes; nil for anything else.
    public var armArchitecture: String? { elf?.armAttributes?.mProfileArchitecture }

    /// The float ABI read from `e_flags` for ARM and RISC-V; nil for other machines.
    public var floatABI: FloatABI? {
        guard let header = elf else { return nil }
        switch header.machine {
        case ELFMachine.arm:
            if header.flags & ELFMachine.armFloatHard != 0 { return .hard }
            return .soft  // EF_ARM_ABI_FLOAT_SOFT, or an old binary with neither bit: the soft-float default
        case ELFMachine.riscv:
            switch header.flags & ELFMachine.riscvFloatABIMask {
            case 0: return .soft
            case 2: return .single
            case 4: return .double
            default: return .quad
            }
        case ELFMachine.loongArch:
            switch header.flags & ELFMachine.loongArchFloatABIMask {
            case 1: return .soft
            case 2: return .single
            case 3: return .double
            default: return nil
            }
        default:
            return nil
        }
    }

    /// The ABI from the class and `e_flags`, for MIPS and PowerPC64; nil for other machines (and for a value no
    /// ABI has). MIPS: a 64-bit file is n64; a 32-bit one is n32 with `EF_MIPS_ABI2`, else what `EF_MIPS_ABI`
    /// says (unset is o32). PowerPC64: `e_flags & 3` is 2 for ELFv2, 1 or 0 (unspecified, older tools) for ELFv1.
    public var elfABI: ELFABI? {
        guard let header = elf else { return nil }
        switch header.machine {
        case ELFMachine.mips:
            let abi = header.flags & ELFMachine.mipsABIMask
            if header.fileClass == .elf64 { return abi == 0x4000 ? .eabi64 : .n64 }
            if header.flags & ELFMachine.mipsABI2 != 0 { return .n32 }
            switch abi {
            case 0, 0x1000: return .o32
            case 0x2000: return .o64
            case 0x3000: return .eabi32
            case 0x4000: return .eabi64
            default: return nil
            }
        case ELFMachine.powerPC64:
            switch header.flags & ELFMachine.ppc64ABIMask {
            case 0, 1: return .elfv1
            case 2: return .elfv2
            default: return nil
            }
        default:
            return nil
        }
    }

    /// The instruction set level from `e_flags`, for MIPS (`EF_MIPS_ARCH`: `mips1` ... `mips64r2`, `mips32r6`,
    /// `mips64r6`); nil for other machines. Release 6 is not compatible with the releases before it, so it picks
    /// a runner of its own with a CPU that has it.
    public var isa: String? {
        guard let header = elf, header.machine == ELFMachine.mips else { return nil }
        return ELFMachine.mipsISA(header.flags)
    }

    /// A one-line human description: `ELF 64-bit little-endian aarch64, dynamic (/lib/ld-linux-aarch64.so.1)`,
    /// `ELF 32-bit big-endian mips o32 mips32r2, static`, `ELF 64-bit big-endian ppc64 elfv1, dynamic (/lib64/ld64.so.1)`.
    public var summary: String {
        switch format {
        case .wasm(let version):
            return "WebAssembly module (version \(version))"
        case .pe(let header):
            return header.summary
        case .wasmComponent(let version):
            return "WebAssembly component (version 0x\(String(version, radix: 16)), layer 1)"
        case .elf(let header):
            var text = "ELF \(header.fileClass.rawValue)-bit \(header.endianness.rawValue)-endian \(machineName)"
            if let abi = elfABI { text += " \(abi.rawValue)" }
            if let isa { text += " \(isa)" }
            if let abi = floatABI { text += " \(abi.rawValue)-float" }
            if header.machine == ELFMachine.arm {
                text += " EABI\(ELFMachine.armEABIVersion(header.flags))"
            }
            if let architecture = armArchitecture { text += " ARM\(architecture)" }
            if environment == .bareMetal {
                text += ", bare metal"
            } else if let interpreter = header.interpreter {
                text += ", dynamic (\(interpreter))"
            } else {
                text += ", static"
            }
            return text
        }
    }
}

/// Reads a file's header and turns every way it can be wrong into a one-line ``CrossRunError``.
public enum BinaryInspector {
    /// The WebAssembly binary magic, `\0asm`.
    public static let wasmMagic: [UInt8] = WasmModule.magic

    public static func inspect(path: String) throws -> BinaryInfo {
        var status = stat()
        // `withRawCString`: a file name that is not UTF-8 reached crossrun as raw bytes (String(rawBytes:)).
        guard path.withRawCString({ stat($0, &status) }) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw CrossRunError.binaryNotFound(path: path) }
            throw CrossRunError.binaryNotReadable(path: path, reason: String(cString: strerror(code)))
        }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw CrossRunError.binaryIsDirectory(path: path) }
        let fd = path.withRawCString { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else {
            throw CrossRunError.binaryNotReadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        // A regular file's size bounds every read; a device or pipe has none to go by.
        let fileSize = (status.st_mode & S_IFMT) == S_IFREG ? UInt64(max(0, status.st_size)) : UInt64(Int64.max)
        let read: (UInt64, Int) throws -> [UInt8] = { offset, wanted in
            // The parser checks every offset it reads from the file; this is the last guard before `off_t`.
            guard let start = off_t(exactly: offset), start.addingReportingOverflow(off_t(max(0, wanted))).overflow == false else {
                throw CrossRunError.elfInvalid("an offset of 0x\(String(offset, radix: 16)) past the end of any file")
            }
            // No buffer larger than what the file holds from `offset`, whatever size a header asks for.
            let count = offset >= fileSize ? 0 : Int(min(UInt64(max(0, wanted)), fileSize - offset))
            var buffer = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                let got = buffer.withUnsafeMutableBytes { raw in
                    pread(fd, raw.baseAddress! + filled, count - filled, start + off_t(filled))
                }
                if got < 0 {
                    if errno == EINTR { continue }
                    throw CrossRunError.binaryNotReadable(path: path, reason: String(cString: strerror(errno)))
                }
                if got == 0 { break }
                filled += got
            }
            return Array(buffer[0..<filled])
        }
        return try inspect(path: path, read: read)
    }

    /// Classifies a file's bytes held in memory (the fuzzing harness and tests).
    public static func inspect(path: String, bytes: [UInt8]) throws -> BinaryInfo {
        try inspect(path: path) { offset, count in
            guard offset < UInt64(bytes.count), count > 0 else { return [] }
            let start = Int(offset)
            return Array(bytes[start..<(start + min(count, bytes.count - start))])
        }
    }

    /// Classifies the bytes behind `read` (tests pass recorded headers here).
    public static func inspect(path: String, read: (UInt64, Int) throws -> [UInt8]) throws -> BinaryInfo {
        let start = try read(0, 8)
        if start.isEmpty { throw CrossRunError.binaryEmpty(path: path) }
        switch WasmModule.kind(header: start) {
        case .component(let version):
            return BinaryInfo(path: path, format: .wasmComponent(version: version))
        case .core(let version):
            // No WASI import and no `_start`: wasm32-unknown-unknown, which a WASI runtime would run as a crash
            // ("missing _start") or as nothing at all (wasmtime exits 0). Refused, with where such tests run.
            if version == 1, WasmModule.interface(read: read)?.isUnknownUnknown == true {
                throw CrossRunError.foreignExecutable(
                    path: path, what: WasmModule.unknownUnknownDescription, instead: WasmModule.unknownUnknownInstead)
            }
            return BinaryInfo(path: path, format: .wasm(version: version))
        case nil:
            break
        }
        let isELFPrefix = start.count < 4 && Array(ELFHeader.magic.prefix(start.count)) == start
        if isELFPrefix { throw CrossRunError.binaryTruncated(path: path, detail: "\(start.count) bytes") }
        do {
            let header = try ELFHeader.parse(read: read)
            if let foreign = ForeignExecutable.recognise(elf: header) {
                throw CrossRunError.foreignExecutable(path: path, what: foreign.description, instead: foreign.instead)
            }
            return BinaryInfo(path: path, format: .elf(header))
        } catch let error as CrossRunError {
            switch error.code {
            case .notELF:
                if let pe = PEHeader.parse(read: read) {
                    if let refusal = pe.refusal {
                        throw CrossRunError.foreignExecutable(path: path, what: refusal.description, instead: refusal.instead)
                    }
                    return BinaryInfo(path: path, format: .pe(pe))
                }
                if let foreign = ForeignExecutable.recognise(read: read) {
                    throw CrossRunError.foreignExecutable(path: path, what: foreign.description, instead: foreign.instead)
                }
                throw CrossRunError.notAnExecutable(path: path, magic: describeMagic(start))
            case .elfTruncated: throw CrossRunError.binaryTruncated(path: path, detail: error.reason ?? "")
            case .elfInvalid: throw CrossRunError.binaryMalformed(path: path, detail: error.reason ?? "")
            default: throw error
            }
        }
    }

    /// `#!/bin/sh` style text is shown as text, anything else as hex bytes.
    static func describeMagic(_ bytes: [UInt8]) -> String {
        let prefix = bytes.prefix(4)
        if prefix.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return "\"" + String(decoding: prefix, as: UTF8.self) + "\""
        }
        return prefix.map { "0x" + String($0, radix: 16, uppercase: false).leftPadded(to: 2) }.joined(separator: " ")
    }
}

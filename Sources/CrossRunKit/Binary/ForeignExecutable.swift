import FoundationEssentials
import Glibc

/// Executables crossrun recognises but does not run, named so the refusal says what the file is and what to do
/// instead (rather than "neither an ELF executable nor a wasm module" or "no runner"): Mach-O (Apple targets),
/// Windows PE files wine cannot run here (another machine, a DLL, an EFI or other subsystem), ELF for another
/// operating system (OS ABI) and Android (its `/system/bin/linker` interpreter).
public enum ForeignExecutable: Equatable, Sendable {
    /// A Mach-O file (`fat` for a universal binary), with its CPU when known.
    case machO(cpu: String?, fat: Bool)
    /// A Windows PE file that wine cannot run here (x86-64 and i386 console and GUI executables are run instead).
    case windowsPE(PEHeader)
    /// An ELF executable for another system (FreeBSD, NetBSD, OpenBSD, Solaris/illumos) by its OS ABI byte.
    case otherSystem(system: String, machine: String)
    /// An Android executable (interpreter /system/bin/linker or linker64).
    case android(machine: String)

    /// What the file is, for the one-line refusal: `a Mach-O executable (arm64)`.
    public var description: String {
        switch self {
        case .machO(let cpu, let fat):
            return (fat ? "a universal (fat) Mach-O executable" : "a Mach-O executable") + (cpu.map { " (\($0))" } ?? "")
        case .windowsPE(let header):
            if header.isDLL { return "a Windows DLL (\(header.machineName)), not an executable" }
            if header.isWindowsProgram {
                return "a Windows PE executable (\(header.machineName), \(header.subsystemName))"
            }
            return "a Windows PE file (\(header.machineName), \(header.subsystemName))"
        case .otherSystem(let system, let machine):
            return "a \(system) ELF executable (\(machine))"
        case .android(let machine):
            return "an Android executable (\(machine), interpreter /system/bin/linker)"
        }
    }

    /// What to do instead.
    public var instead: String {
        switch self {
        case .machO: return "Apple targets' tests run on macOS (a macOS machine or CI runner), not under crossrun"
        case .windowsPE(let header):
            if header.isDLL { return "a DLL is loaded by a program, not run; pass the test executable (cargo test --no-run prints its path)" }
            if header.isEFI {
                return "an EFI image runs under UEFI firmware (qemu-system with OVMF), not under wine; crossrun does not run it"
            }
            if header.isWindowsProgram {
                return "wine runs x86-64 and i386 Windows programs only; run its tests on Windows on \(header.machineName), or build them for x86_64-pc-windows-gnu"
            }
            return "wine runs Windows console and GUI programs only; run it on Windows"
        case .otherSystem(let system, _): return "qemu-user runs Linux programs only; run its tests on \(system)"
        case .android: return "Android's loader and libraries are not a Linux sysroot; run its tests on a device or emulator (e.g. with cargo-dinghy or adb)"
        }
    }

    /// The Mach-O format behind the first bytes `read` gives (at least 64 bytes are asked for), or nil. (Windows
    /// PE files are read by ``PEHeader``; those wine cannot run are refused as ``windowsPE(_:)``.)
    static func recognise(read: (UInt64, Int) throws -> [UInt8]) -> ForeignExecutable? {
        guard let start = try? read(0, 64), start.count >= 8 else { return nil }
        let big = ByteReader(bytes: start, endianness: .big)
        let little = ByteReader(bytes: start, endianness: .little)
        switch big.u32(0) {
        case 0xFEED_FACE, 0xFEED_FACF:
            return .machO(cpu: machOCPU(big.u32(4)), fat: false)
        case 0xCEFA_EDFE, 0xCFFA_EDFE:
            return .machO(cpu: machOCPU(little.u32(4)), fat: false)
        case 0xCAFE_BABE, 0xCAFE_BABF:
            // A Java class file starts the same way; its next word is a class-file version (45 or more), a
            // universal binary's is its number of architectures (a few).
            let count = big.u32(4)
            guard count >= 1, count < 30 else { return nil }
            return .machO(cpu: count == 1 && start.count >= 12 ? machOCPU(big.u32(8)) : nil, fat: true)
        default:
            break
        }
        return nil
    }

    /// An ELF header for a system other than Linux, by OS ABI (7) or interpreter, or nil.
    static func recognise(elf header: ELFHeader) -> ForeignExecutable? {
        let machine = ELFMachine.name(header.machine)
        if let interpreter = header.interpreter, interpreter.hasPrefix("/system/bin/linker") { return .android(machine: machine) }
        let systems: [UInt8: String] = [2: "NetBSD", 6: "Solaris/illumos", 9: "FreeBSD", 12: "OpenBSD"]
        return systems[header.osABI].map { .otherSystem(system: $0, machine: machine) }
    }

    private static func machOCPU(_ value: UInt32) -> String? {
        let names: [UInt32: String] = [7: "i386", 0x0100_0007: "x86_64", 12: "arm", 0x0100_000C: "arm64", 0x0200_000C: "arm64_32", 18: "ppc", 0x0100_0012: "ppc64"]
        return names[value]
    }
}

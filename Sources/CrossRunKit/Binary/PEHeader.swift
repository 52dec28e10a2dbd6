import FoundationEssentials
import Glibc

/// What crossrun reads from a Windows PE file's headers: the DOS stub's `e_lfanew` (0x3C) points at `PE\0\0`, then
/// the COFF header (machine, characteristics) and the optional header (magic PE32/PE32+, subsystem).
public struct PEHeader: Equatable, Sendable {
    /// COFF `Machine`: 0x8664 x86-64, 0x14C i386, 0xAA64 arm64, 0x1C4 ARM (ARMNT), ...
    public var machine: UInt16
    /// COFF `Characteristics` (0x2000: a DLL).
    public var characteristics: UInt16
    /// The optional header's magic: 0x10B PE32, 0x20B PE32+ (64-bit); nil when the file has no optional header.
    public var magic: UInt16?
    /// The optional header's `Subsystem` (3 console, 2 GUI, 10-13 EFI); nil when the file has no optional header.
    public var subsystem: UInt16?

    public static let machineX86_64: UInt16 = 0x8664
    public static let machineI386: UInt16 = 0x14C
    public static let machineARM64: UInt16 = 0xAA64
    public static let machineARMNT: UInt16 = 0x1C4

    public static let subsystemGUI: UInt16 = 2
    public static let subsystemConsole: UInt16 = 3
    public static let characteristicDLL: UInt16 = 0x2000

    /// Machine short names as Runners/ files write them (`match.machine` with `format = "pe"`).
    static let machineNames: [UInt16: String] = [
        machineX86_64: "x86_64", machineI386: "i386", machineARM64: "arm64", machineARMNT: "arm", 0x1C0: "arm", 0x1C2: "thumb",
        0x200: "ia64", 0xA641: "arm64ec", 0x5064: "riscv64",
    ]

    /// The machine's short name (`x86_64`, `i386`, `arm64`), or `machine 0x1234`.
    public var machineName: String { Self.machineNames[machine] ?? "machine 0x" + String(machine, radix: 16) }

    /// Whether a Runners/ `match.machine` name is one crossrun knows for PE files.
    static func isMachineName(_ name: String) -> Bool { machineNames.values.contains(name) }

    public var isDLL: Bool { characteristics & Self.characteristicDLL != 0 }

    /// A console or GUI program: the subsystems wine runs.
    public var isWindowsProgram: Bool { subsystem == Self.subsystemConsole || subsystem == Self.subsystemGUI }

    /// An EFI application, boot-service or runtime driver, or ROM (subsystems 10 to 13).
    public var isEFI: Bool { (10...13).contains(subsystem ?? 0) }

    /// `PE32+` or `PE32`.
    public var formatName: String { magic == 0x20B ? "PE32+" : "PE32" }

    public var subsystemName: String {
        switch subsystem {
        case 1: return "native"
        case 2: return "GUI"
        case 3: return "console"
        case 5: return "OS/2 console"
        case 7: return "POSIX console"
        case 9: return "Windows CE"
        case 10: return "EFI application"
        case 11: return "EFI boot-service driver"
        case 12: return "EFI runtime driver"
        case 13: return "EFI ROM"
        case 14: return "Xbox"
        case 16: return "boot application"
        case nil: return "no subsystem"
        case let other?: return "subsystem \(other)"
        }
    }

    /// `PE32+ x86_64 console`.
    public var summary: String { "Windows \(formatName) \(isDLL ? "DLL" : "executable") \(machineName), \(subsystemName)" }

    /// The PE header behind an `MZ` stub, or nil when the file is not one (a DOS program, an offset past the end).
    static func parse(read: (UInt64, Int) throws -> [UInt8]) -> PEHeader? {
        guard let stub = try? read(0, 64), stub.count >= 64, stub[0] == UInt8(ascii: "M"), stub[1] == UInt8(ascii: "Z") else { return nil }
        let offset = ByteReader(bytes: stub, endianness: .little).u32(0x3C)
        guard offset < 1 << 20, let header = try? read(UInt64(offset), 24 + 72), header.count >= 24,
            Array(header[0..<4]) == [0x50, 0x45, 0, 0]
        else { return nil }
        let bytes = ByteReader(bytes: header, endianness: .little)
        var pe = PEHeader(machine: bytes.u16(4), characteristics: bytes.u16(22), magic: nil, subsystem: nil)
        let optionalSize = Int(bytes.u16(20))
        // Magic at the optional header's start, Subsystem 68 bytes in (the same place in PE32 and PE32+).
        if optionalSize >= 2, header.count >= 26 { pe.magic = bytes.u16(24) }
        if optionalSize >= 70, header.count >= 24 + 70 { pe.subsystem = bytes.u16(24 + 68) }
        return pe
    }

    /// Why wine cannot run this file here, as a ``ForeignExecutable`` refusal; nil when it can (an x86-64 or i386
    /// console or GUI executable).
    var refusal: ForeignExecutable? {
        let runnable = machine == Self.machineX86_64 || machine == Self.machineI386
        if runnable, !isDLL, isWindowsProgram { return nil }
        return .windowsPE(self)
    }
}

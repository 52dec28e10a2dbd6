/// The parts of an ELF file that decide how to run it: the file header, the program headers and the
/// interpreter (`PT_INTERP`) path. Pure parsing over bytes; see ``BinaryInspector`` for reading files.
public struct ELFHeader: Equatable, Sendable {
    public enum FileClass: Int, Sendable, Codable { case elf32 = 32, elf64 = 64 }
    public enum Endianness: String, Sendable, Codable { case little, big }

    public var fileClass: FileClass
    public var endianness: Endianness
    public var osABI: UInt8
    /// `e_type`: 2 executable, 3 shared object (PIE executables are 3 too).
    public var type: UInt16
    /// `e_machine`, see ``ELFMachine``.
    public var machine: UInt16
    public var flags: UInt32
    public var programHeaderOffset: UInt64
    public var programHeaderEntrySize: UInt16
    public var programHeaderCount: UInt16
    /// The `PT_INTERP` path (for example `/lib/ld-linux-aarch64.so.1`), or nil for a static binary.
    public var interpreter: String?
    /// Whether a `PT_DYNAMIC` segment exists (static-pie binaries have one but no interpreter).
    public var hasDynamicSegment: Bool

    public var isStatic: Bool { interpreter == nil }
}

/// What went wrong while parsing ELF bytes.
public enum ELFParseError: Error, Equatable, Sendable {
    case notELF
    case truncated(String)
    case invalid(String)
}

extension ELFHeader {
    /// ELF files start with these four bytes.
    public static let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]

    /// Parses an ELF file through `read(offset, count)`, which returns up to `count` bytes at `offset`
    /// (fewer at the end of the file). Only the header, the program header table and the interpreter are read.
    public static func parse(read: (UInt64, Int) throws -> [UInt8]) throws -> ELFHeader {
        let ident = try read(0, 64)
        guard ident.count >= 4, Array(ident[0..<4]) == magic else { throw ELFParseError.notELF }
        guard ident.count >= 16 else { throw ELFParseError.truncated("\(ident.count) bytes, shorter than the 16-byte identification") }
        guard let fileClass: FileClass = ident[4] == 1 ? .elf32 : ident[4] == 2 ? .elf64 : nil else {
            throw ELFParseError.invalid("unknown ELF class \(ident[4])")
        }
        guard let endianness: Endianness = ident[5] == 1 ? .little : ident[5] == 2 ? .big : nil else {
            throw ELFParseError.invalid("unknown ELF data encoding \(ident[5])")
        }
        let headerSize = fileClass == .elf64 ? 64 : 52
        guard ident.count >= headerSize else {
            throw ELFParseError.truncated("\(ident.count) bytes, shorter than the \(headerSize)-byte ELF header")
        }
        let bytes = ByteReader(bytes: ident, endianness: endianness)
        var header = ELFHeader(
            fileClass: fileClass, endianness: endianness, osABI: ident[7],
            type: bytes.u16(16), machine: bytes.u16(18), flags: 0,
            programHeaderOffset: 0, programHeaderEntrySize: 0, programHeaderCount: 0,
            interpreter: nil, hasDynamicSegment: false)
        if fileClass == .elf64 {
            header.programHeaderOffset = bytes.u64(32)
            header.flags = bytes.u32(48)
            header.programHeaderEntrySize = bytes.u16(54)
            header.programHeaderCount = bytes.u16(56)
        } else {
            header.programHeaderOffset = UInt64(bytes.u32(28))
            header.flags = bytes.u32(36)
            header.programHeaderEntrySize = bytes.u16(42)
            header.programHeaderCount = bytes.u16(44)
        }
        try header.readProgramHeaders(read: read)
        return header
    }

    private mutating func readProgramHeaders(read: (UInt64, Int) throws -> [UInt8]) throws {
        let count = Int(programHeaderCount)
        guard count > 0 else { return }
        let entrySize = Int(programHeaderEntrySize)
        let minimum = fileClass == .elf64 ? 56 : 32
        guard entrySize >= minimum else { throw ELFParseError.invalid("program header entries of \(entrySize) bytes") }
        guard count <= 4096 else { throw ELFParseError.invalid("\(count) program headers") }
        let table = try read(programHeaderOffset, count * entrySize)
        guard table.count == count * entrySize else {
            throw ELFParseError.truncated("the program header table at offset \(programHeaderOffset) is cut short")
        }
        let bytes = ByteReader(bytes: table, endianness: endianness)
        for index in 0..<count {
            let base = index * entrySize
            let type = bytes.u32(base)
            if type == 2 { hasDynamicSegment = true }  // PT_DYNAMIC
            guard type == 3 else { continue }  // PT_INTERP
            let offset: UInt64
            let size: UInt64
            if fileClass == .elf64 {
                offset = bytes.u64(base + 8)
                size = bytes.u64(base + 32)
            } else {
                offset = UInt64(bytes.u32(base + 4))
                size = UInt64(bytes.u32(base + 16))
            }
            guard size > 0, size <= 4096 else { throw ELFParseError.invalid("an interpreter path of \(size) bytes") }
            let path = try read(offset, Int(size))
            guard path.count == Int(size) else {
                throw ELFParseError.truncated("the interpreter path at offset \(offset) is cut short")
            }
            let text = path.prefix { $0 != 0 }
            interpreter = String(decoding: text, as: UTF8.self)
        }
    }
}

/// Reads fixed-width integers from a byte array in the file's endianness.
struct ByteReader {
    let bytes: [UInt8]
    let endianness: ELFHeader.Endianness

    func u16(_ at: Int) -> UInt16 { UInt16(truncatingIfNeeded: value(at, 2)) }
    func u32(_ at: Int) -> UInt32 { UInt32(truncatingIfNeeded: value(at, 4)) }
    func u64(_ at: Int) -> UInt64 { value(at, 8) }

    private func value(_ at: Int, _ width: Int) -> UInt64 {
        var result: UInt64 = 0
        for index in 0..<width {
            let byte = UInt64(bytes[at + index])
            switch endianness {
            case .little: result |= byte << (8 * UInt64(index))
            case .big: result = (result << 8) | byte
            }
        }
        return result
    }
}

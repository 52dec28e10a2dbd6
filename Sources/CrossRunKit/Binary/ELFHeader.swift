/// The parts of an ELF file that decide how to run it: the file header, the program headers and the
/// interpreter (`PT_INTERP`) path. Pure parsing over bytes; see ``BinaryInspector`` for reading files.
public struct ELFHeader: Equatable, Sendable {
    public enum FileClass: Int, Sendable, Codable { case elf32 = 32, elf64 = 64 }
    public enum Endianness: String, Sendable, Codable, CaseIterable { case little, big }

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
    /// The lowest virtual address of a `PT_LOAD` segment; nil when there is none.
    public var lowestLoadAddress: UInt64? = nil
    /// Whether a `PT_NOTE` segment holds the GNU ABI tag (`NT_GNU_ABI_TAG`), which glibc-linked Linux binaries carry.
    public var hasABITag: Bool = false
    /// ARM build attributes (`.ARM.attributes`): the architecture and profile the code was built for.
    public var armAttributes: ARMAttributes? = nil

    public var isStatic: Bool { interpreter == nil }
}

/// The two ARM build attributes that tell an M-profile (Cortex-M) image from an A-profile Linux one.
public struct ARMAttributes: Equatable, Sendable {
    /// `Tag_CPU_arch` (6): 10 = v7, 11 = v6-M, 12 = v6S-M, 13 = v7E-M, 16 = v8-M.baseline, 17 = v8-M.mainline, ...
    public var cpuArch: UInt64?
    /// `Tag_CPU_arch_profile` (7): `A`, `R`, `M`, `S`, or nil when absent.
    public var profile: Character?

    /// `v6-M`, `v7-M`, `v7E-M`, `v8-M.base`, `v8-M.main`, `v8.1-M.main` for M-profile code; nil otherwise.
    public var mProfileArchitecture: String? {
        switch cpuArch {
        case 11, 12: return "v6-M"
        case 13: return "v7E-M"
        case 16: return "v8-M.base"
        case 17: return "v8-M.main"
        case 21: return "v8.1-M.main"
        case 10 where profile == "M": return "v7-M"
        default: return nil
        }
    }
}

extension ELFHeader {
    /// ELF files start with these four bytes.
    public static let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]

    /// Parses an ELF file through `read(offset, count)`, which returns up to `count` bytes at `offset`
    /// (fewer at the end of the file). Only the header, the program header table and the interpreter are read.
    /// Throws a ``CrossRunError`` with code `.notELF`, `.elfTruncated` or `.elfInvalid` (its `reason` the detail).
    public static func parse(read: (UInt64, Int) throws -> [UInt8]) throws -> ELFHeader {
        let ident = try read(0, 64)
        guard ident.count >= 4, Array(ident[0..<4]) == magic else { throw CrossRunError.notELF }
        guard ident.count >= 16 else { throw CrossRunError.elfTruncated("\(ident.count) bytes, shorter than the 16-byte identification") }
        guard let fileClass: FileClass = ident[4] == 1 ? .elf32 : ident[4] == 2 ? .elf64 : nil else {
            throw CrossRunError.elfInvalid("unknown ELF class \(ident[4])")
        }
        guard let endianness: Endianness = ident[5] == 1 ? .little : ident[5] == 2 ? .big : nil else {
            throw CrossRunError.elfInvalid("unknown ELF data encoding \(ident[5])")
        }
        let headerSize = fileClass == .elf64 ? 64 : 52
        guard ident.count >= headerSize else {
            throw CrossRunError.elfTruncated("\(ident.count) bytes, shorter than the \(headerSize)-byte ELF header")
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
        if header.machine == ELFMachine.arm, endianness == .little {
            let sections = fileClass == .elf64
                ? (offset: bytes.u64(40), entrySize: bytes.u16(58), count: bytes.u16(60))
                : (offset: UInt64(bytes.u32(32)), entrySize: bytes.u16(46), count: bytes.u16(48))
            header.armAttributes = Self.armAttributes(sections: sections, endianness: endianness, read: read)
        }
        return header
    }

    /// `.ARM.attributes` (section type `SHT_ARM_ATTRIBUTES`), read leniently: a file cut short or an odd
    /// section just has none, since the attributes only refine which runner fits.
    static func armAttributes(
        sections: (offset: UInt64, entrySize: UInt16, count: UInt16), endianness: Endianness, read: (UInt64, Int) throws -> [UInt8]) -> ARMAttributes? {
        let count = Int(sections.count)
        let entrySize = Int(sections.entrySize)
        guard sections.offset > 0, count > 0, count <= 4096, entrySize >= 40,
            (try? checkRange("e_shoff", offset: sections.offset, size: UInt64(count * entrySize))) != nil,
            let table = try? read(sections.offset, count * entrySize), table.count == count * entrySize
        else { return nil }
        let bytes = ByteReader(bytes: table, endianness: endianness)
        for index in 0..<count where bytes.u32(index * entrySize + 4) == 0x7000_0003 {
            let offset = UInt64(bytes.u32(index * entrySize + 16))
            let size = Int(bytes.u32(index * entrySize + 20))
            guard size > 0, size <= 1 << 16, let data = try? read(offset, size), data.count == size else { return nil }
            return parseARMAttributes(data)
        }
        return nil
    }

    /// Parses the `aeabi` subsection's file-scope attributes (ARM IHI 0045, "Build attributes").
    static func parseARMAttributes(_ data: [UInt8]) -> ARMAttributes? {
        guard data.first == UInt8(ascii: "A") else { return nil }
        var result = ARMAttributes()
        var position = 1
        func u32(_ at: Int) -> Int {
            Int(data[at]) | Int(data[at + 1]) << 8 | Int(data[at + 2]) << 16 | Int(data[at + 3]) << 24
        }
        func uleb(_ cursor: inout Int, end: Int) -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while cursor < end, shift < 64 {
                let byte = data[cursor]
                cursor += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while position + 4 <= data.count {
            let length = u32(position)
            let end = position + length
            guard length >= 5, end <= data.count else { break }
            var cursor = position + 4
            let vendorStart = cursor
            while cursor < end, data[cursor] != 0 { cursor += 1 }
            let vendor = String(decoding: data[vendorStart..<cursor], as: UTF8.self)
            cursor += 1
            if vendor == "aeabi" {
                // Sub-subsections: tag (1 = whole file), 4-byte size, then attributes.
                while cursor + 5 <= end {
                    let scope = data[cursor]
                    let subEnd = min(end, cursor + u32(cursor + 1))
                    guard subEnd > cursor + 5 else { break }
                    var at = cursor + 5
                    if scope == 1 {
                        while at < subEnd, let tag = uleb(&at, end: subEnd) {
                            // Tags 4, 5, 67 and odd tags above 32 hold strings; 32 a number and a string.
                            let isString = tag == 4 || tag == 5 || tag == 67 || (tag > 32 && tag % 2 == 1)
                            if isString {
                                while at < subEnd, data[at] != 0 { at += 1 }
                                at += 1
                                continue
                            }
                            guard let value = uleb(&at, end: subEnd) else { break }
                            if tag == 32 {
                                while at < subEnd, data[at] != 0 { at += 1 }
                                at += 1
                            }
                            if tag == 6 { result.cpuArch = value }
                            if tag == 7 { result.profile = value == 0 ? nil : Character(UnicodeScalar(UInt8(truncatingIfNeeded: value))) }
                        }
                    }
                    cursor = subEnd
                }
            }
            position = end
        }
        return result.cpuArch == nil && result.profile == nil ? nil : result
    }

    /// The largest offset any file can have (`off_t` is signed): a field past it is a damaged header, not a
    /// short file. Checked before every read, so that no file-provided number reaches an `off_t` or `Int`
    /// conversion that traps.
    static let largestOffset = UInt64(Int64.max)

    /// Checks that `size` bytes at `offset` (the value of `field`) lie within the offsets a file can have.
    static func checkRange(_ field: String, offset: UInt64, size: UInt64) throws {
        let (end, overflow) = offset.addingReportingOverflow(size)
        guard !overflow, end <= largestOffset else {
            throw CrossRunError.elfInvalid("\(field) 0x\(String(offset, radix: 16)) is past the end of any file")
        }
    }

    private mutating func readProgramHeaders(read: (UInt64, Int) throws -> [UInt8]) throws {
        let count = Int(programHeaderCount)
        guard count > 0 else { return }
        let entrySize = Int(programHeaderEntrySize)
        let minimum = fileClass == .elf64 ? 56 : 32
        guard entrySize >= minimum else { throw CrossRunError.elfInvalid("program header entries of \(entrySize) bytes") }
        guard count <= 4096 else { throw CrossRunError.elfInvalid("\(count) program headers") }
        try Self.checkRange("e_phoff", offset: programHeaderOffset, size: UInt64(count * entrySize))
        let table = try read(programHeaderOffset, count * entrySize)
        guard table.count == count * entrySize else {
            throw CrossRunError.elfTruncated("the program header table at offset \(programHeaderOffset) is cut short")
        }
        let bytes = ByteReader(bytes: table, endianness: endianness)
        for index in 0..<count {
            let base = index * entrySize
            let type = bytes.u32(base)
            if type == 2 { hasDynamicSegment = true }  // PT_DYNAMIC
            if type == 1 {  // PT_LOAD
                let address = fileClass == .elf64 ? bytes.u64(base + 16) : UInt64(bytes.u32(base + 8))
                lowestLoadAddress = min(lowestLoadAddress ?? address, address)
            }
            if type == 4 {  // PT_NOTE
                let offset = fileClass == .elf64 ? bytes.u64(base + 8) : UInt64(bytes.u32(base + 4))
                let size = fileClass == .elf64 ? bytes.u64(base + 32) : UInt64(bytes.u32(base + 16))
                // A note cut short or too big is read leniently (the tag only refines the guess), but an offset no
                // file can have is a damaged header.
                try Self.checkRange("PT_NOTE p_offset", offset: offset, size: min(size, 4096))
                if size <= 4096, let notes = try? read(offset, Int(size)), notes.count == Int(size),
                    Self.containsABITag(notes, endianness: endianness)
                {
                    hasABITag = true
                }
            }
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
            guard size > 0, size <= 4096 else { throw CrossRunError.elfInvalid("an interpreter path of \(size) bytes") }
            try Self.checkRange("PT_INTERP p_offset", offset: offset, size: size)
            let path = try read(offset, Int(size))
            guard path.count == Int(size) else {
                throw CrossRunError.elfTruncated("the interpreter path at offset \(offset) is cut short")
            }
            let text = path.prefix { $0 != 0 }
            interpreter = String(decoding: text, as: UTF8.self)
        }
    }
}

extension ELFHeader {
    /// Whether a note segment holds a `GNU` note of type 1 (`NT_GNU_ABI_TAG`, "built for this OS").
    static func containsABITag(_ notes: [UInt8], endianness: Endianness) -> Bool {
        let bytes = ByteReader(bytes: notes, endianness: endianness)
        var at = 0
        while at + 12 <= notes.count {
            let nameSize = Int(bytes.u32(at))
            let descSize = Int(bytes.u32(at + 4))
            let type = bytes.u32(at + 8)
            let nameStart = at + 12
            guard nameSize <= 256, descSize <= 4096, nameStart + nameSize <= notes.count else { return false }
            let name = notes[nameStart..<nameStart + nameSize].prefix { $0 != 0 }
            if type == 1, Array(name) == Array("GNU".utf8) { return true }
            at = nameStart + (nameSize + 3) & ~3
            at += (descSize + 3) & ~3
        }
        return false
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

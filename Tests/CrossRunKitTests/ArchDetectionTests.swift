import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// Issue 15: the runner for every Linux architecture qemu-user runs, picked from what the header says (machine,
/// class, byte order, MIPS ABI and ISA level, PowerPC64 ELF ABI version), on the recorded heads of Fixtures/elf.
@Suite("Linux architecture detection")
struct ArchDetectionTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var file: String
        var runner: String?
        var elfABI: ELFABI?
        var isa: String?
        /// What the one-line summary starts with.
        var summary: String
        var testDescription: String { file }
    }

    static let rows: [Row] = [
        Row(file: "i386-dynamic.elf-head", runner: "i686", summary: "ELF 32-bit little-endian i386, dynamic (/lib/ld-linux.so.2)"),
        Row(file: "i386-static.elf-head", runner: "i686", summary: "ELF 32-bit little-endian i386, static"),
        Row(file: "x86_64-dynamic.elf-head", runner: "x86_64", summary: "ELF 64-bit little-endian x86_64, dynamic"),
        Row(file: "powerpc-static.elf-head", runner: "powerpc", summary: "ELF 32-bit big-endian ppc, static"),
        Row(file: "powerpc64-dynamic.elf-head", runner: "powerpc64", elfABI: .elfv1,
            summary: "ELF 64-bit big-endian ppc64 elfv1, dynamic (/lib64/ld64.so.1)"),
        Row(file: "ppc64el-dynamic.elf-head", runner: "powerpc64le", elfABI: .elfv2,
            summary: "ELF 64-bit little-endian ppc64 elfv2, dynamic (/lib64/ld64.so.2)"),
        Row(file: "ppc64el-static.elf-head", runner: "powerpc64le", elfABI: .elfv2, summary: "ELF 64-bit little-endian ppc64 elfv2, static"),
        Row(file: "s390x-dynamic.elf-head", runner: "s390x", summary: "ELF 64-bit big-endian s390, dynamic (/lib/ld64.so.1)"),
        Row(file: "s390x-static.elf-head", runner: "s390x", summary: "ELF 64-bit big-endian s390, static"),
        Row(file: "mips-static.elf-head", runner: "mips", elfABI: .o32, isa: "mips32r2", summary: "ELF 32-bit big-endian mips o32 mips32r2, static"),
        Row(file: "mipsel-dynamic.elf-head", runner: "mipsel", elfABI: .o32, isa: "mips32r2",
            summary: "ELF 32-bit little-endian mips o32 mips32r2, dynamic (/lib/ld.so.1)"),
        Row(file: "mipsel-static.elf-head", runner: "mipsel", elfABI: .o32, isa: "mips32r2", summary: "ELF 32-bit little-endian mips o32 mips32r2, static"),
        Row(file: "mips64-dynamic.elf-head", runner: "mips64", elfABI: .n64, isa: "mips64r2",
            summary: "ELF 64-bit big-endian mips n64 mips64r2, dynamic (/lib64/ld.so.1)"),
        Row(file: "mips64el-static.elf-head", runner: "mips64el", elfABI: .n64, isa: "mips64r2", summary: "ELF 64-bit little-endian mips n64 mips64r2, static"),
        Row(file: "mipsn32-static.elf-head", runner: "mipsn32", elfABI: .n32, isa: "mips64r2", summary: "ELF 32-bit big-endian mips n32 mips64r2, static"),
        Row(file: "mipsisa32r6-static.elf-head", runner: "mipsisa32r6", elfABI: .o32, isa: "mips32r6",
            summary: "ELF 32-bit big-endian mips o32 mips32r6, static"),
        Row(file: "mipsisa64r6el-dynamic.elf-head", runner: "mipsisa64r6el", elfABI: .n64, isa: "mips64r6",
            summary: "ELF 64-bit little-endian mips n64 mips64r6, dynamic (/lib64/ld-linux-mipsn8.so.1)"),
        Row(file: "sparc64-static.elf-head", runner: "sparc64", summary: "ELF 64-bit big-endian sparcv9, static"),
        // Negative rows: big-endian ELFv2 (musl's ABI) is neither powerpc64 (ELFv1) nor powerpc64le (little-endian).
        Row(file: "ppc64-elfv2-be-static.elf-head", runner: nil, elfABI: .elfv2, summary: "ELF 64-bit big-endian ppc64 elfv2, static"),
        Row(file: "hppa-static.elf-head", runner: nil, summary: "ELF 32-bit big-endian parisc, static"),
    ]

    @Test("the runner, ABI, ISA level and summary from a recorded header", arguments: rows)
    func detection(row: Row) throws {
        let info = try BinaryInspector.inspect(path: row.file, read: reader(Fixtures.elf(row.file)))
        #expect(try TargetCatalog.builtIn().definition(for: info)?.name == row.runner)
        #expect(info.elfABI == row.elfABI)
        #expect(info.isa == row.isa)
        #expect(info.environment == .linux)
        #expect(info.summary.hasPrefix(row.summary), "\(info.summary)")
    }

    /// A runner that must not take a binary, though machine, class and byte order fit.
    @Test("runners refuse binaries of another ABI or ISA level of the same machine", arguments: [
        ("mipsn32-static.elf-head", "mips"),  // n32 is not o32, though both are ELF32
        ("mipsn32-static.elf-head", "mips64"),  // n32 is not n64
        ("mips64-dynamic.elf-head", "mipsn32"),
        ("mipsisa32r6-static.elf-head", "mips"),  // release 6 needs an R6 CPU
        ("mips-static.elf-head", "mipsisa32r6"),  // and an R6 CPU does not run release 2
        ("mipsisa64r6el-dynamic.elf-head", "mips64el"),
        ("mips64el-static.elf-head", "mipsisa64r6el"),
        ("ppc64-elfv2-be-static.elf-head", "powerpc64"),
        ("ppc64el-static.elf-head", "powerpc64"),
        ("powerpc64-dynamic.elf-head", "powerpc64le"),
        ("mipsel-static.elf-head", "mips"),  // byte order
        ("i386-static.elf-head", "x86_64"),  // class
    ])
    func negative(file: String, runner: String) throws {
        let info = try BinaryInspector.inspect(path: file, read: reader(Fixtures.elf(file)))
        let definition = try TargetCatalog.builtIn().definition(named: runner)
        #expect(!definition.matches(info))
    }

    @Test("--target may name a runner of another ABI of the same machine, class and byte order")
    func explicitTargetSkipsABI() throws {
        let catalog = try TargetCatalog.builtIn()
        let elfv2 = try BinaryInspector.inspect(path: "f", read: reader(Fixtures.elf("ppc64-elfv2-be-static.elf-head")))
        #expect(try catalog.definition(named: "powerpc64").isCompatible(with: elfv2))
        #expect(try !catalog.definition(named: "powerpc64le").isCompatible(with: elfv2))
        let n32 = try BinaryInspector.inspect(path: "f", read: reader(Fixtures.elf("mipsn32-static.elf-head")))
        #expect(try !catalog.definition(named: "mips64").isCompatible(with: n32))
    }

    /// A LoongArch64 header built here: Debian 12 has no LoongArch compiler to record one with.
    static func loongArchHeader(flags: UInt32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes[0..<4] = [0x7F, 0x45, 0x4C, 0x46]
        bytes[4] = 2  // ELFCLASS64
        bytes[5] = 1  // little-endian
        bytes[6] = 1  // EV_CURRENT
        bytes[16] = 2  // ET_EXEC
        bytes[18] = 0x02
        bytes[19] = 0x01  // EM_LOONGARCH 258
        bytes[20] = 1
        for index in 0..<4 { bytes[48 + index] = UInt8(truncatingIfNeeded: flags >> (8 * UInt32(index))) }
        bytes[52] = 64  // e_ehsize
        bytes[54] = 56  // e_phentsize
        return bytes
    }

    @Test("a LoongArch64 header picks loongarch64 and shows its float ABI",
          arguments: [(UInt32(0x43), FloatABI?.some(.double)), (0x41, .soft), (0x42, .single), (0x40, nil)])
    func loongArch(flags: UInt32, floatABI: FloatABI?) throws {
        let info = try BinaryInspector.inspect(path: "la", read: reader(Self.loongArchHeader(flags: flags)))
        #expect(info.machineName == "loongarch")
        #expect(info.floatABI == floatABI)
        #expect(info.elfABI == nil)
        #expect(try TargetCatalog.builtIn().definition(for: info)?.name == "loongarch64")
        #expect(info.summary.hasPrefix("ELF 64-bit little-endian loongarch"))
        #expect(info.summary.hasSuffix(", static"))
    }

    @Test("MIPS e_flags: ABI field and ISA levels", arguments: [
        (UInt32(0x1000), ELFHeader.FileClass.elf32, ELFABI?.some(.o32), "mips1"),
        (0x0000_0000, .elf32, .o32, "mips1"),  // no ABI bits in a 32-bit file: o32
        (0x2000_0020, .elf32, .n32, "mips3"),
        (0x3000_2000, .elf32, .o64, "mips4"),
        (0x5000_3000, .elf32, .eabi32, "mips32"),
        (0x6000_4000, .elf64, .eabi64, "mips64"),
        (0x6000_0000, .elf64, .n64, "mips64"),
        (0x4000_0000, .elf64, .n64, "mips5"),
        (0x1000_1000, .elf32, .o32, "mips2"),
        (0xA000_0000, .elf64, .n64, "mips64r6"),
        (0xB000_1000, .elf32, .o32, "mips-arch 0xb"),
        (0x0000_5000, .elf32, nil, "mips1"),
    ])
    func mipsFlags(flags: UInt32, fileClass: ELFHeader.FileClass, abi: ELFABI?, isa: String) {
        let header = ELFHeader(
            fileClass: fileClass, endianness: .big, osABI: 0, type: 2, machine: ELFMachine.mips, flags: flags,
            programHeaderOffset: 0, programHeaderEntrySize: 0, programHeaderCount: 0, interpreter: nil, hasDynamicSegment: false)
        let info = BinaryInfo(path: "m", format: .elf(header))
        #expect(info.elfABI == abi)
        #expect(info.isa == isa)
    }

    @Test("PowerPC64 e_flags: 2 is ELFv2, 1 or 0 (unset) ELFv1; 3 is neither and matches no runner",
          arguments: [(UInt32(0), ELFABI?.some(.elfv1), "powerpc64"), (1, .elfv1, "powerpc64"), (2, .elfv2, nil), (3, nil, nil)])
    func ppc64Flags(flags: UInt32, abi: ELFABI?, runner: String?) throws {
        let header = ELFHeader(
            fileClass: .elf64, endianness: .big, osABI: 0, type: 2, machine: ELFMachine.powerPC64, flags: flags,
            programHeaderOffset: 0, programHeaderEntrySize: 0, programHeaderCount: 0, interpreter: "/lib64/ld64.so.1", hasDynamicSegment: true)
        let info = BinaryInfo(path: "p", format: .elf(header))
        #expect(info.elfABI == abi)
        #expect(info.isa == nil)
        #expect(try TargetCatalog.builtIn().definition(for: info)?.name == runner)
    }

    static let base = """
        name = "t"
        description = "t"
        rust-targets = []
        [match]
        machine = "mips"
        class = 32
        endian = "big"
        MATCH-LINE
        [emulator]
        kind = "qemu-user"
        candidates = ["qemu-mips-static"]
        install-hint = "apt-get install qemu-user-static"
        [sysroot]
        debian = []
        install-hint = "x"
        """

    @Test("elf-abi and isa are checked strictly when a runner file is read", arguments: [
        ("elf-abi = \"o33\"", "bad value for match.elf-abi: \"o33\" is not one of"),
        ("elf-abi = \"elfv2\"", "match.elf-abi \"elfv2\" is for ppc64 binaries, not mips"),
        ("isa = [\"mips32r7\"]", "match.isa \"mips32r7\" is not a MIPS ISA level"),
        ("isa = []", "match.isa is empty"),
        ("isa = \"mips32\"", "wrong type for match.isa: expected an array of strings"),
        ("elf-abis = \"o32\"", "unknown key \"elf-abis\" in [match]"),
        // Values no key takes: a float, a date inside an array.
        ("float-abi = 1.5", "wrong type for match.float-abi: expected a string"),
        ("isa = [2024-01-01]", "wrong type for match.isa: expected an array of strings"),
    ])
    func strictParse(line: String, message: String) throws {
        let text = Self.base.replacingOccurrences(of: "MATCH-LINE", with: line)
        let error = #expect(throws: CrossRunError.self) { try RunnerDefinition.parse(toml: text, source: "t.toml") }
        #expect(error?.code == .invalidRunnerDefinition)
        #expect(error?.description.contains(message) == true, "\(String(describing: error?.description))")
        #expect(error.map { !$0.description.contains("\n") } == true)
        // The same file with a good value parses.
        _ = try RunnerDefinition.parse(toml: Self.base.replacingOccurrences(of: "MATCH-LINE", with: "elf-abi = \"o32\"\nisa = [\"mips32r2\"]"), source: "t.toml")
    }

    @Test("isa is for mips runners only")
    func isaOnlyForMIPS() throws {
        let text = Self.base.replacingOccurrences(of: "MATCH-LINE", with: "isa = [\"mips32\"]").replacingOccurrences(of: "machine = \"mips\"", with: "machine = \"ppc\"")
        let error = #expect(throws: CrossRunError.self) { try RunnerDefinition.parse(toml: text, source: "t.toml") }
        #expect(error?.description.contains("match.isa is read for mips binaries only, not ppc") == true)
    }

    @Test("the x86_64 runner is the host's own on an x86-64 machine, and crossrun setup leaves it out",
          .enabled(if: HostMachine.machine == ELFMachine.x86_64))
    func x86_64IsHostNative() throws {
        let catalog = try TargetCatalog.builtIn()
        #expect(try catalog.definition(named: "x86_64").isHostNative)
        #expect(try !catalog.definition(named: "i686").isHostNative)
        let defaults = try CargoSetup(catalog: catalog, searchPath: "/nonexistent").triples(for: [])
        #expect(!defaults.contains("x86_64-unknown-linux-gnu"))
        #expect(defaults.contains("i686-unknown-linux-gnu"))
        #expect(defaults.contains("powerpc64le-unknown-linux-gnu"))
        #expect(defaults.contains("mips64el-unknown-linux-gnuabi64"))
        #expect(CrossToolchain(rustTarget: "sparc64-unknown-linux-gnu")?.linker == "sparc64-linux-gnu-gcc")
        #expect(CrossToolchain(rustTarget: "i586-unknown-linux-gnu")?.linker == "i686-linux-gnu-gcc")
    }
}

import Foundation
import Testing

@testable import CrossRunKit

/// One row of Fixtures/elf/README.md: what `readelf -h -l` says about a recorded head.
struct ELFFixture: Sendable, CustomTestStringConvertible {
    enum Interpreter: Sendable, Equatable {
        case path(String)
        case none
        /// PT_INTERP points outside the recorded 4096-byte head.
        case outsideHead
    }

    var file: String
    var fileClass: ELFHeader.FileClass
    var endianness: ELFHeader.Endianness
    var osABI: UInt8
    var type: UInt16
    var machine: UInt16
    var flags: UInt32
    var interpreter: Interpreter
    var programHeaderOffset: UInt64
    var programHeaderEntrySize: UInt16
    var programHeaderCount: UInt16
    /// The Runners/ definition crossrun should pick, nil for none.
    var runner: String?

    var testDescription: String { file }

    // Values from the README's two tables (readelf on Debian 12), not from crossrun.
    static let all: [ELFFixture] = [
        .init(file: "aarch64-dynamic.elf-head", fileClass: .elf64, endianness: .little, osABI: 0, type: 3, machine: 183, flags: 0x0,
              interpreter: .path("/lib/ld-linux-aarch64.so.1"), programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 10, runner: "aarch64"),
        .init(file: "aarch64-static.elf-head", fileClass: .elf64, endianness: .little, osABI: 3, type: 2, machine: 183, flags: 0x0,
              interpreter: .none, programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 6, runner: "aarch64"),
        .init(file: "armv7-hardfloat-dynamic.elf-head", fileClass: .elf32, endianness: .little, osABI: 0, type: 3, machine: 40, flags: 0x5000400,
              interpreter: .path("/lib/ld-linux-armhf.so.3"), programHeaderOffset: 52, programHeaderEntrySize: 32, programHeaderCount: 10, runner: "armv7"),
        .init(file: "armel-softfloat-dynamic.elf-head", fileClass: .elf32, endianness: .little, osABI: 0, type: 3, machine: 40, flags: 0x5000200,
              interpreter: .path("/lib/ld-linux.so.3"), programHeaderOffset: 52, programHeaderEntrySize: 32, programHeaderCount: 9, runner: "armel"),
        .init(file: "riscv64-dynamic.elf-head", fileClass: .elf64, endianness: .little, osABI: 0, type: 3, machine: 243, flags: 0x5,
              interpreter: .path("/lib/ld-linux-riscv64-lp64d.so.1"), programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 10, runner: "riscv64"),
        .init(file: "riscv64-static.elf-head", fileClass: .elf64, endianness: .little, osABI: 0, type: 2, machine: 243, flags: 0x5,
              interpreter: .none, programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 7, runner: "riscv64"),
        .init(file: "x86_64-dynamic.elf-head", fileClass: .elf64, endianness: .little, osABI: 0, type: 3, machine: 62, flags: 0x0,
              interpreter: .path("/lib64/ld-linux-x86-64.so.2"), programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 13, runner: "x86_64"),
        .init(file: "i386-dynamic.elf-head", fileClass: .elf32, endianness: .little, osABI: 0, type: 3, machine: 3, flags: 0x0,
              interpreter: .path("/lib/ld-linux.so.2"), programHeaderOffset: 52, programHeaderEntrySize: 32, programHeaderCount: 11, runner: "i686"),
        .init(file: "i386-static.elf-head", fileClass: .elf32, endianness: .little, osABI: 3, type: 2, machine: 3, flags: 0x0,
              interpreter: .none, programHeaderOffset: 52, programHeaderEntrySize: 32, programHeaderCount: 8, runner: "i686"),
        .init(file: "ppc64el-dynamic.elf-head", fileClass: .elf64, endianness: .little, osABI: 0, type: 3, machine: 21, flags: 0x2,
              interpreter: .path("/lib64/ld64.so.2"), programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 8, runner: "powerpc64le"),
        .init(file: "ppc64el-static.elf-head", fileClass: .elf64, endianness: .little, osABI: 3, type: 2, machine: 21, flags: 0x2,
              interpreter: .none, programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 6, runner: "powerpc64le"),
        .init(file: "s390x-dynamic.elf-head", fileClass: .elf64, endianness: .big, osABI: 0, type: 3, machine: 22, flags: 0x0,
              interpreter: .path("/lib/ld64.so.1"), programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 9, runner: "s390x"),
        .init(file: "s390x-static.elf-head", fileClass: .elf64, endianness: .big, osABI: 3, type: 2, machine: 22, flags: 0x0,
              interpreter: .none, programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 6, runner: "s390x"),
        .init(file: "mips64el-dynamic.elf-head", fileClass: .elf64, endianness: .little, osABI: 0, type: 3, machine: 8, flags: 0x8000_0007,
              interpreter: .outsideHead, programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 10, runner: "mips64el"),
        .init(file: "mips64el-static.elf-head", fileClass: .elf64, endianness: .little, osABI: 0, type: 2, machine: 8, flags: 0x8000_0007,
              interpreter: .none, programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 7, runner: "mips64el"),
        .init(file: "mipsel-dynamic.elf-head", fileClass: .elf32, endianness: .little, osABI: 0, type: 3, machine: 8, flags: 0x7000_1007,
              interpreter: .path("/lib/ld.so.1"), programHeaderOffset: 52, programHeaderEntrySize: 32, programHeaderCount: 11, runner: "mipsel"),
        .init(file: "mipsel-static.elf-head", fileClass: .elf32, endianness: .little, osABI: 0, type: 2, machine: 8, flags: 0x7000_1007,
              interpreter: .none, programHeaderOffset: 52, programHeaderEntrySize: 32, programHeaderCount: 8, runner: "mipsel"),
        .init(file: "mips-static.elf-head", fileClass: .elf32, endianness: .big, osABI: 0, type: 2, machine: 8, flags: 0x7000_1007,
              interpreter: .none, programHeaderOffset: 52, programHeaderEntrySize: 32, programHeaderCount: 6, runner: "mips"),
        .init(file: "powerpc-static.elf-head", fileClass: .elf32, endianness: .big, osABI: 0, type: 2, machine: 20, flags: 0x8000,
              interpreter: .none, programHeaderOffset: 52, programHeaderEntrySize: 32, programHeaderCount: 5, runner: "powerpc"),
        .init(file: "sparc64-static.elf-head", fileClass: .elf64, endianness: .big, osABI: 0, type: 2, machine: 43, flags: 0x2,
              interpreter: .none, programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 4, runner: "sparc64"),
        // Recorded for the runners of issue 15 (Fixtures/elf/README.md, "Added targets").
        .init(file: "powerpc64-dynamic.elf-head", fileClass: .elf64, endianness: .big, osABI: 0, type: 3, machine: 21, flags: 0x1,
              interpreter: .path("/lib64/ld64.so.1"), programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 8, runner: "powerpc64"),
        .init(file: "mips64-dynamic.elf-head", fileClass: .elf64, endianness: .big, osABI: 0, type: 3, machine: 8, flags: 0x8000_0007,
              interpreter: .path("/lib64/ld.so.1"), programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 9, runner: "mips64"),
        .init(file: "mipsisa64r6el-dynamic.elf-head", fileClass: .elf64, endianness: .little, osABI: 0, type: 3, machine: 8, flags: 0xA000_0407,
              interpreter: .path("/lib64/ld-linux-mipsn8.so.1"), programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 9,
              runner: "mipsisa64r6el"),
        .init(file: "mipsisa32r6-static.elf-head", fileClass: .elf32, endianness: .big, osABI: 0, type: 2, machine: 8, flags: 0x9000_1407,
              interpreter: .none, programHeaderOffset: 52, programHeaderEntrySize: 32, programHeaderCount: 6, runner: "mipsisa32r6"),
        .init(file: "mipsn32-static.elf-head", fileClass: .elf32, endianness: .big, osABI: 0, type: 2, machine: 8, flags: 0x8000_0027,
              interpreter: .none, programHeaderOffset: 52, programHeaderEntrySize: 32, programHeaderCount: 6, runner: "mipsn32"),
        // Big-endian ELFv2 (musl's PowerPC64 ABI): no built-in runner matches it (powerpc64 is ELFv1).
        .init(file: "ppc64-elfv2-be-static.elf-head", fileClass: .elf64, endianness: .big, osABI: 0, type: 2, machine: 21, flags: 0x2,
              interpreter: .none, programHeaderOffset: 64, programHeaderEntrySize: 56, programHeaderCount: 4, runner: nil),
        // PA-RISC: a machine crossrun has no runner for.
        .init(file: "hppa-static.elf-head", fileClass: .elf32, endianness: .big, osABI: 3, type: 2, machine: 15, flags: 0x210,
              interpreter: .none, programHeaderOffset: 52, programHeaderEntrySize: 32, programHeaderCount: 3, runner: nil),
        // Bare metal: same machine, flags and OS/ABI as an armel Linux static binary (see the README's notes).
        // Which runner it should get is a design question, so `runner` is not checked for it (see catalogue test).
        .init(file: "arm-none-eabi-cortex-m3.elf-head", fileClass: .elf32, endianness: .little, osABI: 0, type: 2, machine: 40, flags: 0x5000200,
              interpreter: .none, programHeaderOffset: 52, programHeaderEntrySize: 32, programHeaderCount: 2, runner: "?"),
    ]

    static var parsable: [ELFFixture] { all.filter { $0.interpreter != .outsideHead } }
}

@Suite("ELF headers of recorded binaries")
struct ELFHeaderTests {
    @Test("the table covers every .elf-head fixture")
    func tableCoversEveryFixture() throws {
        let folder = try Fixtures.url("elf").path
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".elf-head") }
        #expect(Set(onDisk) == Set(ELFFixture.all.map(\.file)))
        #expect(ELFFixture.all.count == 28)
    }

    @Test("header fields match readelf (bytes through a read closure)", arguments: ELFFixture.parsable)
    func headerThroughReadClosure(fixture: ELFFixture) throws {
        let bytes = try Fixtures.elf(fixture.file)
        let info = try BinaryInspector.inspect(path: fixture.file, read: reader(bytes))
        try check(info, against: fixture)
        #expect(info.path == fixture.file)
    }

    @Test("header fields match readelf (the file itself)", arguments: ELFFixture.parsable)
    func headerThroughFile(fixture: ELFFixture) throws {
        let path = try Fixtures.url("elf/" + fixture.file).path
        let info = try BinaryInspector.inspect(path: path)
        try check(info, against: fixture)
        #expect(info.path == path)
    }

    private func check(_ info: BinaryInfo, against fixture: ELFFixture) throws {
        let header = try #require(info.elf, "\(fixture.file) was not recognised as ELF")
        #expect(header.fileClass == fixture.fileClass)
        #expect(header.endianness == fixture.endianness)
        #expect(header.osABI == fixture.osABI)
        #expect(header.type == fixture.type)
        #expect(header.machine == fixture.machine)
        #expect(header.flags == fixture.flags)
        #expect(header.programHeaderOffset == fixture.programHeaderOffset)
        #expect(header.programHeaderEntrySize == fixture.programHeaderEntrySize)
        #expect(header.programHeaderCount == fixture.programHeaderCount)
        switch fixture.interpreter {
        case .path(let path):
            #expect(header.interpreter == path)
            #expect(!header.isStatic)
            #expect(info.summary.hasSuffix(", dynamic (\(path))"), "\(info.summary)")
        case .none, .outsideHead:
            #expect(header.interpreter == nil)
            #expect(header.isStatic)
            #expect(info.summary.hasSuffix(", static"), "\(info.summary)")
        }
        // The summary is one line that names the word size, the byte order and the machine.
        #expect(!info.summary.contains("\n"))
        #expect(info.summary.hasPrefix("ELF \(fixture.fileClass == .elf64 ? 64 : 32)-bit \(fixture.endianness == .little ? "little" : "big")-endian "))
        #expect(info.summary.contains(info.machineName))
    }

    @Test("an interpreter outside the recorded head is reported as truncated, not guessed")
    func mips64elInterpreterOutsideHead() throws {
        let file = "mips64el-dynamic.elf-head"
        let bytes = try Fixtures.elf(file)
        #expect(bytes.count == 4096)
        let viaClosure = #expect(throws: CrossRunError.self) { try BinaryInspector.inspect(path: file, read: reader(bytes)) }
        #expect(viaClosure?.code == .binaryTruncated, "\(String(describing: viaClosure))")

        let path = try Fixtures.url("elf/" + file).path
        let viaFile = #expect(throws: CrossRunError.self) { try BinaryInspector.inspect(path: path) }
        #expect(viaFile?.code == .binaryTruncated, "\(String(describing: viaFile))")
        #expect(viaFile?.subject == path)
        #expect(viaFile?.reason?.isEmpty == false)
        #expect(viaFile?.exitStatus == 125)
        #expect(viaFile.map { !$0.description.contains("\n") } == true)
    }

    @Test("the same interpreter is found when the file does reach PT_INTERP's offset")
    func mips64elInterpreterReadAtItsOffset() throws {
        // Pad the head with zeroes up to the recorded p_offset (0x106cc5) and put the path there: the reader
        // must seek to p_offset rather than assume the interpreter is in the first page.
        var bytes = try Fixtures.elf("mips64el-dynamic.elf-head")
        let offset = 0x106cc5
        bytes += [UInt8](repeating: 0, count: offset - bytes.count)
        bytes += Array("/lib64/ld.so.1".utf8) + [0]
        let info = try BinaryInspector.inspect(path: "mips64el", read: reader(bytes))
        #expect(info.elf?.interpreter == "/lib64/ld.so.1")
    }

    @Test("float ABI from e_flags", arguments: [
        ("armv7-hardfloat-dynamic.elf-head", FloatABI?.some(.hard)),
        ("armel-softfloat-dynamic.elf-head", .soft),
        ("arm-none-eabi-cortex-m3.elf-head", .soft),
        ("riscv64-dynamic.elf-head", .double),
        ("riscv64-static.elf-head", .double),
        ("aarch64-dynamic.elf-head", nil),
        ("x86_64-dynamic.elf-head", nil),
        ("mipsel-static.elf-head", nil),
    ])
    func floatABI(file: String, expected: FloatABI?) throws {
        let info = try BinaryInspector.inspect(path: file, read: reader(Fixtures.elf(file)))
        #expect(info.floatABI == expected)
    }

    @Test("summary lines")
    func summaries() throws {
        func summary(_ file: String) throws -> String {
            try BinaryInspector.inspect(path: file, read: reader(Fixtures.elf(file))).summary
        }
        // The example given in BinaryInfo's documentation.
        #expect(try summary("aarch64-dynamic.elf-head") == "ELF 64-bit little-endian aarch64, dynamic (/lib/ld-linux-aarch64.so.1)")
        let armv7 = try summary("armv7-hardfloat-dynamic.elf-head")
        #expect(armv7.hasPrefix("ELF 32-bit little-endian arm"))
        #expect(armv7.contains("hard"))
        #expect(armv7.contains("EABI5"))
        #expect(armv7.hasSuffix("dynamic (/lib/ld-linux-armhf.so.3)"))
        let armel = try summary("armel-softfloat-dynamic.elf-head")
        #expect(armel.contains("soft"))
        #expect(!armel.contains("hard"))
        let riscv = try summary("riscv64-static.elf-head")
        #expect(riscv.hasPrefix("ELF 64-bit little-endian riscv"))
        #expect(riscv.contains("double"))
        #expect(riscv.hasSuffix(", static"))
        #expect(try summary("s390x-static.elf-head").hasPrefix("ELF 64-bit big-endian "))
    }

    @Test("a wasm module is recognised with its version", arguments: [false, true])
    func wasm(throughFile: Bool) throws {
        let file = "wasm32-wasi.wasm-head"
        let info: BinaryInfo
        if throughFile {
            info = try BinaryInspector.inspect(path: Fixtures.url("elf/" + file).path)
        } else {
            info = try BinaryInspector.inspect(path: file, read: reader(Fixtures.elf(file)))
        }
        #expect(info.format == .wasm(version: 1))
        #expect(info.elf == nil)
        #expect(info.floatABI == nil)
        #expect(info.machineName == "wasm32")
        #expect(info.summary.contains("WebAssembly"))
        #expect(!info.summary.contains("\n"))
    }

    @Test("the built-in catalogue picks the runner for each recorded binary", arguments: ELFFixture.parsable.filter { $0.runner != "?" })
    func catalogueMatch(fixture: ELFFixture) throws {
        let catalog = try TargetCatalog.builtIn()
        let info = try BinaryInspector.inspect(path: fixture.file, read: reader(Fixtures.elf(fixture.file)))
        #expect(catalog.definition(for: info)?.name == fixture.runner)
    }

    @Test("the built-in catalogue has the documented runners")
    func builtInNames() throws {
        #expect(Set(try TargetCatalog.builtIn().names) == [
            "aarch64", "armv7", "armel", "riscv64", "wasm32-wasip1", "wasm32-wasip2", "thumbv6m", "thumbv7m", "thumbv7em", "thumbv8m.main",
            "riscv32-bare-metal", "riscv64-bare-metal",
            "i686", "x86_64", "powerpc", "powerpc64", "powerpc64le", "s390x", "mips", "mipsel", "mips64", "mips64el",
            "mipsn32", "mipsn32el", "mipsisa32r6", "mipsisa32r6el", "mipsisa64r6", "mipsisa64r6el", "sparc64", "loongarch64",
            "x86_64-windows", "i686-windows",
        ])
    }

    @Test("only the x86_64 binary runs natively on an x86_64 host", .enabled(if: HostMachine.machine == ELFMachine.x86_64),
          arguments: ELFFixture.parsable)
    func nativeOnX86_64(fixture: ELFFixture) throws {
        let info = try BinaryInspector.inspect(path: fixture.file, read: reader(Fixtures.elf(fixture.file)))
        #expect(HostMachine.canRunNatively(info) == (fixture.file == "x86_64-dynamic.elf-head"))
    }

    @Test("wasm never runs natively")
    func wasmNotNative() throws {
        let info = try BinaryInspector.inspect(path: "w", read: reader(Fixtures.elf("wasm32-wasi.wasm-head")))
        #expect(!HostMachine.canRunNatively(info))
    }
}

/// Every way a file can fail to be a test binary, through the real file system.
@Suite("Bad binaries")
struct BadBinaryTests {
    static let runningAsRoot = getuid() == 0

    private func inspectError(_ path: String) -> CrossRunError? {
        #expect(throws: CrossRunError.self) { try BinaryInspector.inspect(path: path) }
    }

    /// Every error here is crossrun's own (125) and prints as one line.
    private func checkShape(_ error: CrossRunError?, path: String) {
        guard let error else { return }
        #expect(error.exitStatus == 125, "\(error)")
        #expect(!error.description.contains("\n"), "\(error.description)")
        #expect(error.description.contains(path), "\(error.description)")
        #expect(error.errorDescription == error.description)
    }

    @Test func missingFile() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("no-such-binary")
        let error = inspectError(path)
        #expect(error == .binaryNotFound(path: path))
        checkShape(error, path: path)
    }

    @Test func missingParentFolder() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("no-such-folder/binary")
        #expect(inspectError(path) == .binaryNotFound(path: path))
    }

    @Test func directory() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.folder("target")
        let error = inspectError(path)
        #expect(error == .binaryIsDirectory(path: path))
        checkShape(error, path: path)
    }

    @Test func emptyFile() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.file("empty")
        let error = inspectError(path)
        #expect(error == .binaryEmpty(path: path))
        checkShape(error, path: path)
    }

    @Test("a file that is the start of the ELF magic", arguments: [[0x7F], [0x7F, 0x45], [0x7F, 0x45, 0x4C]] as [[UInt8]])
    func magicPrefix(bytes: [UInt8]) throws {
        let folder = try TemporaryDirectory()
        let path = try folder.file("short", Data(bytes))
        let error = inspectError(path)
        #expect(error?.code == .binaryTruncated, "\(String(describing: error))")
        checkShape(error, path: path)
    }

    @Test("an ELF header cut short", arguments: [
        ("aarch64-dynamic.elf-head", 40),  // inside the 64-byte ELF64 header
        ("aarch64-dynamic.elf-head", 10),  // inside the 16-byte identification
        ("armv7-hardfloat-dynamic.elf-head", 40),  // inside the 52-byte ELF32 header
        ("aarch64-dynamic.elf-head", 200),  // the program header table (64 + 10 * 56) is cut
        ("armel-softfloat-dynamic.elf-head", 345),  // PT_INTERP at 340, 19 bytes: the path is cut
    ])
    func cutHeader(file: String, length: Int) throws {
        let folder = try TemporaryDirectory()
        let path = try folder.file("cut", Data(try Fixtures.elf(file).prefix(length)))
        let error = inspectError(path)
        #expect(error?.code == .binaryTruncated, "\(String(describing: error))")
        checkShape(error, path: path)
    }

    @Test func shellScript() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.file("run-tests.sh", text: "#!/bin/sh\necho hello\n", mode: 0o755)
        let error = inspectError(path)
        #expect(error?.code == .notAnExecutable, "\(String(describing: error))")
        #expect(error?.subject == path)
        #expect(error?.reason?.contains("#!/b") == true)
        checkShape(error, path: path)
    }

    @Test("binary junk is described by its bytes")
    func binaryJunk() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.file("junk", Data([0xCA, 0xFE, 0xD0, 0x0D, 0, 0, 0, 2]))
        let error = inspectError(path)
        #expect(error?.code == .notAnExecutable, "\(String(describing: error))")
        let magic = error?.reason?.lowercased() ?? ""
        #expect(magic.contains("ca"))
        #expect(magic.contains("fe"))
        checkShape(error, path: path)
    }

    /// A mode-000 file; root reads those, so as root (CI) a write-only sysctl, which root cannot open for reading
    /// either (opening it reads and changes nothing).
    @Test func unreadableFile() throws {
        let folder = try TemporaryDirectory()
        let locked = try folder.file("locked", Data(try Fixtures.elf("aarch64-static.elf-head")), mode: 0o000)
        let path = BadBinaryTests.runningAsRoot ? "/proc/sys/vm/drop_caches" : locked
        let error = inspectError(path)
        #expect(error?.code == .binaryNotReadable, "\(String(describing: error))")
        checkShape(error, path: path)
    }

    @Test("a bad class or data byte is a damaged file", arguments: [(4, UInt8(0)), (4, UInt8(3)), (5, UInt8(0)), (5, UInt8(7))])
    func badIdentByte(index: Int, value: UInt8) throws {
        var bytes = try Fixtures.elf("aarch64-dynamic.elf-head")
        bytes[index] = value
        let folder = try TemporaryDirectory()
        let path = try folder.file("damaged", Data(bytes))
        let error = inspectError(path)
        #expect(error?.code == .binaryMalformed, "\(String(describing: error))")
        checkShape(error, path: path)
    }

    @Test("an absurd program header entry size is a damaged file")
    func badProgramHeaderEntrySize() throws {
        var bytes = try Fixtures.elf("aarch64-dynamic.elf-head")
        bytes[54] = 8  // e_phentsize (little-endian) = 8, smaller than an Elf64_Phdr
        bytes[55] = 0
        let error = #expect(throws: CrossRunError.self) { try BinaryInspector.inspect(path: "x", read: reader(bytes)) }
        #expect(error?.code == .binaryMalformed, "\(String(describing: error))")
    }

    @Test("a read error is passed on")
    func readClosureErrorPropagates() throws {
        struct Boom: Error {}
        #expect(throws: Boom.self) { try BinaryInspector.inspect(path: "x") { _, _ in throw Boom() } }
    }
}

import Foundation
import Testing

@testable import CrossRunKit

/// Windows PE files read from recorded headers (Fixtures/pe): what wine can run becomes `BinaryInfo.Format.pe` and
/// matches a Runners/ definition; what it cannot is refused in one line (125) naming the file.
@Suite("Windows PE detection on recorded headers")
struct PEDetectionTests {
    static func head(_ name: String) throws -> [UInt8] { [UInt8](try Fixtures.data("pe/" + name)) }

    /// The recorded console head with its COFF machine, optional-header magic or subsystem replaced.
    static func patched(machine: UInt16? = nil, magic: UInt16? = nil, subsystem: UInt16? = nil) throws -> [UInt8] {
        var bytes = try head("x86_64-console-mingw.exe-head")
        let pe = Int(bytes[0x3C]) | Int(bytes[0x3D]) << 8
        func put(_ value: UInt16?, at offset: Int) {
            guard let value else { return }
            bytes[offset] = UInt8(value & 0xFF)
            bytes[offset + 1] = UInt8(value >> 8)
        }
        put(machine, at: pe + 4)
        put(magic, at: pe + 24)
        put(subsystem, at: pe + 24 + 68)
        return bytes
    }

    struct Runnable: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: @Sendable () throws -> [UInt8]
        var machine: String
        var subsystem: UInt16
        var runner: String
        var summary: String
        var testDescription: String { name }
    }

    static let runnable: [Runnable] = [
        Runnable(name: "mingw C console program", bytes: { try head("x86_64-console-mingw.exe-head") }, machine: "x86_64", subsystem: 3,
                 runner: "x86_64-windows", summary: "Windows PE32+ executable x86_64, console"),
        Runnable(name: "Rust test executable (x86_64-pc-windows-gnu)", bytes: { try head("x86_64-console-rust.exe-head") }, machine: "x86_64",
                 subsystem: 3, runner: "x86_64-windows", summary: "Windows PE32+ executable x86_64, console"),
        Runnable(name: "mingw GUI-subsystem program (-mwindows)", bytes: { try head("x86_64-gui-mingw.exe-head") }, machine: "x86_64", subsystem: 2,
                 runner: "x86_64-windows", summary: "Windows PE32+ executable x86_64, GUI"),
        Runnable(name: "i386 PE32 console program", bytes: { try patched(machine: 0x14C, magic: 0x10B) }, machine: "i386", subsystem: 3,
                 runner: "i686-windows", summary: "Windows PE32 executable i386, console"),
    ]

    @Test("x86-64 and i386 console and GUI executables are PE, matched to their runner", arguments: runnable)
    func detects(_ item: Runnable) throws {
        let info = try BinaryInspector.inspect(path: "t.exe", bytes: try item.bytes())
        let header = try #require(info.pe)
        #expect(header.machineName == item.machine)
        #expect(header.subsystem == item.subsystem)
        #expect(info.machineName == item.machine)
        #expect(info.summary == item.summary)
        #expect(info.elf == nil)
        #expect(!HostMachine.canRunNatively(info))
        let catalog = try TargetCatalog.builtIn()
        #expect(catalog.definition(for: info)?.name == item.runner)
        // No ELF runner takes a PE file, and --target of an ELF runner refuses it.
        #expect(try catalog.definition(named: "aarch64").isCompatible(with: info) == false)
        #expect(try catalog.definition(named: item.runner).isCompatible(with: info))
    }

    struct Refused: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: @Sendable () throws -> [UInt8]
        var mentions: [String]
        var testDescription: String { name }
    }

    static let refused: [Refused] = [
        Refused(name: "arm64 console program", bytes: { try patched(machine: 0xAA64) },
                mentions: ["is a Windows PE executable (arm64, console)", "wine runs x86-64 and i386 Windows programs only"]),
        Refused(name: "ARM (ARMNT, Thumb-2) console program", bytes: { try patched(machine: 0x1C4, magic: 0x10B) },
                mentions: ["is a Windows PE executable (arm, console)", "x86_64-pc-windows-gnu"]),
        Refused(name: "an unknown machine", bytes: { try patched(machine: 0x1234) }, mentions: ["(machine 0x1234, console)"]),
        Refused(name: "EFI application (subsystem 10)", bytes: { try patched(subsystem: 10) },
                mentions: ["is a Windows PE file (x86_64, EFI application)", "UEFI firmware"]),
        Refused(name: "native subsystem (a driver)", bytes: { try patched(subsystem: 1) },
                mentions: ["(x86_64, native)", "console and GUI programs only"]),
        Refused(name: "a DLL", bytes: { try head("x86_64-mingw.dll-head") }, mentions: ["is a Windows DLL (x86_64), not an executable", "cargo test --no-run"]),
    ]

    @Test("what wine cannot run here is refused in one line naming it, exit 125", arguments: refused)
    func refuses(_ item: Refused) throws {
        let bytes = try item.bytes()
        let error = #expect(throws: CrossRunError.self) { try BinaryInspector.inspect(path: "t.exe", bytes: bytes) }
        #expect(error?.code == .foreignExecutable)
        #expect(error.map(CrossRunError.exitStatus(for:)) == 125)
        #expect(error?.message.contains("\n") == false)
        for text in item.mentions { #expect(error?.message.contains(text) == true, "\(error?.message ?? "")") }
    }

    @Test("a head cut inside the optional header still reads machine and magic, with no subsystem (refused)")
    func truncatedOptionalHeader() throws {
        let bytes = Array(try Self.head("x86_64-console-mingw.exe-head").prefix(0x80 + 24 + 40))
        let error = #expect(throws: CrossRunError.self) { try BinaryInspector.inspect(path: "t.exe", bytes: bytes) }
        #expect(error?.message.contains("(x86_64, no subsystem)") == true, "\(error?.message ?? "")")
    }

    @Test("Runners/ PE rows: format pe needs a PE machine, and emulator.kind wine goes with it only")
    func runnerDefinitionChecks() throws {
        func definition(format: String, machine: String, kind: String) -> String {
            """
            name = "t"
            description = "t"
            rust-targets = []
            [match]
            format = "\(format)"
            machine = "\(machine)"
            class = 64
            endian = "little"
            [emulator]
            kind = "\(kind)"
            candidates = ["wine"]
            install-hint = "apt-get install wine"
            [sysroot]
            debian = []
            install-hint = "none"
            """
        }
        #expect(throws: Never.self) { try RunnerDefinition.parse(toml: definition(format: "pe", machine: "x86_64", kind: "wine"), source: "t") }
        for (format, machine, kind, reason) in [
            ("pe", "sparc", "wine", "a PE match needs machine"), ("pe", "x86_64", "qemu-user", "emulator.kind wine goes with match.format pe"),
            ("elf", "x86_64", "wine", "emulator.kind wine goes with match.format pe"),
        ] {
            let error = #expect(throws: CrossRunError.self) { try RunnerDefinition.parse(toml: definition(format: format, machine: machine, kind: kind), source: "t") }
            #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
        }
    }
}

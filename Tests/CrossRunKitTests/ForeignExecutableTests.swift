import Foundation
import Testing

@testable import CrossRunKit

/// Recorded header shapes: the first bytes of Mach-O, universal Mach-O, Windows PE files and look-alikes (real PE
/// heads are in Fixtures/pe, read by PEDetectionTests).
enum ForeignHeaders {
    static func word(_ value: UInt32, big: Bool) -> [UInt8] {
        let bytes = [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        return big ? bytes : bytes.reversed()
    }

    /// A Mach-O header: magic, cputype, rest zero.
    static func machO(magic: UInt32, cpu: UInt32, big: Bool) -> [UInt8] {
        word(magic, big: big) + word(cpu, big: big) + [UInt8](repeating: 0, count: 56)
    }

    /// A DOS stub pointing at a PE header with `machine`.
    static func pe(machine: UInt16) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 0x80 + 24)
        bytes[0] = UInt8(ascii: "M")
        bytes[1] = UInt8(ascii: "Z")
        bytes[0x3C] = 0x80
        bytes[0x80..<0x84] = [0x50, 0x45, 0, 0]
        bytes[0x84] = UInt8(machine & 0xFF)
        bytes[0x85] = UInt8(machine >> 8)
        return bytes
    }
}

struct ForeignCase: CustomTestStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    /// The words the one-line refusal must hold; nil: not recognised (the generic not-an-executable error).
    var mentions: [String]?
    var testDescription: String { name }
}

@Suite("Mach-O and Windows PE files are named in their refusal")
struct ForeignExecutableTests {
    static let cases: [ForeignCase] = [
        ForeignCase(name: "64-bit Mach-O, arm64 (little-endian magic)", bytes: ForeignHeaders.machO(magic: 0xFEED_FACF, cpu: 0x0100_000C, big: false),
                    mentions: ["a Mach-O executable (arm64)", "macOS"]),
        ForeignCase(name: "64-bit Mach-O, x86_64", bytes: ForeignHeaders.machO(magic: 0xFEED_FACF, cpu: 0x0100_0007, big: false),
                    mentions: ["a Mach-O executable (x86_64)"]),
        ForeignCase(name: "32-bit big-endian Mach-O, ppc", bytes: ForeignHeaders.machO(magic: 0xFEED_FACE, cpu: 18, big: true),
                    mentions: ["a Mach-O executable (ppc)"]),
        ForeignCase(name: "universal Mach-O with two architectures", bytes: ForeignHeaders.word(0xCAFE_BABE, big: true) + ForeignHeaders.word(2, big: true) + [UInt8](repeating: 0, count: 56),
                    mentions: ["a universal (fat) Mach-O executable", "macOS"]),
        ForeignCase(name: "a Java class file (same magic, version 52) is not Mach-O", bytes: ForeignHeaders.word(0xCAFE_BABE, big: true) + [0, 0, 0, 52] + [UInt8](repeating: 0, count: 56),
                    mentions: nil),
        // x86-64 and i386 console programs run under wine (PEDetectionTests); these are what it cannot run.
        ForeignCase(name: "Windows PE, arm64", bytes: ForeignHeaders.pe(machine: 0xAA64), mentions: ["a Windows PE file (arm64, no subsystem)"]),
        ForeignCase(name: "Windows PE, an unknown machine", bytes: ForeignHeaders.pe(machine: 0x1234), mentions: ["(machine 0x1234, no subsystem)"]),
        ForeignCase(name: "Windows PE, x86-64 without an optional header", bytes: ForeignHeaders.pe(machine: 0x8664), mentions: ["a Windows PE file (x86_64, no subsystem)"]),
        ForeignCase(name: "MZ without a PE header (a DOS program)", bytes: Array("MZ".utf8) + [UInt8](repeating: 0, count: 62), mentions: nil),
        ForeignCase(name: "MZ whose PE offset is past the end", bytes: { var b = ForeignHeaders.pe(machine: 0x8664); b[0x3C] = 0xFF; b[0x3D] = 0xFF; b[0x3E] = 0xFF; b[0x3F] = 0x7F; return b }(),
                    mentions: nil),
    ]

    @Test("each header is named (or not) in one line, exit 125", arguments: cases)
    func refusal(_ foreign: ForeignCase) {
        let error = #expect(throws: CrossRunError.self) { try BinaryInspector.inspect(path: "tests.bin", bytes: foreign.bytes) }
        #expect(error.map(CrossRunError.exitStatus(for:)) == 125)
        #expect(error?.message.contains("\n") == false)
        if let mentions = foreign.mentions {
            #expect(error?.code == .foreignExecutable)
            for text in mentions { #expect(error?.message.contains(text) == true, "\(error?.message ?? "")") }
        } else {
            #expect(error?.code == .notAnExecutable)
        }
    }
}

@Suite("ELF for another system is named in its refusal, not run as Linux")
struct ForeignELFTests {
    /// The recorded aarch64 head with its OS ABI byte set.
    static func withOSABI(_ value: UInt8) throws -> [UInt8] {
        var bytes = try Fixtures.elf("aarch64-dynamic.elf-head")
        bytes[7] = value
        return bytes
    }

    @Test("OS ABI names FreeBSD, NetBSD, OpenBSD, Solaris/illumos", arguments: [(UInt8(9), "FreeBSD"), (2, "NetBSD"), (12, "OpenBSD"), (6, "Solaris/illumos")])
    func otherSystem(_ osABI: UInt8, _ system: String) throws {
        let error = #expect(throws: CrossRunError.self) { try BinaryInspector.inspect(path: "t", bytes: try Self.withOSABI(osABI)) }
        #expect(error?.code == .foreignExecutable)
        #expect(error?.message.contains("is a \(system) ELF executable (aarch64)") == true, "\(error?.message ?? "")")
        #expect(error.map(CrossRunError.exitStatus(for:)) == 125)
    }

    @Test("Linux's OS ABI values (SYSV 0, GNU 3) still inspect", arguments: [UInt8(0), 3])
    func linux(_ osABI: UInt8) throws {
        #expect(throws: Never.self) { try BinaryInspector.inspect(path: "t", bytes: try Self.withOSABI(osABI)) }
    }

    @Test("an Android interpreter (/system/bin/linker64) is named")
    func android() throws {
        var bytes = try Fixtures.elf("aarch64-dynamic.elf-head")
        let loader = Array("/lib/ld-linux-aarch64.so.1".utf8)
        let at = try #require(bytes.indices.first { bytes[$0...].starts(with: loader) })
        let android = Array("/system/bin/linker64".utf8) + [0]
        bytes.replaceSubrange(at..<at + android.count, with: android)
        let error = #expect(throws: CrossRunError.self) { try BinaryInspector.inspect(path: "t", bytes: bytes) }
        #expect(error?.code == .foreignExecutable)
        #expect(error?.message.contains("is an Android executable (aarch64") == true, "\(error?.message ?? "")")
    }
}

import Foundation
import Testing

@testable import CrossRunKit

/// Bare-metal images are told from Linux binaries by their headers alone, and go to the qemu-system runners.
@Suite struct BareMetalDetectionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var environment: BinaryInfo.Environment
        var armArchitecture: String?
        /// The runner the built-in catalogue picks; nil when none fits.
        var runner: String?
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        // Real semihosting images from Examples/embedded (stripped), and minimal freestanding programs per M profile.
        Case(file: "cortex-m3-semihosting.elf", environment: .bareMetal, armArchitecture: "v7-M", runner: "thumbv7m"),
        Case(file: "cortex-m0-freestanding.elf", environment: .bareMetal, armArchitecture: "v6-M", runner: "thumbv6m"),
        Case(file: "cortex-m4-freestanding.elf", environment: .bareMetal, armArchitecture: "v7E-M", runner: "thumbv7em"),
        Case(file: "cortex-m33-freestanding.elf", environment: .bareMetal, armArchitecture: "v8-M.main", runner: "thumbv8m.main"),
        Case(file: "rv32-virt-semihosting.elf", environment: .bareMetal, armArchitecture: nil, runner: "riscv32-bare-metal"),
        Case(file: "rv64-virt-semihosting.elf", environment: .bareMetal, armArchitecture: nil, runner: "riscv64-bare-metal"),
        // Linux binaries keep their qemu-user runners, static ones included.
        Case(file: "aarch64-static.elf-head", environment: .linux, armArchitecture: nil, runner: "aarch64"),
        Case(file: "riscv64-static.elf-head", environment: .linux, armArchitecture: nil, runner: "riscv64"),
        Case(file: "riscv64-dynamic.elf-head", environment: .linux, armArchitecture: nil, runner: "riscv64"),
        Case(file: "armel-softfloat-dynamic.elf-head", environment: .linux, armArchitecture: nil, runner: "armel"),
        Case(file: "armv7-hardfloat-dynamic.elf-head", environment: .linux, armArchitecture: nil, runner: "armv7"),
        Case(file: "mips-static.elf-head", environment: .linux, armArchitecture: nil, runner: "mips"),
    ]

    @Test("environment, M-profile architecture and runner from the header", arguments: cases)
    func detection(c: Case) throws {
        let info = try BinaryInspector.inspect(path: c.file, read: reader(Fixtures.elf(c.file)))
        #expect(info.environment == c.environment)
        #expect(info.armArchitecture == c.armArchitecture)
        #expect(try TargetCatalog.builtIn().definition(for: info)?.name == c.runner)
        #expect(info.summary.hasSuffix(", bare metal") == (c.environment == .bareMetal), "\(info.summary)")
    }

    @Test("ARM build attributes: arch and profile read past string tags, odd input gives none")
    func armAttributes() {
        // "A", subsection length 0x1d, "aeabi\0", file scope (1) length 0x13: Tag_CPU_name "7-M", Tag_CPU_arch 10,
        // Tag_CPU_arch_profile 'M', Tag_THUMB_ISA_use 2.
        let bytes: [UInt8] = [0x41, 0x1D, 0, 0, 0] + Array("aeabi".utf8) + [0, 1, 0x13, 0, 0, 0, 5] + Array("7-M".utf8)
            + [0, 6, 10, 7, 0x4D, 9, 2] + [0, 0, 0]
        let parsed = ELFHeader.parseARMAttributes(bytes)
        #expect(parsed?.cpuArch == 10)
        #expect(parsed?.profile == "M")
        #expect(parsed?.mProfileArchitecture == "v7-M")
        #expect(ELFHeader.parseARMAttributes([]) == nil)
        #expect(ELFHeader.parseARMAttributes([0x41, 0xFF, 0xFF, 0xFF, 0x7F]) == nil)
        #expect(ELFHeader.parseARMAttributes(Array(bytes.prefix(20))) == nil)
        #expect(ARMAttributes(cpuArch: 10, profile: "A").mProfileArchitecture == nil)
    }

    @Test("qemu-system launch: board, no default devices, semihosting arguments with commas doubled, image as -kernel")
    func launchPlan() throws {
        let catalog = try TargetCatalog.builtIn()
        let configuration = try Configuration.load(options: RunOptions(), environment: [:], workingDirectory: "/")
        let bin = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-qemu-system-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: bin) }
        let qemu = bin.appendingPathComponent("qemu-system-arm").path
        FileManager.default.createFile(atPath: qemu, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        let planner = LaunchPlanner(catalog: catalog, configuration: configuration, searchPath: bin.path)
        let info = try BinaryInspector.inspect(path: "/images/test.elf", read: reader(Fixtures.elf("cortex-m3-semihosting.elf")))
        let plan = try planner.plan(binary: info, arguments: ["--exact", "a,b"])
        #expect(plan.kind == .qemuSystem)
        #expect(plan.target == "thumbv7m")
        #expect(plan.defaultTimeout == .seconds(60))
        #expect(plan.argv.prefix(3) == [qemu, "-machine", "mps2-an385"])
        #expect(plan.argv.suffix(4) == [
            "-semihosting-config", "enable=on,target=native,chardev=crossrun-stdio,arg=/images/test.elf,arg=--exact,arg=a,,b",
            "-kernel", "/images/test.elf",
        ])
        let resumed = plan.with(arguments: ["--list"])
        #expect(resumed.argv.suffix(3).first == "enable=on,target=native,chardev=crossrun-stdio,arg=/images/test.elf,arg=--list")
        #expect(resumed.argv.count == plan.argv.count)
    }
}

/// Lines a test program may print that look almost like libtest's.
@Suite struct OddLibtestLines {
    @Test("a bare `test ...` line (no name) is plain output, not a crash", arguments: ["test ...", "test  ...", "test ... ok", "test ... "])
    func bareTestLine(line: String) {
        var parser = LibtestLineParser()
        _ = parser.consume("running 1 test")
        let events = parser.consume(line) + parser.finish()
        // No test with an empty name is made up from it (before the fix, the empty name trapped).
        for event in events {
            switch event {
            case .testStarted(let name): Issue.record("started \(name) from \(line)")
            case .testFinished(let test): Issue.record("finished \(test.name) from \(line)")
            default: break
            }
        }
        var named = LibtestLineParser()
        _ = named.consume("running 1 test")
        let finished = named.consume("test a ... ok").contains { if case .testFinished(let test) = $0 { test.name == "a" } else { false } }
        #expect(finished)
    }
}

@Suite struct PartitionUnitTests {
    @Test("specs", arguments: [("hash:1/3", true), ("slice:3/3", true), ("count:2/4", true), ("hash:0/3", false), ("hash:4/3", false),
                               ("hash:1/0", false), ("mod:1/2", false), ("hash:1", false), ("hash:-1/2", false), ("", false)])
    func parse(spec: String, valid: Bool) {
        #expect((Partition(spec) != nil) == valid)
    }

    @Test("shares are disjoint, cover the list, and do not depend on the process", arguments: [Partition.Strategy.hash, .slice])
    func shares(strategy: Partition.Strategy) {
        let names = (0..<500).map { "module::test_\($0)" }
        let shares = (1...4).map { Partition(strategy: strategy, index: $0, count: 4).select(names) }
        #expect(shares.flatMap { $0 }.sorted() == names.sorted())
        #expect(Set(shares.flatMap { $0 }).count == names.count)
        #expect(shares.allSatisfy { $0.count > 60 })  // roughly even
        // Fixed values: FNV-1a is the same on every machine and in every process.
        #expect(Partition.fnv1a(Array("a".utf8)) == 0xaf63_dc4c_8601_ec8c)
    }
}

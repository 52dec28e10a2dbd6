import CrossRunKit
@testable import CrossRunTools
import Foundation
import Testing

/// `crossrun targets --table` (docs/targets.md): one row per built-in runner, built from the catalogue alone.
struct TargetTableTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("one row per built-in runner, in catalogue order")
    func rowPerRunner() throws {
        let table = try TargetTable.builtIn()
        #expect(table.rows.map(\.target) == (try TargetCatalog.builtIn().names))
        #expect(table.markdown.split(separator: "\n").count == table.rows.count + 2)
    }

    @Test("every fixture a runner names in ci-fixtures exists in Examples/")
    func fixturesExist() throws {
        for row in try TargetTable.builtIn().rows {
            for fixture in row.ciFixtures {
                #expect(fixture.hasPrefix("Examples/"), "\(row.target): \(fixture)")
                #expect(FileManager.default.fileExists(atPath: Self.packageRoot.appendingPathComponent(fixture).path), "\(row.target): \(fixture) does not exist")
            }
        }
    }

    @Test("a row says what the header must say, what runs it and which sysroot", arguments: [
        ("armel", "ELF arm 32-bit little-endian soft-float", "qemu-user (qemu-arm-static, qemu-arm)", "`/usr/arm-linux-gnueabi`"),
        ("thumbv7m", "ELF arm 32-bit little-endian, ARM build attributes v7-M", "qemu-system-arm -machine mps2-an385, semihosting", "none"),
        ("riscv32-bare-metal", "ELF riscv 32-bit little-endian, static with code outside a Linux process's range", "qemu-system-riscv32 -machine virt, semihosting", "none"),
    ])
    func rowText(target: String, detection: String, launcher: String, sysroot: String) throws {
        let row = try #require(try TargetTable.builtIn().rows.first { $0.target == target })
        #expect(row.detection == detection)
        #expect(row.launcher == launcher)
        #expect(row.sysroot.hasPrefix(sysroot))
    }

    @Test("a | inside a cell is escaped, so a user's runner cannot break the table")
    func pipeEscaped() throws {
        var definition = try #require(try TargetCatalog.builtIn().definitions.first)
        definition.rustTargets = ["a|b"]
        let table = TargetTable(catalog: TargetCatalog(definitions: [definition]), manifests: [])
        #expect(table.markdown.contains("`a\\|b`"))
    }
}

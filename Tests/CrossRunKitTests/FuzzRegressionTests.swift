import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// Inputs that once trapped crossrun (found by the fuzzing harness in Fuzz/, or made by hand from issue 14's
/// reports), kept in Fixtures/fuzz/<target>/ and fed to the real parsers: each must give a result or a
/// CrossRunError, never a trap (a trap ends the whole test process, so a regression cannot go unnoticed).
/// docs/reliability.md, "Fuzzing".
struct FuzzRegressionTests {
    static func fixtures(_ target: String) -> [String] {
        let folder = (try? Fixtures.url("fuzz/" + target).path) ?? ""
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test("the fixture folders are not empty")
    func foldersHaveFixtures() {
        for target in ["binary", "libtest", "config"] {
            #expect(!Self.fixtures(target).isEmpty, "Fixtures/fuzz/\(target)/ is empty")
        }
    }

    @Test("a binary fixture is classified or refused with one line, through the file and in memory", arguments: fixtures("binary"))
    func binary(_ name: String) throws {
        let path = try Fixtures.url("fuzz/binary/" + name).path
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for attempt in [{ try BinaryInspector.inspect(path: path) }, { try BinaryInspector.inspect(path: path, bytes: bytes) }] {
            do {
                let info = try attempt()
                #expect(!info.summary.contains("\n"))
            } catch let error as CrossRunError {
                #expect(error.exitStatus == 125, "\(error)")
                #expect(!error.description.contains("\n"))
            }
        }
        // System mode reads the same file's DT_NEEDED names.
        do {
            _ = try GuestLibraries.neededLibraries(elf: bytes)
        } catch let error as CrossRunError {
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("issue 14's headers name the field that is past any file")
    func issueRepros() throws {
        let expected = [
            "issue14-e_phoff-2^63.elf": "e_phoff 0x8000000000000000",
            "issue14-e_phoff-wraps.elf": "e_phoff 0xfffffffffffffff8",
            "issue14-pt_interp-offset-2^64-256.elf": "PT_INTERP p_offset 0xffffffffffffff00",
            "issue14-pt_note-offset-2^63.elf": "PT_NOTE p_offset 0x8000000000000000",
        ]
        for (name, field) in expected {
            let path = try Fixtures.url("fuzz/binary/" + name).path
            let error = #expect(throws: CrossRunError.self) { try BinaryInspector.inspect(path: path) }
            #expect(error?.code == .binaryMalformed, "\(name): \(String(describing: error))")
            #expect(error?.message.contains(field) == true, "\(name): \(String(describing: error))")
            #expect(error?.exitStatus == 125)
        }
    }

    /// A `.fuzz` file is a FuzzLibtest input as libFuzzer saved it (a control byte, then the output); any other
    /// file is a test process's output, run with and without the fast path and split at a few points.
    @Test("libtest output is collected without a trap", arguments: fixtures("libtest"))
    func libtest(_ name: String) throws {
        let data = [UInt8](try Fixtures.data("fuzz/libtest/" + name))
        var runs: [(fastPath: Bool, split: Int, output: ArraySlice<UInt8>, signaled: Bool)] = []
        if name.hasSuffix(".fuzz"), let control = data.first {
            let output = data.dropFirst()
            runs.append((control & 1 == 0, min(Int(control >> 1) * output.count / 127, output.count), output, control & 2 != 0))
        } else {
            for fastPath in [true, false] {
                for split in Set([0, data.count / 3, data.count / 2, data.count]) {
                    runs.append((fastPath, split, data[...], false))
                }
            }
        }
        for run in runs {
            var collector = TestRunCollector()
            collector.usesFastPath = run.fastPath
            let output = Array(run.output)
            output.withUnsafeBytes { bytes in
                collector.consumeStdout(UnsafeRawBufferPointer(rebasing: bytes[..<run.split]))
                collector.consumeStdout(UnsafeRawBufferPointer(rebasing: bytes[run.split...]))
            }
            let (tests, counts) = collector.finish(status: run.signaled ? .signaled(11) : .exited(0), suiteName: "fixture")
            let total = RunResult.Counts(tests: tests, unnamed: collector.unnamedCounts, libtest: counts)
            #expect(total.tests >= 0 && total.passed >= 0)
            if let counts {
                for value in [counts.passed, counts.failed, counts.ignored, counts.measured, counts.filteredOut] {
                    #expect((0...SuiteCounts.largestCount).contains(value))
                }
                #expect(counts.duration.map(\.isFinite) ?? true)
            }
            for test in tests { #expect(test.duration.map { $0.isFinite && $0 >= 0 } ?? true) }
        }
    }

    /// Read as the file (invalid UTF-8 is refused there) and as FuzzConfig reads it (decoded with replacement).
    @Test("a crossrun.toml fixture is read or refused with one line", arguments: fixtures("config"))
    func config(_ name: String) throws {
        let path = try Fixtures.url("fuzz/config/" + name).path
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        for attempt in [{ try ConfigFile.load(path: path) }, { try ConfigFile.parse(toml: text, path: path) }] {
            do {
                let file = try attempt()
                for definition in try TargetCatalog.builtIn().definitions { _ = file.settings(for: definition) }
            } catch let error as CrossRunError {
                #expect(error.code == .invalidConfiguration, "\(error)")
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test("TOML that toml++ would assert on is a parse error with its line and column", arguments: [
        ("[!x]\n", 1, 2, "a table header's name must start with"), ("a = 1\n  [[ +x]]\n", 2, 6, "a table header's name"),
        ("[\u{0B}target]\n", 1, 2, "a table header's name"), ("[\u{FFFD}]\n", 1, 2, "a table header's name"),
        ("a = [}]\n", 1, 6, "'}' inside an array"), ("a = [1, [\n# c\n}]]\n", 3, 1, "'}' inside an array"),
        ("a = [{ b = [ \"}\" ] }, }]\n", 1, 23, "'}' inside an array"),
        ("\u{FEFF}[\u{FF}]\n", 1, 2, "a table header's name"),
        ("a = 2024-01-01 1\n", 1, 5, "a date followed by a one-digit time"), ("a = [1, 2024-01-01 1]", 1, 9, "a date followed"),
        ("a = 5557-~--r= 2\n", 1, 5, "a date followed"), ("a = 5557-~--r= 5\u{FEFF}", 1, 5, "a date followed"),
    ])
    func assertingSyntax(text: String, line: Int, column: Int, message: String) throws {
        let error = try #require(TOMLDocument.assertingSyntax(in: text))
        #expect(error.line == line && error.column == column, "\(error.line):\(error.column) \(error.message)")
        let refused = #expect(throws: CrossRunError.self) { try ConfigFile.parse(toml: text, path: "/p/crossrun.toml") }
        #expect(refused?.message.contains("line \(line), column \(column): \(message)") == true, "\(String(describing: refused))")
    }

    @Test("brackets inside values, strings and comments are not table headers", arguments: [
        "args = [\n  [+1, 2],\n  [ {a = 1} ],\n]\n",
        "env = { A = \"[!x]\" }\n",
        "a = 2024-01-01 12:00:00\nb = [2024-01-01, 1]\nc = 2024-01-01T01:00:00\nd = 2024-01-01 # 1\n",
        "a = [{ b = [1, { c = \"}\" }] }, { d = {} }]\n",
        "s = \"\"\"\n[!x]\n\"\"\"\n",
        "s = '''\n[=x]\n'''\n",
        "# [!x]\n[target.aarch64]\n['quoted']\n[\"q\"]\n[ x ]\n[[a]]\n[]\n",
        "s = \"a\\\"\"\n[x]\n",
    ])
    func notTableHeaders(text: String) {
        #expect(TOMLDocument.assertingSyntax(in: text) == nil)
    }
}

import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// The Jenkins xunit JUnit schema the reports must validate against, found from this file's place in the package.
enum JUnitSchema {
    static var path: String {
        get throws {
            let packageRoot = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent()  // CrossRunKitTests
                .deletingLastPathComponent()  // Tests
                .deletingLastPathComponent()
            let path = packageRoot.appendingPathComponent("../shared/junit/junit-10.xsd").standardizedFileURL.path
            try #require(FileManager.default.fileExists(atPath: path), "the JUnit schema is not at \(path)")
            return path
        }
    }

    static let xmllint = "/usr/bin/xmllint"

    /// Validates `file` with xmllint and records xmllint's complaints as the issue.
    static func validate(_ file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try runTool(xmllint, ["--noout", "--schema", try path, file])
        #expect(result.status == 0, "xmllint: \(result.stderr.prefix(2000))", sourceLocation: sourceLocation)
    }

    /// Evaluates an XPath expression that yields a string (use `concat(...)` for several values).
    static func xpath(_ expression: String, in file: String) throws -> String {
        let result = try runTool(xmllint, ["--xpath", expression, file])
        return result.stdout.trimmingCharacters(in: .newlines)
    }

    /// Every `time` attribute's value in the document.
    static func times(in file: String) throws -> [String] {
        let listing = try runTool(xmllint, ["--xpath", "//@time", file]).stdout
        let regex = try NSRegularExpression(pattern: #"time="([^"]*)""#)
        return regex.matches(in: listing, range: NSRange(listing.startIndex..., in: listing)).compactMap {
            Range($0.range(at: 1), in: listing).map { String(listing[$0]) }
        }
    }
}

/// A result as `TestRunner` would build it around the given test cases.
func makeResult(
    name: String = "crossrun_demo", tests: [TestCase], libtest: SuiteCounts?, format: LibtestFormat,
    unnamed: UnnamedCounts = .none, output: String? = nil, stderr: String? = nil,
    duration: Double = 0.8765, status: Int32 = 101, startedAt: Date = Date(timeIntervalSince1970: 1_767_225_600)
) -> RunResult {
    let fileName = name + "-0123456789abcdef"
    return RunResult(
        binary: .init(
            path: "/work/target/aarch64-unknown-linux-gnu/debug/deps/" + fileName, name: name, fileName: fileName,
            description: "ELF 64-bit little-endian aarch64, dynamic (/lib/ld-linux-aarch64.so.1)", machine: "aarch64",
            interpreter: "/lib/ld-linux-aarch64.so.1"),
        launch: .init(
            kind: "qemu-user", target: "aarch64", emulator: "qemu-aarch64-static",
            argv: ["/usr/bin/qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu", "/work/target/x"],
            sysroot: "/usr/aarch64-linux-gnu", sysrootOrigin: "Debian cross sysroot"),
        arguments: ["--test-threads=2"],
        startedAt: startedAt,
        duration: duration,
        exit: .init(status: status, code: status, signal: nil, signalName: nil, interruptedBy: nil, description: "exit status \(status)"),
        format: format,
        counts: RunResult.Counts(tests: tests, unnamed: unnamed, libtest: libtest),
        libtest: libtest,
        tests: tests,
        output: output,
        stderr: stderr)
}

/// A recorded run turned into a result, the way `TestRunner` does it.
func fixtureResult(_ name: String, suite: String = "crossrun_demo") throws -> RunResult {
    let (collector, tests, counts) = try collectFixture(name, withStderr: true)
    let unnamed = collector.format == .terse ? collector.unnamedCounts : .none
    let status = try LibtestManifest.status(of: name)
    return makeResult(
        name: suite, tests: tests, libtest: counts, format: collector.format, unnamed: unnamed,
        output: collector.unattributed.text.nonBlank, stderr: collector.stderr.text.nonBlank, status: status.shellStatus)
}

@Suite("JUnit reports")
struct JUnitReporterTests {
    /// A JUnit `time` as crossrun promises to write it: seconds with exactly three decimals.
    static func isMilliseconds(_ text: String) -> Bool { text.wholeMatch(of: #/[0-9]+\.[0-9]{3}/#) != nil }

    @Test("every recorded run gives a valid report whose counts are libtest's",
          arguments: LibtestFixture.results.filter { !$0.isColour })
    func fixtureReport(fixture: LibtestFixture) throws {
        let folder = try TemporaryDirectory()
        let file = folder.path("report.xml")
        let result = try fixtureResult(fixture.name)
        try JUnitReporter.write(result, to: file)
        try JUnitSchema.validate(file)

        let total = fixture.passed + fixture.failed + fixture.ignored
        let values = try JUnitSchema.xpath(
            #"concat(/testsuites/@tests, " ", /testsuites/@failures, " ", /testsuites/@errors, " ", /testsuites/testsuite/@tests, " ", /testsuites/testsuite/@failures, " ", /testsuites/testsuite/@errors, " ", /testsuites/testsuite/@skipped, " ", count(//testcase), " ", count(//testcase/failure), " ", count(//testcase/skipped), " ", /testsuites/testsuite/@name)"#,
            in: file)
        let named = result.tests.count
        let namedIgnored = result.tests.filter { $0.outcome == .ignored }.count
        #expect(values == "\(total) \(fixture.failed) 0 \(total) \(fixture.failed) 0 \(fixture.ignored) \(named) \(fixture.failed) \(namedIgnored) crossrun_demo")
        
        for time in try JUnitSchema.times(in: file) {
            #expect(Self.isMilliseconds(time), "time=\(time)")
        }
    }

    @Test("failures, skips and names as a CI reads them")
    func caseDetails() throws {
        let folder = try TemporaryDirectory()
        let file = folder.path("report.xml")
        try JUnitReporter.write(try fixtureResult("rust1.63-aarch64-pretty-fail"), to: file)
        try JUnitSchema.validate(file)
        let failure = "//testcase[@name='opt_in_failure']"
        #expect(try JUnitSchema.xpath("string(\(failure)/@classname)", in: file) == "crossrun_demo::tests")
        #expect(try JUnitSchema.xpath("string(\(failure)/failure/@message)", in: file).contains("assertion failed: `(left == right)`"))
        #expect(try JUnitSchema.xpath("string(\(failure)/failure)", in: file).contains("checking add(2, 2) against 5"))
        #expect(try JUnitSchema.xpath("string(//testcase[@name='needs_real_hardware']/skipped/@message)", in: file) == "needs real hardware")
        #expect(try JUnitSchema.xpath("count(//testcase[@name='add_small_numbers']/*)", in: file) == "0")
        #expect(try JUnitSchema.xpath("string(/testsuites/testsuite/properties/property[@name='crossrun.target']/@value)", in: file) == "aarch64")
    }

    @Test("timestamps are ISO 8601 in UTC, to the second", arguments: [
        (0.0, "1970-01-01T00:00:00Z"), (1_795_642_449.75, "2026-11-25T21:34:09Z"), (951_782_400, "2000-02-29T00:00:00Z"),
    ])
    func timestamp(seconds: Double, expected: String) {
        #expect(JUnitReporter.timestamp(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test("a doctest keeps its whole name and the suite as classname")
    func doctestCase() throws {
        let folder = try TemporaryDirectory()
        let file = folder.path("doc.xml")
        try JUnitReporter.write(try fixtureResult("rust1.95-x86_64-doctest-pass"), to: file)
        try JUnitSchema.validate(file)
        #expect(try JUnitSchema.xpath("string(//testcase/@name)", in: file) == "src/lib.rs - add (line 6)")
        #expect(try JUnitSchema.xpath("string(//testcase/@classname)", in: file) == "crossrun_demo")
    }

    @Test("terse output: unnamed passes are counted, not invented as cases")
    func terseCounts() throws {
        let folder = try TemporaryDirectory()
        let file = folder.path("terse.xml")
        try JUnitReporter.write(try fixtureResult("rust1.95-x86_64-terse-fail"), to: file)
        try JUnitSchema.validate(file)
        #expect(try JUnitSchema.xpath("concat(/testsuites/testsuite/@tests, ' ', count(//testcase))", in: file) == "10 1")
        #expect(try JUnitSchema.xpath("string(//property[@name='crossrun.unnamed-passed']/@value)", in: file).hasPrefix("7"))
    }

    @Test("a crash is an <error>")
    func crashIsError() throws {
        let folder = try TemporaryDirectory()
        let file = folder.path("abort.xml")
        try JUnitReporter.write(try fixtureResult("rust1.63-aarch64-edge-abort"), to: file)
        try JUnitSchema.validate(file)
        #expect(try JUnitSchema.xpath("concat(/testsuites/@errors, ' ', count(//testcase[@name='(process)']/error))", in: file) == "1 1")
        #expect(try JUnitSchema.xpath("string(//error)", in: file).contains("qemu: uncaught target signal 6"))
    }

    @Test("hostile text still gives a valid document, with its meaning kept")
    func hostileText() throws {
        // ESC last but one: a lone ESC swallows the character after it (as any two-character escape), here a space;
        // followed by "]" it would start an OSC sequence (see ANSITests.unterminatedOSC).
        let controls = (0...8).map { String(UnicodeScalar(UInt8($0))) }.joined() + "\u{B}\u{C}\u{1B} "
        let nasty = "colour \u{1B}[31mred\u{1B}(B\u{1B}[m, controls [\(controls)], ]]> end, <tag attr=\"v\"> & 'apos' \u{FFFE}\u{FFFF}"
        var failed = TestCase(name: "hostile::case", outcome: .failed, duration: 0.0004, message: "message " + nasty, output: "output " + nasty)
        failed.outputTruncated = false
        let ignored = TestCase(name: "hostile::ignored", outcome: .ignored, message: "reason ]]> <&> \u{0}")
        let crashed = TestCase(name: "(process)", outcome: .error, message: "killed ]]>", output: "stderr \u{1B}[1m\u{7}")
        var bench = TestCase(name: "bench<&>", outcome: .measured)
        bench.benchmark = "1 ns/iter (+/- 0) ]]>"
        let tests = [failed, ignored, crashed, bench, TestCase(name: "]]>::<&>", outcome: .passed, duration: 12345.6789, output: nasty)]
        let result = makeResult(
            name: "suite ]]> <&> \u{1B}", tests: tests, libtest: nil, format: .pretty, output: "unattributed " + nasty,
            stderr: "stderr " + nasty, duration: 1e-7)

        let folder = try TemporaryDirectory()
        let file = folder.path("hostile.xml")
        try JUnitReporter.write(result, to: file)
        try JUnitSchema.validate(file)

        let text = try #require(String(data: try Data(contentsOf: URL(fileURLWithPath: file)), encoding: .utf8), "not UTF-8")
        #expect(!text.contains("\u{1B}"))
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" })
        // The meaning survives: markup characters are escaped, not dropped; colours are gone.
        let failureText = try JUnitSchema.xpath("string(//testcase[@name='case']/failure)", in: file)
        #expect(failureText.contains("]]> end, <tag attr=\"v\"> & 'apos'"))
        #expect(failureText.contains("colour red"))
        #expect(failureText.contains("\u{FFFD}\u{FFFD}\u{FFFD}"))
        #expect(try JUnitSchema.xpath("string(//testcase[@name='case']/failure/@message)", in: file).contains("]]> end, <tag"))
        #expect(try JUnitSchema.xpath("string(/testsuites/testsuite/@name)", in: file).hasPrefix("suite ]]> <&>"))
        for time in try JUnitSchema.times(in: file) {
            #expect(Self.isMilliseconds(time), "time=\(time)")
        }
        #expect(try JUnitSchema.xpath("string(//testcase[@name='case']/@time)", in: file) == "0.000")
        #expect(try JUnitSchema.xpath("string(/testsuites/testsuite/@time)", in: file) == "0.000")
    }

    @Test("invalid UTF-8, control characters and a 1 MB line, fed as bytes through the collector")
    func hostileBytes() throws {
        var bytes = Data("\nrunning 2 tests\ntest a::bad ... FAILED\n".utf8)
        bytes += Data([0xFF, 0xFE, 0x80]) + Data(" raw bytes between libtest lines\n".utf8)
        bytes += Data("test a::good ... ok\n\nfailures:\n\n---- a::bad stdout ----\n".utf8)
        bytes += Data("invalid: ".utf8) + Data([0xC3, 0x28, 0xFF, 0xED, 0xA0, 0x80]) + Data(" ]]> <x> & \u{1B}[31mred\u{1B}[0m\n".utf8)
        bytes += Data((0...8).map { UInt8($0) } + [0x0B, 0x0C, 0x1B, 0x0A])
        bytes += Data(repeating: UInt8(ascii: "x"), count: 1_048_576) + Data("\n".utf8)
        bytes += Data("thread 'a::bad' panicked at 'bad ]]> bytes', src/lib.rs:1:1\n\n\nfailures:\n    a::bad\n\n".utf8)
        bytes += Data("test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\n".utf8)
        let (collector, tests, counts) = collect(stdout: bytes, status: .exited(101), chunkSize: 65536)
        #expect(counts?.failed == 1)
        let bad = try #require(tests.first { $0.name == "a::bad" })
        #expect(bad.outcome == .failed)
        #expect(bad.message == "bad ]]> bytes")
        #expect(bad.output?.contains("\u{FFFD}") == true)
        #expect(tests.first { $0.name == "a::good" }?.outcome == .passed)

        let result = makeResult(
            tests: tests, libtest: counts, format: collector.format, output: collector.unattributed.text.nonBlank,
            stderr: nil)
        let folder = try TemporaryDirectory()
        let file = folder.path("bytes.xml")
        try JUnitReporter.write(result, to: file)
        try JUnitSchema.validate(file)
        #expect(try JUnitSchema.xpath("concat(/testsuites/testsuite/@tests, ' ', /testsuites/testsuite/@failures)", in: file) == "2 1")
        #expect(try JUnitSchema.xpath("string(/testsuites/testsuite/system-out)", in: file).contains("raw bytes between libtest lines"))
    }

    @Test("XMLText.seconds", arguments: [
        (0.0, "0.000"), (0.0004, "0.000"), (0.0006, "0.001"), (1.5, "1.500"), (1e-7, "0.000"), (12345.6789, "12345.679"),
        (59.9999, "60.000"), (-1.0, "0.000"), (0.25, "0.250"), (3600.0, "3600.000"),
    ])
    func seconds(value: Double, expected: String) {
        #expect(XMLText.seconds(value) == expected)
    }

    @Test("XMLText.sanitize keeps text and replaces what XML 1.0 forbids")
    func sanitize() {
        #expect(XMLText.sanitize("a\tb\nc\rd é 🦀") == "a\tb\nc\rd é 🦀")
        #expect(XMLText.sanitize("x\u{0}y\u{8}z\u{B}\u{C}") == "x\u{FFFD}y\u{FFFD}z\u{FFFD}\u{FFFD}")
        #expect(XMLText.sanitize("\u{1B}[32mok\u{1B}[0m") == "ok")
        #expect(XMLText.sanitize("\u{FFFE}\u{FFFF}") == "\u{FFFD}\u{FFFD}")
    }

    @Test("an unwritable report path is a one-line reportNotWritable")
    func unwritable() throws {
        let folder = try TemporaryDirectory()
        let blocker = try folder.file("not-a-folder", text: "x")
        let path = blocker + "/report.xml"
        let error = #expect(throws: CrossRunError.self) {
            try JUnitReporter.write(makeResult(tests: [], libtest: nil, format: .plain), to: path)
        }
        #expect(error?.code == .reportNotWritable, "\(String(describing: error))")
        #expect(error.map { !$0.description.contains("\n") } == true)
        #expect(error?.exitStatus == 125)
    }
}

@Suite("Merging JUnit reports")
struct ReportMergerTests {
    @Test("two reports become one <testsuites> with summed counts")
    func mergeTwo() throws {
        let folder = try TemporaryDirectory()
        let first = folder.path("reports/crossrun_demo.xml")
        let second = folder.path("reports/integration.xml")
        try JUnitReporter.write(try fixtureResult("rust1.63-aarch64-pretty-fail"), to: first)
        try JUnitReporter.write(try fixtureResult("rust1.95-x86_64-integration-pass", suite: "integration"), to: second)
        let merged = folder.path("merged.xml")
        let summary = try ReportMerger.merge([first, second], into: merged)
        #expect(summary.suites == 2)
        #expect(summary.tests == 13)
        #expect(summary.failures == 1)
        #expect(summary.errors == 0)
        #expect(summary.skipped == 2)
        try JUnitSchema.validate(merged)
        let values = try JUnitSchema.xpath(
            "concat(count(/testsuites/testsuite), ' ', /testsuites/@tests, ' ', /testsuites/@failures, ' ', /testsuites/@errors, ' ', /testsuites/testsuite[1]/@name, ' ', /testsuites/testsuite[2]/@name)",
            in: merged)
        #expect(values == "2 13 1 0 crossrun_demo integration")
        let time = try JUnitSchema.xpath("string(/testsuites/@time)", in: merged)
        #expect(JUnitReporterTests.isMilliseconds(time), "time=\(time)")
        // Each suite says time="0.877" (0.8765 s); the total is their sum.
        #expect(time == "1.754")
    }

    @Test("a folder stands for the reports in it, and the output inside it is not merged into itself")
    func mergeFolder() throws {
        let folder = try TemporaryDirectory()
        try JUnitReporter.write(try fixtureResult("rust1.63-aarch64-pretty-pass"), to: folder.path("reports/a.xml"))
        try JUnitReporter.write(try fixtureResult("rust1.63-aarch64-ignored"), to: folder.path("reports/b.xml"))
        try folder.file("reports/notes.txt", text: "not a report")
        let merged = folder.path("reports/all.xml")
        #expect(try ReportMerger.merge([folder.path("reports")], into: merged).suites == 2)
        // Merging again must not pick up all.xml itself.
        #expect(try ReportMerger.merge([folder.path("reports")], into: merged).suites == 2)
        try JUnitSchema.validate(merged)
        #expect(try JUnitSchema.xpath("concat(/testsuites/@tests, ' ', /testsuites/@failures)", in: merged) == "12 1")
    }

    @Test("a file that is not XML is reportNotReadable")
    func notXML() throws {
        let folder = try TemporaryDirectory()
        let good = folder.path("good.xml")
        try JUnitReporter.write(try fixtureResult("rust1.63-aarch64-pretty-pass"), to: good)
        let bad = try folder.file("bad.xml", text: "running 1 test\ntest a ... ok\n")
        let error = #expect(throws: CrossRunError.self) { try ReportMerger.merge([good, bad], into: folder.path("out.xml")) }
        #expect(error?.code == .reportNotReadable, "\(String(describing: error))")
        #expect(error?.subject == bad)
        #expect(error.map { !$0.description.contains("\n") } == true)
        #expect(!FileManager.default.fileExists(atPath: folder.path("out.xml")))
    }

    @Test("XML that is not JUnit is reportNotReadable")
    func notJUnit() throws {
        let folder = try TemporaryDirectory()
        let html = try folder.file("page.xml", text: "<html><body/></html>")
        let error = #expect(throws: CrossRunError.self) { try ReportMerger.merge([html], into: folder.path("out.xml")) }
        #expect(error?.code == .reportNotReadable)
        #expect(error?.description.contains("html") == true)
    }

    @Test("an empty folder has nothing to merge")
    func emptyFolder() throws {
        let folder = try TemporaryDirectory()
        let empty = try folder.folder("empty")
        let error = #expect(throws: CrossRunError.self) { try ReportMerger.merge([empty], into: folder.path("out.xml")) }
        #expect(error == .noReportsToMerge(paths: [empty]))
        #expect(error?.exitStatus == 125)
        #expect(error.map { !$0.description.contains("\n") } == true)
    }

    @Test("a missing input is reportNotReadable")
    func missingInput() throws {
        let folder = try TemporaryDirectory()
        let error = #expect(throws: CrossRunError.self) { try ReportMerger.merge([folder.path("nope.xml")], into: folder.path("out.xml")) }
        #expect(error?.code == .reportNotReadable)
    }
}

@Suite("Results JSON")
struct JSONReporterTests {
    @Test("encode then decode gives the same result", arguments: [
        "rust1.95-x86_64-edge-json", "rust1.63-aarch64-edge-pretty", "rust1.63-aarch64-terse-fail", "rust1.63-aarch64-edge-abort",
        "rust1.95-x86_64-json-report-time-fail",
    ])
    func roundTrip(name: String) throws {
        let result = try fixtureResult(name)
        let data = try JSONReporter.encode(result)
        #expect(try JSONReporter.decode(data) == result)
    }

    @Test("the document names its schema and version")
    func schemaAndVersion() throws {
        let text = String(decoding: try JSONReporter.encode(try fixtureResult("rust1.63-aarch64-pretty-fail")), as: UTF8.self)
        #expect(text.contains(#""schema" : "crossrun-results""#))
        #expect(text.contains(#""version" : 1"#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "crossrun-results")
        #expect(object["version"] as? Int == 1)
        #expect(object["format"] as? String == "libtest-pretty")
        #expect(object["startedAt"] as? String == "2026-01-01T00:00:00Z")
    }

    @Test("write puts a whole file in place, ending with a newline")
    func write() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("deep/er/result.json")
        let result = try fixtureResult("rust1.95-x86_64-pretty-pass")
        try JSONReporter.write(result, to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.last == 0x0A)
        #expect(try JSONReporter.decode(data) == result)
        // No temporary files are left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("deep/er")) == ["result.json"])
    }
}

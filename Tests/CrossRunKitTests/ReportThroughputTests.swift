import Foundation
import Testing

@testable import CrossRunKit

/// The throughput work (issue 7) must not change a parse or a byte of what crossrun writes: the byte-level fast
/// path for output lines, the JSON line decoding, the streamed results JSON and the streamed JUnit.
@Suite("Report throughput paths")
struct ReportThroughputTests {
    // MARK: Parsing

    /// The collector's view of a run, fed in chunks of `chunkSize` bytes, with or without the fast path.
    static func collected(_ stdout: Data, chunkSize: Int, fast: Bool, status: TerminationStatus = .exited(101))
        -> (tests: [TestCase], counts: SuiteCounts?, format: LibtestFormat, unattributed: String, running: [String])
    {
        var collector = TestRunCollector()
        collector.usesFastPath = fast
        stdout.withUnsafeBytes { (all: UnsafeRawBufferPointer) in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + chunkSize)
                collector.consumeStdout(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
        let running = collector.runningTests
        let format = collector.format
        let (tests, counts) = collector.finish(status: status, suiteName: "suite")
        return (tests, counts, format, collector.unattributed.text, running)
    }

    static func expectSameParse(_ stdout: Data, status: TerminationStatus = .exited(101), sourceLocation: SourceLocation = #_sourceLocation) {
        let reference = collected(stdout, chunkSize: max(stdout.count, 1), fast: false, status: status)
        for chunkSize in [1, 7, 4096, max(stdout.count, 1)] {
            let fast = collected(stdout, chunkSize: chunkSize, fast: true, status: status)
            #expect(fast.tests == reference.tests, "chunks of \(chunkSize)", sourceLocation: sourceLocation)
            #expect(fast.counts == reference.counts, sourceLocation: sourceLocation)
            #expect(fast.format == reference.format, sourceLocation: sourceLocation)
            #expect(fast.unattributed == reference.unattributed, sourceLocation: sourceLocation)
            #expect(fast.running == reference.running, sourceLocation: sourceLocation)
        }
    }

    @Test("every recorded libtest output parses the same with and without the byte-level fast path")
    func fixturesParseTheSame() throws {
        let manifest = try LibtestManifest.load()
        for entry in manifest.cases {
            let url = try Fixtures.url("libtest/\(entry.name).stdout")
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            Self.expectSameParse(try Data(contentsOf: url), status: try LibtestManifest.status(of: entry.name))
        }
    }

    /// Lines that look almost like libtest's, in every state the parser has: the fast path must hand each one
    /// that could matter to the full parser.
    static let awkward: [String] = [
        // pretty, one test at a time, its result after its own prints
        "\nrunning 4 tests\ntest a::one ... \nprinted by one\n  \tok\ntest a::two ... \nfirst\n  FAILED\ntest a::three ... \n",
        "\u{1B}[32mcoloured\u{1B}[0m\nwindows line\r\n    ok <0.001s>\ntest a::four ... ignored, needs hardware\n",
        "test ... \nfailures:\n\n---- a::two stdout ----\nline 1\n\n\nline 4\n-- not a heading\n---- a::two stderr ----\n",
        "err line\n\u{FF}\u{FE} bytes\n\nfailures:\n    a::two\n\ntest result: FAILED. 2 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\n",
        // terse progress, then things that start like it
        "\nrunning 5 tests\n..i.F\nF is for failure\ni wonder\n. . .\nrunning words\ntest result: ok. 3 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s\n",
        // JSON
        "{ \"type\": \"suite\", \"event\": \"started\", \"test_count\": 2 }\n{ \"type\": \"test\", \"event\": \"started\", \"name\": \"j\" }\n"
            + "output of j\n{ not json\n{ \"type\": \"test\", \"name\": \"j\", \"event\": \"ok\" }\nsuccesses:\nsuccesses\nfailures: \n"
            + "{ \"type\": \"suite\", \"event\": \"ok\", \"passed\": 1, \"failed\": 0, \"ignored\": 0, \"measured\": 0, \"filtered_out\": 0, \"exec_time\": 0.5 }\n",
        // no newline at the end, an unterminated section
        "running 1 test\ntest x ... FAILED\n\nfailures:\n\n---- x stdout ----\nno end",
    ]

    @Test("awkward lines parse the same with and without the fast path, in chunks of any size", arguments: 0..<awkward.count)
    func awkwardParse(index: Int) {
        var bytes = Data(Self.awkward[index].utf8)
        if index == 3 { bytes.append(contentsOf: [0xFF, 0x0A]) }  // a line of invalid UTF-8
        Self.expectSameParse(bytes)
        Self.expectSameParse(Data(Self.awkward.joined().utf8))
    }

    @Test("a flood inside a test keeps the head and tail of its output, the same as the full parser")
    func floodInsideTest() {
        var text = "\nrunning 1 test\ntest flood::here ... \n"
        let line = "a line of output that is not libtest's own 0123456789\n"
        text += String(repeating: line, count: 20_000)
        text += "ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.00s\n\n"
        let data = Data(text.utf8)
        Self.expectSameParse(data, status: .exited(0))
        let fast = Self.collected(data, chunkSize: 65536, fast: true, status: .exited(0))
        #expect(fast.tests.count == 1)
        #expect(fast.tests.first?.outcome == .passed)
        #expect(fast.tests.first?.outputTruncated == true)
        #expect(fast.tests.first?.output?.hasPrefix(line) == true)
        #expect(fast.tests.first?.output?.contains("bytes of output omitted here") == true)
    }

    @Test("BoundedText keeps the same head and tail whether bytes come one at a time or in blocks")
    func boundedTextBlocks() {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var single = BoundedText(headLimit: 100, tailLimit: 300)
        for byte in bytes { single.append(CollectionOfOne(byte)) }
        for size in [1, 99, 100, 301, 5000, 10_000] {
            var blocks = BoundedText(headLimit: 100, tailLimit: 300)
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + size)
                bytes[start..<end].withUnsafeBytes { blocks.append($0) }
                start = end
            }
            #expect(blocks.text == single.text, "blocks of \(size)")
            #expect(blocks.totalBytes == single.totalBytes)
        }
        var none = BoundedText(headLimit: 10, tailLimit: 0)
        bytes.withUnsafeBytes { none.append($0) }
        #expect(none.droppedBytes == bytes.count - 10)
    }

    @Test("JSON lines read the same: numbers as strings, strings as numbers, wrong types as absent")
    func lenientJSON() throws {
        let suite = LibtestJSON.parse(#"{ "type": "suite", "event": "failed", "passed": "7", "failed": 1.9, "ignored": true, "measured": null, "filtered_out": [1], "exec_time": "0.5s" }"#)
        #expect(suite == [.suiteFinished(SuiteCounts(passed: 7, failed: 1, ignored: 1, measured: 0, filteredOut: 0, duration: 0.5, ok: false))])
        let test = LibtestJSON.parse(#"{ "type": "test", "name": "t", "event": "failed", "exec_time": 0.25, "message": 3, "reason": "why", "stdout": "out\n" }"#)
        var expected = TestCase(name: "t", outcome: .failed, duration: 0.25, message: "why")
        expected.output = "out\n"
        #expect(test == [.testFinished(expected)])
        #expect(LibtestJSON.parse(#"{ "type": "test", "event": "ok" }"#) == [])
        #expect(LibtestJSON.parse(#"{ "event": "ok" }"#) == nil)
        #expect(LibtestJSON.parse(#"{ "type": 1 }"#) == nil)
        #expect(LibtestJSON.parse(#"{ "type": "test", "#) == nil)
        #expect(LibtestJSON.parse(#"[1, 2]"#) == nil)
        let bench = LibtestJSON.parse(#"{ "type": "bench", "name": "b", "median": 1234, "deviation": "56" }"#)
        var measured = TestCase(name: "b", outcome: .measured)
        measured.benchmark = "1234 ns/iter (+/- 56)"
        #expect(bench == [.testFinished(measured)])
    }

    // MARK: Writing

    /// What `JSONEncoder` alone makes of a result: the reference the streamed results JSON must equal byte for byte.
    static func reference(_ result: RunResult) throws -> Data {
        try JSONReporter.makeEncoder().encode(result)
    }

    @Test("the results JSON is byte for byte JSONEncoder's, for every recorded run", arguments: LibtestFixture.results)
    func fixtureJSON(fixture: LibtestFixture) throws {
        let result = try fixtureResult(fixture.name)
        #expect(try JSONReporter.encode(result) == Self.reference(result))
    }

    @Test("names JSON escapes, non-ASCII names, empty and odd fields take the slow path with the same bytes")
    func awkwardTests() throws {
        var tests = [
            TestCase(name: "plain::passes", outcome: .passed),
            TestCase(name: #"quote"d \ back/slash"#, outcome: .failed, message: "boom"),
            TestCase(name: "tab\there", outcome: .ignored),
            TestCase(name: "ünïcødé::テスト", outcome: .passed),
            TestCase(name: "src/lib.rs - add (line 5)", outcome: .passed),
            TestCase(name: "", outcome: .error, message: "the test process ended", output: "line 1\n\nline 3\n"),
            TestCase(name: "timed", outcome: .passed, duration: 0.001),
            TestCase(name: "bench::sum", outcome: .measured),
            TestCase(name: "flaky", outcome: .passed),
        ]
        tests[7].benchmark = "1,234 ns/iter (+/- 56)"
        tests[1].mode = "should panic"
        tests[8].flaky = true
        tests[8].reruns = [TestCase.Rerun(TestCase(name: "flaky", outcome: .failed, message: "once", output: "a\n\nb"))]
        for arguments in [[], ["--exact", "x"]] {
            var result = makeResult(tests: tests, libtest: nil, format: .pretty, output: "a\u{1}b", stderr: "")
            result.arguments = arguments
            #expect(try JSONReporter.encode(result) == Self.reference(result))
            result.tests = []
            #expect(try JSONReporter.encode(result) == Self.reference(result))
        }
    }

    /// 10,000 tests shaped like the benchmark's generator (libtest-flood.c).
    static func largeResult() -> RunResult {
        let tests = (0..<10_000).map { index -> TestCase in
            let name = "module_\(index / 1000)::submodule_\(index / 10 % 100)::test_\(index)"
            if index % 97 == 13 { return TestCase(name: name, outcome: .ignored, message: index % 2 == 1 ? "needs real hardware" : nil) }
            if index % 1000 == 424 { return TestCase(name: name, outcome: .failed, message: "assertion failed", output: "left: 4\nright: 5\n") }
            return TestCase(name: name, outcome: .passed)
        }
        return makeResult(tests: tests, libtest: nil, format: .json)
    }

    @Test("a 10,000-test result: the written file is JSONEncoder's bytes and decodes back")
    func largeJSON() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("out/results.json")
        let result = Self.largeResult()
        try JSONReporter.write(result, to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data == (try Self.reference(result)) + Data("\n".utf8))
        #expect(try JSONReporter.decode(data) == result)
    }

    @Test("a 10,000-test JUnit file streamed to disk validates and holds every case")
    func largeJUnit() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("junit.xml")
        try JUnitReporter.write(Self.largeResult(), to: path)
        try JUnitSchema.validate(path)
        #expect(try JUnitSchema.xpath("count(//testcase)", in: path) == "10000")
        #expect(try JUnitSchema.xpath("count(//testcase/failure)", in: path) == "10")
        #expect(try JUnitSchema.xpath("string(//testcase[@name='test_4424']/@classname)", in: path) == "crossrun_demo::module_4::submodule_42")
    }

    @Test("a report that does not fit on the disk is an error, not a cut file", arguments: ["junit", "json"])
    func fullDisk(kind: String) throws {
        guard FileManager.default.isWritableFile(atPath: "/dev/full") else { return }
        // /dev/full takes the open and fails every write with ENOSPC; the sink is used directly, as renaming
        // over a device is not possible.
        let result = Self.largeResult()
        #expect(throws: CrossRunError.self) {
            if kind == "junit" {
                let xml = try XMLWriter(path: "/dev/full")
                xml.start("testsuites")
                JUnitReporter.writeSuite(result, to: xml)
                xml.end()
                try xml.close()
            } else {
                let sink = try FileSink(path: "/dev/full")
                try JSONReporter.stream(result) { sink.write($0) }
                try sink.close()
            }
        }
    }
}

@Suite("libtest JSON lines recognised by their bytes")
struct LibtestJSONUsualLineTests {
    @Test("the usual started and ok lines give what the decoder gives; anything else goes to the decoder", arguments: [
        #"{ "type": "test", "event": "started", "name": "tests::adds" }"#,
        #"{ "type": "test", "name": "tests::adds", "event": "ok" }"#,
        #"{ "type": "test", "event": "started", "name": "ünï::テスト" }"#,
        #"{ "type": "test", "name": "quote\"d", "event": "ok" }"#,
        #"{ "type": "test", "name": "back\\slash\n", "event": "ok" }"#,
        #"{ "type": "test", "name": "a", "event": "failed", "x": "", "event": "ok" }"#,
        #"{ "type": "test", "name": "", "event": "ok" }"#,
        #"{ "type": "test", "event": "started", "name": "" }"#,
        #"{ "type": "test", "name": "t", "event": "ok", "exec_time": 0.001 }"#,
        "{ \"type\": \"test\", \"name\": \"tab\there\", \"event\": \"ok\" }",
    ])
    func sameAsDecoder(line: String) {
        #expect(LibtestJSON.parse(line) == LibtestJSON.parseDecoded(line))
    }
}

@Suite("libtest headers searched as bytes")
struct ByteSearchHeaderTests {
    /// libtest's header reading as it was before the byte search (Foundation's `range(of:)`), for comparison.
    static func foundationHeader(_ line: String) -> (name: String, mode: String?, rest: String)? {
        guard let separator = line.range(of: " ... ") ?? (line.hasSuffix(" ...") ? line.range(of: " ...", options: .backwards) : nil)
        else { return nil }
        guard line.distance(from: line.startIndex, to: separator.lowerBound) > 5 else { return nil }
        var name = String(line[line.index(line.startIndex, offsetBy: 5)..<separator.lowerBound])
        var mode: String?
        for candidate in LibtestLineParser.modes where name.hasSuffix(" - " + candidate) {
            name = String(name.dropLast(candidate.count + 3))
            mode = candidate
            break
        }
        while name.hasSuffix(" ") { name.removeLast() }
        guard !name.isEmpty else { return nil }
        return (name, mode, String(line[separator.upperBound...]))
    }

    @Test("test headers split where Foundation's search split them", arguments: [
        "test a ... ok", "test a::b - should panic ... ok", "test x ... FAILED", "test n ... ignored, needs hardware",
        "test spaced  name ... ok", "test a ... b ... ok", "test waits ...", "test ünï ... ok", "test a ...ok",
        "test long ... ok <0.002s>", "test printed ... text ok", "test  ... ok", "test c - compile fail ... ok",
        "test b   ... bench:       1,234 ns/iter (+/- 56)", "test e\u{301} ... ok", "test ...", "test  ...",
    ])
    func headers(line: String) {
        let header = LibtestLineParser.testHeader(line)
        let reference = Self.foundationHeader(line)
        #expect(header?.name == reference?.name)
        #expect(header?.mode == reference?.mode)
        if let header, let reference {
            #expect(header.result != nil || header.rest == reference.rest)
            #expect(header.result == LibtestLineParser.result(reference.rest, name: reference.name).map { test in
                var test = test
                test.mode = reference.mode
                return test
            })
        }
    }

    @Test("byte search finds the first and last occurrence, or none; JUnit names split at the last ::")
    func byteSearch() {
        let text = "a::b::c"
        #expect(ByteSearch.firstRange(of: "::", in: text).map { text[$0.upperBound...] } == "b::c")
        #expect(ByteSearch.lastRange(of: "::", in: text).map { text[$0.upperBound...] } == "c")
        #expect(ByteSearch.firstRange(of: "::", in: "abc") == nil)
        #expect(ByteSearch.lastRange(of: "::", in: ":") == nil)
        let unicode = "ünï ... ok"
        #expect(ByteSearch.firstRange(of: " ... ", in: unicode).map { String(unicode[..<$0.lowerBound]) } == "ünï")
        #expect(JUnitReporter.split("tests::math::adds", suite: "demo") == ("demo::tests::math", "adds"))
        #expect(JUnitReporter.split("src/lib.rs - add (line 5)", suite: "demo") == ("demo", "src/lib.rs - add (line 5)"))
        #expect(JUnitReporter.split("plain", suite: "demo") == ("demo", "plain"))
    }

    @Test("a test's out-of-line fields: set, cleared, compared and coded like stored ones")
    func testCaseFields() throws {
        var test = TestCase(name: "t", outcome: .failed)
        #expect(test.isPlain)
        test.message = "boom"
        test.mode = "should panic"
        #expect(!test.isPlain)
        var copy = test
        copy.message = "other"
        #expect(test.message == "boom")
        #expect(copy != test)
        copy.message = "boom"
        #expect(copy == test)
        test.message = nil
        test.mode = nil
        #expect(test.isPlain)
        #expect(test == TestCase(name: "t", outcome: .failed))
        var full = TestCase(name: "f", outcome: .error, duration: 1.5, message: "m", output: "o")
        full.outputTruncated = true
        full.benchmark = "b"
        full.errorKind = .timeout
        full.flaky = false
        full.reruns = [TestCase.Rerun(TestCase(name: "f", outcome: .failed, message: "x"))]
        let data = try JSONEncoder().encode(full)
        #expect(try JSONDecoder().decode(TestCase.self, from: data) == full)
        let keys = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]).keys.sorted()
        #expect(keys == ["benchmark", "duration", "errorKind", "flaky", "message", "name", "outcome", "output", "outputTruncated", "reruns"])
        #expect(MemoryLayout<TestCase>.stride <= 48)
    }
}

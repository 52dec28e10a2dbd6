import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// A results JSON as crossrun writes it, for one binary on one target.
private func writeRun(
    _ folder: TemporaryDirectory, _ file: String, target: String, binary: String = "crossrun_demo", package: String? = "crossrun-demo",
    tests: [TestCase], partition: String? = nil, startedAt: Double = 1_767_225_600, duration: Double = 0.5
) throws -> String {
    var result = makeResult(
        name: binary, tests: tests, libtest: nil, format: .pretty, duration: duration, status: tests.contains { $0.outcome == .failed } ? 101 : 0,
        startedAt: Date(timeIntervalSince1970: startedAt))
    result.launch.target = target
    result.package = package
    result.partition = partition
    let path = folder.path(file)
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try JSONReporter.write(result, to: path)
    return path
}

private func passed(_ name: String) -> TestCase { TestCase(name: name, outcome: .passed) }
private func failed(_ name: String, _ message: String) -> TestCase {
    TestCase(name: name, outcome: .failed, message: message, output: "thread '\(name)' panicked at src/lib.rs:1:1:\n\(message)\n")
}

@Suite("report matrix")
struct MatrixTests {
    @Test("a test that fails on one target only is the first row, before a difference with no failure, with both outcomes and the failing target's message")
    func differenceFirst() throws {
        let folder = try TemporaryDirectory()
        let common = [passed("tests::a"), failed("tests::everywhere", "always broken"), TestCase(name: "tests::slow", outcome: .ignored)]
        try writeRun(folder, "reports/x86.json", target: "x86_64", tests: common + [passed("tests::zz_width"), passed("tests::b_ignored_on_arm")])
        try writeRun(
            folder, "reports/arm.json", target: "armv7",
            tests: common + [failed("tests::zz_width", "usize is 32 bits"), TestCase(name: "tests::b_ignored_on_arm", outcome: .ignored)])
        let matrix = try Matrix.load([folder.path("reports")])
        #expect(matrix.targets == ["armv7", "x86_64"])
        #expect(matrix.rows.map(\.test) == ["tests::zz_width", "tests::b_ignored_on_arm", "tests::everywhere", "tests::a", "tests::slow"])
        let first = try #require(matrix.rows.first)
        #expect(first.group == .differs)
        #expect(first.crate == "crossrun-demo" && first.binary == "crossrun_demo")
        #expect(first.cells.map(\.state) == [.failed, .passed])
        #expect(first.cells[0].message == "usize is 32 bits")
        #expect(matrix.rows[1].group == .differs)
        #expect(matrix.rows[2].group == .failed)
        #expect(matrix.totals.map { $0.count(.failed) } == [2, 1])
        #expect(matrix.totals.map(\.runs) == [1, 1])

        let text = MatrixText.render(matrix)
        let lines = text.split(separator: "\n").map(String.init)
        let differs = try #require(lines.firstIndex { $0.hasPrefix("Differs between targets (2)") })
        #expect(lines[differs + 2].contains("FAILED") && lines[differs + 2].contains("passed") && lines[differs + 2].hasSuffix("tests::zz_width"))
        #expect(lines[differs + 3].contains("armv7: usize is 32 bits"))
        #expect(!text.contains("\u{1B}"))
        #expect(MatrixText.render(matrix, colour: true).contains("\u{1B}[1;31mFAILED"))
        #expect(text.contains("The same on every target: 2 tests (1 ignored, 1 passed)."))
    }

    @Test("partitions are one run; a test that a target's binary did not run is 'not run' and differs; no run of the binary at all does not")
    func partitionsAndMissing() throws {
        let folder = try TemporaryDirectory()
        try writeRun(folder, "a/p1.json", target: "aarch64", tests: [passed("t1"), passed("t3")], partition: "hash:1/2")
        try writeRun(folder, "a/p2.json", target: "aarch64", tests: [passed("t2")], partition: "hash:2/2")
        try writeRun(folder, "b/all.json", target: "i686", tests: [passed("t1"), passed("t2")])
        try writeRun(folder, "b/other.json", target: "i686", binary: "integration", tests: [passed("only_i686_ran_me")])
        let matrix = try Matrix.load([folder.path("a"), folder.path("b")])
        #expect(matrix.rows.first?.test == "t3")
        #expect(matrix.rows.first?.cells.map(\.state) == [.passed, .notRun])
        #expect(matrix.count(.differs) == 1)
        let integration = try #require(matrix.rows.first { $0.binary == "integration" })
        #expect(integration.cells.map(\.state) == [.noRun, .passed])
        #expect(integration.group == .same)
        #expect(matrix.totals.map(\.runs) == [1, 2])  // the partitions became one run
    }

    @Test("a job run again: the last attempt decides, a failure then a pass is flaky, the same run read twice counts once")
    func retries() throws {
        let folder = try TemporaryDirectory()
        try writeRun(folder, "r/first.json", target: "aarch64", tests: [failed("t", "boom"), passed("u")], startedAt: 1000)
        try writeRun(folder, "r/second.json", target: "aarch64", tests: [passed("t"), passed("u")], startedAt: 2000)
        try writeRun(folder, "r/x86.json", target: "x86_64", tests: [passed("t"), passed("u")])
        // A merged document beside them holds the same runs again.
        _ = try ResultsMerger.merge([folder.path("r")], into: folder.path("merged.json"))
        try FileManager.default.moveItem(atPath: folder.path("merged.json"), toPath: folder.path("r/results.json"))
        let matrix = try Matrix.load([folder.path("r")])
        let row = try #require(matrix.rows.first { $0.test == "t" })
        #expect(row.cells[0].state == .passed)
        #expect(row.cells[0].flaky)
        #expect(row.cells[0].attempts == 2)
        #expect(row.cells[0].message == "boom")
        #expect(row.group == .same)
        #expect(matrix.totals[0].runs == 2)
        #expect(matrix.totals[0].flaky == 1)
    }

    @Test("the Markdown lists differences and failures with links to their messages, and counts the rest")
    func markdown() throws {
        let folder = try TemporaryDirectory()
        try writeRun(folder, "m/a.json", target: "aarch64", tests: [passed("ok"), passed("width|pipe"), failed("both", "x < y & `z`")])
        try writeRun(folder, "m/b.json", target: "armv7", tests: [passed("ok"), failed("width|pipe", "32 bits"), failed("both", "x < y & `z`")])
        let markdown = MatrixMarkdown.render(try Matrix.load([folder.path("m")]))
        #expect(markdown.contains("| crossrun\\-demo crossrun\\_demo width\\|pipe | ✅ passed | [❌ FAILED](#t1-armv7) |"))
        #expect(markdown.contains("<a id=\"t1-armv7\"></a>"))
        #expect(markdown.contains("<a id=\"t2-aarch64\"></a>"))
        #expect(markdown.contains("```text\nx < y & `z`\n\n---- output ----\n"))
        #expect(markdown.contains("### The same on every target (1)"))
    }

    @Test("10,000 failing tests on 3 targets: the Markdown stays under GitHub's 1 MiB, differences first, the rest counted")
    func markdownLimit() throws {
        let folder = try TemporaryDirectory()
        let long = String(repeating: "output line that goes on for a while\n", count: 20)
        for target in ["aarch64", "armv7", "s390x"] {
            var tests: [TestCase] = []
            for index in 0..<10_000 {
                let name = "module::test_\(String(format: "%05d", index))"
                // Test 7 fails only on s390x.
                if index == 7 && target != "s390x" {
                    tests.append(passed(name))
                } else {
                    tests.append(TestCase(name: name, outcome: .failed, message: "failed on \(target)", output: long))
                }
            }
            try writeRun(folder, "big/\(target).json", target: target, tests: tests)
        }
        let matrix = try Matrix.load([folder.path("big")])
        #expect(matrix.rows.first?.test == "module::test_00007")
        let markdown = MatrixMarkdown.render(matrix)
        #expect(markdown.utf8.count < 1_048_576)
        #expect(markdown.utf8.count > 500_000)
        #expect(markdown.contains("| crossrun\\-demo crossrun\\_demo module::test\\_00007 | ✅ passed | ✅ passed | [❌ FAILED](#t1-s390x) |"))
        #expect(markdown.contains("<a id=\"t1-s390x\"></a>\n**s390x**: crossrun\\-demo crossrun\\_demo module::test\\_00007: FAILED\n\n```text\nfailed on s390x\n"))
        #expect(markdown.contains("more messages left out to keep this summary under GitHub's size limit"))
        #expect(markdown.contains("more not listed here, to keep this summary under GitHub's size limit"))
        #expect(markdown.contains("### Failed on every target that ran it (9999)"))
    }

    @Test("HTML: every text is escaped, nothing is loaded from elsewhere, failing cells link to their message")
    func html() throws {
        let folder = try TemporaryDirectory()
        let evil = "<script>alert('x')</script>\"&"
        try writeRun(folder, "h/a.json", target: "aarch64", tests: [passed(evil), passed("plain")])
        try writeRun(folder, "h/b.json", target: "<b>armv7</b>", tests: [failed(evil, "</pre><img src=x onerror=alert(1)>"), passed("plain")])
        let page = MatrixHTML.render(try Matrix.load([folder.path("h")]))
        #expect(!page.contains("<script>alert"))
        #expect(!page.contains("<img"))
        #expect(!page.contains("<b>armv7"))
        #expect(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;"))
        #expect(page.components(separatedBy: "<script").count == 2)  // the page's own script only
        #expect(!page.contains("http://") && !page.contains("https://"))
        #expect(!page.contains("<link") && !page.contains("url(") && !page.contains("<iframe"))
        #expect(page.contains("<a href=\"#m-t1-_b_armv7__b_\">FAILED</a>"))
        #expect(page.contains("<section class=\"message\" id=\"m-t1-_b_armv7__b_\">"))
    }

    @Test("no results JSON, or a file that is not one, is a one-line error with status 125")
    func badInput() throws {
        let folder = try TemporaryDirectory()
        let empty = try folder.folder("empty")
        let none = #expect(throws: CrossRunError.self) { try Matrix.load([empty]) }
        #expect(none == .noResultsFound(paths: [empty]))
        #expect(none?.exitStatus == 125)
        let bad = try folder.file("bad/x.json", text: "{\"not\": \"results\"}")
        let unreadable = #expect(throws: CrossRunError.self) { try Matrix.load([folder.path("bad")]) }
        #expect(unreadable?.code == .reportNotReadable)
        #expect(unreadable?.subject == bad)
        #expect(unreadable.map { !$0.description.contains("\n") } == true)
        // One good folder does not hide a mistyped or empty one.
        let good = try writeRun(folder, "good/a.json", target: "aarch64", tests: [passed("t")])
        let emptyBeside = #expect(throws: CrossRunError.self) { try Matrix.load([(good as NSString).deletingLastPathComponent, empty]) }
        #expect(emptyBeside == .noResultsFound(paths: [empty]))
        let missing = folder.path("nope")
        let mistyped = #expect(throws: CrossRunError.self) { try Matrix.load([good, missing]) }
        #expect(mistyped == .resultsNotReadable(path: missing, reason: "no such file or directory"))
        #expect(Matrix.withResults([good, missing, empty, folder.path("good")]) == [good, folder.path("good")])
    }
}

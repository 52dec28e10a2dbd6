import Foundation
import Testing

/// `crossrun report matrix` on real runs: the demo crate under cargo for aarch64 and armv7 with
/// CROSSRUN_DEMO_DIFFER=1 (tests::opt_in_failure then fails on 32-bit targets only), the HTML page rendered by
/// headless Chromium (its DOM after the page's script ran, and a screenshot), the Markdown parsed by cmark-gfm
/// (GitHub's CommonMark parser, with its table extension).
@Suite("report matrix (end to end)", .serialized)
struct MatrixReportTests {
    static let targets = ["aarch64-unknown-linux-gnu", "armv7-unknown-linux-gnueabihf"]

    /// The two targets' reports, made once: `cargo test --lib` per target, each into its own report folder.
    static let reports: Result<URL, any Error> = Result(catching: {
        try Examples.build()
        let folder = try temporaryDirectory("matrix")
        for triple in targets {
            let env = environment([
                cargoRunnerVariable(triple): crossrunExecutable, "CROSSRUN_DEMO_DIFFER": "1",
                "CROSSRUN_REPORT_DIR": folder.appendingPathComponent(triple).path,
            ])
            let result = try run("/usr/bin/cargo", ["test", "--offline", "--target", triple, "--lib"], environment: env, in: Examples.rustDemo)
            let expected: Int32 = triple.hasPrefix("armv7") ? 101 : 0
            guard result.status == expected else {
                throw Examples.BuildFailure(message: "cargo test --target \(triple) exited \(result.status), not \(expected): \(result.stderrText)")
            }
        }
        return folder
    })

    /// Chromium, headless, with a profile of its own; returns its stdout.
    static func chromium(_ arguments: [String]) throws -> ProcessResult {
        let profile = try temporaryDirectory("chromium-profile")
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try run(
            "/usr/bin/chromium",
            ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)", "--virtual-time-budget=10000"]
                + arguments)
        guard result.status == 0 else { throw Examples.BuildFailure(message: "chromium failed (\(result.status)): \(result.stderrText)") }
        return result
    }

    /// The `<tr class="row" ...>...</tr>` elements of a serialised DOM, in order.
    static func rows(in dom: String) -> [String] {
        dom.components(separatedBy: "<tr class=\"row\"").dropFirst().map { $0.components(separatedBy: "</tr>")[0] }
    }

    @Test("the demo for aarch64 and armv7: the page's and the summary's first row is the test that fails on armv7 only, with both outcomes and armv7's message")
    func acceptance() throws {
        let reports = try Self.reports.get()
        let out = try temporaryDirectory("matrix-out")
        let page = out.appendingPathComponent("matrix.html").path
        let summary = out.appendingPathComponent("summary.md").path
        let result = try crossrun(
            ["report", "matrix", reports.appendingPathComponent(Self.targets[0]).path, reports.appendingPathComponent(Self.targets[1]).path,
             "--html", page, "--markdown", summary])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.contains("crossrun: HTML page: \(page)"))

        // Text on stdout: the difference first, armv7's message under it, no colour (stdout is a pipe).
        let text = result.stdoutText
        #expect(!text.contains("\u{1B}"))
        let lines = text.split(separator: "\n").map(String.init)
        let differs = try #require(lines.firstIndex { $0.hasPrefix("Differs between targets (1)") }, "\(text)")
        #expect(lines[differs + 1].contains("aarch64") && lines[differs + 1].contains("armv7"))
        #expect(lines[differs + 2].hasSuffix("crossrun-demo crossrun_demo tests::opt_in_failure"))
        #expect(lines[differs + 2].contains("passed") && lines[differs + 2].contains("FAILED"))
        #expect(lines[differs + 3].contains("armv7: "), "\(text)")
        #expect(lines[differs + 3].contains("this code assumes 64-bit pointers"))

        // The page as Chromium renders it, after its script ran.
        let dom = try Self.chromium(["--dump-dom", "file://" + page]).stdoutText
        let rows = Self.rows(in: dom)
        let first = try #require(rows.first, "\(dom.prefix(2000))")
        #expect(first.contains("tests::opt_in_failure"))
        #expect(first.contains("data-group=\"differs\""))
        #expect(first.contains("class=\"cell passed\""))
        #expect(first.contains("<a href=\"#m-t1-armv7\">FAILED</a>"))
        #expect(!first.contains("hidden"))
        #expect(dom.contains("data-ready=\"\(rows.count)\""), "the page's script did not run")
        #expect(rows.count >= 10)
        // The collapsed rows (the same on both targets) are hidden until shown.
        #expect(rows.filter { $0.contains("data-group=\"same\"") }.allSatisfy { $0.contains("hidden") })
        let message = try #require(dom.range(of: "<section class=\"message\" id=\"m-t1-armv7\">"))
        let section = dom[message.lowerBound...].components(separatedBy: "</section>")[0]
        #expect(section.contains("this code assumes 64-bit pointers"))
        #expect(section.contains("CROSSRUN_DEMO_DIFFER=1: expecting a 64-bit usize, this target has 32 bits"))  // its output
        // The filter from the address: only the difference shows.
        let filtered = Self.rows(in: try Self.chromium(["--dump-dom", "file://" + page + "?show=differs"]).stdoutText)
        #expect(filtered.filter { !$0.contains("hidden") }.count == 1)
        #expect(filtered.first { !$0.contains("hidden") }?.contains("tests::opt_in_failure") == true)
        // A search finds a collapsed row.
        let searched = Self.rows(in: try Self.chromium(["--dump-dom", "file://" + page + "?q=reverse_words"]).stdoutText)
        #expect(searched.filter { !$0.contains("hidden") }.map { $0.contains("reverse_words_works") } == [true])

        // A screenshot: a real rendering, with the failing cell's red background in it.
        let shot = out.appendingPathComponent("matrix.png").path
        _ = try Self.chromium(["--screenshot=\(shot)", "--window-size=1280,900", "--hide-scrollbars", "file://" + page])
        let pixels = try PNGPixels.count(shot, near: (0xFF, 0xEB, 0xE9))
        #expect(pixels.width == 1280 && pixels.height == 900)
        #expect(pixels.matching > 200, "no failing cell's background in the screenshot")
        #expect(pixels.distinctColours > 10, "the screenshot looks blank")

        // The Markdown as GitHub's parser reads it: the first row of the first table after the totals is the test.
        let markdown = try String(contentsOfFile: summary, encoding: .utf8)
        let parsed = try run("/usr/bin/cmark-gfm", ["--validate-utf8", "--unsafe", "-e", "table", "-t", "html", summary])
        #expect(parsed.status == 0, "\(parsed.stderrText)")
        let html = parsed.stdoutText
        let tables = html.components(separatedBy: "<table>").dropFirst()
        #expect(tables.count == 2, "\(html.prefix(3000))")  // the totals and the differences
        let firstRow = try #require(tables.dropFirst().first?.components(separatedBy: "<tbody>").dropFirst().first?.components(separatedBy: "</tr>").first)
        #expect(firstRow.contains("crossrun-demo crossrun_demo tests::opt_in_failure"), "\(firstRow)")
        #expect(firstRow.contains(">✅ passed</td>"))
        #expect(firstRow.contains("<a href=\"#t1-armv7\">❌ FAILED</a>"))
        #expect(html.contains("<a id=\"t1-armv7\"></a>"))
        let block = try #require(html.components(separatedBy: "<pre><code class=\"language-text\">").dropFirst().first)
        #expect(block.contains("this code assumes 64-bit pointers"))
        #expect(markdown.utf8.count < 1_048_576)
    }

    @Test("the text is coloured on a terminal only, and not with NO_COLOR")
    func colourOnTerminal() throws {
        let reports = try Self.reports.get()
        let folders = Self.targets.map { reports.appendingPathComponent($0).path }
        // util-linux's script(1) gives the command a pseudo-terminal as stdout.
        let command = ([crossrunExecutable, "report", "matrix"] + folders).map { "'\($0)'" }.joined(separator: " ")
        let onTerminal = try run("/usr/bin/script", ["-qec", command, "/dev/null"], environment: environment(["TERM": "xterm", "NO_COLOR": nil]))
        #expect(onTerminal.status == 0, "\(onTerminal.stderrText)")
        #expect(onTerminal.stdoutText.contains("\u{1B}[1;31mFAILED"), "\(onTerminal.stdoutText)")
        let noColour = try run("/usr/bin/script", ["-qec", command, "/dev/null"], environment: environment(["TERM": "xterm", "NO_COLOR": "1"]))
        #expect(noColour.status == 0)
        #expect(noColour.stdoutText.contains("FAILED") && !noColour.stdoutText.contains("\u{1B}["), "\(noColour.stdoutText)")
        let piped = try crossrun(["report", "matrix"] + folders)
        #expect(piped.stdoutText.contains("FAILED") && !piped.stdoutText.contains("\u{1B}"))
    }

    @Test("a page of 12,000 tests on 2 targets: Chromium renders it and its script filters it")
    func largePage() throws {
        let folder = try temporaryDirectory("matrix-large")
        for (target, failing) in [("aarch64", 11_999), ("armv7", -1)] {
            var tests: [[String: Any]] = []
            for index in 0..<12_000 {
                tests.append(["name": "module::test_\(index)", "outcome": index == failing ? "failed" : "passed", "message": "boom"])
            }
            let run: [String: Any] = [
                "schema": "crossrun-results", "version": 1, "binary": ["name": "big", "fileName": "big-0123456789abcdef"],
                "launch": ["target": target], "startedAt": "2026-12-01T00:00:00Z", "duration": 1.5, "tests": tests,
            ]
            try JSONSerialization.data(withJSONObject: run).write(to: folder.appendingPathComponent("\(target).json"))
        }
        let page = folder.appendingPathComponent("page.html").path
        let result = try crossrun(["report", "matrix", folder.path, "--html", page])
        #expect(result.status == 0, "\(result.stderrText)")
        let started = Date()
        let dom = try Self.chromium(["--dump-dom", "file://" + page + "?show=failed"]).stdoutText
        let seconds = Date().timeIntervalSince(started)
        let rows = Self.rows(in: dom)
        #expect(rows.count == 12_000)
        #expect(dom.contains("data-ready=\"12000\""))
        #expect(dom.contains("data-shown=\"1\""))
        #expect(rows.first?.contains("module::test_11999") == true)
        #expect(seconds < 60, "Chromium took \(seconds)s")
    }

    @Test("bad input: no results JSON, or a file that is not one, is one line and status 125; --allow-empty is 0")
    func badInput() throws {
        let folder = try temporaryDirectory("matrix-bad")
        let empty = folder.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let none = try crossrun(["report", "matrix", empty])
        #expect(none.status == 125)
        #expect(none.stderrText == "crossrun: error: no results JSON found in \(empty); run the tests with crossrun first (each binary writes one, by default into target/crossrun/) or pass the .json files.\n")
        let bad = folder.appendingPathComponent("bad.json").path
        try Data("{\"runs\": 3".utf8).write(to: URL(fileURLWithPath: bad))
        let unreadable = try crossrun(["report", "matrix", bad])
        #expect(unreadable.status == 125)
        #expect(unreadable.stderrText.hasPrefix("crossrun: error: cannot read the results JSON \(bad) (it is not a JSON object); "))
        #expect(unreadable.stderrText.split(separator: "\n").count == 1)
        let missing = folder.appendingPathComponent("missing").path
        let allowed = try crossrun(["report", "matrix", "--allow-empty", missing, empty, "--html", folder.appendingPathComponent("x.html").path])
        #expect(allowed.status == 0)
        #expect(allowed.stderrText.contains("nothing written"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.html").path))
        let noArguments = try crossrun(["report", "matrix"])
        #expect(noArguments.status == 64 || noArguments.status == 125 || noArguments.status == 2, "\(noArguments.status)")
        #expect(noArguments.stderrText.contains("Missing expected argument '<dir> ...'"))
    }
}

/// Reads a PNG (8-bit RGB or RGBA, not interlaced, as Chromium writes screenshots) with python3's zlib and counts
/// the pixels near a colour and the distinct colours.
enum PNGPixels {
    struct Counts { var width: Int; var height: Int; var matching: Int; var distinctColours: Int }

    static func count(_ path: String, near colour: (Int, Int, Int)) throws -> Counts {
        let script = """
            import struct, sys, zlib
            data = open(sys.argv[1], "rb").read()
            assert data[:8] == b"\\x89PNG\\r\\n\\x1a\\n", "not a PNG"
            pos, idat, width, height, kind = 8, b"", 0, 0, 0
            while pos < len(data):
                length, name = struct.unpack(">I4s", data[pos:pos + 8])
                body = data[pos + 8:pos + 8 + length]
                if name == b"IHDR":
                    width, height, depth, kind, _, _, interlace = struct.unpack(">IIBBBBB", body)
                    assert depth == 8 and kind in (2, 6) and interlace == 0, (depth, kind, interlace)
                elif name == b"IDAT":
                    idat += body
                pos += 12 + length
            raw = zlib.decompress(idat)
            bpp = 4 if kind == 6 else 3
            stride = width * bpp
            previous = bytearray(stride)
            target = tuple(int(v) for v in sys.argv[2:5])
            matching, colours, offset = 0, set(), 0
            for _ in range(height):
                kind_filter = raw[offset]
                line = bytearray(raw[offset + 1:offset + 1 + stride])
                offset += 1 + stride
                for i in range(stride):
                    left = line[i - bpp] if i >= bpp else 0
                    up = previous[i]
                    upleft = previous[i - bpp] if i >= bpp else 0
                    if kind_filter == 1: line[i] = (line[i] + left) & 255
                    elif kind_filter == 2: line[i] = (line[i] + up) & 255
                    elif kind_filter == 3: line[i] = (line[i] + (left + up) // 2) & 255
                    elif kind_filter == 4:
                        p = left + up - upleft
                        pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                        line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else upleft)) & 255
                for x in range(0, stride, bpp):
                    pixel = (line[x], line[x + 1], line[x + 2])
                    colours.add(pixel)
                    if all(abs(a - b) <= 6 for a, b in zip(pixel, target)): matching += 1
                previous = line
            print(width, height, matching, len(colours))
            """
        let result = try run("/usr/bin/python3", ["-c", script, path, String(colour.0), String(colour.1), String(colour.2)])
        let fields = result.stdoutText.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard result.status == 0, fields.count == 4 else {
            throw Examples.BuildFailure(message: "cannot read the screenshot \(path): \(result.stderrText)")
        }
        return Counts(width: fields[0], height: fields[1], matching: fields[2], distinctColours: fields[3])
    }
}

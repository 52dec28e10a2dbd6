import Foundation
import Testing

/// The docs match `--help`: every option `crossrun help SUBCOMMAND` prints is documented.
struct DocsTests {
    static let docs = packageRoot.appendingPathComponent("docs")

    /// All of docs/*.md as one text.
    static func allDocs() throws -> String {
        try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }.sorted()
            .map { try String(contentsOf: docs.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
    }

    /// The `--long` options in a help text's OPTIONS sections (the first word of each option line).
    static func options(inHelp help: String) -> Set<String> {
        var found = Set<String>()
        let pattern = try! NSRegularExpression(pattern: #"^  (?:-[A-Za-z], )?(--[a-z][a-z0-9-]*)"#, options: .anchorsMatchLines)
        for match in pattern.matches(in: help, range: NSRange(help.startIndex..., in: help)) {
            found.insert(String(help[Range(match.range(at: 1), in: help)!]))
        }
        return found
    }

    @Test("every option of crossrun help run/setup/doctor appears in docs/", arguments: ["run", "setup", "doctor"])
    func optionsDocumented(subcommand: String) throws {
        let help = try crossrun(["help", subcommand])
        #expect(help.status == 0)
        let options = Self.options(inHelp: help.stdoutText)
        #expect(options.contains("--help"))
        #expect(options.count > 2, "no options read from: \(help.stdoutText)")
        let docs = try Self.allDocs()
        for option in options.sorted() where option != "--version" {
            #expect(docs.contains("`\(option)") || docs.contains("| `\(option)"), "crossrun \(subcommand) \(option) is not documented in docs/")
        }
    }

    @Test("crossrun run --help and -h print run's help (not a binary named --help)", arguments: ["--help", "-h"])
    func runHelp(flag: String) throws {
        let help = try crossrun(["run", flag])
        #expect(help.status == 0, "\(help.stderrText)")
        #expect(help.stdoutText == (try crossrun(["help", "run"])).stdoutText)
        #expect(help.stdoutText.contains("--isolate"))
    }

    @Test("docs/cli.md documents setup's and doctor's options in their own sections", arguments: ["setup", "doctor"])
    func cliSections(subcommand: String) throws {
        let cli = try String(contentsOf: Self.docs.appendingPathComponent("cli.md"), encoding: .utf8)
        let section = try #require(cli.components(separatedBy: "## crossrun \(subcommand)\n").dropFirst().first?.components(separatedBy: "\n## ").first)
        for option in Self.options(inHelp: try crossrun(["help", subcommand]).stdoutText).sorted() where option != "--version" {
            #expect(section.contains("`\(option)"), "docs/cli.md's crossrun \(subcommand) section lacks \(option)")
        }
    }

    @Test("docs/troubleshooting.md quotes messages crossrun really prints")
    func troubleshootingMessages() throws {
        let text = try String(contentsOf: Self.docs.appendingPathComponent("troubleshooting.md"), encoding: .utf8)
        // Two errors produced here, their message prefixes looked up in the guide.
        let missing = try crossrun(["/nonexistent/test-binary"])
        #expect(missing.stderrText.hasPrefix("crossrun: error: /nonexistent/test-binary: no such file"))
        #expect(text.contains(": no such file; build the test binary first"))
        let unknown = try crossrun(["doctor", "--target", "m68k"])
        #expect(unknown.stderrText.contains("unknown target m68k; known targets:"))
        #expect(text.contains("unknown target"))
    }

    @Test("docs/targets.md shows exactly the table crossrun targets --table prints")
    func targetsTable() throws {
        let text = try String(contentsOf: Self.docs.appendingPathComponent("targets.md"), encoding: .utf8)
        let begin = "<!-- targets-table: begin (crossrun targets --table) -->\n", end = "<!-- targets-table: end -->"
        let start = try #require(text.range(of: begin), "docs/targets.md has no \(begin)")
        let stop = try #require(text.range(of: end, range: start.upperBound..<text.endIndex))
        let printed = try crossrun(["targets", "--table"], environment: environment(["CROSSRUN_RUNNERS_DIR": nil]))
        #expect(printed.status == 0, "\(printed.stderrText)")
        #expect(String(text[start.upperBound..<stop.lowerBound]) == printed.stdoutText,
                "docs/targets.md is out of date: replace its table with the output of crossrun targets --table")
    }

    /// The runner of each Rust triple, read from `crossrun targets --table` (first two columns).
    static func runnersByTriple(_ table: String) -> [String: String] {
        var runners: [String: String] = [:]
        for line in table.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let runner = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            for triple in cells[1].split(separator: ",") {
                runners[triple.trimmingCharacters(in: CharacterSet(charactersIn: "` "))] = runner
            }
        }
        return runners
    }

    @Test("docs/targets.md's comparison with cross names the runner crossrun really picks for each of cross's targets")
    func crossComparison() throws {
        let text = try String(contentsOf: Self.docs.appendingPathComponent("targets.md"), encoding: .utf8)
        let section = try #require(text.range(of: "## Compared with cross")).upperBound
        let printed = try crossrun(["targets", "--table"], environment: environment(["CROSSRUN_RUNNERS_DIR": nil]))
        let runners = Self.runnersByTriple(printed.stdoutText)
        var rows = 0
        for line in text[section...].split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let triple = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let crossrunCell = cells[2]
            if crossrunCell.hasPrefix("`") {
                let named = String(crossrunCell.dropFirst().prefix { $0 != "`" })
                #expect(runners[triple] == named, "\(triple): docs say \(named), crossrun targets says \(runners[triple] ?? "none")")
            } else {
                #expect(runners[triple] == nil, "\(triple): docs say \"\(crossrunCell)\", but runner \(runners[triple] ?? "") takes it")
            }
            rows += 1
        }
        #expect(rows > 40, "the comparison table lists cross's targets")
    }
}

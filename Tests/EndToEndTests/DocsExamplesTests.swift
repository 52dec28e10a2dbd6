import Foundation
import Testing

/// The `crossrun ...` command lines in the README's and docs' code blocks: every subcommand and `--option` they use
/// is one crossrun has, and those that name a binary under Examples/ run as written.
struct DocsExamplesTests {
    struct Example: Sendable, CustomTestStringConvertible {
        var file: String
        var line: Int
        var command: String
        var testDescription: String { "\(file):\(line): \(command)" }
    }

    /// The Markdown files users read: README.md, Examples/README.md and docs/*.md.
    static var files: [URL] {
        let docs = packageRoot.appendingPathComponent("docs")
        let pages = ((try? FileManager.default.contentsOfDirectory(atPath: docs.path)) ?? []).filter { $0.hasSuffix(".md") }.sorted()
        return [packageRoot.appendingPathComponent("README.md"), Examples.root.appendingPathComponent("README.md")]
            + pages.map { docs.appendingPathComponent($0) }
    }

    /// Every line inside a fenced code block that starts with `crossrun ` (or `$ crossrun `), its comment cut off.
    static var examples: [Example] {
        var found: [Example] = []
        for file in files {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            var inBlock = false
            for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("```") {
                    inBlock.toggle()
                    continue
                }
                guard inBlock else { continue }
                var command = line.hasPrefix("$ ") ? String(line.dropFirst(2)) : line
                guard command.hasPrefix("crossrun ") else { continue }
                // `crossrun: ...` output lines do not match; cut a trailing `# comment` and `; echo $?`.
                if let hash = command.range(of: " #") { command = String(command[..<hash.lowerBound]) }
                if let echo = command.range(of: "; echo") { command = String(command[..<echo.lowerBound]) }
                let name = file.path.replacingOccurrences(of: packageRoot.path + "/", with: "")
                found.append(Example(file: name, line: index + 1, command: command.trimmingCharacters(in: .whitespaces)))
            }
        }
        return found
    }

    static let subcommands: Set<String> = ["run", "doctor", "setup", "targets", "sysroot", "report", "help", "system-run"]
    static let nested: [String: Set<String>] = ["sysroot": ["fetch", "list", "path", "verify", "remove"], "report": ["merge", "summary", "matrix"]]

    /// The subcommand path (`["report", "merge"]`, `[]` for the default run) and the `--options` written before the
    /// binary (run) or anywhere (other subcommands); alternatives (`fetch|list`) and placeholders are skipped.
    static func parse(_ command: String) -> (path: [String], options: [String]) {
        var words = command.split(separator: " ").map(String.init).dropFirst()
        var path: [String] = []
        if let first = words.first, subcommands.contains(first) {
            path.append(first)
            words = words.dropFirst()
            if let second = words.first, let children = nested[first] {
                let choices = second.split(separator: "|").map(String.init)
                if choices.allSatisfy(children.contains) {
                    path.append(choices[0])
                    words = words.dropFirst()
                }
            }
        }
        let isRun = path.isEmpty || path == ["run"]
        var options: [String] = []
        for word in words {
            if word == "--" { break }
            let cleaned = word.trimmingCharacters(in: CharacterSet(charactersIn: "[]|"))
            if cleaned.hasPrefix("--") {
                options.append(String(cleaned.split(separator: "=", maxSplits: 1)[0]))
            } else if isRun && (cleaned.contains("/") || cleaned == "BINARY") {
                break  // the binary: what follows is its own arguments
            }
        }
        return (path, options.filter { $0 != "--" && $0.count > 2 })
    }

    @Test("the docs have crossrun command lines to check")
    func found() {
        #expect(Self.examples.count > 40)
    }

    @Test("every subcommand and --option a documented command line uses exists", arguments: examples)
    func optionsExist(example: Example) throws {
        let (path, options) = Self.parse(example.command)
        guard !options.isEmpty, path.first != "help" else { return }
        let help = try crossrun(["help"] + (path.isEmpty ? ["run"] : path))
        #expect(help.status == 0, "\(path): \(help.stderrText)")
        let text = help.stdoutText
        for option in options {
            #expect(text.contains(option + " ") || text.contains(option + "\n") || text.contains(option + ","),
                    "\(example.file):\(example.line): \(option) is not an option of crossrun \(path.joined(separator: " "))")
        }
    }

    /// The documented runs of a binary under Examples/.
    static var exampleRuns: [Example] {
        examples.filter { example in
            let words = example.command.split(separator: " ")
            return words.contains { $0.hasPrefix("Examples/") }
        }
    }

    @Test("documented runs of the Examples' binaries run as written (no crossrun error: 125-127)", arguments: exampleRuns)
    func examplesRun(example: Example) throws {
        let reports = try temporaryDirectory("docs-example")
        defer { try? FileManager.default.removeItem(at: reports) }
        // Through a shell, as a reader would type it, in the package root the paths are relative to.
        let result = try run("/bin/sh", ["-c", example.command], environment: environment(["CROSSRUN_REPORT_DIR": reports.path]), in: packageRoot)
        // The binaries fail, crash or time out on purpose (1, 101, 124, 128 + N); 125-127 would be crossrun refusing.
        #expect(!(125...127).contains(result.status), "\(example.file):\(example.line): exit \(result.status): \(result.stderrText.suffix(1500))")
    }
}

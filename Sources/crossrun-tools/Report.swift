import ArgumentParser
import CrossRunCLI
import CrossRunKit
import CrossRunTools
import Foundation

/// `crossrun report ...`: work with report files.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: CrossRunCommand.report.name,
        abstract: CrossRunCommand.report.abstract,
        subcommands: [Merge.self, Summary.self, MatrixCommand.self]
    )

    /// `crossrun report merge A.xml B.xml DIR -o junit.xml`
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge",
            abstract: "Combine JUnit files (a folder means every .xml in it) into one, and results JSON files with --json.",
            discussion: "Typical use after `cargo test`: crossrun report merge target/crossrun -o junit.xml --json results.json. Reports of one binary run in partitions (--partition) become one suite (one run) with no test twice."
        )

        @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The merged JUnit file to write.", valueName: "path"))
        var output: String

        @Option(name: .customLong("json"), help: ArgumentHelp("Also merge the results JSON files (.json among the inputs; a folder means every .json in it) into this file.", valueName: "path"))
        var json: String?

        @Flag(name: .customLong("allow-empty"), help: "With no report to merge (a missing folder counts as none), say so and exit 0 writing nothing, so a CI step can end with the test command's own status.")
        var allowEmpty = false

        @Argument(help: ArgumentHelp("JUnit files or folders of them.", valueName: "report"))
        var inputs: [String]

        func validate() throws {
            if inputs.isEmpty { throw ValidationError("name at least one JUnit file or folder to merge") }
        }

        func run() throws {
            var inputs = inputs
            if allowEmpty {
                // A build that failed before any test ran leaves no report folder: that is nothing to merge.
                inputs = inputs.filter { FileManager.default.fileExists(atPath: $0) }
                let reports = try ReportMerger.expand(inputs.filter { !$0.hasSuffix(".json") })
                    .filter { ($0 as NSString).standardizingPath != (output as NSString).standardizingPath }
                if reports.isEmpty {
                    let named = self.inputs.joined(separator: ", ")
                    TerminalSummary.emit("crossrun: no JUnit reports in \(named): no test binary ran (the test command's own output says why); nothing written")
                    return
                }
            }
            let merged = try ReportMerger.merge(inputs.filter { !$0.hasSuffix(".json") }, into: output)
            if let json {
                let results = try ResultsMerger.merge(inputs.filter { !$0.hasSuffix(".xml") }, into: json)
                FileHandle.standardError.write(Data("crossrun: merged \(results.suites) run\(results.suites == 1 ? "" : "s") (\(results.tests) tests) into \(json)\n".utf8))
            }
            let suites = "\(merged.suites) test suite\(merged.suites == 1 ? "" : "s")"
            let passed = merged.tests - merged.failures - merged.errors - merged.skipped
            let counts = "\(merged.tests) tests: \(passed) passed, \(merged.failures) failed, \(merged.errors) errors, \(merged.skipped) skipped"
            FileHandle.standardError.write(Data("crossrun: merged \(suites) (\(counts)) into \(output)\n".utf8))
        }
    }

    /// `crossrun report summary [DIR]`: the totals of the latest `cargo test` whose binaries wrote reports to DIR.
    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "summary",
            abstract: "Print the totals of the latest cargo test across its binaries (from the record crossrun keeps in the report folder).",
            discussion: "Exit status 0 when every binary of that cargo test exited 0, 1 when one did not; 125 when DIR holds no record (no cargo test wrote reports there)."
        )

        @Argument(help: ArgumentHelp("The report folder (default: target/crossrun).", valueName: "dir"))
        var directory: String = "target/crossrun"

        func run() throws {
            guard let latest = RunTally.latest(in: directory) else {
                throw CrossRunError.noRunRecord(directory: directory)
            }
            print("crossrun: cargo test: \(latest.totals.text)")
            if latest.totals.failedBinaries > 0 { throw ExitCode(1) }
        }
    }

    /// `crossrun report matrix DIR... [--html FILE] [--markdown FILE]`: every test on every target (docs/matrix.md).
    struct MatrixCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "matrix",
            abstract: "Show every test on every target, differences first: text on stdout, an HTML page with --html, Markdown (a CI job summary) with --markdown.",
            discussion: "Reads the results JSON files (a folder means every .json in it) of any number of runs: targets, partitions, CI jobs run again. One row per test (package, binary, test), one column per target (launch.target). Exit status 0 whatever the tests did; 125 when no results JSON is found or one cannot be read."
        )

        @Option(name: .customLong("html"), help: ArgumentHelp("Write a self-contained HTML page (search, filters, every failing cell's message and output) to this file.", valueName: "path"))
        var html: String?

        @Option(name: .customLong("markdown"), help: ArgumentHelp("Write GitHub-flavoured Markdown, kept under GitHub's 1 MiB job summary limit, to this file.", valueName: "path"))
        var markdown: String?

        @Flag(name: .customLong("allow-empty"), help: "Skip missing folders and folders without results JSON; with none left, say so and exit 0 writing nothing, so a CI step can end with the test command's own status.")
        var allowEmpty = false

        @Argument(help: ArgumentHelp("Results JSON files or folders of them (crossrun's report folders, such as target/crossrun); each must hold results JSON.", valueName: "dir"))
        var inputs: [String]

        func validate() throws {
            if inputs.isEmpty { throw ValidationError("name at least one report folder (such as target/crossrun) or results JSON file") }
        }

        func run() throws {
            var inputs = inputs
            if allowEmpty {
                // A missing folder, or one without results JSON, is a job that ran no test binary.
                inputs = CrossRunTools.Matrix.withResults(inputs)
                if inputs.isEmpty {
                    TerminalSummary.emit("crossrun: no results JSON in \(self.inputs.joined(separator: ", ")): no test binary ran (the test command's own output says why); nothing written")
                    return
                }
            }
            let matrix = try CrossRunTools.Matrix.load(inputs)
            if let html { try CrossRunTools.Matrix.write(MatrixHTML.render(matrix), to: html) }
            if let markdown { try CrossRunTools.Matrix.write(MatrixMarkdown.render(matrix), to: markdown) }
            let environment = ProcessInfo.processInfo.environment
            let colour = isatty(STDOUT_FILENO) == 1 && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
            FileHandle.standardOutput.write(Data(MatrixText.render(matrix, colour: colour).utf8))
            for (kind, path) in [("HTML page", html), ("Markdown", markdown)] {
                if let path { TerminalSummary.emit("crossrun: \(kind): \(path)") }
            }
        }
    }
}

import ArgumentParser
import CrossRunKit
import Foundation

/// `crossrun report ...`: work with report files.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Work with crossrun's report files.",
        subcommands: [Merge.self]
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

        @Argument(help: ArgumentHelp("JUnit files or folders of them.", valueName: "report"))
        var inputs: [String]

        func validate() throws {
            if inputs.isEmpty { throw ValidationError("name at least one JUnit file or folder to merge") }
        }

        func run() throws {
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
}

import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import Testing

/// Issue 17: what a cargo user runs next, on a copy of Examples/fidelity (a library with doctests, one failing;
/// tests/panics.rs with failing tests; a program) built with Debian's cargo for aarch64 and armv7, crossrun the
/// runner from .cargo/config.toml. Panics printed under --nocapture reach the JUnit failures; `cargo run` is a
/// program, not a test; doctests are named and reported under target/; the totals of a `cargo test` add up over
/// its binaries; and nothing is written to the source tree.
@Suite(.serialized)
struct FidelityTests {
    static let aarch64 = "aarch64-unknown-linux-gnu"
    static let armv7 = "armv7-unknown-linux-gnueabihf"

    /// A fresh copy of Examples/fidelity (sources only) in a temporary folder.
    static func crate() throws -> URL {
        try Examples.build()
        let folder = try temporaryDirectory("fidelity")
        let crate = folder.appendingPathComponent("fidelity")
        try FileManager.default.createDirectory(at: crate, withIntermediateDirectories: true)
        for item in ["Cargo.toml", "src", "tests", ".cargo"] {
            try FileManager.default.copyItem(
                at: Examples.root.appendingPathComponent("fidelity/\(item)"), to: crate.appendingPathComponent(item))
        }
        return crate
    }

    /// Every path under `folder` except target/, sorted.
    static func sourceTree(_ folder: URL) throws -> [String] {
        let all = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        return all.filter { !$0.hasPrefix("target") && $0 != "Cargo.lock" }.sorted()
    }

    static func cargo(_ arguments: [String], in crate: URL, _ changes: [String: String?] = [:]) throws -> ProcessResult {
        try run("/usr/bin/cargo", arguments, environment: environment(changes), in: crate)
    }

    static func junit(_ path: String) throws -> XMLDocument {
        #expect(try schemaProblems(path) == nil)
        return try XMLDocument(contentsOf: URL(fileURLWithPath: path))
    }

    static func failureMessages(_ document: XMLDocument) throws -> [String: String] {
        var messages: [String: String] = [:]
        for case let testcase as XMLElement in try document.nodes(forXPath: "//testcase") {
            if let failure = testcase.elements(forName: "failure").first {
                messages[testcase.attribute(forName: "name")?.stringValue ?? ""] = failure.attribute(forName: "message")?.stringValue
            }
        }
        return messages
    }

    static let panics: [String: String] = [
        "fails_with_assert_eq": "assertion failed: `(left == right)`\n  left: `42`,\n right: `43`: the answer is off",
        "fails_with_panic": "boom in fails_with_panic",
        "fails_with_unwrap": "called `Result::unwrap()` on an `Err` value: \"not a number\"",
    ]

    @Test("--nocapture: each failing test's JUnit failure and results JSON message is its panic, credited by thread",
          arguments: [(threads: 1, quiet: false), (threads: 4, quiet: false), (threads: 4, quiet: true)])
    func nocapturePanics(threads: Int, quiet: Bool) throws {
        let crate = try Self.crate()
        defer { try? FileManager.default.removeItem(at: crate.deletingLastPathComponent()) }
        let result = try Self.cargo(
            ["test", "--offline", "--target", Self.aarch64, "--test", "panics"] + (quiet ? ["-q"] : [])
                + ["--", "--nocapture", "--test-threads", String(threads)], in: crate)
        #expect(result.status == 101, "\(result.stderrText)")
        // The panics still reach the terminal unchanged.
        #expect(result.stderrText.contains("panicked at 'boom in fails_with_panic'"))
        let reports = crate.appendingPathComponent("target/crossrun")
        let files = try FileManager.default.contentsOfDirectory(atPath: reports.path)
        let xml = try #require(files.first { $0.hasPrefix("panics-") && $0.hasSuffix(".xml") }, "\(files)")
        let messages = try Self.failureMessages(try Self.junit(reports.appendingPathComponent(xml).path))
        let json = try readResults(reports.appendingPathComponent(String(xml.dropLast(4)) + ".json").path)
        let tests = try #require(json["tests"] as? [[String: Any]])
        #expect(Set(messages.keys) == Set(Self.panics.keys), "\(messages)")
        for (name, message) in Self.panics {
            let jsonMessage = tests.first { $0["name"] as? String == name }?["message"] as? String
            if threads == 1 {
                #expect(messages[name] == message, "\(name): \(messages[name] ?? "nil")")
                #expect(jsonMessage == message)
            } else {
                // Rust 1.63 writes a panic in pieces without a lock, so with several threads two panics can tear
                // into each other mid-word: a torn one falls back to "failed" or keeps a cut-short start of its
                // own message. Never another test's message.
                let got = messages[name] ?? ""
                let firstLine = got.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
                #expect(got == "failed" || (!firstLine.isEmpty && message.hasPrefix(firstLine) && !got.contains("panicked at")),
                        "\(name): \(got)")
                #expect(jsonMessage == messages[name])
            }
        }
        if threads > 1 {
            // Most runs do not tear: at least one panic is credited.
            #expect(messages.values.contains { $0 != "failed" }, "\(messages)")
        }
        #expect(try Self.sourceTree(crate) == [".cargo", ".cargo/config.toml", "Cargo.toml", "src", "src/lib.rs", "src/main.rs", "tests", "tests/panics.rs"])
    }

    @Test("cargo run on two targets: the program's output and exit status, no summary line, no report; reports asked for do not collide")
    func cargoRun() throws {
        let crate = try Self.crate()
        defer { try? FileManager.default.removeItem(at: crate.deletingLastPathComponent()) }
        for (target, arch) in [(Self.aarch64, "aarch64"), (Self.armv7, "arm")] {
            let result = try Self.cargo(["run", "-q", "--offline", "--target", target, "--", "one", "two"], in: crate)
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(result.stdoutText == "fidelity-tool on \(arch): one two\n")
            #expect(!result.stderrText.contains("crossrun:"), "\(result.stderrText)")
            let failing = try Self.cargo(["run", "-q", "--offline", "--target", target, "--", "--fail"], in: crate)
            #expect(failing.status == 3)
            #expect(failing.stderrText.contains("fidelity-tool: asked to fail"))
            #expect(!failing.stderrText.contains("crossrun:"), "\(failing.stderrText)")
        }
        let reports = crate.appendingPathComponent("target/crossrun")
        #expect(!FileManager.default.fileExists(atPath: reports.path))
        // Asked for, a program's reports carry the target: the two runs do not overwrite each other.
        for target in [Self.aarch64, Self.armv7] {
            let result = try Self.cargo(
                ["run", "-q", "--offline", "--target", target, "--", "x"], in: crate,
                ["CROSSRUN_REPORT_DIR": reports.path, "CROSSRUN_SUMMARY": "always"])
            #expect(result.status == 0)
            #expect(result.stderrText.contains("crossrun: fidelity-tool ["), "\(result.stderrText)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: reports.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(files == [
            "fidelity-tool.\(Self.aarch64).json", "fidelity-tool.\(Self.aarch64).xml",
            "fidelity-tool.\(Self.armv7).json", "fidelity-tool.\(Self.armv7).xml",
        ])
        let aarch64 = try readResults(reports.appendingPathComponent("fidelity-tool.\(Self.aarch64).json").path)
        #expect((aarch64["launch"] as? [String: Any])?["target"] as? String == "aarch64")
    }

    @Test("doctests under -Zdoctest-xcompile: named reports under target/crossrun, the panic as the failure, no crossrun line in rustdoc's output, nothing in the source tree")
    func doctests() throws {
        let crate = try Self.crate()
        defer { try? FileManager.default.removeItem(at: crate.deletingLastPathComponent()) }
        // Stable cargo skips doctests for a cross target: nothing runs, status 0.
        let stable = try Self.cargo(["test", "--offline", "--doc", "--target", Self.aarch64], in: crate)
        #expect(stable.status == 0, "\(stable.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: crate.appendingPathComponent("target/crossrun").path))

        let result = try Self.cargo(
            ["test", "--offline", "-Zdoctest-xcompile", "--doc", "--target", Self.aarch64], in: crate, ["RUSTC_BOOTSTRAP": "1"])
        #expect(result.status == 101, "\(result.stderrText)")
        #expect(result.stdoutText.contains("test src/lib.rs - add (line 5) ... ok"), "\(result.stdoutText)")
        #expect(result.stdoutText.contains("test src/lib.rs - double (line 14) ... FAILED"))
        #expect(!result.stdoutText.contains("crossrun:") && !result.stderrText.contains("crossrun:"), "\(result.stdoutText)\(result.stderrText)")
        let reports = crate.appendingPathComponent("target/crossrun")
        let files = try FileManager.default.contentsOfDirectory(atPath: reports.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(files == [
            "doctest-fidelity-src_lib_rs-add-line5.aarch64.json", "doctest-fidelity-src_lib_rs-add-line5.aarch64.xml",
            "doctest-fidelity-src_lib_rs-double-line14.aarch64.json", "doctest-fidelity-src_lib_rs-double-line14.aarch64.xml",
        ], "\(files)")
        let passing = try Self.junit(reports.appendingPathComponent("doctest-fidelity-src_lib_rs-add-line5.aarch64.xml").path)
        #expect(try passing.nodes(forXPath: "//testcase[@name='src/lib.rs - add (line 5)']").count == 1)
        let failing = try Self.junit(reports.appendingPathComponent("doctest-fidelity-src_lib_rs-double-line14.aarch64.xml").path)
        #expect(try Self.failureMessages(failing) == ["src/lib.rs - double (line 14)": "double(4) gave 8"])
        #expect(try Self.sourceTree(crate) == [".cargo", ".cargo/config.toml", "Cargo.toml", "src", "src/lib.rs", "src/main.rs", "tests", "tests/panics.rs"])
    }

    @Test("the last binary's summary line and crossrun report summary give the totals of the whole cargo test")
    func totalsAcrossBinaries() throws {
        let crate = try Self.crate()
        defer { try? FileManager.default.removeItem(at: crate.deletingLastPathComponent()) }
        let result = try Self.cargo(["test", "--offline", "--no-fail-fast", "--target", Self.aarch64], in: crate)
        #expect(result.status == 101)
        let summaries = result.stderrText.split(separator: "\n").filter { $0.hasPrefix("crossrun: ") }
        // The library's unit tests (1 passed), the program's (none), tests/panics.rs (2 passed, 3 failed).
        #expect(summaries.count == 3, "\(result.stderrText)")
        #expect(!summaries[0].contains("so far"))
        #expect(summaries[1].hasSuffix("; cargo test so far: 2 binaries, 1 passed, 0 failed, 0 ignored"), "\(summaries)")
        #expect(summaries[2].hasSuffix("; cargo test so far: 3 binaries, 3 passed, 3 failed, 0 ignored"), "\(summaries)")
        let summary = try crossrun(["report", "summary"], in: crate)
        #expect(summary.status == 1)
        #expect(summary.stdoutText == "crossrun: cargo test: 3 binaries, 3 passed, 3 failed, 0 ignored\n")
        // The next cargo test is a new record.
        let library = try Self.cargo(["test", "--offline", "--lib", "--target", Self.aarch64], in: crate)
        #expect(library.status == 0)
        let again = try crossrun(["report", "summary", crate.appendingPathComponent("target/crossrun").path])
        #expect(again.status == 0)
        #expect(again.stdoutText == "crossrun: cargo test: 1 binary, 1 passed, 0 failed, 0 ignored\n")
        // report merge still finds every report (the record is a hidden folder beside them).
        let merged = try crossrun(["report", "merge", "target/crossrun", "-o", "merged.xml"], in: crate)
        #expect(merged.status == 0, "\(merged.stderrText)")
        let none = try crossrun(["report", "summary", crate.path])
        #expect(none.status == 125)
        #expect(none.stderrText.hasPrefix("crossrun: error: no record of a cargo test in"))
    }
}

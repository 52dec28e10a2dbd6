import Foundation
import Testing

/// `crossrun report merge --allow-empty`: when the build failed before any test ran there is nothing to merge, and a
/// CI step that ends `exit "$status"` must end with cargo's status, not merge's 125.
struct MergeAllowEmptyTests {
    @Test("nothing to merge (a missing folder, an empty one): one line, exit 0, nothing written; without the flag 125")
    func nothing() throws {
        let folder = try temporaryDirectory("merge-empty")
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = folder.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let output = folder.appendingPathComponent("junit.xml").path
        for input in [folder.appendingPathComponent("missing").path, empty.path] {
            let allowed = try crossrun(["report", "merge", "--allow-empty", input, "-o", output, "--json", output + ".json"])
            #expect(allowed.status == 0, "\(allowed.stderrText)")
            #expect(allowed.stderrText == "crossrun: no JUnit reports in \(input): no test binary ran (the test command's own output says why); nothing written\n")
            #expect(!FileManager.default.fileExists(atPath: output))
            #expect(!FileManager.default.fileExists(atPath: output + ".json"))

            let strict = try crossrun(["report", "merge", input, "-o", output])
            #expect(strict.status == 125)
        }
    }

    @Test("a shell step that keeps cargo's status: a build that fails before any test ends with cargo's 101")
    func keepsCargoStatus() throws {
        let project = try temporaryDirectory("merge-status")
        defer { try? FileManager.default.removeItem(at: project) }
        try "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n".write(
            to: project.appendingPathComponent("Cargo.toml"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: project.appendingPathComponent("src"), withIntermediateDirectories: true)
        try "fn main() { this does not compile }\n".write(to: project.appendingPathComponent("src/main.rs"), atomically: true, encoding: .utf8)
        let step = """
            status=0
            cargo test --offline || status=$?
            crossrun report merge --allow-empty target/crossrun -o target/crossrun/junit.xml
            exit "$status"
            """
        let result = try run("/bin/bash", ["-e", "-c", step], environment: environment(["CARGO_TERM_COLOR": "never"]), in: project)
        #expect(result.status == 101, "\(result.stderrText.suffix(2000))")
        #expect(result.stderrText.contains("crossrun: no JUnit reports in target/crossrun"))
    }

    @Test("with reports there, --allow-empty merges as usual")
    func merges() throws {
        let folder = try temporaryDirectory("merge-present")
        defer { try? FileManager.default.removeItem(at: folder) }
        let junit = """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites><testsuite name="a" tests="1" failures="0" errors="0" skipped="0" time="0.1">\
            <testcase name="t" classname="a" time="0.1"/></testsuite></testsuites>
            """
        try junit.write(to: folder.appendingPathComponent("a.xml"), atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent("merged/junit.xml").path
        try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let result = try crossrun(["report", "merge", "--allow-empty", folder.path, "-o", output])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.contains("merged 1 test suite (1 tests"))
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains("<testcase name=\"t\" classname=\"a\""))
    }
}

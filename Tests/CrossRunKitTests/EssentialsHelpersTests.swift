import Foundation
import Testing

@testable import CrossRunKit

// Issue 18: the cargo path is built on FoundationEssentials, which has no NSString path methods, no
// CharacterSet trimming and no String(format:). Its own helpers (Support/Paths.swift, Support/Text.swift) must
// give what Foundation gave; these tests hold them against Foundation itself, which the tests still import.

@Suite("FoundationEssentials stand-ins against Foundation", .serialized)
struct EssentialsHelpersTests {
    static let paths = [
        "", "/", "//", "a", "/a", "a/", "/a/", "a/b", "/a/b", "/a/b/", "/a//b", "a//b//", "/a/b/c.txt", "c.tar.gz",
        "/a/.hidden", ".hidden", "/a/b.", "..", "/..", "/a/..", "/a/../b", "a/../b", "./a", "/a/./b", "/a/b/../../c",
        "/tmp/x/target/debug/deps/foo-1234", "rel/./../x/", "///a///b///", "/é/ü.txt",
    ]

    @Test("lastPathComponent", arguments: paths)
    func lastPathComponent(_ path: String) {
        #expect(path.lastPathComponent == (path as NSString).lastPathComponent)
    }

    /// swift-corelibs-foundation 6.3 stops the process (an illegal instruction) for a relative path of one
    /// component (`a`, `a/`): those give the empty string, as on Darwin, and are checked without it. It gives
    /// `/a/` for `///a///b///`, which no caller passes (ours gives `///a`).
    @Test("deletingLastPathComponent", arguments: paths.filter { !$0.contains("///") })
    func deletingLastPathComponent(_ path: String) {
        if !path.isEmpty, !path.dropLast().contains("/"), path.first != "/" {
            #expect(path.deletingLastPathComponent == "")
        } else {
            #expect(path.deletingLastPathComponent == (path as NSString).deletingLastPathComponent)
        }
    }

    @Test("appendingPathComponent", arguments: paths, ["b", "b/", "/b", "", "c/d.txt"])
    func appendingPathComponent(_ path: String, _ component: String) {
        #expect(path.appendingPathComponent(component) == (path as NSString).appendingPathComponent(component))
    }

    /// File names and paths without repeated or trailing slashes, as the one caller gives it.
    @Test("deletingPathExtension", arguments: paths.filter { !$0.contains("//") && ($0.count < 2 || !$0.hasSuffix("/")) })
    func deletingPathExtension(_ path: String) {
        #expect(path.deletingPathExtension == (path as NSString).deletingPathExtension)
    }

    /// Absolute paths, as `Paths.absolute` gives them (relative ones keep a leading `..` where Foundation's
    /// answer depends on the working directory).
    @Test("standardizingPath", arguments: paths.filter { $0.hasPrefix("/") } + ["~", "~/x/../y"])
    func standardizingPath(_ path: String) {
        #expect(path.standardizingPath == (path as NSString).standardizingPath)
    }

    static let texts = ["", " ", "\t a b \t", "\n x \n", " \r\n y\u{2028}", "\u{00A0}z\u{3000}", "no trim", "\u{85}q\u{2029}"]

    @Test("trimming", arguments: texts)
    func trimming(_ text: String) {
        #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
        #expect(text.trimmingNewlines() == text.trimmingCharacters(in: .newlines))
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(Substring(text).trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
    }

    @Test("String(cFormat:)", arguments: [0.0, 0.0004, 0.0005, 0.0015, 1.2345, 2.675, 59.9999, 1234567.891, -3.14159])
    func cFormat(_ value: Double) {
        #expect(String(cFormat: "%.2f", value) == String(format: "%.2f", value))
        #expect(String(cFormat: " in %.3fs", value) == String(format: " in %.3fs", value))
    }

    @Test func cFormatHexAndLongText() {
        #expect(String(cFormat: "\\u%04X", 0x1F) == "\\u001F")
        let long = String(repeating: "x", count: 500)
        #expect(String(cFormat: long + "%d", 1) == long + "1")
    }

    @Test func errorReasonIsTheErrnoText() throws {
        let error = #expect(throws: (any Error).self) { try String(contentsOfFile: "/nonexistent/crossrun-file", encoding: .utf8) }
        #expect(error.map(ErrorText.reason) == "No such file or directory")
    }

    @Test func walkListsEveryPathInOrder() throws {
        let root = FileManager.default.temporaryDirectory.path + "/crossrun-walk-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/b/c", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root + "/a.txt", contents: Data())
        FileManager.default.createFile(atPath: root + "/b/c/d", contents: Data())
        #expect(Paths.walk(root) == ["a.txt", "b", "b/c", "b/c/d"])
        #expect(Paths.walk(root + "/missing") == nil)
        #expect(Paths.isDirectory(root + "/b") && !Paths.isDirectory(root + "/a.txt"))
    }

    /// Other suites running at the same time may set variables of their own: the ones compared are set before
    /// the tests start and left alone.
    @Test func environmentAndWorkingDirectory() {
        let environment = ProcessEnvironment.current()
        for name in ["PATH", "HOME"] {
            #expect(environment[name] == ProcessInfo.processInfo.environment[name])
            #expect(ProcessEnvironment.value(name) == ProcessInfo.processInfo.environment[name])
        }
        #expect(environment.keys.allSatisfy { !$0.contains("=") })
        #expect(ProcessEnvironment.value("CROSSRUN_NO_SUCH_VARIABLE") == nil)
        #expect(ProcessEnvironment.workingDirectory == FileManager.default.currentDirectoryPath)
    }

    @Test("exists", arguments: ["/", "/etc/passwd", "/proc/self/exe", "/nonexistent", "/etc/passwd/x", ""])
    func exists(_ path: String) {
        #expect(Paths.exists(path) == FileManager.default.fileExists(atPath: path))
    }

    @Test func outputOfAProgram() throws {
        let echoed = try #require(Executables.output(of: "/bin/sh", arguments: ["-c", "echo hi; echo err >&2"]))
        #expect(String(decoding: echoed.stdout, as: UTF8.self) == "hi\n" && echoed.succeeded)
        #expect(Executables.output(of: "/bin/sh", arguments: ["-c", "exit 3"])?.succeeded == false)
        #expect(Executables.output(of: "/bin/sleep", arguments: ["5"], timeout: .milliseconds(200)) == nil)
        #expect(Executables.output(of: "/nonexistent/program", arguments: []) == nil)
    }
}

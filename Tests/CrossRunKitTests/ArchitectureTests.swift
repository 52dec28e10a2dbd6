import Foundation
import Testing

/// The library's folders depend on each other one way only, and docs/architecture.md shows the current graph
/// (scripts/folder-graph.py computes it).
struct ArchitectureTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Runs scripts/folder-graph.py with `arguments`; its status and stderr.
    static func folderGraph(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", packageRoot + "/scripts/folder-graph.py"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test("no dependency cycle between CrossRunKit's folders, and docs/architecture.md shows the current graph")
    func folderGraphIsCurrentAndAcyclic() throws {
        let result = try Self.folderGraph(["--check", "docs/architecture.md"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("the graph script fails on a cycle and names its folders")
    func cycleFails() throws {
        let folder = try TemporaryDirectory("crossrun-folder-graph")
        try folder.file("Alpha/A.swift", text: "public struct Alpha {\n    var beta: Beta?\n}\n")
        try folder.file("Beta/B.swift", text: "struct Beta {\n    var alpha: Alpha\n}\n")
        try folder.file("Gamma/C.swift", text: "// Alpha in a comment is no dependency\nstruct Gamma { var name = \"Beta\" }\n")
        let cyclic = try Self.folderGraph(["--sources", folder.path])
        #expect(cyclic.status == 1)
        #expect(cyclic.stderr.contains("dependency cycle between Alpha, Beta"), "\(cyclic.stderr)")
        #expect(!cyclic.stderr.contains("Gamma"))

        try FileManager.default.removeItem(atPath: folder.path("Beta/B.swift"))
        try folder.file("Beta/B.swift", text: "struct Beta {}\n")
        #expect(try Self.folderGraph(["--sources", folder.path]).status == 0)
    }

    @Test("a helper added to a standard type inside a domain folder is a dependency on that folder")
    func extensionMemberIsADependency() throws {
        let folder = try TemporaryDirectory("crossrun-folder-graph-extension")
        try folder.file("Delta/D.swift", text: "struct Delta { var epsilon: Epsilon? }\nextension String {\n    func padded() -> String { self }\n}\n")
        try folder.file("Epsilon/E.swift", text: "struct Epsilon {\n    var text = \"x\".padded()\n}\n")
        let cyclic = try Self.folderGraph(["--sources", folder.path])
        #expect(cyclic.status == 1)
        #expect(cyclic.stderr.contains("dependency cycle between Delta, Epsilon"), "\(cyclic.stderr)")

        // The helper moved to a folder of its own (Support/ in CrossRunKit): no cycle.
        try FileManager.default.removeItem(atPath: folder.path("Delta/D.swift"))
        try folder.file("Delta/D.swift", text: "struct Delta { var epsilon: Epsilon? }\n")
        try folder.file("Support/S.swift", text: "extension String {\n    func padded() -> String { self }\n}\n")
        #expect(try Self.folderGraph(["--sources", folder.path]).status == 0)
    }
}

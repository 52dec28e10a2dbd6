import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// Issue 14, item 5: a package's entry names are the package author's text. A refused entry whose name holds
/// ESC sequences or a newline is quoted escaped, so the error stays one line and cannot drive the terminal.
@Suite("DebArchive: refused entry names are quoted escaped")
struct ArchiveEntryNameTests {
    static let names = [
        "../\u{1B}[2J\u{1B}[31mowned",
        "../evil\nsecond line",
        "/\u{1B}]0;title\u{07}abs",
        "../\u{9B}31mC1 CSI",
    ]

    @Test("one line, no control character, the escape visible", arguments: names)
    func refused(_ name: String) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let root = folder.path + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var tar = TarBuilder()
        tar.add("./", .directory)
        tar.add(name, .file("x"))
        var budget = 1 << 20
        let error = #expect(throws: CrossRunError.self) {
            try DebArchive.unpackTar(tar.archive, package: "evil.deb", into: root, budget: &budget)
        }
        #expect(error?.code == .unsafeArchiveEntry, "\(String(describing: error))")
        let message = error?.message ?? ""
        #expect(!message.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "\(message.debugDescription)")
        #expect(message.contains("\\x1b") || message.contains("\\n") || message.contains("\\x9b"), "\(message)")
        #expect(message.contains("evil.deb"))
    }
}

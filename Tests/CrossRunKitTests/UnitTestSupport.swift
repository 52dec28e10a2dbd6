import Foundation
import Testing

@testable import CrossRunKit

/// Where the recorded fixtures live inside the test bundle.
enum Fixtures {
    static var root: URL {
        get throws {
            try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "the Fixtures resource is missing from the test bundle")
        }
    }

    static func url(_ relativePath: String) throws -> URL {
        try root.appendingPathComponent(relativePath)
    }

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }

    static func elf(_ name: String) throws -> [UInt8] {
        [UInt8](try data("elf/" + name))
    }

    static func libtest(_ name: String) throws -> Data {
        try data("libtest/" + name)
    }
}

/// A fresh folder under the system temporary directory, removed when the value goes away.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init(_ label: String = "crossrun-unit") throws {
        let base = FileManager.default.temporaryDirectory.resolvingSymlinksInPath().path
        let path = (base as NSString).appendingPathComponent("\(label)-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
    }

    deinit {
        // Make anything a test locked down removable again.
        if let enumerator = FileManager.default.enumerator(atPath: path) {
            for case let relative as String in enumerator {
                chmod((path as NSString).appendingPathComponent(relative), 0o755)
            }
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// `path/relative`, with its parent folders created.
    @discardableResult
    func file(_ relative: String, _ contents: Data = Data(), mode: mode_t = 0o644) throws -> String {
        let full = self.path(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: full, contents: contents), "could not create \(full)")
        #expect(chmod(full, mode) == 0)
        return full
    }

    @discardableResult
    func file(_ relative: String, text: String, mode: mode_t = 0o644) throws -> String {
        try file(relative, Data(text.utf8), mode: mode)
    }

    @discardableResult
    func folder(_ relative: String) throws -> String {
        let full = path(relative)
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    func path(_ relative: String) -> String {
        (path as NSString).appendingPathComponent(relative)
    }
}

/// A read closure over a byte array, like `pread`: up to `count` bytes at `offset`, fewer (or none) at the end.
func reader(_ bytes: [UInt8]) -> (UInt64, Int) throws -> [UInt8] {
    { offset, count in
        guard offset < UInt64(bytes.count), count > 0 else { return [] }
        let start = Int(offset)
        let end = min(bytes.count, start + count)
        return Array(bytes[start..<end])
    }
}

/// Runs a program and returns its exit status and its stdout and stderr as text.
func runTool(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes to the end before waiting, so a large output cannot block the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Feeds recorded stdout (and optionally stderr) bytes through a collector in chunks of the given size.
func collect(
    stdout: Data, stderr: Data = Data(), status: TerminationStatus, suiteName: String = "suite", chunkSize: Int? = nil
) -> (collector: TestRunCollector, tests: [TestCase], counts: SuiteCounts?) {
    var collector = TestRunCollector()
    stdout.withUnsafeBytes { (all: UnsafeRawBufferPointer) in
        let size = chunkSize ?? max(all.count, 1)
        var start = 0
        while start < all.count {
            let end = min(all.count, start + size)
            collector.consumeStdout(UnsafeRawBufferPointer(rebasing: all[start..<end]))
            start = end
        }
    }
    if !stderr.isEmpty {
        stderr.withUnsafeBytes { collector.consumeStderr($0) }
    }
    let (tests, counts) = collector.finish(status: status, suiteName: suiteName)
    return (collector, tests, counts)
}

import Foundation
import Testing

@testable import CrossRunKit

/// A fresh folder under the temporary directory, removed by `remove()` (call it in a `defer`).
struct ScratchFolder {
    let url: URL
    var path: String { url.path }

    init(_ label: String = "crossrun-sysroot-unit") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` (a path relative to the folder, parents created) and returns its full path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The error `DebArchive`'s checks build for a refusal, carrying the reason.
func refusal(_ reason: String) -> CrossRunError {
    .unsafeArchiveEntry(package: "test.deb", entry: "entry", reason: reason)
}

/// A minimal ustar writer, so archive-safety tests can state exact entries (names, link targets, order)
/// without depending on what a tar program would store.
struct TarBuilder {
    enum Kind { case file(String), directory, symlink(String), hardlink(String), characterDevice }

    private(set) var data = Data()

    mutating func add(_ name: String, _ kind: Kind, mode: Int = 0o644) {
        precondition(name.utf8.count < 100, "ustar names here are at most 99 bytes")
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            put(String(value, radix: 8).leftPadded(to: width - 1, with: "0"), at: offset, width: width - 1)
        }
        var body = Data()
        var type: Character
        var linkname = ""
        var permissions = mode
        switch kind {
        case .file(let text): type = "0"; body = Data(text.utf8)
        case .directory: type = "5"; permissions = 0o755
        case .symlink(let target): type = "2"; linkname = target; permissions = 0o777
        case .hardlink(let target): type = "1"; linkname = target
        case .characterDevice: type = "3"; permissions = 0o666
        }
        put(name, at: 0, width: 100)
        octal(permissions, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(body.count, at: 124, width: 12)
        octal(1_700_000_000, at: 136, width: 12)
        header[156] = type.asciiValue!
        put(linkname, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put("root", at: 265, width: 32)
        put("root", at: 297, width: 32)
        if case .characterDevice = kind {
            octal(1, at: 329, width: 8)
            octal(3, at: 337, width: 8)
        }
        for index in 148..<156 { header[index] = 0x20 }
        let checksum = header.reduce(0) { $0 + Int($1) }
        put(String(checksum, radix: 8).leftPadded(to: 6, with: "0"), at: 148, width: 6)
        header[154] = 0
        header[155] = 0x20
        data.append(contentsOf: header)
        data.append(body)
        if body.count % 512 != 0 { data.append(Data(count: 512 - body.count % 512)) }
    }

    /// The archive with its two terminating zero blocks.
    var archive: Data { data + Data(count: 1024) }
}

/// The real path of `path` (links followed), or nil when it does not resolve.
func realPath(_ path: String) -> String? {
    guard let real = realpath(path, nil) else { return nil }
    defer { free(real) }
    return String(cString: real)
}

/// Every path under `root` (relative) that is a symbolic link, found without following links.
func symbolicLinks(under root: String) -> [String] {
    var result: [String] = []
    func walk(_ relative: String) {
        let full = relative.isEmpty ? root : root + "/" + relative
        for name in (try? FileManager.default.contentsOfDirectory(atPath: full)) ?? [] {
            let child = relative.isEmpty ? name : relative + "/" + name
            var status = stat()
            guard lstat(root + "/" + child, &status) == 0 else { continue }
            let type = UInt32(status.st_mode) & 0o170000
            if type == 0o120000 { result.append(child) } else if type == 0o040000 { walk(child) }
        }
    }
    walk("")
    return result.sorted()
}

/// Runs a command-line tool (no shell) and returns its exit status.
@discardableResult
func runTool(_ executable: String, _ arguments: [String], in folder: URL? = nil) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = folder }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// A lock record as the fetcher writes it (pretty, sorted keys, ISO 8601 dates).
func encodedLock(_ lock: SysrootLock) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return try encoder.encode(lock)
}

func decodedLock(_ data: Data) throws -> SysrootLock {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return try decoder.decode(SysrootLock.self, from: data)
}

/// A small lock record for cache tests.
func sampleLock(target: String, digest: String, root: String = "") -> SysrootLock {
    SysrootLock(
        target: target, digest: digest, suite: "bookworm", architecture: "arm64", root: root,
        mirror: "http://mirror.invalid/debian", fetchedAt: Date(timeIntervalSince1970: 1_700_000_000),
        signature: "signature verified",
        packages: [DebianPackage(name: "libc6", version: "1", architecture: "arm64", filename: "pool/libc6.deb", size: 1, sha256: "00")],
        files: [])
}

import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// The repository folder `atexit` removes.
nonisolated(unsafe) private var repositoryToRemove: String?

let supportFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support")

/// A real signed Debian-layout repository (Support/make-repo.py, built from real .debs with dpkg-deb) and
/// a real HTTP server on 127.0.0.1 with fault injection (Support/serve-repo.py). One per test process.
final class RepositoryServer: @unchecked Sendable {
    static let shared: RepositoryServer? = try? RepositoryServer()

    let folder: URL
    let keyring: String
    let port: Int
    private let process: Process
    private let stdin: Pipe

    private init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-repo-\(UUID().uuidString)")
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        make.arguments = [supportFolder.appendingPathComponent("make-repo.py").path, folder.path, "--variant", "all"]
        make.standardOutput = FileHandle.nullDevice
        make.standardError = FileHandle.nullDevice
        try make.run()
        make.waitUntilExit()
        guard make.terminationStatus == 0 else { throw Failure(message: "make-repo.py exited with \(make.terminationStatus)") }
        keyring = folder.appendingPathComponent("keyring.gpg").path
        // A static's deinit never runs: remove the repository when the test process exits.
        repositoryToRemove = folder.path
        atexit {
            if let path = repositoryToRemove { try? FileManager.default.removeItem(atPath: path) }
        }

        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [supportFolder.appendingPathComponent("serve-repo.py").path, folder.path, "--port", "0"]
        let out = Pipe()
        stdin = Pipe()  // the server exits when this closes, so a crashed test run leaves no server behind
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5).prefix { $0.isNumber }) else {
            throw Failure(message: "serve-repo.py said \(text)")
        }
        self.port = port
    }

    deinit {
        process.terminate()
        try? FileManager.default.removeItem(at: folder)
    }

    /// The mirror URL of a variant (`good`, `bad-sha`, ...) with a fault prefix (`ok`, `404`, `truncate`, ...).
    func mirror(_ variant: String = "good", fault: String = "ok") -> String {
        "http://127.0.0.1:\(port)/\(fault)/\(variant)"
    }

    /// How many requests for paths ending in `suffix` the server has seen.
    func requests(endingWith suffix: String) -> Int {
        let log = (try? String(contentsOf: folder.appendingPathComponent("requests.log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").filter { $0.split(separator: " ").dropFirst().first?.hasSuffix(suffix) == true }.count
    }

    struct Failure: Error, CustomStringConvertible { var message: String; var description: String { message } }
}

/// The built-in aarch64 manifest, which the test repository satisfies (libc6, libgcc-s1 for arm64).
func aarch64Manifest() throws -> SysrootManifest {
    try #require(try SysrootManifest.forTarget("aarch64"))
}

/// A fetcher into a fresh cache folder, using the test repository's keyring.
func fetcher(mirror: String, verify: Bool = true, offline: Bool = false) throws -> (SysrootFetcher, URL) {
    let cache = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-cache-\(UUID().uuidString)")
    var options = FetchOptions()
    options.mirror = mirror
    options.keyring = RepositoryServer.shared?.keyring ?? "/nonexistent"
    options.verifySignature = verify
    options.offline = offline
    return (SysrootFetcher(cache: SysrootCache(base: cache.path), options: options), cache)
}

/// Every path under `folder`, relative to it.
func contents(_ folder: URL) -> [String] {
    (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []).sorted()
}

/// Whether the repository tests run: where the server could be made, and always under CROSSRUN_E2E_REQUIRED=1 (CI),
/// where a missing python3, gpg or dpkg-deb must fail the run (the tests then fail on the missing server) rather
/// than skip it.
let serverAvailable = RepositoryServer.shared != nil || ProcessInfo.processInfo.environment["CROSSRUN_E2E_REQUIRED"] == "1"

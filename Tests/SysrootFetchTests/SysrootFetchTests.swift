import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

// Serialized: the tests count the shared server's requests.
@Suite("Fetched sysroots from a local signed repository", .serialized, .enabled(if: serverAvailable, "needs python3, gpg and dpkg-deb"))
struct SysrootFetchTests {
    var server: RepositoryServer { RepositoryServer.shared! }

    @Test("a good repository: verified, unpacked, links kept inside, lock record, verify passes")
    func goodFetch() throws {
        let (fetcher, cache) = try fetcher(mirror: server.mirror())
        defer { try? FileManager.default.removeItem(at: cache) }
        let sysroot = try fetcher.sysroot(for: try aarch64Manifest())
        #expect(sysroot.lock.signature == "signature verified")
        #expect(Set(sysroot.lock.packages.map(\.name)) == ["libc6", "libgcc-s1"])
        #expect(FileManager.default.fileExists(atPath: sysroot.path + "/lib/ld-linux-aarch64.so.1"))
        #expect(FileManager.default.fileExists(atPath: sysroot.path + "/lib/aarch64-linux-gnu/libgcc_s.so.1"))
        // The package's absolute link now points inside the sysroot, relatively.
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: sysroot.path + "/lib64/ld-linux-aarch64.so.1")
        #expect(!link.hasPrefix("/"))
        #expect(SysrootFetcher.resolvesInside(sysroot.path + "/lib64/ld-linux-aarch64.so.1", root: sysroot.path))
        #expect(fetcher.cache.verify(sysroot).isEmpty)
        // A second lookup is the cache: no new download.
        let before = server.requests(endingWith: ".deb")
        _ = try fetcher.sysroot(for: try aarch64Manifest())
        #expect(server.requests(endingWith: ".deb") == before)
        // Tampering shows in verify.
        try Data("changed".utf8).write(to: URL(fileURLWithPath: sysroot.path + "/lib/aarch64-linux-gnu/libc.so.6"))
        #expect(fetcher.cache.verify(sysroot).contains { $0.contains("libc.so.6") })
    }

    struct Failure: CustomTestStringConvertible, Sendable {
        var variant: String
        var fault: String
        var code: CrossRunError.Code
        var mentions: String
        var testDescription: String { "\(variant) via /\(fault)/" }
    }

    static let failures = [
        Failure(variant: "bad-sha", fault: "ok", code: .checksumMismatch, mentions: "SHA-256"),
        Failure(variant: "bad-size", fault: "ok", code: .sizeMismatch, mentions: "bytes, not the"),
        Failure(variant: "good", fault: "truncate", code: .downloadFailed, mentions: "127.0.0.1"),
        Failure(variant: "good", fault: "close", code: .downloadFailed, mentions: "127.0.0.1"),
        Failure(variant: "good", fault: "404", code: .downloadFailed, mentions: "HTTP 404"),
        Failure(variant: "good", fault: "500", code: .downloadFailed, mentions: "HTTP 500"),
        Failure(variant: "bad-signature", fault: "ok", code: .signatureInvalid, mentions: "InRelease"),
        Failure(variant: "other-key", fault: "ok", code: .signatureInvalid, mentions: "InRelease"),
        Failure(variant: "bad-index-hash", fault: "ok", code: .checksumMismatch, mentions: "Packages.xz"),
        Failure(variant: "missing-package", fault: "ok", code: .packageMissing, mentions: "libgcc-s1"),
    ]

    @Test("each failure is one line and leaves no partial sysroot", arguments: failures)
    func failure(_ failure: Failure) throws {
        let (fetcher, cache) = try fetcher(mirror: server.mirror(failure.variant, fault: failure.fault))
        defer { try? FileManager.default.removeItem(at: cache) }
        let error = #expect(throws: CrossRunError.self) { try fetcher.sysroot(for: try aarch64Manifest()) }
        let description = error?.description ?? ""
        #expect(error?.code == failure.code, "\(String(describing: error))")
        #expect(description.contains(failure.mentions), "\(description)")
        #expect(!description.contains("\n"))
        #expect(error?.exitStatus == 126)
        // Nothing but the lock file is left in the target's cache folder.
        #expect(contents(cache.appendingPathComponent("sysroots/aarch64")) == [".lock"])
    }

    @Test("a server that fails for files the index names: the .deb download's failure is reported",
          arguments: ["truncate", "close", "500"])
    func debFault(fault: String) throws {
        let rules = server.folder.appendingPathComponent("faults.json")
        try Data("{\"libgcc-s1_12.2.0-14_arm64.deb\": \"\(fault)\", \"_arm64.deb\": \"\(fault)\"}".utf8).write(to: rules, options: .atomic)
        defer { try? Data("{}".utf8).write(to: rules, options: .atomic) }
        let (fetcher, cache) = try fetcher(mirror: server.mirror())
        defer { try? FileManager.default.removeItem(at: cache) }
        let error = #expect(throws: CrossRunError.self) { try fetcher.sysroot(for: try aarch64Manifest()) }
        #expect(error?.description.contains(".deb") == true, "\(String(describing: error))")
        #expect(contents(cache.appendingPathComponent("sysroots/aarch64")) == [".lock"])
    }

    @Test("malicious packages are refused and nothing lands outside the cache",
          arguments: ["malicious", "malicious-dotdot", "malicious-absolute", "malicious-symlink", "malicious-through-symlink",
                      "malicious-hardlink", "malicious-device"])
    func malicious(variant: String) throws {
        let escapes = ["/tmp/crossrun-abs-escape", "/tmp/crossrun-through-symlink-escape", "/tmp/crossrun-through-abs-symlink-escape"]
        for path in escapes { try? FileManager.default.removeItem(atPath: path) }
        let (fetcher, cache) = try fetcher(mirror: server.mirror(variant))
        defer { try? FileManager.default.removeItem(at: cache) }
        let error = #expect(throws: CrossRunError.self) { try fetcher.sysroot(for: try aarch64Manifest()) }
        #expect(error?.code == .unsafeArchiveEntry, "\(String(describing: error))")
        #expect(error?.description.contains("libc6") == true)
        for path in escapes { #expect(!FileManager.default.fileExists(atPath: path), "\(path) was written") }
        // `../escape` would land beside the temporary root, inside the target's folder: nothing is left there.
        #expect(contents(cache.appendingPathComponent("sysroots/aarch64")) == [".lock"])
        #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("escape").path))
    }

    @Test("--no-verify-signature accepts a bad signature and says so in the lock record")
    func noVerify() throws {
        let (fetcher, cache) = try fetcher(mirror: server.mirror("bad-signature"), verify: false)
        defer { try? FileManager.default.removeItem(at: cache) }
        let sysroot = try fetcher.sysroot(for: try aarch64Manifest())
        #expect(sysroot.lock.signature.contains("NOT verified"))
    }

    @Test("--offline never touches the network")
    func offline() throws {
        let (fetcher, cache) = try fetcher(mirror: server.mirror(), offline: true)
        defer { try? FileManager.default.removeItem(at: cache) }
        let before = server.requests(endingWith: "InRelease")
        let error = #expect(throws: CrossRunError.self) { try fetcher.sysroot(for: try aarch64Manifest()) }
        #expect(error?.code == .sysrootNotCached)
        #expect(server.requests(endingWith: "InRelease") == before)
    }

    @Test("eight crossrun processes fetching one target at once download it once and all succeed")
    func concurrentProcesses() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let crossrun = crossrunExecutable()
        let before = server.requests(endingWith: "libc6_2.36-9+deb12u4_arm64.deb")
        var environment = ProcessInfo.processInfo.environment
        environment["CROSSRUN_CACHE_DIR"] = cache.path
        environment["CROSSRUN_DEBIAN_KEYRING"] = server.keyring
        let processes = (0..<8).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: crossrun)
            // The slow mirror keeps every download in flight long enough for the others to pile up on the lock.
            process.arguments = ["sysroot", "fetch", "--mirror", server.mirror(fault: "slow"), "aarch64"]
            process.environment = environment
            process.standardOutput = Pipe()
            process.standardError = FileHandle.nullDevice
            return process
        }
        for process in processes { try process.run() }
        var paths: Set<String> = []
        for process in processes {
            let output = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            paths.insert(String(decoding: output, as: UTF8.self))
        }
        #expect(paths.count == 1)
        #expect(server.requests(endingWith: "libc6_2.36-9+deb12u4_arm64.deb") == before + 1)
    }
}

/// A run's first-use fetch goes through `crossrun-tools sysroot fetch` (CrossRunKit's ToolsSysrootFetcher).
@Suite("A run's fetch through crossrun-tools", .enabled(if: serverAvailable, "needs python3, gpg and dpkg-deb"))
struct RunFetchThroughToolsTests {
    var server: RepositoryServer { RepositoryServer.shared! }

    static let dynamicHead = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CrossRunKitTests/Fixtures/elf/aarch64-dynamic.elf-head")

    /// `crossrun --no-report --ignore-system-sysroots --mirror MIRROR BINARY` on an aarch64 header whose loader no
    /// sysroot of this machine is allowed to give, with a fresh cache.
    func run(mirror: String) throws -> (status: Int32, stderr: String, cache: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-run-fetch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let binary = folder.appendingPathComponent("demo").path
        try FileManager.default.copyItem(atPath: Self.dynamicHead.path, toPath: binary)
        chmod(binary, 0o755)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CROSSRUN_") }
        environment["CROSSRUN_CACHE_DIR"] = folder.appendingPathComponent("cache").path
        environment["CROSSRUN_DEBIAN_KEYRING"] = server.keyring
        let process = Process()
        process.executableURL = URL(fileURLWithPath: crossrunExecutable())
        process.arguments = ["--no-report", "--ignore-system-sysroots", "--mirror", mirror, binary]
        process.environment = environment
        process.currentDirectoryURL = folder
        let text = try stderrOf(process)
        return (process.terminationStatus, text, folder)
    }

    @Test("a failed fetch is one crossrun: error line (the child's, not twice) with the fetch error's status; nothing is cached")
    func failedFetchSaysItOnce() throws {
        let result = try run(mirror: server.mirror("bad-signature"))
        defer { try? FileManager.default.removeItem(at: result.cache) }
        #expect(result.status == 126, "\(result.stderr)")
        // The child's progress line ("crossrun: fetching the aarch64 sysroot ...") passes through; its error line
        // is crossrun's one error.
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("crossrun: error:") }.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("crossrun: fetching the aarch64 sysroot") == true, "\(result.stderr)")
        #expect(lines.last?.hasPrefix("crossrun: error: the signature of " + server.mirror("bad-signature")) == true, "\(result.stderr)")
        #expect(!result.stderr.contains("error code"))
        #expect(SysrootCache(base: result.cache.appendingPathComponent("cache").path).all().isEmpty)
    }

    @Test("a good fetch passes the child's progress line through and leaves the verified sysroot in the cache")
    func goodFetchProgress() throws {
        let result = try run(mirror: server.mirror())
        defer { try? FileManager.default.removeItem(at: result.cache) }
        // The binary is a header only, so what runs it fails afterwards; the fetch before it is what counts.
        #expect(result.stderr.contains("crossrun: fetched the aarch64 sysroot ("), "\(result.stderr)")
        let cache = SysrootCache(base: result.cache.appendingPathComponent("cache").path)
        let sysroot = try #require(cache.lookup(try aarch64Manifest()), "\(result.stderr)")
        #expect(sysroot.lock.signature == "signature verified")
        #expect(cache.verify(sysroot).isEmpty)
    }
}

/// The `crossrun` executable built beside the test bundle.
func crossrunExecutable() -> String {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("crossrun").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    return "crossrun"
}

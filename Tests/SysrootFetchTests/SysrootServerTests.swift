import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// The part of make-repo.py's `repo.json` these tests compare against (see Support/README.md).
struct RepoDescription: Decodable {
    struct Index: Decodable {
        var path: String
        var sha256: String
        var size: Int
        var listedSha256: String?
    }

    struct File: Decodable {
        var path: String
        var type: String
        var size: Int?
        var sha256: String?
        var target: String?
    }

    struct Package: Decodable {
        var package: String
        var version: String
        var architecture: String
        var filename: String
        var sha256: String
        var size: Int
        var listedSha256: String
        var listedSize: Int
        var files: [File]
    }

    struct Repo: Decodable {
        var root: String
        /// nil for release-gpg-only, which publishes no InRelease.
        var inrelease: String?
        var release: String
        var indexCompressions: [String]
        var indices: [String: [String: Index]]
        var packages: [String: Package]
    }

    var suite: String
    var repos: [String: Repo]

    static func load(_ server: RepositoryServer) throws -> RepoDescription {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(RepoDescription.self, from: Data(contentsOf: server.folder.appendingPathComponent("repo.json")))
    }
}

/// A fetcher like `fetcher(mirror:)`, into a given cache folder.
func fetcher(mirror: String, cacheBase: String, locked: Bool = false) -> SysrootFetcher {
    var options = FetchOptions()
    options.mirror = mirror
    options.keyring = RepositoryServer.shared?.keyring ?? "/nonexistent"
    options.locked = locked
    return SysrootFetcher(cache: SysrootCache(base: cacheBase), options: options)
}

/// The `crossrun` executable, run with its own cache and the test keyring, no CROSSRUN_* from outside, and no
/// configuration files (its working directory and XDG_CONFIG_HOME are the scratch folder).
func crossrunProcess(_ arguments: [String], cache: String, scratch: ScratchFolder) -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: crossrunExecutable())
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CROSSRUN_") }
    environment["CROSSRUN_CACHE_DIR"] = cache
    environment["CROSSRUN_DEBIAN_KEYRING"] = RepositoryServer.shared?.keyring ?? "/nonexistent"
    environment["XDG_CONFIG_HOME"] = scratch.path + "/config"
    process.environment = environment
    process.currentDirectoryURL = scratch.url
    return process
}

/// Runs `crossrun` to the end; returns its exit status, stdout and stderr.
func runCrossrun(_ arguments: [String], cache: String, scratch: ScratchFolder) throws -> (status: Int32, out: String, err: String) {
    let process = crossrunProcess(arguments, cache: cache, scratch: scratch)
    let errors = scratch.url.appendingPathComponent("stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
    let errorHandle = try FileHandle(forWritingTo: errors)
    defer { try? errorHandle.close() }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = errorHandle
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errorText = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), errorText)
}

/// The names in a folder (empty when it does not exist), sorted.
func names(in folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
}

// In the serialized suite of SysrootFetchTests: these tests count the shared server's requests and must not
// overlap with its faults.json tests.
extension SysrootFetchTests {
    @Test("a fetch killed during the .deb download installs nothing; the next fetch removes the leftover and succeeds")
    func interruptedFetch() throws {
        let scratch = try ScratchFolder("crossrun-cache")
        defer { scratch.remove() }
        let cachePath = scratch.path + "/cache"
        let cache = SysrootCache(base: cachePath)
        let manifest = try aarch64Manifest()
        let slowDeb = "/slow/good/pool/main/g/glibc/libc6_2.36-9+deb12u4_arm64.deb"
        let before = server.requests(endingWith: slowDeb)

        let process = crossrunProcess(["sysroot", "fetch", "--mirror", server.mirror(fault: "slow"), "aarch64"], cache: cachePath, scratch: scratch)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The server logs a request before it sends the body, which takes it about 0.9 s for libc6 in slow mode.
        var started = false
        var polls = 0
        while process.isRunning && polls < 6000 {  // at most about 30 s
            if server.requests(endingWith: slowDeb) > before {
                started = true
                break
            }
            usleep(5_000)
            polls += 1
        }
        usleep(100_000)  // well into the slow body
        let stillRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try #require(started, "crossrun never requested \(slowDeb)")
        try #require(stillRunning, "crossrun finished before it could be killed mid-download")
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGKILL)

        // Nothing installed: no <digest>/ folder, nothing listed; only the lock file and the temporary folder.
        let left = names(in: cache.targetDirectory("aarch64"))
        #expect(!left.contains(manifest.digest), "\(left)")
        #expect(left.allSatisfy { $0 == ".lock" || $0.hasPrefix(".tmp-\(manifest.digest)-") }, "\(left)")
        #expect(left.contains { $0.hasPrefix(".tmp-") }, "the killed fetch had created its temporary folder: \(left)")
        #expect(cache.lookup(manifest) == nil)
        #expect(cache.all().isEmpty)

        // A normal fetch now succeeds and leaves no temporary folder.
        let result = try runCrossrun(["sysroot", "fetch", "--mirror", server.mirror(), "aarch64"], cache: cachePath, scratch: scratch)
        #expect(result.status == 0, "\(result.err)")
        let installed = try #require(cache.lookup(manifest))
        #expect(result.out == installed.path + "\n")
        #expect(names(in: cache.targetDirectory("aarch64")) == [".lock", manifest.digest])
        #expect(cache.verify(installed).isEmpty)
        #expect(FileManager.default.fileExists(atPath: installed.path + manifest.loader))
    }

    @Test("--locked: with nothing cached it is .sysrootLocked without a request; with a cached sysroot, that one without a request")
    func locked() throws {
        let scratch = try ScratchFolder("crossrun-cache")
        defer { scratch.remove() }
        let manifest = try aarch64Manifest()
        let locked = fetcher(mirror: server.mirror(), cacheBase: scratch.path, locked: true)
        let start = server.requests(endingWith: "")
        let error = #expect(throws: CrossRunError.self) { try locked.sysroot(for: manifest) }
        #expect(error?.code == .sysrootLocked, "\(String(describing: error))")
        #expect(error?.exitStatus == 126)
        #expect(error?.description.contains("--locked") == true)
        #expect(server.requests(endingWith: "") == start)
        #expect(!FileManager.default.fileExists(atPath: locked.cache.directory(for: manifest)))

        let fetched = try fetcher(mirror: server.mirror(), cacheBase: scratch.path).sysroot(for: manifest)
        let afterFetch = server.requests(endingWith: "")
        #expect(afterFetch > start)
        #expect(try locked.sysroot(for: manifest) == fetched)
        #expect(server.requests(endingWith: "") == afterFetch)
    }

    @Test("crossrun sysroot fetch --locked: exit 126 with nothing cached, the cached path without a request otherwise")
    func lockedCommandLine() throws {
        let scratch = try ScratchFolder("crossrun-cache")
        defer { scratch.remove() }
        let arguments = ["sysroot", "fetch", "--locked", "--mirror", server.mirror(), "aarch64"]
        let cachePath = scratch.path + "/cache"
        let start = server.requests(endingWith: "")
        let refused = try runCrossrun(arguments, cache: cachePath, scratch: scratch)
        #expect(refused.status == 126)
        #expect(refused.out.isEmpty)
        #expect(refused.err.contains("--locked"), "\(refused.err)")
        #expect(server.requests(endingWith: "") == start)

        let fetched = try fetcher(mirror: server.mirror(), cacheBase: cachePath).sysroot(for: try aarch64Manifest())
        let afterFetch = server.requests(endingWith: "")
        let cached = try runCrossrun(arguments, cache: cachePath, scratch: scratch)
        #expect(cached.status == 0, "\(cached.err)")
        #expect(cached.out == fetched.path + "\n")
        #expect(server.requests(endingWith: "") == afterFetch)
    }

    struct IndexVariant: CustomTestStringConvertible, Sendable {
        var variant: String
        var used: String
        var absent: [String]
        var testDescription: String { "\(variant): \(used)" }
    }

    @Test("repositories without Packages.xz: the .gz or the plain index is used",
          arguments: [
              IndexVariant(variant: "no-xz", used: "Packages.gz", absent: ["Packages.xz"]),
              IndexVariant(variant: "plain-only", used: "Packages", absent: ["Packages.xz", "Packages.gz"]),
          ])
    func indexVariants(_ index: IndexVariant) throws {
        let repo = try #require(try RepoDescription.load(server).repos[index.variant])
        #expect(repo.indexCompressions.contains("xz") == false)
        let prefix = "/ok/\(index.variant)/dists/bookworm/main/binary-arm64/"
        let usedBefore = server.requests(endingWith: prefix + index.used)
        let absentBefore = index.absent.map { server.requests(endingWith: prefix + $0) }
        let (fetcher, cache) = try fetcher(mirror: server.mirror(index.variant))
        defer { try? FileManager.default.removeItem(at: cache) }
        let sysroot = try fetcher.sysroot(for: try aarch64Manifest())
        #expect(server.requests(endingWith: prefix + index.used) == usedBefore + 1)
        #expect(index.absent.map { server.requests(endingWith: prefix + $0) } == absentBefore)
        #expect(sysroot.lock.packages.map(\.name) == ["libc6", "libgcc-s1"])
        for package in sysroot.lock.packages {
            #expect(package.sha256 == repo.packages[package.name]?.sha256)
        }
        #expect(FileManager.default.fileExists(atPath: sysroot.path + "/lib/ld-linux-aarch64.so.1"))
        #expect(fetcher.cache.verify(sysroot).isEmpty)
    }

    @Test("Architecture: all cross packages (binary-all) unpack under usr/riscv64-linux-gnu, the sysroot's path")
    func binaryAll() throws {
        let manifest = SysrootManifest(
            name: "riscv64", suite: "bookworm", component: "main", architecture: "all",
            packages: ["libc6-riscv64-cross", "libgcc-s1-riscv64-cross"], root: "usr/riscv64-linux-gnu",
            loader: "/lib/ld-linux-riscv64-lp64d.so.1")
        // The hand-built manifest is the built-in one, so its cache folder is the one crossrun uses.
        #expect(try SysrootManifest.forTarget("riscv64") == manifest)
        let repo = try #require(try RepoDescription.load(server).repos["good"])
        let allIndex = "/ok/good/dists/bookworm/main/binary-all/Packages.xz"
        let armIndex = "/ok/good/dists/bookworm/main/binary-arm64/Packages.xz"
        let (allBefore, armBefore) = (server.requests(endingWith: allIndex), server.requests(endingWith: armIndex))
        let (fetcher, cache) = try fetcher(mirror: server.mirror())
        defer { try? FileManager.default.removeItem(at: cache) }
        let sysroot = try fetcher.sysroot(for: manifest)
        #expect(server.requests(endingWith: allIndex) == allBefore + 1)
        #expect(server.requests(endingWith: armIndex) == armBefore)
        #expect(sysroot.path.hasSuffix("/usr/riscv64-linux-gnu"))
        #expect(sysroot.path == fetcher.cache.directory(for: manifest) + "/root/usr/riscv64-linux-gnu")
        #expect(FileManager.default.fileExists(atPath: sysroot.path + manifest.loader))
        #expect(FileManager.default.fileExists(atPath: sysroot.path + "/lib/libgcc_s.so.1"))
        #expect(sysroot.lock.architecture == "all")
        #expect(sysroot.lock.root == "usr/riscv64-linux-gnu")
        #expect(sysroot.lock.packages.map(\.name) == manifest.packages)
        for name in manifest.packages {
            let package = try #require(repo.packages[name])
            #expect(sysroot.lock.packages.first { $0.name == name }?.sha256 == package.sha256)
            for file in package.files where file.type == "file" {
                let recorded = sysroot.lock.files.first { $0.path == String(file.path.dropFirst(2)) }
                #expect(recorded?.sha256 == file.sha256, "\(file.path)")
            }
        }
        #expect(fetcher.cache.verify(sysroot).isEmpty)
    }

    @Test("the lock record decodes and matches the repository: packages, versions, hashes, sizes, files, links")
    func lockRecord() throws {
        let repo = try #require(try RepoDescription.load(server).repos["good"])
        let manifest = try aarch64Manifest()
        let (fetcher, cache) = try fetcher(mirror: server.mirror())
        defer { try? FileManager.default.removeItem(at: cache) }
        let sysroot = try fetcher.sysroot(for: manifest)
        let data = try Data(contentsOf: URL(fileURLWithPath: sysroot.directory + "/lock.json"))
        let lock = try decodedLock(data)
        #expect(lock == sysroot.lock)
        #expect(lock.schema == "crossrun-sysroot-lock")
        #expect(lock.version == 1)
        #expect(lock.target == "aarch64")
        #expect(lock.digest == manifest.digest)
        #expect(sysroot.directory.hasSuffix("/sysroots/aarch64/" + manifest.digest))
        #expect(lock.suite == "bookworm")
        #expect(lock.architecture == "arm64")
        #expect(lock.root == "")
        #expect(lock.mirror == server.mirror())
        #expect(lock.signature == "signature verified")

        // Packages: in manifest order, each as the repository has it.
        #expect(lock.packages.map(\.name) == manifest.packages)
        for package in lock.packages {
            let expected = try #require(repo.packages[package.name])
            #expect(package.version == expected.version)
            #expect(package.sha256 == expected.sha256)
            #expect(package.size == expected.size)
            #expect(package.filename == expected.filename)
            #expect(package.architecture == expected.architecture)
        }

        // Files: exactly the packages' files (no folders), with their hashes and sizes, links made relative.
        let expectedFiles = manifest.packages.flatMap { repo.packages[$0]?.files ?? [] }
        #expect(lock.files.map(\.path) == expectedFiles.map { String($0.path.dropFirst(2)) }.sorted())
        for file in expectedFiles {
            let path = String(file.path.dropFirst(2))
            let recorded = try #require(lock.files.first(where: { $0.path == path }), "\(path)")
            switch file.type {
            case "file":
                #expect(recorded.sha256 == file.sha256, "\(path)")
                #expect(recorded.size == file.size, "\(path)")
                #expect(recorded.link == nil)
            case "symlink":
                let target = try #require(file.target)
                let depth = path.split(separator: "/").count - 1
                let expected = target.hasPrefix("/") ? String(repeating: "../", count: depth) + String(target.dropFirst()) : target
                #expect(recorded.link == expected, "\(path)")
                #expect(recorded.sha256 == nil)
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: sysroot.path + "/" + path) == expected)
            default:
                Issue.record("unexpected file type \(file.type) for \(path)")
            }
        }

        // The JSON itself: an ISO 8601 date and the documented keys.
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["schema", "version", "target", "digest", "suite", "architecture", "root", "mirror",
                                     "fetchedAt", "signature", "packages", "files"])
        let date = try #require(object["fetchedAt"] as? String)
        #expect(ISO8601DateFormatter().date(from: date) != nil, "\(date)")
    }
}

/// Checks of the parsers against the real repository's files on disk. They make no requests.
@Suite("The parsers on the test repository's real files", .enabled(if: serverAvailable, "needs python3, gpg and dpkg-deb"))
struct RepositoryFilesTests {
    var server: RepositoryServer { RepositoryServer.shared! }

    func file(_ variant: String, _ path: String) throws -> Data {
        try Data(contentsOf: server.folder.appendingPathComponent(variant).appendingPathComponent(path))
    }

    @Test("Release's SHA256 list is what make-repo.py says Release lists",
          arguments: ["good", "no-xz", "plain-only", "bad-index-hash"])
    func release(variant: String) throws {
        let description = try RepoDescription.load(server)
        let repo = try #require(description.repos[variant])
        let release = DebianRelease.parse(String(decoding: try file(variant, repo.release), as: UTF8.self))
        var expected: [String: DebianRelease.Entry] = [:]
        for (folder, files) in repo.indices {
            for (name, index) in files {
                expected["\(folder)/\(name)"] = .init(sha256: index.listedSha256 ?? index.sha256, size: index.size)
            }
        }
        #expect(release.sha256 == expected)
        #expect(release.fields["Codename"] == "bookworm")
    }

    @Test("clearsignedText of InRelease parses to the same Release as the Release file")
    func inRelease() throws {
        let repo = try #require(try RepoDescription.load(server).repos["good"])
        let inRelease = String(decoding: try file("good", try #require(repo.inrelease)), as: UTF8.self)
        let release = String(decoding: try file("good", repo.release), as: UTF8.self)
        let text = DebianControl.clearsignedText(inRelease)
        #expect(!text.contains("PGP"))
        #expect(text + "\n" == release)
        #expect(DebianRelease.parse(text) == DebianRelease.parse(release))
    }

    @Test("the .xz and .gz indexes decompress to the plain one; byte scanner and text parser agree on it",
          arguments: ["main/binary-arm64", "main/binary-all"])
    func indexes(folder: String) throws {
        let repo = try #require(try RepoDescription.load(server).repos["good"])
        let base = "dists/bookworm/\(folder)/Packages"
        let plain = try file("good", base)
        #expect(try DebArchive.decompress(try file("good", base + ".xz"), name: "Packages.xz") == plain)
        #expect(try DebArchive.decompress(try file("good", base + ".gz"), name: "Packages.gz") == plain)
        let all = DebianControl.packages(String(decoding: plain, as: UTF8.self))
        let names = Set(repo.packages.values.filter { "main/binary-\($0.architecture)" == folder }.map(\.package))
        #expect(Set(all.keys) == names)
        for package in all.values {
            #expect(package.sha256 == repo.packages[package.name]?.listedSha256)
            #expect(package.size == repo.packages[package.name]?.listedSize)
            #expect(package.filename == repo.packages[package.name]?.filename)
        }
        for wanted in [names, Set(names.prefix(1)), Set(names.dropFirst()), ["absent"]] {
            #expect(DebianControl.packages(plain, only: wanted) == all.filter { wanted.contains($0.key) }, "\(wanted)")
        }
    }
}

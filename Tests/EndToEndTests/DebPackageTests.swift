import CrossRunKit
@testable import CrossRunTools
import Foundation
import Testing

/// The Debian package `make deb` builds (scripts/make-deb.sh): its control fields and files, lintian, and an
/// install into a fresh Debian 12 root (mmdebstrap) where crossrun was never built, with apt resolving the Depends
/// from the archive, then a cross test suite run there by the installed crossrun, which fetches and checks the
/// aarch64 sysroot itself. scripts/test.sh runs `make deb` before `swift test`; the test fails when no .deb is
/// found (it never skips).
struct DebPackageTests {
    /// Version.swift's `0.1.0-dev` as Debian spells it: the pre-release dash becomes a tilde.
    static let debianVersion: String = {
        var version = CrossRunVersion.current
        if let dash = version.range(of: "-") { version.replaceSubrange(dash, with: "~") }
        return version
    }()

    /// `CROSSRUN_DEB`, else the one `dist/crossrun_<version>_amd64.deb` that `make deb` wrote.
    static func deb() throws -> String {
        if let path = ProcessInfo.processInfo.environment["CROSSRUN_DEB"], !path.isEmpty {
            guard FileManager.default.fileExists(atPath: path) else {
                throw Examples.BuildFailure(message: "CROSSRUN_DEB=\(path) does not exist; run make deb (scripts/test.sh does) or unset CROSSRUN_DEB")
            }
            return path
        }
        let dist = packageRoot.appendingPathComponent("dist")
        let path = dist.appendingPathComponent("crossrun_\(debianVersion)_amd64.deb").path
        guard FileManager.default.fileExists(atPath: path) else {
            let present = (try? FileManager.default.contentsOfDirectory(atPath: dist.path)) ?? []
            throw Examples.BuildFailure(message: "no \(path) (dist/ holds \(present)); run make deb first (scripts/test.sh runs it before swift test), or set CROSSRUN_DEB to the .deb")
        }
        return path
    }

    /// The control file's fields (continuation lines folded into the field).
    static func control(_ deb: String) throws -> [String: String] {
        let result = try run("/usr/bin/dpkg-deb", ["--field", deb])
        guard result.status == 0 else { throw Examples.BuildFailure(message: "dpkg-deb --field \(deb): \(result.stderrText)") }
        var fields: [String: String] = [:]
        var last: String?
        for line in result.stdoutText.split(separator: "\n") {
            if line.first == " ", let key = last {
                fields[key, default: ""] += "\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                let key = String(line[..<colon])
                fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                last = key
            }
        }
        return fields
    }

    /// The package names of a relation field (`a (>= 1), b | c` → a, b, c).
    static func packages(_ field: String?) -> Set<String> {
        Set((field ?? "").split(whereSeparator: { $0 == "," || $0 == "|" }).compactMap {
            $0.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init)
        })
    }

    @Test("dpkg-deb --info: the control fields, Depends holds qemu-user-static, gpgv and the keyring")
    func controlFields() throws {
        let deb = try Self.deb()
        #expect((deb as NSString).lastPathComponent == "crossrun_\(Self.debianVersion)_amd64.deb")
        let info = try run("/usr/bin/dpkg-deb", ["--info", deb])
        #expect(info.status == 0, "\(info.stderrText)")
        let fields = try Self.control(deb)
        #expect(fields["Package"] == "crossrun")
        #expect(fields["Version"] == Self.debianVersion)
        #expect(fields["Architecture"] == "amd64")
        #expect(fields["Section"] == "devel")
        #expect(fields["Priority"] == "optional")
        for key in ["Maintainer", "Homepage", "Description", "Installed-Size"] {
            #expect(fields[key]?.isEmpty == false, "no \(key) in \(fields)")
        }
        #expect(Int(fields["Installed-Size"] ?? "") ?? 0 > 10_000, "Installed-Size \(fields["Installed-Size"] ?? "")")
        let depends = Self.packages(fields["Depends"])
        for package in ["qemu-user-static", "gpgv", "debian-archive-keyring", "libc6"] {
            #expect(depends.contains(package), "Depends lacks \(package): \(fields["Depends"] ?? "")")
        }
        #expect(Self.packages(fields["Recommends"]).contains("libcurl4"), "Recommends: \(fields["Recommends"] ?? "")")
        #expect(Self.packages(fields["Suggests"]).isSuperset(of: ["qemu-system-arm", "qemu-system-misc", "wine", "wine64"]))
        #expect(try run("/usr/bin/dpkg", ["--compare-versions", Self.debianVersion, "lt", CrossRunVersion.current.components(separatedBy: "-")[0]]).status == 0,
                "\(Self.debianVersion) should sort before the release it leads to")
    }

    @Test("Depends names the package of every shared library the packaged binaries link (ldd + dpkg -S)", arguments: ["crossrun", "crossrun-tools"])
    func dependsCoverLinkedLibraries(executable: String) throws {
        let deb = try Self.deb()
        let folder = try temporaryDirectory("deb-extract")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try run("/usr/bin/dpkg-deb", ["-x", deb, folder.path]).status == 0)
        let binary = folder.appendingPathComponent("usr/bin/" + executable).path
        let ldd = try run("/usr/bin/ldd", [binary])
        #expect(ldd.status == 0, "\(ldd.stderrText)")
        #expect(!ldd.stdoutText.contains("libswift"), "the Swift runtime is linked dynamically: \(ldd.stdoutText)")
        let sections = try run("/usr/bin/readelf", ["--section-headers", "--wide", binary])
        #expect(sections.status == 0 && !sections.stdoutText.contains(".symtab"), "the packaged binary is not stripped")
        let depends = Self.packages(try Self.control(deb)["Depends"])
        // The binary's own NEEDED entries ("0x... (NEEDED) Shared library: [libxml2.so.2]"); ldd lists their
        // dependencies too, which are the libraries' packages' business.
        let dynamic = try run("/usr/bin/readelf", ["--dynamic", binary]).stdoutText
        let needed = dynamic.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line -> String? in
            guard let open = line.lastIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
        // libarchive reads .deb files and writes system mode's initramfs, libxml2 merges reports: crossrun-tools
        // links both; the run path links neither (it loads libxml2 with dlopen when it writes JUnit, and the
        // package's Depends has libxml2 through crossrun-tools).
        let archive = executable == "crossrun-tools"
        #expect(needed.contains("libxml2.so.2") == archive && needed.contains("libarchive.so.13") == archive, "NEEDED: \(needed)")
        #expect(!needed.contains { $0.hasPrefix("libcurl") }, "libcurl is linked, not loaded with dlopen: \(needed)")
        var owners: Set<String> = []
        for line in ldd.stdoutText.split(separator: "\n") {
            // "libxml2.so.2 => /lib/x86_64-linux-gnu/libxml2.so.2 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
            let words = line.split(separator: " ").map(String.init)
            guard let path = words.first(where: { $0.hasPrefix("/") }) else { continue }
            let soname = words[0].hasPrefix("/") ? (words[0] as NSString).lastPathComponent : words[0].trimmingCharacters(in: .whitespaces)
            guard needed.contains(soname) || soname.hasPrefix("ld-linux") else { continue }
            let candidates = [path, path.hasPrefix("/usr/") ? String(path.dropFirst(4)) : "/usr" + path,
                              URL(fileURLWithPath: path).resolvingSymlinksInPath().path]
            let owner = try candidates.lazy.map { try run("/usr/bin/dpkg", ["-S", $0]) }.first { $0.status == 0 }
            let package = try #require(owner, "no installed package owns \(path)").stdoutText.split(separator: ":").first.map(String.init)
            owners.insert(try #require(package))
        }
        #expect(owners.isSuperset(of: archive ? ["libc6", "libxml2", "libarchive13"] : ["libc6"]), "\(owners)")
        #expect(depends.contains("libxml2"), "Depends: \(depends.sorted())")
        #expect(owners.isSubset(of: depends), "linked: \(owners.sorted()); Depends: \(depends.sorted())")
    }

    @Test("dpkg-deb --contents: binary, runner definitions, sysroot manifests, docs, man page, completions")
    func contents() throws {
        let deb = try Self.deb()
        let listing = try run("/usr/bin/dpkg-deb", ["--contents", deb])
        #expect(listing.status == 0, "\(listing.stderrText)")
        // "-rwxr-xr-x root/root 41234 2026-12-07 03:00 ./usr/bin/crossrun"
        var modes: [String: String] = [:]
        for line in listing.stdoutText.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 6 else { continue }
            #expect(words[1] == "root/root", "\(line)")
            modes[String(words[5]).replacingOccurrences(of: "./", with: "/", options: .anchored)] = String(words[0])
        }
        var expected = [
            "/usr/bin/crossrun", "/usr/bin/crossrun-tools", "/usr/share/doc/crossrun/README.md", "/usr/share/doc/crossrun/copyright",
            "/usr/share/doc/crossrun/changelog.gz", "/usr/share/doc/crossrun/CHANGELOG.md.gz",
            "/usr/share/man/man1/crossrun.1.gz", "/usr/share/man/man1/crossrun-tools.1.gz", "/usr/share/bash-completion/completions/crossrun",
            "/usr/share/zsh/vendor-completions/_crossrun", "/usr/share/fish/vendor_completions.d/crossrun.fish",
        ]
        // As `make install-files` lays them out: Runners/*.toml, Sysroots/*.toml, docs/*.md.
        for (folder, suffix, destination) in [("Runners", ".toml", "/usr/share/crossrun/Runners/"), ("Sysroots", ".toml", "/usr/share/crossrun/Sysroots/"),
                                              ("docs", ".md", "/usr/share/doc/crossrun/docs/")] {
            let names = try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent(folder).path)
                .filter { $0.hasSuffix(suffix) }
            #expect(!names.isEmpty)
            expected += names.map { destination + $0 }
        }
        for path in expected {
            #expect(modes[path] != nil, "the package lacks \(path)")
        }
        #expect(modes["/usr/bin/crossrun"] == "-rwxr-xr-x")
        #expect(modes["/usr/bin/crossrun-tools"] == "-rwxr-xr-x")
        #expect(modes.filter { $0.key.hasPrefix("/usr/share/") && $0.value.hasPrefix("-") && $0.value != "-rw-r--r--" }.isEmpty)
        #expect(modes.keys.allSatisfy { $0.hasPrefix("/usr/") || $0 == "/usr" || $0 == "/" }, "\(modes.keys.sorted())")
    }

    @Test("lintian finds no error and no warning beyond the package's justified overrides")
    func lintian() throws {
        let deb = try Self.deb()
        let result = try run("/usr/bin/lintian", ["--fail-on", "error,warning", "--tag-display-limit", "0", deb])
        let tags = result.stdoutText.split(separator: "\n").filter { $0.hasPrefix("E: ") || $0.hasPrefix("W: ") }
        #expect(tags.isEmpty, "\(tags.joined(separator: "\n"))")
        #expect(result.status == 0, "lintian \(result.status): \(result.stdoutText)\(result.stderrText)")
        // Overrides live in packaging/deb/lintian-overrides (none is needed today); each has its reason in a comment
        // line above it, and the package carries the file exactly when it exists.
        let source = packageRoot.appendingPathComponent("packaging/deb/lintian-overrides").path
        let listing = try run("/usr/bin/dpkg-deb", ["--contents", deb]).stdoutText
        #expect(listing.contains("./usr/share/lintian/overrides/crossrun\n") == FileManager.default.fileExists(atPath: source))
        if let overrides = try? String(contentsOfFile: source, encoding: .utf8) {
            var commented = false
            for line in overrides.split(separator: "\n") {
                if line.hasPrefix("#") { commented = true; continue }
                #expect(commented, "lintian override without a reason above it: \(line)")
                commented = false
            }
        }
    }

    @Test("the man page renders without groff warnings and the bash completion loads")
    func manPageAndCompletion() throws {
        let deb = try Self.deb()
        let folder = try temporaryDirectory("deb-man")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try run("/usr/bin/dpkg-deb", ["-x", deb, folder.path]).status == 0)
        let page = folder.appendingPathComponent("usr/share/man/man1/crossrun.1.gz").path
        let source = try run("/usr/bin/zcat", [page])
        #expect(source.stdoutText.hasPrefix(#".\" "Generated by swift-argument-parser""#), "\(source.stdoutText.prefix(200))")
        let rendered = try run("/usr/bin/man", ["--warnings", "-l", page], environment: ["PATH": "/usr/bin:/bin", "MANWIDTH": "80", "LANG": "C.UTF-8"])
        #expect(rendered.status == 0, "\(rendered.stderrText)")
        #expect(rendered.stderrText.isEmpty, "man -l warns: \(rendered.stderrText)")
        for text in ["SYNOPSIS", "crossrun", "--junit", "sysroot", "doctor"] {
            #expect(rendered.stdoutText.contains(text), "the man page lacks \(text)")
        }
        let completion = folder.appendingPathComponent("usr/share/bash-completion/completions/crossrun").path
        let words = try run("/bin/bash", ["--norc", "--noprofile", "-c", """
            source "$1" && complete -p crossrun && COMP_LINE="crossrun sys" && COMP_WORDS=(crossrun sys) && COMP_CWORD=1 \
            && COMP_POINT=${#COMP_LINE} && _crossrun crossrun sys crossrun && printf '%s\\n' "${COMPREPLY[@]}"
            """, "bash", completion])
        #expect(words.status == 0, "\(words.stderrText)")
        #expect(words.stdoutText == "complete -o filenames -F _crossrun crossrun\nsysroot\n", "\(words.stdoutText)\(words.stderrText)")
    }

    @Test("apt-get install ./crossrun.deb on a fresh bookworm root (mmdebstrap), then the aarch64 suite runs there and fetches its sysroot")
    func installOnFreshRoot() throws {
        let deb = try Self.deb()
        let binary = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        let mirror = try DebianMirror.resolve(explicit: nil, suite: "bookworm")
        let folder = try temporaryDirectory("deb-root")
        let root = folder.appendingPathComponent("root")
        var mounted = false
        defer {
            if mounted { _ = try? run("/usr/bin/umount", ["--lazy", root.appendingPathComponent("proc").path]) }
            try? FileManager.default.removeItem(at: folder)
        }
        // A minimal Debian 12 (apt and the essential packages); the package lists stay for apt-get install.
        var started = Date()
        let strap = try run("/usr/bin/mmdebstrap", ["--variant=apt", "--skip=cleanup/apt/lists", "--quiet", "bookworm", root.path, mirror],
                            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"])
        let strapSeconds = Date().timeIntervalSince(started)
        try #require(strap.status == 0, "mmdebstrap: \(strap.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("usr/bin/crossrun").path))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("usr/aarch64-linux-gnu").path))

        #expect(try run("/usr/bin/mount", ["-t", "proc", "proc", root.appendingPathComponent("proc").path]).status == 0)
        mounted = true
        let inside = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
                      "DEBIAN_FRONTEND": "noninteractive"]
        func chroot(_ arguments: [String]) throws -> ProcessResult {
            try run("/usr/sbin/chroot", [root.path] + arguments, environment: inside)
        }
        let work = root.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let debName = (deb as NSString).lastPathComponent
        try FileManager.default.copyItem(atPath: deb, toPath: work.appendingPathComponent(debName).path)
        started = Date()
        let install = try chroot(["apt-get", "install", "--yes", "--quiet", "/work/\(debName)"])
        let installSeconds = Date().timeIntervalSince(started)
        try #require(install.status == 0, "apt-get install ./\(debName): \(install.stdoutText)\(install.stderrText)")
        print("DebPackageTests: mmdebstrap --variant=apt \(String(format: "%.1f", strapSeconds)) s; apt-get install ./\(debName) \(String(format: "%.1f", installSeconds)) s")
        // apt installs Recommends by default: libcurl4 comes with crossrun and the sysroot fetch below uses it.
        for package in ["crossrun", "qemu-user-static", "gpgv", "debian-archive-keyring", "libcurl4"] {
            let status = try chroot(["dpkg-query", "-W", "-f=${Status}", package])
            #expect(status.stdoutText == "install ok installed", "\(package): \(status.stdoutText)\(status.stderrText)")
        }
        let version = try chroot(["crossrun", "--version"])
        #expect(version.status == 0 && version.stdoutText == CrossRunVersion.current + "\n", "\(version.stdoutText)\(version.stderrText)")

        // The aarch64 test binary, copied in; no sysroot is installed, so crossrun fetches bookworm's arm64 libc
        // from the root's own apt source and checks the Release signature with gpgv and debian-archive-keyring.
        let name = (binary as NSString).lastPathComponent
        try FileManager.default.copyItem(atPath: binary, toPath: work.appendingPathComponent(name).path)
        let result = try chroot(["crossrun", "--junit", "/work/junit.xml", "--json", "/work/results.json", "/work/\(name)"])
        #expect(result.status == 0, "\(result.stderrText)")
        let counts = LibtestCounts.all(in: result.stdoutText)
        #expect(counts.count == 1 && counts[0].passed > 0 && counts[0].failed == 0, "\(result.stdoutText)")
        let summary = result.stderrText.split(separator: "\n").filter { $0.hasPrefix("crossrun: crossrun_demo ") }
        #expect(summary.count == 1, "\(result.stderrText)")
        if let counted = counts.first {
            let expected = "crossrun: crossrun_demo [aarch64 via qemu-aarch64-static] ok: \(counted.passed) passed, 0 failed, \(counted.ignored) ignored in "
            #expect(summary.first?.hasPrefix(expected) == true, "\(summary) does not start with \(expected)")
        }
        let junit = work.appendingPathComponent("junit.xml").path
        #expect(try schemaProblems(junit) == nil)
        let launch = try #require(try readResults(work.appendingPathComponent("results.json").path)["launch"] as? [String: Any])
        #expect((launch["sysroot"] as? String)?.hasPrefix("/root/.cache/crossrun/") == true, "\(launch)")
        #expect((launch["sysrootOrigin"] as? String)?.contains("sysroot cache") == true, "\(launch)")
        let verify = try chroot(["crossrun", "sysroot", "verify", "aarch64"])
        #expect(verify.status == 0, "\(verify.stdoutText)\(verify.stderrText)")
    }
}

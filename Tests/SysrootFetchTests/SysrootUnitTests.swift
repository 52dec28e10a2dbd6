import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// A (uri, suites) pair of `DebianMirror`'s parsers, comparable.
struct Source: Equatable, CustomStringConvertible, Sendable {
    var uri: String
    var suites: [String]
    init(_ uri: String, _ suites: [String]) {
        self.uri = uri
        self.suites = suites
    }
    var description: String { "\(uri) \(suites)" }
}

/// One named input of a parser table and what it must give.
struct ParseCase: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var expected: [Source]
    var testDescription: String { name }
}

// MARK: - DebianMirror

@Suite("DebianMirror: apt sources")
struct DebianMirrorTests {
    static let oneLineCases = [
        ParseCase(name: "a plain line", text: "deb http://deb.debian.org/debian bookworm main\n",
                  expected: [Source("http://deb.debian.org/debian", ["bookworm"])]),
        ParseCase(name: "a commented-out line", text: "# deb http://deb.debian.org/debian bookworm main\n", expected: []),
        ParseCase(name: "a trailing comment", text: "deb http://a.example/debian bookworm main # the main archive",
                  expected: [Source("http://a.example/debian", ["bookworm"])]),
        ParseCase(name: "[arch=amd64 signed-by=...] options",
                  text: "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://a.example/debian bookworm main contrib",
                  expected: [Source("http://a.example/debian", ["bookworm"])]),
        ParseCase(name: "a one-word option", text: "deb [trusted=yes] file:/srv/mirror bookworm main",
                  expected: [Source("file:/srv/mirror", ["bookworm"])]),
        ParseCase(name: "options with spaces inside the brackets", text: "deb [ arch=arm64 ] http://a.example/debian trixie main",
                  expected: [Source("http://a.example/debian", ["trixie"])]),
        ParseCase(name: "deb-src is ignored", text: "deb-src http://a.example/debian bookworm main", expected: []),
        ParseCase(name: "tabs and indentation", text: "  deb\thttp://a.example/debian\tbookworm\tmain",
                  expected: [Source("http://a.example/debian", ["bookworm"])]),
        ParseCase(name: "a line without a suite", text: "deb http://a.example/debian", expected: []),
        ParseCase(name: "options that never close", text: "deb [arch=amd64 http://a.example/debian bookworm main", expected: []),
        ParseCase(
            name: "several lines, in order",
            text: """
                # See sources.list(5)

                deb http://deb.debian.org/debian bookworm main non-free-firmware
                deb-src http://deb.debian.org/debian bookworm main non-free-firmware
                deb http://security.debian.org/debian-security bookworm-security main
                #deb http://old.example/debian buster main
                deb [signed-by=/k.gpg] http://deb.debian.org/debian bookworm-updates main
                """,
            expected: [
                Source("http://deb.debian.org/debian", ["bookworm"]),
                Source("http://security.debian.org/debian-security", ["bookworm-security"]),
                Source("http://deb.debian.org/debian", ["bookworm-updates"]),
            ]),
    ]

    @Test("one-line sources.list syntax", arguments: oneLineCases)
    func oneLine(_ parse: ParseCase) {
        #expect(DebianMirror.oneLine(parse.text).map { Source($0.uri, $0.suites) } == parse.expected)
    }

    static let deb822Cases = [
        ParseCase(
            name: "one stanza",
            text: """
                Types: deb
                URIs: http://deb.debian.org/debian
                Suites: bookworm
                Components: main
                Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
                """,
            expected: [Source("http://deb.debian.org/debian", ["bookworm"])]),
        ParseCase(
            name: "several stanzas, several suites",
            text: """
                Types: deb
                URIs: http://deb.debian.org/debian
                Suites: bookworm bookworm-updates
                Components: main

                Types: deb
                URIs: http://deb.debian.org/debian-security
                Suites: bookworm-security
                Components: main

                """,
            expected: [
                Source("http://deb.debian.org/debian", ["bookworm", "bookworm-updates"]),
                Source("http://deb.debian.org/debian-security", ["bookworm-security"]),
            ]),
        ParseCase(
            name: "Types: deb deb-src counts, deb-src alone does not",
            text: """
                Types: deb-src
                URIs: http://src.example/debian
                Suites: bookworm

                Types: deb deb-src
                URIs: http://both.example/debian
                Suites: bookworm
                """,
            expected: [Source("http://both.example/debian", ["bookworm"])]),
        ParseCase(
            name: "several URIs on one line",
            text: "Types: deb\nURIs: http://a.example/debian  http://b.example/debian\nSuites: bookworm trixie\n",
            expected: [Source("http://a.example/debian", ["bookworm", "trixie"]), Source("http://b.example/debian", ["bookworm", "trixie"])]),
        ParseCase(
            name: "Enabled: no skips a stanza (any case), Enabled: yes does not",
            text: """
                Types: deb
                URIs: http://off.example/debian
                Suites: bookworm
                Enabled: no

                Types: deb
                URIs: http://off2.example/debian
                Suites: bookworm
                Enabled: No

                Types: deb
                URIs: http://on.example/debian
                Suites: bookworm
                Enabled: yes
                """,
            expected: [Source("http://on.example/debian", ["bookworm"])]),
        ParseCase(
            name: "continuation lines",
            text: "Types: deb\nURIs: http://a.example/debian\n http://b.example/debian\nSuites: bookworm\n\tbookworm-updates\nComponents: main\n",
            expected: [
                Source("http://a.example/debian", ["bookworm", "bookworm-updates"]),
                Source("http://b.example/debian", ["bookworm", "bookworm-updates"]),
            ]),
        ParseCase(
            name: "comments, before and inside a stanza",
            text: """
                # Modernized from /etc/apt/sources.list
                Types: deb
                # URIs: http://commented.example/debian
                URIs: http://deb.debian.org/debian/
                Suites: bookworm
                """,
            expected: [Source("http://deb.debian.org/debian/", ["bookworm"])]),
        ParseCase(
            name: "field names in any case",
            text: "types: deb\nuris: http://a.example/debian\nSUITES: sid\n",
            expected: [Source("http://a.example/debian", ["sid"])]),
        ParseCase(name: "no Types field", text: "URIs: http://a.example/debian\nSuites: bookworm\n", expected: []),
    ]

    @Test("deb822 .sources syntax", arguments: deb822Cases)
    func deb822(_ parse: ParseCase) {
        #expect(DebianMirror.deb822(parse.text).map { Source($0.uri, $0.suites) } == parse.expected)
    }

    /// A sources.list and a sources.list.d folder in a fresh scratch folder.
    struct Sources {
        let folder: ScratchFolder
        var list: String { folder.path + "/sources.list" }
        var directory: String { folder.path + "/sources.list.d" }

        init(list: String?, files: [String: String] = [:]) throws {
            folder = try ScratchFolder("crossrun-apt")
            if let list { try folder.write("sources.list", list) }
            try FileManager.default.createDirectory(atPath: folder.path + "/sources.list.d", withIntermediateDirectories: true)
            for (name, text) in files { try folder.write("sources.list.d/" + name, text) }
        }

        func resolve(explicit: String? = nil, suite: String = "bookworm") throws -> String {
            try DebianMirror.resolve(explicit: explicit, suite: suite, sourcesList: list, sourcesDirectory: directory)
        }
    }

    @Test("an explicit mirror wins over the apt sources, trailing slashes trimmed",
          arguments: ["http://mirror.example/debian/", "http://mirror.example/debian//", "http://mirror.example/debian"])
    func explicitWins(explicit: String) throws {
        let sources = try Sources(list: "deb http://deb.debian.org/debian bookworm main\n")
        defer { sources.folder.remove() }
        #expect(try sources.resolve(explicit: explicit) == "http://mirror.example/debian")
    }

    @Test("an empty explicit mirror means unset")
    func emptyExplicit() throws {
        let sources = try Sources(list: "deb http://deb.debian.org/debian/ bookworm main\n")
        defer { sources.folder.remove() }
        #expect(try sources.resolve(explicit: "") == "http://deb.debian.org/debian")
        let empty = try Sources(list: nil)
        defer { empty.folder.remove() }
        #expect(throws: CrossRunError.noMirror(searched: [empty.list])) { try empty.resolve(explicit: "") }
    }

    @Test("the source that carries the suite wins, wherever it is")
    func suiteWins() throws {
        let sources = try Sources(
            list: """
                deb http://security.debian.org/debian-security bookworm-security main
                deb http://old.example/debian bullseye main
                deb http://updates.example/debian bookworm-updates main
                """,
            files: [
                "z-debian.sources": "Types: deb\nURIs: http://deb.debian.org/debian/\nSuites: bookworm bookworm-updates\nComponents: main\n",
                "a-trixie.list": "deb http://trixie.example/debian trixie main\n",
            ])
        defer { sources.folder.remove() }
        #expect(try sources.resolve(suite: "bookworm") == "http://deb.debian.org/debian")
        #expect(try sources.resolve(suite: "trixie") == "http://trixie.example/debian")
        #expect(try sources.resolve(suite: "bullseye") == "http://old.example/debian")
    }

    @Test("sources.list.d files are read in name order, after sources.list")
    func directoryOrder() throws {
        let sources = try Sources(
            list: "deb http://list.example/debian trixie main\n",
            files: [
                "b.list": "deb http://b.example/debian bookworm main\n",
                "a.sources": "Types: deb\nURIs: http://a.example/debian\nSuites: bookworm\n",
                "c.list.disabled": "deb http://disabled.example/debian bookworm main\n",
            ])
        defer { sources.folder.remove() }
        #expect(try sources.resolve(suite: "bookworm") == "http://a.example/debian")
        // No source carries sid: the first usable one, which is sources.list's.
        #expect(try sources.resolve(suite: "sid") == "http://list.example/debian")
    }

    @Test("a security source is not chosen when another usable source exists")
    func securityNotChosen() throws {
        let sources = try Sources(
            list: """
                deb cdrom:[Debian GNU/Linux 12]/ bookworm main
                deb http://security.debian.org/debian-security bookworm-security main
                deb https://ftp.example/debian bullseye main
                """)
        defer { sources.folder.remove() }
        #expect(try sources.resolve(suite: "bookworm") == "https://ftp.example/debian")
        let deb822 = try Sources(
            list: nil,
            files: ["debian.sources": """
                Types: deb
                URIs: http://deb.debian.org/debian-security
                Suites: bookworm-security

                Types: deb
                URIs: file:/srv/mirror/
                Suites: bullseye
                """])
        defer { deb822.folder.remove() }
        #expect(try deb822.resolve(suite: "bookworm") == "file:/srv/mirror")
    }

    @Test("nothing usable: .noMirror names every file searched")
    func noMirror() throws {
        let sources = try Sources(
            list: """
                deb-src http://deb.debian.org/debian bookworm main
                deb cdrom:[Debian GNU/Linux 12]/ bookworm main
                deb http://security.debian.org/debian-security bookworm-security main
                """,
            files: [
                "comments.list": "# deb http://deb.debian.org/debian bookworm main\n",
                "off.sources": "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nEnabled: no\n",
                "README": "deb http://not-a-source-file.example/debian bookworm main\n",
            ])
        defer { sources.folder.remove() }
        let expected = CrossRunError.noMirror(searched: [
            sources.list, sources.directory + "/comments.list", sources.directory + "/off.sources",
        ])
        #expect(throws: expected) { try sources.resolve() }
        #expect(expected.description.contains(sources.directory + "/off.sources"))
    }

    @Test("no sources.list and no sources.list.d: .noMirror names sources.list")
    func nothingAtAll() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let list = folder.path + "/missing.list"
        #expect(throws: CrossRunError.noMirror(searched: [list])) {
            try DebianMirror.resolve(explicit: nil, suite: "bookworm", sourcesList: list, sourcesDirectory: folder.path + "/missing.d")
        }
    }
}

// MARK: - DebianControl and DebianRelease

/// A Packages stanza with the fields `DebianControl.packages` needs, and some it does not.
func packageStanza(_ name: String, version: String = "1.0-1", size: Int = 1000, sha256: String? = nil, extra: String = "") -> String {
    let hash = sha256 ?? String(repeating: String(name.count % 10), count: 64)
    return """
        Package: \(name)
        Source: \(name)-source
        Version: \(version)
        Installed-Size: 17
        Architecture: arm64
        Depends: libgcc-s1
        Description: the \(name) package
         A long description.
         .
         Another paragraph.
        \(extra)Filename: pool/main/\(name.prefix(1))/\(name)/\(name)_\(version)_arm64.deb
        Size: \(size)
        MD5sum: 0123456789abcdef0123456789abcdef
        SHA256: \(hash)
        """
}

struct IndexCase: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var wanted: Set<String>
    var testDescription: String { name }
}

@Suite("DebianControl and DebianRelease")
struct DebianControlTests {
    @Test("stanzas: blank lines separate, continuation lines join with newlines, field names keep their case")
    func stanzas() {
        let text = "\n\nPackage: a\nDescription: short\n long one\n .\n\tlast\nX-Custom-Field:   spaced value  \n\n\n \t\nPackage: b\nEmpty:\n"
        let stanzas = DebianControl.stanzas(text)
        #expect(stanzas.count == 2)
        #expect(stanzas.first == ["Package": "a", "Description": "short\nlong one\n.\nlast", "X-Custom-Field": "spaced value"])
        #expect(stanzas.last == ["Package": "b", "Empty": ""])
        #expect(DebianControl.stanzas("").isEmpty)
        #expect(DebianControl.stanzas("\n\n").isEmpty)
    }

    @Test("packages(text): the needed fields decoded, SHA256 lower-cased, incomplete stanzas skipped")
    func packagesText() {
        let text = [
            packageStanza("libc6", version: "2.36-9", size: 17860, sha256: String(repeating: "AB", count: 32)),
            packageStanza("no-size").replacingOccurrences(of: "Size: 1000\n", with: ""),
            packageStanza("bad-size").replacingOccurrences(of: "Size: 1000", with: "Size: many"),
            packageStanza("no-sha").replacingOccurrences(of: "\nSHA256:", with: "\nSHA1:"),
            packageStanza("no-filename").replacingOccurrences(of: "Filename:", with: "File:"),
        ].joined(separator: "\n\n")
        let packages = DebianControl.packages(text)
        #expect(Array(packages.keys) == ["libc6"])
        #expect(packages["libc6"] == DebianPackage(
            name: "libc6", version: "2.36-9", architecture: "arm64", filename: "pool/main/l/libc6/libc6_2.36-9_arm64.deb",
            size: 17860, sha256: String(repeating: "ab", count: 32)))
    }

    static let indexCases: [IndexCase] = {
        let a = packageStanza("libc6", version: "1")
        let b = packageStanza("libc6-dev", version: "2")
        let c = packageStanza("libgcc-s1", version: "3")
        let d = packageStanza("zlib1g", version: "4", extra: "Multi-Arch: same\n")
        let later = packageStanza("libc6", version: "9", size: 2, sha256: String(repeating: "f", count: 64))
        return [
            IndexCase(name: "trailing newline", text: [a, b, c, d].joined(separator: "\n\n") + "\n", wanted: ["libc6", "zlib1g"]),
            IndexCase(name: "last stanza without any trailing newline", text: [a, b, c].joined(separator: "\n\n"), wanted: ["libgcc-s1"]),
            IndexCase(name: "trailing blank lines", text: [a, c].joined(separator: "\n\n") + "\n\n\n", wanted: ["libc6", "libgcc-s1"]),
            IndexCase(name: "several blank lines between stanzas", text: [a, b, c].joined(separator: "\n\n\n\n"), wanted: ["libc6-dev"]),
            IndexCase(name: "a name that is a prefix of another", text: [b, a].joined(separator: "\n\n"), wanted: ["libc6"]),
            IndexCase(name: "a name twice: the later stanza wins", text: [a, c, later, d].joined(separator: "\n\n") + "\n", wanted: ["libc6", "zlib1g"]),
            IndexCase(name: "a name twice, the later one last without newline", text: [a, c, later].joined(separator: "\n\n"), wanted: ["libc6"]),
            IndexCase(name: "a wanted name that is absent", text: [a, c].joined(separator: "\n\n"), wanted: ["libstdc++6", "libc6"]),
            IndexCase(name: "nothing wanted", text: [a, c].joined(separator: "\n\n"), wanted: []),
            IndexCase(name: "a trailing space after the name", text: [a.replacingOccurrences(of: "Package: libc6\n", with: "Package: libc6 \n"), c].joined(separator: "\n\n"), wanted: ["libc6"]),
            IndexCase(name: "a leading blank line", text: "\n" + [c, a].joined(separator: "\n\n"), wanted: ["libc6", "libgcc-s1"]),
        ]
    }()

    @Test("packages(data, only:) scans bytes to the same result as the text parser", arguments: indexCases)
    func byteScannerMatchesText(_ index: IndexCase) {
        let fromText = DebianControl.packages(index.text).filter { index.wanted.contains($0.key) }
        let fromBytes = DebianControl.packages(Data(index.text.utf8), only: index.wanted)
        #expect(fromBytes == fromText)
        // Sanity of the table itself: every wanted name that the text has is found.
        for name in index.wanted where index.text.contains("Package: \(name)\n") || index.text.contains("Package: \(name) \n") {
            #expect(fromBytes[name] != nil, "\(name)")
        }
    }

    @Test("a name that appears twice: the later stanza wins, in both parsers")
    func laterWins() throws {
        let text = [packageStanza("libc6", version: "1"), packageStanza("libc6", version: "2", size: 5)].joined(separator: "\n\n")
        #expect(DebianControl.packages(text)["libc6"]?.version == "2")
        let scanned = try #require(DebianControl.packages(Data(text.utf8), only: ["libc6"])["libc6"])
        #expect(scanned.version == "2")
        #expect(scanned.size == 5)
    }

    @Test("packages(data) without a filter is the text parser")
    func noFilter() {
        let text = [packageStanza("a"), packageStanza("b"), packageStanza("c")].joined(separator: "\n\n")
        #expect(DebianControl.packages(Data(text.utf8)) == DebianControl.packages(text))
        #expect(DebianControl.packages(Data(text.utf8)).count == 3)
    }

    @Test("DebianRelease.parse: SHA256 entries with right-aligned sizes; MD5Sum ignored")
    func release() {
        let text = """
            Origin: Debian
            Label: Debian
            Suite: stable
            Codename: bookworm
            Date: Sat, 07 Oct 2023 09:34:08 UTC
            Architectures: all amd64 arm64
            Components: main contrib
            MD5Sum:
             0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all
             d0a0325a97c42fd5f66a8c3e29bcea64       98 md5-only/Release
            SHA256:
             3957f28db16e3f28c7b34ae84f1c929c567de6970f3f1b95dac9b498dd80fe63   738242 main/binary-arm64/Packages.xz
             B2A9AF6D4E3F4AF1C0D26C67DDB6F1A3C6D1E5F4A3B2C1D0E9F8A7B6C5D4E3F2       98 main/binary-arm64/Release
             not-enough-words
             abc notanumber main/bad-size
            """
        let release = DebianRelease.parse(text)
        #expect(release.fields["Codename"] == "bookworm")
        #expect(release.fields["Suite"] == "stable")
        #expect(release.sha256 == [
            "main/binary-arm64/Packages.xz": .init(sha256: "3957f28db16e3f28c7b34ae84f1c929c567de6970f3f1b95dac9b498dd80fe63", size: 738242),
            "main/binary-arm64/Release": .init(sha256: "b2a9af6d4e3f4af1c0d26c67ddb6f1a3c6d1e5f4a3b2c1d0e9f8a7b6c5d4e3f2", size: 98),
        ])
        #expect(release.sha256["contrib/Contents-all"] == nil)
        #expect(DebianRelease.parse("Origin: x\n").sha256.isEmpty)
    }

    @Test("clearsignedText: armour removed, dash-escapes undone")
    func clearsigned() {
        let text = """
            -----BEGIN PGP SIGNED MESSAGE-----
            Hash: SHA512

            Origin: Crossrun Test
            - -----BEGIN PGP SIGNATURE----- (escaped, part of the text)
            - Label: escaped though it needed no escape
            Suite: bookworm
            SHA256:
             abc 1 main/binary-arm64/Packages
            -----BEGIN PGP SIGNATURE-----

            iHUEARYKAB0WIQRXRS3WAAAAAAAAAAAAAAAAAAAAAAAAAA==
            =abcd
            -----END PGP SIGNATURE-----

            """
        #expect(DebianControl.clearsignedText(text) == """
            Origin: Crossrun Test
            -----BEGIN PGP SIGNATURE----- (escaped, part of the text)
            Label: escaped though it needed no escape
            Suite: bookworm
            SHA256:
             abc 1 main/binary-arm64/Packages
            """)
        let release = DebianRelease.parse(DebianControl.clearsignedText(text))
        #expect(release.fields["Label"] == "escaped though it needed no escape")
        #expect(release.sha256["main/binary-arm64/Packages"]?.size == 1)
        // Text that is not clearsigned is returned as it is.
        #expect(DebianControl.clearsignedText("Origin: x\n- y\n") == "Origin: x\n- y\n")
    }
}

// MARK: - DebArchive

struct PathCase: CustomTestStringConvertible, Sendable {
    var raw: String
    /// nil: the root itself; "REFUSED": refused.
    var expected: String?
    var testDescription: String { "\(raw.isEmpty ? "(empty)" : raw) → \(expected ?? "nil")" }
}

struct LinkCase: CustomTestStringConvertible, Sendable {
    var target: String
    var at: String
    /// nil: refused.
    var expected: String?
    var testDescription: String { "\(at) -> \(target) ⇒ \(expected ?? "refused")" }
}

@Suite("DebArchive: entry paths, link targets, decompression, unpacking")
struct DebArchiveTests {
    static let refused = "REFUSED"

    static let pathCases = [
        PathCase(raw: "./a/b", expected: "a/b"),
        PathCase(raw: "a/b", expected: "a/b"),
        PathCase(raw: "./lib/./x", expected: "lib/x"),
        PathCase(raw: "a//b/", expected: "a/b"),
        PathCase(raw: "./usr/", expected: "usr"),
        PathCase(raw: "...", expected: "..."),
        PathCase(raw: "a/..b", expected: "a/..b"),
        PathCase(raw: "./", expected: nil),
        PathCase(raw: ".", expected: nil),
        PathCase(raw: "", expected: nil),
        PathCase(raw: "/abs", expected: refused),
        PathCase(raw: "/", expected: refused),
        PathCase(raw: "/tmp/crossrun-abs-escape", expected: refused),
        PathCase(raw: "a/../b", expected: refused),
        PathCase(raw: "../escape", expected: refused),
        PathCase(raw: "..", expected: refused),
        PathCase(raw: "./lib/..", expected: refused),
    ]

    @Test("safePath", arguments: pathCases)
    func safePath(_ path: PathCase) throws {
        if path.expected == Self.refused {
            #expect(throws: CrossRunError.self) { try DebArchive.safePath(path.raw, refuse: refusal) }
        } else {
            #expect(try DebArchive.safePath(path.raw, refuse: refusal) == path.expected)
        }
    }

    static let linkCases = [
        // Relative targets that stay inside: unchanged.
        LinkCase(target: "../ld-linux-aarch64.so.1", at: "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", expected: "../ld-linux-aarch64.so.1"),
        LinkCase(target: "libc.so.6", at: "lib/aarch64-linux-gnu/libc.so", expected: "libc.so.6"),
        LinkCase(target: "./x", at: "lib/y", expected: "./x"),
        LinkCase(target: "../lib/x", at: "lib64/y", expected: "../lib/x"),
        LinkCase(target: ".", at: "self", expected: "."),
        // Relative targets that leave the root: refused.
        LinkCase(target: "../../../../etc", at: "lib/evil", expected: nil),
        LinkCase(target: "..", at: "up", expected: nil),
        LinkCase(target: "../..", at: "lib/x", expected: nil),
        LinkCase(target: "../a/../../b", at: "lib/x", expected: nil),
        // Absolute targets: the sysroot's root, made relative.
        LinkCase(target: "/lib/x", at: "lib64/y", expected: "../lib/x"),
        LinkCase(target: "/lib/ld-linux-aarch64.so.1", at: "lib64/ld-linux-aarch64.so.1", expected: "../lib/ld-linux-aarch64.so.1"),
        LinkCase(target: "/usr/lib", at: "a/b/c", expected: "../../usr/lib"),
        LinkCase(target: "/lib/x", at: "y", expected: "lib/x"),
        LinkCase(target: "//lib///x/", at: "lib64/y", expected: "../lib/x"),
        LinkCase(target: "/lib/../etc/passwd", at: "lib/x", expected: "../etc/passwd"),
        LinkCase(target: "/", at: "tmp", expected: "."),
        LinkCase(target: "/", at: "lib/root", expected: ".."),
        LinkCase(target: "/tmp", at: "lib/abs-tmp-link", expected: "../tmp"),
        // Absolute targets whose .. climbs above the root, and empty targets: refused.
        LinkCase(target: "/../etc", at: "lib/x", expected: nil),
        LinkCase(target: "/lib/../../etc", at: "lib/x", expected: nil),
        LinkCase(target: "", at: "lib/x", expected: nil),
    ]

    @Test("linkTarget", arguments: linkCases)
    func linkTarget(_ link: LinkCase) throws {
        if let expected = link.expected {
            #expect(try DebArchive.linkTarget(link.target, at: link.at, refuse: refusal) == expected)
        } else {
            let error = #expect(throws: CrossRunError.self) { try DebArchive.linkTarget(link.target, at: link.at, refuse: refusal) }
            #expect(error?.code == .unsafeArchiveEntry)
        }
    }

    /// Bytes that compress well but are not trivially uniform.
    static func sample() -> Data {
        var data = Data()
        for line in 0..<4000 { data.append(contentsOf: Array("line \(line): \(line * 7919 % 104729)\n".utf8)) }
        data.append(contentsOf: (0...255).map { UInt8($0) })
        return data
    }

    @Test("decompress: .xz and .gz made by xz and gzip come back byte for byte; plain data passes through",
          arguments: [("xz", "xz"), ("gzip", "gz"), ("", "")])
    func decompress(tool: String, suffix: String) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let original = Self.sample()
        let plain = folder.url.appendingPathComponent("Packages")
        try original.write(to: plain)
        var file = plain
        if !tool.isEmpty {
            #expect(try runTool("/usr/bin/" + tool, ["-k", "-9", plain.path]) == 0)
            file = folder.url.appendingPathComponent("Packages." + suffix)
        }
        let compressed = try Data(contentsOf: file)
        if !tool.isEmpty { #expect(compressed != original && compressed.count < original.count) }
        #expect(try DebArchive.decompress(compressed, name: file.lastPathComponent) == original)
    }

    @Test("decompress: a cut .xz file is archiveUnreadable")
    func truncatedXZ() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let plain = folder.url.appendingPathComponent("Packages")
        try Self.sample().write(to: plain)
        #expect(try runTool("/usr/bin/xz", ["-k", plain.path]) == 0)
        let xz = try Data(contentsOf: folder.url.appendingPathComponent("Packages.xz"))
        let error = #expect(throws: CrossRunError.self) { try DebArchive.decompress(xz.prefix(xz.count / 2), name: "Packages.xz") }
        #expect(error?.code == .archiveUnreadable)
    }

    /// A data.tar like a real package's: folders, files, a relative and an absolute link, a hard link.
    /// The entries of `goodTar()`.
    static let goodTarEntries = 9

    static func goodTar() -> Data {
        var tar = TarBuilder()
        tar.add("./", .directory)
        tar.add("./lib/", .directory)
        tar.add("./lib/ld-linux-aarch64.so.1", .file("loader\n"), mode: 0o755)
        tar.add("./lib/aarch64-linux-gnu/", .directory)
        tar.add("./lib/aarch64-linux-gnu/libc.so.6", .file("libc\n"))
        tar.add("./lib/aarch64-linux-gnu/libc-hard.so.6", .hardlink("./lib/aarch64-linux-gnu/libc.so.6"))
        tar.add("./lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", .symlink("../ld-linux-aarch64.so.1"))
        tar.add("./lib64/", .directory)
        tar.add("./lib64/ld-linux-aarch64.so.1", .symlink("/lib/ld-linux-aarch64.so.1"))
        return tar.archive
    }

    @Test("unpackTar: a well-formed data.tar unpacks with its links kept inside the root")
    func unpackGood() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let root = folder.path + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var budget = 1 << 20
        let files = try DebArchive.unpackTar(Self.goodTar(), package: "libc6.deb", into: root, budget: &budget)
        #expect(files.map(\.path).sorted() == [
            "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", "lib/aarch64-linux-gnu/libc-hard.so.6",
            "lib/aarch64-linux-gnu/libc.so.6", "lib/ld-linux-aarch64.so.1", "lib64/ld-linux-aarch64.so.1",
        ])
        #expect(files.first { $0.path == "lib64/ld-linux-aarch64.so.1" }?.link == "../lib/ld-linux-aarch64.so.1")
        #expect(files.first { $0.path == "lib/ld-linux-aarch64.so.1" } == SysrootFile(
            path: "lib/ld-linux-aarch64.so.1", sha256: Hashing.sha256(Data("loader\n".utf8)), size: 7, link: nil))
        // Each entry costs one block besides its bytes.
        #expect(budget == (1 << 20) - 7 - 5 - Self.goodTarEntries * DebArchive.entryCost)
        #expect(try String(contentsOfFile: root + "/lib64/ld-linux-aarch64.so.1", encoding: .utf8) == "loader\n")
        for link in symbolicLinks(under: root) {
            #expect(realPath(root + "/" + link)?.hasPrefix(try #require(realPath(root)) + "/") == true, "\(link)")
        }
    }

    @Test("unpackTar: a size cap smaller than the files is refused")
    func sizeCap() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        var budget = 8
        let error = #expect(throws: CrossRunError.self) {
            try DebArchive.unpackTar(Self.goodTar(), package: "libc6.deb", into: folder.path, budget: &budget)
        }
        #expect(error?.code == .unsafeArchiveEntry)
    }

    /// A `.deb`: an ar archive of debian-binary and a data.tar (the control member is not read).
    static func deb(data tar: Data) -> Data {
        var archive = Data("!<arch>\n".utf8)
        for (name, content) in [("debian-binary", Data("2.0\n".utf8)), ("data.tar", tar)] {
            func field(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
            archive += Data((field(name + "/", 16) + field("0", 12) + field("0", 6) + field("0", 6) + field("100644", 8)
                + field(String(content.count), 10) + "`\n").utf8)
            archive += content
            if content.count % 2 == 1 { archive += Data("\n".utf8) }
        }
        return archive
    }

    @Test("extractFirst (system mode's kernel and busybox): the size cap applies as to sysroots")
    func extractFirstSizeCap() throws {
        let deb = Self.deb(data: Self.goodTar())
        let found = try DebArchive.extractFirst(deb: deb, package: "libc6.deb") { $0 == "lib/aarch64-linux-gnu/libc.so.6" }
        #expect(found?.data == Data("libc\n".utf8))
        let error = #expect(throws: CrossRunError.self) {
            try DebArchive.extractFirst(deb: deb, package: "libc6.deb", limit: 64) { $0.hasSuffix("libc.so.6") }
        }
        #expect(error?.code == .unsafeArchiveEntry, "\(String(describing: error))")
    }

    struct UnsafeTar: CustomTestStringConvertible, Sendable {
        var name: String
        var entries: @Sendable (inout TarBuilder) -> Void
        var testDescription: String { name }
    }

    static let unsafeTars: [UnsafeTar] = [
        UnsafeTar(name: "../ entry") { $0.add("../escape", .file("x")) },
        UnsafeTar(name: "absolute entry") { $0.add("/tmp/crossrun-unit-abs-escape", .file("x")) },
        UnsafeTar(name: "link out") { $0.add("./lib/", .directory); $0.add("./lib/evil", .symlink("../../etc")) },
        UnsafeTar(name: "file through a link") {
            $0.add("./lib/", .directory)
            $0.add("./lib/up", .symlink(".."))
            $0.add("./lib/up/through", .file("x"))
        },
        UnsafeTar(name: "hard link with ..") { $0.add("./h", .hardlink("../outside")) },
        UnsafeTar(name: "hard link to a folder") { $0.add("./d/", .directory); $0.add("./h", .hardlink("./d")) },
        UnsafeTar(name: "hard link to a later file") { $0.add("./h", .hardlink("./later")); $0.add("./later", .file("x")) },
        UnsafeTar(name: "character device") { $0.add("./dev/null", .characterDevice) },
        UnsafeTar(name: "a link replacing a folder") { $0.add("./lib/", .directory); $0.add("./lib", .symlink("usr/lib")) },
    ]

    @Test("unpackTar refuses unsafe entries and writes nothing outside the root", arguments: unsafeTars)
    func unpackUnsafe(_ unsafe: UnsafeTar) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        try? FileManager.default.removeItem(atPath: "/tmp/crossrun-unit-abs-escape")
        let root = folder.path + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var tar = TarBuilder()
        tar.add("./", .directory)
        unsafe.entries(&tar)
        var budget = 1 << 20
        let error = #expect(throws: CrossRunError.self) {
            try DebArchive.unpackTar(tar.archive, package: "evil.deb", into: root, budget: &budget)
        }
        #expect(error?.code == .unsafeArchiveEntry, "\(String(describing: error))")
        #expect(error?.description.contains("evil.deb") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["root"])
        #expect(!FileManager.default.fileExists(atPath: "/tmp/crossrun-unit-abs-escape"))
        #expect(!FileManager.default.fileExists(atPath: root + "/dev/null"))
    }

    /// Unpacks `tar` into `<scratch>/root` beside `<scratch>/outside.txt`; returns the error, if any, and the links
    /// of the result that resolve outside the root (with where they lead).
    static func unpackBesideHostFile(_ tar: TarBuilder, in folder: ScratchFolder) throws -> (CrossRunError?, [String]) {
        let root = folder.path + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try folder.write("outside.txt", "host file beside the sysroot\n")
        var budget = 1 << 20
        var failure: CrossRunError?
        do {
            _ = try DebArchive.unpackTar(tar.archive, package: "evil.deb", into: root, budget: &budget)
        } catch let error as CrossRunError {
            failure = error
        }
        let realRoot = try #require(realPath(root))
        let escaping = symbolicLinks(under: root).compactMap { link -> String? in
            let resolved = realPath(root + "/" + link) ?? "(dangling)"
            return resolved == realRoot || resolved.hasPrefix(realRoot + "/") || resolved == "(dangling)" ? nil : "\(link) -> \(resolved)"
        }
        return (failure, escaping)
    }

    /// Nothing was written beside the root, and the host file is unchanged.
    static func expectNothingOutside(_ folder: ScratchFolder) throws {
        #expect(try String(contentsOfFile: folder.path + "/outside.txt", encoding: .utf8) == "host file beside the sysroot\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["outside.txt", "root"])
    }

    @Test("unpackTar: a link whose target passes through an earlier link and climbs out is refused")
    func linkThroughEarlierLink() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        var tar = TarBuilder()
        tar.add("./", .directory)
        tar.add("./self", .symlink("."))  // root/self -> root: inside, accepted
        tar.add("./lib/", .directory)
        // Lexically lib/../self/.. is the root; on disk self is the root, so its .. is the root's parent.
        tar.add("./lib/parent", .symlink("../self/.."))
        let (error, escaping) = try Self.unpackBesideHostFile(tar, in: folder)
        #expect(error?.code == .unsafeArchiveEntry, "\(String(describing: error))")
        #expect(escaping == [])
        try Self.expectNothingOutside(folder)
    }

    @Test("unpackTar: a hard link whose target passes through a link is refused, so no host file is linked in")
    func hardLinkThroughLink() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        var tar = TarBuilder()
        tar.add("./", .directory)
        tar.add("./lib/", .directory)
        tar.add("./lib/file", .file("inside\n"))
        tar.add("./up", .symlink("lib"))  // inside, accepted
        tar.add("./hard", .hardlink("./up/file"))
        let (error, escaping) = try Self.unpackBesideHostFile(tar, in: folder)
        #expect(error?.code == .unsafeArchiveEntry, "\(String(describing: error))")
        #expect(escaping == [])
        try Self.expectNothingOutside(folder)
    }

    @Test("unpackTar: a link made to lead outside by a later link must not survive",
          arguments: [1, 12])
    func linkEscapingThroughLaterLink(depth: Int) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        var tar = TarBuilder()
        tar.add("./", .directory)
        tar.add("./lib/", .directory)
        // While self does not exist, ../self/.../.. is checked as plain folders and stays inside: accepted.
        let climb = Array(repeating: "self", count: depth) + Array(repeating: "..", count: depth)
        tar.add("./lib/parent", .symlink("../" + climb.joined(separator: "/")))
        // Then self becomes a link to the root, so every self/.. pair climbs one level above it.
        tar.add("./self", .symlink("."))
        let (error, escaping) = try Self.unpackBesideHostFile(tar, in: folder)
        // Every link is checked again against the finished tree, so this one is refused.
        #expect(error != nil || escaping.isEmpty, "accepted, and \(escaping) leads outside the sysroot")
        #expect(error?.code == .unsafeArchiveEntry, "\(String(describing: error))")
        try Self.expectNothingOutside(folder)
    }
}

// MARK: - SysrootManifest

@Suite("SysrootManifest")
struct SysrootManifestTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let validTOML = """
        name = "aarch64"
        suite = "bookworm"
        component = "main"
        architecture = "arm64"
        packages = ["libc6", "libgcc-s1"]
        root = ""
        loader = "/lib/ld-linux-aarch64.so.1"
        """

    @Test("the built-in manifests parse and are the files in Sysroots/", arguments: ["aarch64", "armel", "armv7", "i686", "mips", "mips64", "mips64el", "mipsel", "mipsisa32r6", "mipsisa32r6el", "mipsisa64r6", "mipsisa64r6el", "mipsn32", "mipsn32el", "powerpc", "powerpc64", "powerpc64le", "riscv64", "s390x", "sparc64", "x86_64"])
    func builtIn(name: String) throws {
        let manifest = try #require(try SysrootManifest.forTarget(name))
        #expect(manifest.name == name)
        #expect(!manifest.packages.isEmpty)
        #expect(manifest.loader.hasPrefix("/"))
        let file = Self.repositoryRoot.appendingPathComponent("Sysroots/\(name).toml")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(try SysrootManifest.parse(toml: text, source: file.path) == manifest)
    }

    @Test("builtIn() is exactly the manifests of Sysroots/: one glibc manifest per Linux runner with a Debian source, and a musl one where Debian ships musl")
    func builtInNames() throws {
        #expect(try SysrootManifest.builtIn().map(\.cacheName).sorted() == [
            "aarch64", "aarch64-musl", "armel", "armel-musl", "armv7", "armv7-musl", "i686", "i686-musl", "mips", "mips64", "mips64el",
            "mips64el-musl", "mipsel", "mipsel-musl", "mipsisa32r6", "mipsisa32r6el", "mipsisa64r6", "mipsisa64r6el", "mipsn32", "mipsn32el",
            "powerpc", "powerpc64", "powerpc64le", "powerpc64le-musl", "riscv64", "s390x", "s390x-musl", "sparc64", "x86_64",
        ])
        // Every manifest is for a runner, and its loader is where that runner's binaries ask for it.
        let catalog = try TargetCatalog.builtIn()
        for manifest in try SysrootManifest.builtIn() {
            #expect(catalog.names.contains(manifest.name), "\(manifest.name)")
        }
        let riscv = try #require(try SysrootManifest.forTarget("riscv64"))
        #expect(riscv.architecture == "all")
        #expect(riscv.root == "usr/riscv64-linux-gnu")
        #expect(try SysrootManifest.forTarget("x86_64-unknown-nothing") == nil)
    }

    @Test("a valid manifest parses field by field")
    func valid() throws {
        #expect(try SysrootManifest.parse(toml: Self.validTOML, source: "t.toml") == SysrootManifest(
            name: "aarch64", suite: "bookworm", component: "main", architecture: "arm64", packages: ["libc6", "libgcc-s1"],
            root: "", loader: "/lib/ld-linux-aarch64.so.1"))
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        var name: String
        var toml: String
        var mentions: String
        var testDescription: String { name }
    }

    static let invalid: [Invalid] = [
        Invalid(name: "unknown key", toml: validTOML + "\nmirror = \"http://x\"\n", mentions: "unknown key \"mirror\""),
        Invalid(name: "empty packages", toml: validTOML.replacingOccurrences(of: "[\"libc6\", \"libgcc-s1\"]", with: "[]"), mentions: "packages is empty"),
        Invalid(name: "relative loader", toml: validTOML.replacingOccurrences(of: "\"/lib/ld", with: "\"lib/ld"), mentions: "loader must be an absolute path"),
        Invalid(name: "missing key", toml: validTOML.replacingOccurrences(of: "suite = \"bookworm\"\n", with: ""), mentions: "suite"),
        Invalid(name: "wrong type", toml: validTOML.replacingOccurrences(of: "[\"libc6\", \"libgcc-s1\"]", with: "\"libc6\""), mentions: "packages"),
        Invalid(name: "not TOML", toml: "name = ", mentions: "t.toml"),
    ]

    @Test("invalid manifests are refused with the reason", arguments: invalid)
    func refused(_ invalid: Invalid) throws {
        let error = #expect(throws: CrossRunError.self) { try SysrootManifest.parse(toml: invalid.toml, source: "t.toml") }
        #expect(error?.code == .invalidSysrootManifest, "\(String(describing: error))")
        #expect(error?.subject == "t.toml")
        #expect(error?.description.contains(invalid.mentions) == true, "\(String(describing: error))")
    }

    @Test("forTarget appends extra packages once, after the manifest's own")
    func extras() throws {
        let manifest = try #require(try SysrootManifest.forTarget("aarch64", extraPackages: ["libstdc++6", "libc6", "libstdc++6", "zlib1g"]))
        #expect(manifest.packages == ["libc6", "libgcc-s1", "libstdc++6", "zlib1g"])
        #expect(try SysrootManifest.forTarget("aarch64", extraPackages: [])?.packages == ["libc6", "libgcc-s1"])
    }

    @Test("digest: 16 hex digits, the same for the same content")
    func digestStable() throws {
        let one = try SysrootManifest.parse(toml: Self.validTOML, source: "a.toml")
        let two = try SysrootManifest.parse(toml: "# a comment\n" + Self.validTOML, source: "b.toml")
        #expect(one.digest == two.digest)
        #expect(one.digest.count == 16)
        #expect(one.digest.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(try SysrootManifest.forTarget("aarch64")?.digest == one.digest)
    }

    struct Change: CustomTestStringConvertible, Sendable {
        var name: String
        var change: @Sendable (inout SysrootManifest) -> Void
        var testDescription: String { name }
    }

    static let changes: [Change] = [
        Change(name: "a package added") { $0.packages.append("libstdc++6") },
        Change(name: "a package replaced") { $0.packages[1] = "libgcc1" },
        Change(name: "a package removed") { $0.packages.removeLast() },
        Change(name: "suite") { $0.suite = "trixie" },
        Change(name: "architecture") { $0.architecture = "armhf" },
        Change(name: "component") { $0.component = "contrib" },
        Change(name: "root") { $0.root = "usr/aarch64-linux-gnu" },
        Change(name: "loader") { $0.loader = "/lib64/ld-linux-aarch64.so.1" },
        Change(name: "name") { $0.name = "arm64" },
    ]

    @Test("digest changes with what decides the content", arguments: changes)
    func digestChanges(_ change: Change) throws {
        let manifest = try SysrootManifest.parse(toml: Self.validTOML, source: "a.toml")
        var changed = manifest
        change.change(&changed)
        #expect(changed.digest != manifest.digest)
        #expect(changed.digest.count == 16)
    }

    @Test("extra packages from the configuration change the digest, so they get their own cache folder")
    func extrasChangeDigest() throws {
        let plain = try #require(try SysrootManifest.forTarget("aarch64"))
        let extra = try #require(try SysrootManifest.forTarget("aarch64", extraPackages: ["libstdc++6"]))
        #expect(plain.digest != extra.digest)
        // Extras the manifest already has change nothing.
        #expect(try SysrootManifest.forTarget("aarch64", extraPackages: ["libc6"])?.digest == plain.digest)
    }
}

// MARK: - SysrootCache

struct EnvironmentCase: CustomTestStringConvertible, Sendable {
    var name: String
    var environment: [String: String]
    var expected: String
    var testDescription: String { name }
}

@Suite("SysrootCache")
struct SysrootCacheTests {
    static let environments = [
        EnvironmentCase(name: "CROSSRUN_CACHE_DIR beats everything",
                        environment: ["CROSSRUN_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"], expected: "/c"),
        EnvironmentCase(name: "XDG_CACHE_HOME next", environment: ["XDG_CACHE_HOME": "/x", "HOME": "/h"], expected: "/x/crossrun"),
        EnvironmentCase(name: "an empty CROSSRUN_CACHE_DIR is unset",
                        environment: ["CROSSRUN_CACHE_DIR": "", "XDG_CACHE_HOME": "/x", "HOME": "/h"], expected: "/x/crossrun"),
        EnvironmentCase(name: "HOME last", environment: ["HOME": "/h"], expected: "/h/.cache/crossrun"),
        EnvironmentCase(name: "an empty XDG_CACHE_HOME is unset", environment: ["XDG_CACHE_HOME": "", "HOME": "/h"], expected: "/h/.cache/crossrun"),
        EnvironmentCase(name: "nothing set: the home directory", environment: [:], expected: NSHomeDirectory() + "/.cache/crossrun"),
    ]

    @Test("init(environment:) precedence", arguments: environments)
    func environment(_ environment: EnvironmentCase) {
        #expect(SysrootCache(environment: environment.environment).base == environment.expected)
    }

    @Test("layout: <base>/sysroots/<target>/<digest>")
    func layout() throws {
        let manifest = try #require(try SysrootManifest.forTarget("armv7"))
        let cache = SysrootCache(base: "/c")
        #expect(cache.targetDirectory("armv7") == "/c/sysroots/armv7")
        #expect(cache.directory(for: manifest) == "/c/sysroots/armv7/" + manifest.digest)
    }

    /// Writes a complete sysroot (lock.json and root/) under `cache`.
    @discardableResult
    static func install(_ lock: SysrootLock, in cache: SysrootCache, folderName: String? = nil) throws -> String {
        let folder = cache.targetDirectory(lock.target) + "/" + (folderName ?? lock.digest)
        try FileManager.default.createDirectory(atPath: folder + "/root/" + lock.root, withIntermediateDirectories: true)
        try encodedLock(lock).write(to: URL(fileURLWithPath: folder + "/lock.json"))
        return folder
    }

    @Test("all() lists complete sysroots only, by target")
    func all() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let cache = SysrootCache(base: folder.path)
        let riscv = sampleLock(target: "riscv64", digest: "1111111111111111", root: "usr/riscv64-linux-gnu")
        let aarch64 = sampleLock(target: "aarch64", digest: "2222222222222222")
        try Self.install(riscv, in: cache)
        try Self.install(aarch64, in: cache)
        // Not complete or not a sysroot: no lock.json, a temporary folder, a broken or foreign lock.json, a stray file.
        try FileManager.default.createDirectory(atPath: cache.targetDirectory("aarch64") + "/3333333333333333/root/lib", withIntermediateDirectories: true)
        try Self.install(sampleLock(target: "aarch64", digest: "4444444444444444"), in: cache, folderName: ".tmp-4444444444444444-1-2")
        try folder.write("sysroots/armel/5555555555555555/lock.json", "{ not json")
        var foreign = sampleLock(target: "armel", digest: "6666666666666666")
        foreign.schema = "something-else"
        try Self.install(foreign, in: cache)
        try folder.write("sysroots/armel/.lock", "")
        try folder.write("sysroots/README", "not a target\n")

        let listed = cache.all()
        #expect(listed.map(\.lock) == [aarch64, riscv])
        #expect(listed.map(\.directory) == [cache.targetDirectory("aarch64") + "/2222222222222222", cache.targetDirectory("riscv64") + "/1111111111111111"])
        #expect(listed.map(\.path) == [
            cache.targetDirectory("aarch64") + "/2222222222222222/root",
            cache.targetDirectory("riscv64") + "/1111111111111111/root/usr/riscv64-linux-gnu",
        ])
    }

    @Test("lookup(manifest) finds a complete sysroot only")
    func lookup() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let cache = SysrootCache(base: folder.path)
        let manifest = try #require(try SysrootManifest.forTarget("aarch64"))
        try FileManager.default.createDirectory(atPath: cache.directory(for: manifest) + "/root", withIntermediateDirectories: true)
        #expect(cache.lookup(manifest) == nil)
        let lock = sampleLock(target: "aarch64", digest: manifest.digest)
        try Self.install(lock, in: cache)
        #expect(cache.lookup(manifest)?.lock == lock)
    }

    @Test("remove(target:) deletes the target's sysroots and leftovers, and nothing of other targets")
    func remove() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let cache = SysrootCache(base: folder.path)
        try Self.install(sampleLock(target: "aarch64", digest: "1111111111111111"), in: cache)
        try Self.install(sampleLock(target: "aarch64", digest: "2222222222222222"), in: cache)
        try FileManager.default.createDirectory(atPath: cache.targetDirectory("aarch64") + "/.tmp-1111111111111111-9-9/root", withIntermediateDirectories: true)
        let other = try Self.install(sampleLock(target: "armel", digest: "3333333333333333"), in: cache)

        #expect(try cache.remove(target: "aarch64") == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.targetDirectory("aarch64")) == [".lock"])
        #expect(cache.all().map(\.lock.target) == ["armel"])
        #expect(FileManager.default.fileExists(atPath: other + "/lock.json"))
        #expect(try cache.remove(target: "aarch64") == 0)
        #expect(try cache.remove(target: "never-fetched") == 0)
    }

    @Test("removeLeftovers removes .tmp-* folders only")
    func leftovers() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let cache = SysrootCache(base: folder.path)
        let kept = try Self.install(sampleLock(target: "aarch64", digest: "1111111111111111"), in: cache)
        try FileManager.default.createDirectory(atPath: cache.targetDirectory("aarch64") + "/.tmp-1111111111111111-9-9/root/lib", withIntermediateDirectories: true)
        cache.removeLeftovers(target: "aarch64")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.targetDirectory("aarch64")) == ["1111111111111111"])
        #expect(FileManager.default.fileExists(atPath: kept + "/lock.json"))
    }

    @Test("verify reports modified, missing and relinked files")
    func verify() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let cache = SysrootCache(base: folder.path)
        var lock = sampleLock(target: "aarch64", digest: "1111111111111111")
        lock.files = [
            SysrootFile(path: "lib/a", sha256: Hashing.sha256(Data("a\n".utf8)), size: 2, link: nil),
            SysrootFile(path: "lib/b", sha256: Hashing.sha256(Data("b\n".utf8)), size: 2, link: nil),
            SysrootFile(path: "lib/hard", sha256: nil, size: nil, link: nil),
            SysrootFile(path: "lib/l", sha256: nil, size: nil, link: "a"),
        ]
        let directory = try Self.install(lock, in: cache)
        try folder.write("sysroots/aarch64/1111111111111111/root/lib/a", "a\n")
        try folder.write("sysroots/aarch64/1111111111111111/root/lib/b", "b\n")
        try folder.write("sysroots/aarch64/1111111111111111/root/lib/hard", "a\n")
        try FileManager.default.createSymbolicLink(atPath: directory + "/root/lib/l", withDestinationPath: "a")
        let sysroot = try #require(cache.all().first)
        #expect(cache.verify(sysroot) == [])

        try folder.write("sysroots/aarch64/1111111111111111/root/lib/a", "A\n")
        try FileManager.default.removeItem(atPath: directory + "/root/lib/b")
        try FileManager.default.removeItem(atPath: directory + "/root/lib/hard")
        try FileManager.default.removeItem(atPath: directory + "/root/lib/l")
        try FileManager.default.createSymbolicLink(atPath: directory + "/root/lib/l", withDestinationPath: "b")
        #expect(cache.verify(sysroot) == ["lib/a was modified", "lib/b is missing", "lib/hard is missing", "lib/l no longer links to a"])
    }
}

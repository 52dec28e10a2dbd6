import Foundation
import Testing

@testable import CrossRunKit

/// Several Sysroots/ manifests per runner, chosen by the binary's interpreter: musl's loader gets the runner's musl
/// manifest (Debian's `musl` package), any other loader the glibc one, and a musl binary never gets glibc packages.
@Suite("Sysroot manifests per C library")
struct MuslManifestTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Musl: CustomTestStringConvertible, Sendable {
        var runner: String
        var architecture: String
        var loader: String
        var testDescription: String { runner }
    }

    static let musl = [
        Musl(runner: "aarch64", architecture: "arm64", loader: "/lib/ld-musl-aarch64.so.1"),
        Musl(runner: "armv7", architecture: "armhf", loader: "/lib/ld-musl-armhf.so.1"),
        Musl(runner: "armel", architecture: "armel", loader: "/lib/ld-musl-arm.so.1"),
        Musl(runner: "i686", architecture: "i386", loader: "/lib/ld-musl-i386.so.1"),
        Musl(runner: "powerpc64le", architecture: "ppc64el", loader: "/lib/ld-musl-powerpc64le.so.1"),
        Musl(runner: "s390x", architecture: "s390x", loader: "/lib/ld-musl-s390x.so.1"),
        Musl(runner: "mipsel", architecture: "mipsel", loader: "/lib/ld-musl-mipsel.so.1"),
        Musl(runner: "mips64el", architecture: "mips64el", loader: "/lib/ld-musl-mips64el.so.1"),
    ]

    @Test("each musl manifest is its Sysroots/<runner>-musl.toml: Debian's musl package, musl's loader", arguments: musl)
    func builtInMusl(_ c: Musl) throws {
        let manifest = try #require(try SysrootManifest.forTarget(c.runner, libc: "musl"))
        let file = Self.repositoryRoot.appendingPathComponent("Sysroots/\(c.runner)-musl.toml")
        #expect(try SysrootManifest.parse(toml: String(contentsOf: file, encoding: .utf8), source: file.path) == manifest)
        #expect(manifest == SysrootManifest(
            name: c.runner, suite: "bookworm", component: "main", architecture: c.architecture, packages: ["musl"], root: "",
            loader: c.loader, libc: "musl"))
        #expect(manifest.cacheName == "\(c.runner)-musl")
        if let glibc = try SysrootManifest.forTarget(c.runner) {
            #expect(glibc.libc == "glibc")
            #expect(glibc.cacheName == c.runner)
            #expect(glibc.digest != manifest.digest)
        }
    }

    @Test("every musl manifest names a built-in runner")
    func muslRunnersExist() throws {
        let runners = Set(try TargetCatalog.builtIn().definitions.map(\.name))
        for manifest in try SysrootManifest.builtIn() {
            #expect(runners.contains(manifest.name), "\(manifest.cacheName)")
        }
        #expect(try SysrootManifest.builtIn().filter { $0.libc == "musl" }.map(\.name).sorted() == Self.musl.map(\.runner).sorted())
    }

    struct Choice: CustomTestStringConvertible, Sendable {
        var runner: String
        var interpreter: String
        /// The chosen manifest's cache name, or nil for none (nothing is fetched).
        var chosen: String?
        var testDescription: String { "\(runner) \(interpreter)" }
    }

    static let choices = [
        Choice(runner: "aarch64", interpreter: "/lib/ld-linux-aarch64.so.1", chosen: "aarch64"),
        Choice(runner: "aarch64", interpreter: "/lib/ld-musl-aarch64.so.1", chosen: "aarch64-musl"),
        Choice(runner: "armv7", interpreter: "/lib/ld-linux-armhf.so.3", chosen: "armv7"),
        Choice(runner: "armv7", interpreter: "/lib/ld-musl-armhf.so.1", chosen: "armv7-musl"),
        Choice(runner: "armel", interpreter: "/lib/ld-linux.so.3", chosen: "armel"),
        Choice(runner: "armel", interpreter: "/lib/ld-musl-arm.so.1", chosen: "armel-musl"),
        Choice(runner: "riscv64", interpreter: "/lib/ld-linux-riscv64-lp64d.so.1", chosen: "riscv64"),
        // No musl manifest (Debian bookworm has no riscv64 port): none, never the glibc packages.
        Choice(runner: "riscv64", interpreter: "/lib/ld-musl-riscv64.so.1", chosen: nil),
        // A glibc loader at another path still gets the glibc manifest (the provider then checks the file).
        Choice(runner: "aarch64", interpreter: "/lib64/ld-linux-aarch64.so.1", chosen: "aarch64"),
        // A musl loader of another name (musl's soft-float armhf, say) is still musl: the runner's musl manifest.
        Choice(runner: "armv7", interpreter: "/lib/ld-musl-armhf-sf.so.1", chosen: "armv7-musl"),
        Choice(runner: "s390x", interpreter: "/lib/ld-musl-s390x.so.1", chosen: "s390x-musl"),
        Choice(runner: "mips64el", interpreter: "/lib/ld-musl-mips64el.so.1", chosen: "mips64el-musl"),
        Choice(runner: "s390x", interpreter: "/lib/ld64.so.1", chosen: "s390x"),
        // A runner with a glibc manifest but no musl one (Debian ships musl for its release architectures only):
        // a musl binary gets none, never the glibc packages.
        Choice(runner: "mips64", interpreter: "/lib/ld-musl-mips64.so.1", chosen: nil),
        Choice(runner: "x86_64-unknown-nothing", interpreter: "/lib/ld-musl-x86_64.so.1", chosen: nil),
    ]

    @Test("forBinary picks the manifest by the binary's interpreter", arguments: choices)
    func choose(_ c: Choice) throws {
        #expect(try SysrootManifest.forBinary(runner: c.runner, interpreter: c.interpreter)?.cacheName == c.chosen)
    }

    @Test("a target's extra packages join the glibc manifest only")
    func extraPackages() throws {
        let glibc = try #require(try SysrootManifest.forBinary(runner: "aarch64", interpreter: "/lib/ld-linux-aarch64.so.1", extraPackages: ["libstdc++6"]))
        #expect(glibc.packages == ["libc6", "libgcc-s1", "libstdc++6"])
        let musl = try #require(try SysrootManifest.forBinary(runner: "aarch64", interpreter: "/lib/ld-musl-aarch64.so.1", extraPackages: ["libstdc++6"]))
        #expect(musl.packages == ["musl"])
    }

    @Test("libc: absent is glibc, musl is read, anything else is refused naming the known ones")
    func libcKey() throws {
        let base = """
            name = "aarch64"
            suite = "bookworm"
            component = "main"
            architecture = "arm64"
            packages = ["musl"]
            root = ""
            loader = "/lib/ld-musl-aarch64.so.1"
            """
        #expect(try SysrootManifest.parse(toml: base, source: "t.toml").libc == "glibc")
        #expect(try SysrootManifest.parse(toml: base + "\nlibc = \"musl\"\n", source: "t.toml").libc == "musl")
        let error = #expect(throws: CrossRunError.self) { try SysrootManifest.parse(toml: base + "\nlibc = \"uclibc\"\n", source: "t.toml") }
        #expect(error?.code == .invalidSysrootManifest)
        #expect(error?.message.contains("libc \"uclibc\" is not one of glibc, musl") == true)
        #expect(error?.exitStatus == 125)
    }

    @Test("the musl loader error names the musl sysroot to fetch, or --sysroot when crossrun has none; never libc6")
    func loaderMessage() {
        let fetchable = CrossRunError.muslLoaderMissing(
            target: "aarch64", interpreter: "/lib/ld-musl-aarch64.so.1", searched: ["/usr/aarch64-linux-gnu"],
            fetchName: "aarch64-musl", debianArchitecture: "arm64")
        #expect(fetchable.code == .loaderMissing)
        #expect(fetchable.exitStatus == 126)
        #expect(fetchable.message.contains("linked against musl and needs the loader /lib/ld-musl-aarch64.so.1, not found under /usr/aarch64-linux-gnu"))
        #expect(fetchable.message.contains("`crossrun sysroot fetch aarch64-musl`"))
        #expect(fetchable.message.contains("`apt-get download musl:arm64`"))
        let none = CrossRunError.muslLoaderMissing(
            target: "riscv64", interpreter: "/lib/ld-musl-riscv64.so.1", searched: [], fetchName: nil, debianArchitecture: nil)
        #expect(none.message.contains("crossrun has no musl sysroot for riscv64"))
        #expect(none.message.contains("--sysroot DIR"))
        let noManifest = CrossRunError.noSysrootManifest(target: "riscv64", libc: "musl")
        #expect(noManifest.message == "crossrun has no musl sysroot manifest for riscv64; pass --sysroot DIR holding a musl root (Debian's cross packages are glibc).")
        #expect(noManifest.exitStatus == 125)
        for error in [fetchable, none, noManifest] {
            #expect(!error.message.contains("libc6-"))
            #expect(!error.message.contains("\n"))
        }
    }
}

import FoundationEssentials
import TOMLKit
import Glibc

/// One file of Sysroots/: which Debian packages make a target's sysroot. Data, not code.
public struct SysrootManifest: Codable, Equatable, Sendable {
    /// The runner name this sysroot is for (`aarch64`, ...).
    public var name: String
    /// The Debian suite (`bookworm`).
    public var suite: String
    public var component: String
    /// The Debian architecture whose index lists the packages (`arm64`, or `all` for Debian's -cross packages).
    public var architecture: String
    /// Package names; each is looked up in the suite's Packages index. No dependency resolution: list them all.
    public var packages: [String]
    /// The folder inside the unpacked packages that qemu gets as `-L` (empty: their own root).
    public var root: String
    /// The loader path (inside `root`) that must exist once the packages are unpacked. A binary whose interpreter
    /// (PT_INTERP) is this path gets this manifest (see ``forBinary(runner:interpreter:extraPackages:)``).
    public var loader: String
    /// The C library the packages hold: `glibc` (the default when the key is absent) or `musl`. A runner has at
    /// most one manifest per C library; the glibc one is the runner's default.
    public var libc: String

    /// The C libraries a manifest may name.
    public static let knownLibcs = ["glibc", "musl"]
    /// Why `--locked` refuses to fetch a missing sysroot.
    public static let lockedReason = "no sysroot with a lock record is installed for these packages"
    static let knownKeys: Set<String> = ["name", "suite", "component", "architecture", "packages", "root", "loader", "libc"]

    public init(
        name: String, suite: String, component: String, architecture: String, packages: [String], root: String,
        loader: String, libc: String = "glibc"
    ) {
        self.name = name
        self.suite = suite
        self.component = component
        self.architecture = architecture
        self.packages = packages
        self.root = root
        self.loader = loader
        self.libc = libc
    }

    enum CodingKeys: String, CodingKey { case name, suite, component, architecture, packages, root, loader, libc }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name), suite: try container.decode(String.self, forKey: .suite),
            component: try container.decode(String.self, forKey: .component),
            architecture: try container.decode(String.self, forKey: .architecture),
            packages: try container.decode([String].self, forKey: .packages), root: try container.decode(String.self, forKey: .root),
            loader: try container.decode(String.self, forKey: .loader),
            libc: try container.decodeIfPresent(String.self, forKey: .libc) ?? "glibc")
    }

    /// The cache's name for this sysroot: the runner name for glibc (`aarch64`), the runner and C library for
    /// another (`aarch64-musl`), so `crossrun sysroot list|path|remove` tell them apart.
    public var cacheName: String { libc == "glibc" ? name : "\(name)-\(libc)" }

    public static func parse(toml text: String, source: String) throws -> SysrootManifest {
        do {
            let table = try TOMLDocument.table(text)
            try refuseUnknownKeys(table.keys, source: source)
            return try TOMLDecoder().decode(SysrootManifest.self, from: table).checked(source: source)
        } catch let error as CrossRunError {
            throw error
        } catch {
            throw CrossRunError.invalidSysrootManifest(name: source, reason: TOMLErrors.describe(error))
        }
    }

    /// A key no manifest has is a mistake, refused by name (the first in sorted order).
    static func refuseUnknownKeys(_ keys: some Sequence<String>, source: String) throws {
        if let unknown = keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw CrossRunError.invalidSysrootManifest(
                name: source, reason: "unknown key \"\(unknown)\" (known: \(knownKeys.sorted().joined(separator: ", ")))")
        }
    }

    /// What every manifest must hold beyond its keys' types.
    func checked(source: String) throws -> SysrootManifest {
        guard !packages.isEmpty else {
            throw CrossRunError.invalidSysrootManifest(name: source, reason: "packages is empty")
        }
        guard loader.hasPrefix("/") else {
            throw CrossRunError.invalidSysrootManifest(name: source, reason: "loader must be an absolute path")
        }
        guard Self.knownLibcs.contains(libc) else {
            throw CrossRunError.invalidSysrootManifest(
                name: source, reason: "libc \"\(libc)\" is not one of \(Self.knownLibcs.joined(separator: ", "))")
        }
        return self
    }

    /// One built-in manifest from the values `crossrun-embed` wrote when crossrun was built (`EmbeddedSysroots.tables`):
    /// a run that looks for a fetched sysroot parses no TOML (parsing every built-in file took about 1.5 ms of it).
    static func reading(_ table: [String: TOMLNode], source: String) throws -> SysrootManifest {
        try refuseUnknownKeys(table.keys, source: source)
        func string(_ key: String) throws -> String {
            guard let text = table[key]?.string else {
                throw CrossRunError.invalidSysrootManifest(name: source, reason: "\(key) is missing or not a string")
            }
            return text
        }
        let packages = table["packages"]?.array?.compactMap(\.string)
        guard let packages, packages.count == table["packages"]?.array?.count else {
            throw CrossRunError.invalidSysrootManifest(name: source, reason: "packages is missing or not an array of strings")
        }
        return try SysrootManifest(
            name: string("name"), suite: string("suite"), component: string("component"), architecture: string("architecture"),
            packages: packages, root: string("root"), loader: string("loader"), libc: table["libc"] == nil ? "glibc" : string("libc")
        ).checked(source: source)
    }

    static func builtInSource(_ file: String) -> String { "Sysroots/\(file) (built in)" }

    /// The manifests compiled into crossrun from the Sysroots/ folder.
    public static func builtIn() throws -> [SysrootManifest] {
        try EmbeddedSysroots.files.indices.map {
            try reading(EmbeddedSysroots.tables[$0](), source: builtInSource(EmbeddedSysroots.files[$0].name))
        }
    }

    /// The built-in manifest for a runner and C library, with a user's extra packages added to a glibc one (a
    /// target's `packages` setting names Debian's glibc packages; a musl sysroot is Debian's `musl` alone).
    public static func forTarget(_ name: String, libc: String = "glibc", extraPackages: [String] = []) throws -> SysrootManifest? {
        select(try builtIn(), runner: name, libc: libc, extraPackages: extraPackages)
    }

    /// The manifest of `all` for `runner` and `libc`, with `extraPackages` added to a glibc one.
    static func select(_ all: [SysrootManifest], runner: String, libc: String, extraPackages: [String]) -> SysrootManifest? {
        guard var manifest = all.first(where: { $0.name == runner && $0.libc == libc }) else { return nil }
        if libc == "glibc" {
            for package in extraPackages where !manifest.packages.contains(package) { manifest.packages.append(package) }
        }
        return manifest
    }

    /// The C library a binary's interpreter belongs to: `musl` for musl's loaders (`/lib/ld-musl-<arch>.so.1`),
    /// `glibc` for any other.
    public static func libc(ofInterpreter interpreter: String) -> String {
        interpreter.lastPathComponent.hasPrefix("ld-musl-") ? "musl" : "glibc"
    }

    /// The built-in manifest for a binary of `runner` whose interpreter is `interpreter`: the runner's manifest
    /// whose `loader` is exactly that path; else the manifest of the interpreter's C library (glibc for any
    /// loader that is not musl's), or nil when the runner has none, so a musl binary never gets glibc packages
    /// it cannot use.
    public static func forBinary(runner: String, interpreter: String, extraPackages: [String] = []) throws -> SysrootManifest? {
        let all = try builtIn()
        let exact = all.first(where: { $0.name == runner && $0.loader == interpreter })
        return select(all, runner: runner, libc: exact?.libc ?? libc(ofInterpreter: interpreter), extraPackages: extraPackages)
    }

    /// A digest of everything that decides the sysroot's content (not the mirror): the cache folder's name.
    public var digest: String {
        // libc is not hashed: the loader already tells a musl manifest from a glibc one, and glibc digests (so
        // cache folders) stay what they were before the key existed.
        let canonical = [name, suite, component, architecture, root, loader, packages.sorted().joined(separator: ",")]
            .joined(separator: "\n")
        return String(Hashing.sha256(canonical.utf8).prefix(16))
    }
}

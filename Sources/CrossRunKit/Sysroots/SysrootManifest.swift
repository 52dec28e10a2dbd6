import Crypto
import Foundation
import TOMLKit

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
    /// The loader path (inside `root`) that must exist once the packages are unpacked.
    public var loader: String

    static let knownKeys: Set<String> = ["name", "suite", "component", "architecture", "packages", "root", "loader"]

    public static func parse(toml text: String, source: String) throws -> SysrootManifest {
        do {
            let table = try TOMLDocument.table(text)
            if let unknown = table.keys.sorted().first(where: { !knownKeys.contains($0) }) {
                throw CrossRunError.invalidSysrootManifest(
                    name: source, reason: "unknown key \"\(unknown)\" (known: \(knownKeys.sorted().joined(separator: ", ")))")
            }
            let manifest = try TOMLDecoder().decode(SysrootManifest.self, from: table)
            guard !manifest.packages.isEmpty else {
                throw CrossRunError.invalidSysrootManifest(name: source, reason: "packages is empty")
            }
            guard manifest.loader.hasPrefix("/") else {
                throw CrossRunError.invalidSysrootManifest(name: source, reason: "loader must be an absolute path")
            }
            return manifest
        } catch let error as CrossRunError {
            throw error
        } catch {
            throw CrossRunError.invalidSysrootManifest(name: source, reason: TOMLErrors.describe(error))
        }
    }

    /// The manifests compiled into crossrun from the Sysroots/ folder.
    public static func builtIn() throws -> [SysrootManifest] {
        try EmbeddedSysroots.files.map { try parse(toml: $0.text, source: "Sysroots/\($0.name) (built in)") }
    }

    /// The built-in manifest for a runner, with a user's extra packages added.
    public static func forTarget(_ name: String, extraPackages: [String] = []) throws -> SysrootManifest? {
        guard var manifest = try builtIn().first(where: { $0.name == name }) else { return nil }
        for package in extraPackages where !manifest.packages.contains(package) { manifest.packages.append(package) }
        return manifest
    }

    /// A digest of everything that decides the sysroot's content (not the mirror): the cache folder's name.
    public var digest: String {
        let canonical = [name, suite, component, architecture, root, loader, packages.sorted().joined(separator: ",")]
            .joined(separator: "\n")
        return String(Hashing.hex(SHA256.hash(data: Data(canonical.utf8))).prefix(16))
    }
}

import FoundationEssentials
import Glibc

/// Which Debian packages give system mode its kernel and busybox. Data, not code: one per architecture.
public struct SystemImageManifest: Codable, Equatable, Sendable {
    /// The runner name (`aarch64`); the cache entry is `sysroots/system-<name>`.
    public var name: String
    public var suite: String
    public var component: String
    public var architecture: String
    /// A kernel package, or a metapackage (`linux-image-arm64`) whose first `linux-image-*` dependency is one.
    public var kernelPackage: String
    public var busyboxPackage: String

    public static let aarch64 = SystemImageManifest(
        name: "aarch64", suite: "bookworm", component: "main", architecture: "arm64",
        kernelPackage: "linux-image-arm64", busyboxPackage: "busybox-static")

    /// Every system image crossrun knows.
    public static let all = [aarch64]

    /// The image whose cache name (`system-aarch64`) is `name`, if one is.
    public static func named(_ name: String) -> SystemImageManifest? {
        all.first { $0.cacheName == name }
    }

    /// Why `--locked` refuses to fetch a missing image.
    public static let lockedReason = "no kernel and busybox with a lock record are installed"

    /// The cache's target name, also what `crossrun sysroot fetch` takes.
    public var cacheName: String { "system-" + name }

    public var digest: String {
        let canonical = [name, suite, component, architecture, kernelPackage, busyboxPackage].joined(separator: "\n")
        return String(Hashing.sha256(Data(canonical.utf8)).prefix(16))
    }
}

/// A fetched kernel and busybox: a sysroot-like cache entry whose `root/` holds `vmlinuz` and `busybox`.
public struct SystemImage: Equatable, Sendable {
    public var entry: CachedSysroot

    public init(entry: CachedSysroot) {
        self.entry = entry
    }
    public var kernel: String { entry.path + "/vmlinuz" }
    public var busybox: String { entry.path + "/busybox" }
}

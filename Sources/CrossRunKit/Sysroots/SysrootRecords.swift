import FoundationEssentials
import Glibc

// The parts of a lock record (SysrootLock): what the fetcher (CrossRunTools) installed, read back by the
// cache on the run path.

/// One package of a Packages index.
public struct DebianPackage: Codable, Equatable, Sendable {
    public var name: String
    public var version: String
    public var architecture: String
    /// Pool path relative to the mirror root.
    public var filename: String
    public var size: Int
    public var sha256: String

    public init(name: String, version: String, architecture: String, filename: String, size: Int, sha256: String) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.filename = filename
        self.size = size
        self.sha256 = sha256
    }

    /// The `.deb`'s file name (the last part of `filename`), as errors name it.
    public var debName: String { filename.lastPathComponent }
}

/// What one unpacked file or link of a sysroot is, as recorded in its lock record and checked by `verify`.
public struct SysrootFile: Codable, Equatable, Sendable {
    /// Path relative to the sysroot's unpacked root.
    public var path: String
    public var sha256: String?
    public var size: Int?
    /// The link target, for a symbolic link.
    public var link: String?

    public init(path: String, sha256: String?, size: Int?, link: String?) {
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.link = link
    }
}

import FoundationEssentials
import Glibc

/// How a fetch may behave.
public struct FetchOptions: Sendable {
    /// The mirror's base URL; nil to read the machine's apt sources.
    public var mirror: String?
    /// Check InRelease with gpgv (on by default).
    public var verifySignature = true
    /// The keyring gpgv checks against.
    public var keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
    /// Never touch the network: only a cached sysroot will do.
    public var offline = false
    /// Never change an installed sysroot or its lock record.
    public var locked = false
    public var sizeCap = Self.defaultSizeCap
    /// Where progress lines go (stderr in the CLI).
    public var progress: @Sendable (String) -> Void = { _ in }
    public var sourcesList = Self.defaultSourcesList
    public var sourcesDirectory = Self.defaultSourcesDirectory

    /// The most a sysroot's packages may unpack to (`DebArchive` applies it).
    public static let defaultSizeCap = 1 << 30
    /// Where `DebianMirror` finds the machine's apt sources.
    public static let defaultSourcesList = "/etc/apt/sources.list"
    public static let defaultSourcesDirectory = "/etc/apt/sources.list.d"

    public init() {}
}

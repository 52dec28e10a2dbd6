import Foundation
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
    public var sizeCap = DebArchive.defaultSizeCap
    /// Where progress lines go (stderr in the CLI).
    public var progress: @Sendable (String) -> Void = { _ in }
    public var sourcesList = DebianMirror.defaultSourcesList
    public var sourcesDirectory = DebianMirror.defaultSourcesDirectory

    public init() {}
}

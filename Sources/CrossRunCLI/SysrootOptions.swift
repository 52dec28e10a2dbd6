import ArgumentParser
import CrossRunKit

/// Options for fetched sysroots, shared by `run` and `sysroot`.
public struct SysrootOptions: ParsableArguments {
    @Option(name: .customLong("mirror"), help: ArgumentHelp("The Debian mirror fetched sysroots come from (default: this machine's apt sources).", valueName: "url"))
    public var mirror: String?

    @Flag(name: .customLong("offline"), help: "Never download a sysroot; use only what is cached.")
    public var offline = false

    @Flag(name: .customLong("no-verify-signature"), help: "Do not check the mirror's InRelease signature (the hashes are still checked).")
    public var noVerifySignature = false

    @Flag(name: .customLong("locked"), help: "Never fetch or change a cached sysroot and its lock record.")
    public var locked = false

    @Flag(name: .customLong("ignore-system-sysroots"), help: "Skip Debian's /usr/<triple> cross sysroots (use a fetched one).")
    public var ignoreSystemSysroots = false

    /// These options as library options (unset where not given, so lower layers apply).
    public init() {}

    public func apply(to options: inout RunOptions) {
        options.mirror = mirror
        options.offline = offline ? true : nil
        options.verifySignature = noVerifySignature ? false : nil
        options.locked = locked ? true : nil
        options.ignoreSystemSysroots = ignoreSystemSysroots ? true : nil
    }
}

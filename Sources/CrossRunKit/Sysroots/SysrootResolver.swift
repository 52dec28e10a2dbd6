import FoundationEssentials
import Glibc

/// A place a sysroot can come from after the explicit and Debian ones: the seam where the cache and fetched
/// sysroots plug in.
public protocol SysrootProvider: Sendable {
    /// A folder that holds `interpreter` for this target, or nil when this provider has none.
    func sysroot(for definition: RunnerDefinition, interpreter: String) throws -> String?
    /// Where a sysroot from this provider came from, for the report (`sysrootOrigin`).
    var label: String { get }
    /// Shown in the list of places searched when no provider has one.
    var searchLabel: String { get }
}

extension SysrootProvider {
    public var searchLabel: String { label }
}

/// The sysroot chosen for a run, and why.
public struct ResolvedSysroot: Equatable, Sendable {
    public var path: String
    /// `--sysroot`, `$CROSSRUN_SYSROOT`, a config file, `Debian cross sysroot`, ...
    public var origin: String
}

/// Finds the folder qemu-user gets as `-L`: explicit (flag, environment, config) first, then Debian's cross
/// sysroots named by the runner definition, then any further ``SysrootProvider``. Static binaries need none.
public struct SysrootResolver: Sendable {
    public var providers: [any SysrootProvider]
    /// Skip Debian's `/usr/<triple>` cross sysroots (`--ignore-system-sysroots`).
    public var ignoreDebianSysroots: Bool
    public var fileExists: @Sendable (String) -> Bool

    public init(
        providers: [any SysrootProvider] = [], ignoreDebianSysroots: Bool = false,
        fileExists: @escaping @Sendable (String) -> Bool = SysrootResolver.exists
    ) {
        self.providers = providers
        self.ignoreDebianSysroots = ignoreDebianSysroots
        self.fileExists = fileExists
    }

    public static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    public static func isDirectory(_ path: String) -> Bool {
        return Paths.isDirectory(path)
    }

    public func resolve(
        binary: BinaryInfo, definition: RunnerDefinition, explicit: String?, explicitOrigin: SettingOrigin?
    ) throws -> ResolvedSysroot? {
        let interpreter = binary.elf?.interpreter
        if let explicit {
            let origin = explicitOrigin?.description ?? "configuration"
            guard Self.isDirectory(explicit) else {
                throw CrossRunError.sysrootNotADirectory(path: explicit, origin: origin, example: definition.sysroot.debian.first)
            }
            if let interpreter, !fileExists(explicit + interpreter) {
                if SysrootManifest.libc(ofInterpreter: interpreter) == "musl" {
                    let manifest = try? SysrootManifest.forBinary(runner: definition.name, interpreter: interpreter)
                    throw CrossRunError.muslLoaderMissing(
                        target: definition.name, interpreter: interpreter, searched: [explicit],
                        fetchName: manifest.map(\.cacheName), debianArchitecture: manifest?.architecture)
                }
                throw CrossRunError.loaderMissing(
                    target: definition.name, interpreter: interpreter, searched: [explicit],
                    installHint: definition.sysroot.installHint)
            }
            return ResolvedSysroot(path: explicit, origin: origin)
        }
        guard let interpreter else { return nil }
        let debian = ignoreDebianSysroots ? [] : definition.sysroot.debian
        for candidate in debian where fileExists(candidate + interpreter) {
            return ResolvedSysroot(path: candidate, origin: "Debian cross sysroot")
        }
        for provider in providers {
            if let path = try provider.sysroot(for: definition, interpreter: interpreter) {
                return ResolvedSysroot(path: path, origin: provider.label)
            }
        }
        let searched = debian + providers.map(\.searchLabel)
        if SysrootManifest.libc(ofInterpreter: interpreter) == "musl" {
            // Debian's cross packages the runner names are glibc: say how to get a musl root instead.
            let manifest = try? SysrootManifest.forBinary(runner: definition.name, interpreter: interpreter)
            throw CrossRunError.muslLoaderMissing(
                target: definition.name, interpreter: interpreter, searched: searched,
                fetchName: manifest.map(\.cacheName), debianArchitecture: manifest?.architecture)
        }
        throw CrossRunError.loaderMissing(
            target: definition.name, interpreter: interpreter, searched: searched, installHint: definition.sysroot.installHint)
    }
}

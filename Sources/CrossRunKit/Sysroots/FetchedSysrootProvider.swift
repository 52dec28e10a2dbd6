import FoundationEssentials
import Glibc

/// The sysroot resolver's last resort: the target's Sysroots/ manifest for the binary's interpreter (musl's loader
/// gets the musl manifest, any other the glibc one plus `packages` from the configuration), from the cache,
/// fetched on first use unless offline.
public struct FetchedSysrootProvider: SysrootProvider {
    public var fetcher: any SysrootFetching
    public var configuration: Configuration

    public init(fetcher: any SysrootFetching, configuration: Configuration) {
        self.fetcher = fetcher
        self.configuration = configuration
    }

    public var label: String { "crossrun's sysroot cache (\(fetcher.cache.base)/sysroots)" }

    public var searchLabel: String {
        "crossrun's sysroot cache (\(fetcher.cache.base)/sysroots\(fetcher.options.offline ? ", offline: nothing fetched" : ""))"
    }

    public func sysroot(for definition: RunnerDefinition, interpreter: String) throws -> String? {
        let extra = configuration.settings(for: definition).settings.packages ?? []
        guard let manifest = try SysrootManifest.forBinary(runner: definition.name, interpreter: interpreter, extraPackages: extra)
        else { return nil }  // no manifest for this C library: nothing is fetched that the binary cannot use
        let cached: CachedSysroot
        do {
            cached = try fetcher.sysroot(for: manifest)
        } catch let error as CrossRunError where error.code == .sysrootNotCached {
            return nil  // offline: the loader error lists the cache among the places searched
        }
        // A binary whose loader the manifest's packages do not hold (an unusual glibc loader path) needs another.
        return FileManager.default.fileExists(atPath: cached.path + interpreter) ? cached.path : nil
    }
}

import ArgumentParser
import CrossRunKit
import Foundation

/// `crossrun sysroot ...`: the fetched-sysroot cache.
struct Sysroot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sysroot",
        abstract: "Fetch, list, locate, verify and remove the sysroots crossrun downloads from Debian.",
        subcommands: [Fetch.self, List.self, Path.self, Verify.self, Remove.self]
    )

    /// What every subcommand needs: the configuration, the catalogue, the cache, the fetcher.
    struct Context {
        var configuration: Configuration
        var catalog: TargetCatalog
        var cache: SysrootCache
        var fetcher: SysrootFetcher

        init(options: SysrootOptions? = nil) throws {
            var runOptions = RunOptions()
            options?.apply(to: &runOptions)
            let environment = ProcessInfo.processInfo.environment
            configuration = try Configuration.load(
                options: runOptions, environment: environment, workingDirectory: FileManager.default.currentDirectoryPath)
            catalog = try TargetCatalog.load(extraDirectory: environment[Configuration.Variable.runnersDir])
            cache = SysrootCache(environment: environment)
            var fetch = configuration.fetchOptions()
            fetch.progress = { TerminalSummary.emit($0) }
            fetcher = SysrootFetcher(cache: cache, options: fetch)
        }

        /// The manifest for a target named by runner name or Rust triple, with the configured extra packages.
        func manifest(_ name: String) throws -> SysrootManifest {
            let definition = try catalog.definition(named: name)
            let extra = configuration.settings(for: definition).settings.packages ?? []
            guard let manifest = try SysrootManifest.forTarget(definition.name, extraPackages: extra) else {
                throw CrossRunError.noSysrootManifest(target: definition.name)
            }
            return manifest
        }

        /// The cached sysroot of a target, or an error that says why there is none (`because`).
        func cached(_ name: String, because reason: String) throws -> (SysrootManifest, CachedSysroot) {
            let manifest = try manifest(name)
            guard let sysroot = cache.lookup(manifest) else {
                throw CrossRunError.sysrootNotCached(target: manifest.name, reason: reason)
            }
            return (manifest, sysroot)
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "fetch", abstract: "Fetch (if not cached) and print the sysroot of each target.")

        @OptionGroup var options: SysrootOptions
        @Argument(help: ArgumentHelp("Runner names or Rust target triples.", valueName: "target"))
        var targets: [String]

        func validate() throws {
            if targets.isEmpty { throw ValidationError("name at least one target (see crossrun targets)") }
        }

        func run() throws {
            let context = try Context(options: options)
            for target in targets {
                let sysroot = try context.fetcher.sysroot(for: try context.manifest(target))
                print(sysroot.path)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the cached sysroots.")

        func run() throws {
            let cache = SysrootCache(environment: ProcessInfo.processInfo.environment)
            for sysroot in cache.all() {
                let packages = sysroot.lock.packages.map { "\($0.name) \($0.version)" }.joined(separator: ", ")
                print("\(sysroot.lock.target)\t\(sysroot.path)\t\(sysroot.lock.suite)/\(sysroot.lock.architecture): \(packages)")
            }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "path", abstract: "Print the cached sysroot folder of a target (what qemu gets as -L).")

        @Argument(help: ArgumentHelp("A runner name or Rust target triple.", valueName: "target"))
        var target: String

        func run() throws {
            let (_, sysroot) = try Context().cached(target, because: "`sysroot path` does not download")
            print(sysroot.path)
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Re-hash every file of a cached sysroot against its lock record.")

        @Argument(help: ArgumentHelp("A runner name or Rust target triple.", valueName: "target"))
        var target: String

        func run() throws {
            let context = try Context()
            let (manifest, sysroot) = try context.cached(target, because: "there is nothing to verify")
            let problems = context.cache.verify(sysroot)
            guard problems.isEmpty else { throw CrossRunError.sysrootModified(target: manifest.name, problems: problems) }
            TerminalSummary.emit("crossrun: the \(manifest.name) sysroot matches its lock record (\(sysroot.lock.files.count) files)")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Delete a target's cached sysroots.")

        @Argument(help: ArgumentHelp("A runner name or Rust target triple.", valueName: "target"))
        var target: String

        func run() throws {
            let context = try Context()
            let name = try context.catalog.definition(named: target).name
            let count = try context.cache.remove(target: name)
            TerminalSummary.emit("crossrun: removed \(count) cached \(name) sysroot\(count == 1 ? "" : "s")")
        }
    }
}

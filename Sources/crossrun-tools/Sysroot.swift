import ArgumentParser
import CrossRunCLI
import CrossRunKit
import CrossRunTools
import Foundation

/// `crossrun sysroot ...`: the fetched-sysroot cache.
struct Sysroot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: CrossRunCommand.sysroot.name,
        abstract: CrossRunCommand.sysroot.abstract,
        subcommands: [Fetch.self, List.self, Path.self, Verify.self, Remove.self]
    )

    /// What every subcommand needs: the configuration, the catalogue, the cache, the fetcher.
    struct Context {
        var configuration: Configuration
        var catalog: TargetCatalog
        var cache: SysrootCache { fetcher.cache }
        var fetcher: SysrootFetcher

        init(options: SysrootOptions? = nil) throws {
            var runOptions = RunOptions()
            options?.apply(to: &runOptions)
            let environment = ProcessInfo.processInfo.environment
            configuration = try Configuration.load(
                options: runOptions, environment: environment, workingDirectory: FileManager.default.currentDirectoryPath)
            catalog = try TargetCatalog.load(extraDirectory: environment[Configuration.Variable.runnersDir])
            fetcher = SysrootFetcher(configuration: configuration, progress: { TerminalSummary.emit($0) })
        }

        /// A cache entry a name stands for: a target's sysroot (runner name or Rust triple, with the configured
        /// extra packages), or system mode's kernel and busybox (`system-aarch64`).
        enum Entry {
            case sysroot(SysrootManifest)
            case system(SystemImageManifest)

            /// The cache's target name.
            var target: String {
                switch self {
                case .sysroot(let manifest): return manifest.cacheName
                case .system(let manifest): return manifest.cacheName
                }
            }

            var digest: String {
                switch self {
                case .sysroot(let manifest): return manifest.digest
                case .system(let manifest): return manifest.digest
                }
            }
        }

        /// A runner name (`aarch64`) or glibc Rust triple is the glibc sysroot; `<runner>-musl` (`aarch64-musl`,
        /// the cache's name) or a musl Rust triple (`aarch64-unknown-linux-musl`) is the runner's musl sysroot.
        /// `packages` replaces the configured extra packages of a glibc sysroot.
        func entry(_ name: String, packages: [String]? = nil) throws -> Entry {
            if let system = SystemImageManifest.named(name) { return .system(system) }
            var runnerName = name
            var libc = "glibc"
            if !catalog.definitions.contains(where: { $0.isNamed(name) }), name.hasSuffix("-musl"),
                case let prefix = String(name.dropLast("-musl".count)), catalog.definitions.contains(where: { $0.name == prefix })
            {
                runnerName = prefix
                libc = "musl"
            } else if (name.split(separator: "-").last.map { $0.hasPrefix("musl") } ?? false) {
                libc = "musl"  // aarch64-unknown-linux-musl, armv7-unknown-linux-musleabihf
            }
            guard catalog.definitions.contains(where: { $0.isNamed(runnerName) }) else {
                let musl = try SysrootManifest.builtIn().filter { $0.libc == "musl" }.map(\.cacheName)
                throw CrossRunError.unknownTarget(name: name, known: catalog.names + musl + SystemImageManifest.all.map(\.cacheName))
            }
            let definition = try catalog.definition(named: runnerName)
            let extra = packages ?? configuration.settings(for: definition).settings.packages ?? []
            guard let manifest = try SysrootManifest.forTarget(definition.name, libc: libc, extraPackages: extra) else {
                throw CrossRunError.noSysrootManifest(target: definition.name, libc: libc)
            }
            return .sysroot(manifest)
        }

        /// The entry from the cache, fetched first when missing (unless offline or locked).
        func fetch(_ entry: Entry) throws -> CachedSysroot {
            switch entry {
            case .sysroot(let manifest): return try fetcher.sysroot(for: manifest)
            case .system(let manifest): return try SystemImageFetcher(fetcher: fetcher, manifest: manifest).image().entry
            }
        }

        /// The cached entry a name stands for, or an error that says why there is none (`because`).
        func cached(_ name: String, because reason: String) throws -> (target: String, sysroot: CachedSysroot) {
            let entry = try entry(name)
            guard let sysroot = cache.lookup(target: entry.target, digest: entry.digest) else {
                throw CrossRunError.sysrootNotCached(target: entry.target, reason: reason)
            }
            return (entry.target, sysroot)
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "fetch", abstract: "Fetch (if not cached) and print the sysroot of each target.")

        @OptionGroup var options: SysrootOptions
        @Argument(help: ArgumentHelp("Runner names or Rust target triples, or system-aarch64 (full-system mode's kernel and busybox).", valueName: "target"))
        var targets: [String]

        // What a run's fetch (crossrun's ToolsSysrootFetcher) passes so this fetches exactly its cache entry.
        @Option(name: .customLong("keyring"), help: ArgumentHelp("The keyring gpgv checks InRelease against.", visibility: .hidden))
        var keyring: String?

        @Option(name: .customLong("package"), help: ArgumentHelp("A glibc sysroot's packages (instead of the configured extra ones; repeatable).", visibility: .hidden))
        var packages: [String] = []

        func validate() throws {
            if targets.isEmpty { throw ValidationError("name at least one target (see crossrun targets)") }
        }

        func run() throws {
            var context = try Context(options: options)
            if let keyring { context.fetcher.options.keyring = keyring }
            for target in targets {
                print(try context.fetch(try context.entry(target, packages: packages.isEmpty ? nil : packages)).path)
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

        @Argument(help: ArgumentHelp("A runner name or Rust target triple, or system-aarch64.", valueName: "target"))
        var target: String

        func run() throws {
            print(try Context().cached(target, because: "`sysroot path` does not download").sysroot.path)
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Re-hash every file of a cached sysroot against its lock record.")

        @Argument(help: ArgumentHelp("A runner name or Rust target triple, or system-aarch64.", valueName: "target"))
        var target: String

        func run() throws {
            let context = try Context()
            let (name, sysroot) = try context.cached(target, because: "there is nothing to verify")
            let problems = context.cache.verify(sysroot)
            guard problems.isEmpty else { throw CrossRunError.sysrootModified(target: name, problems: problems) }
            TerminalSummary.emit("crossrun: the \(name) sysroot matches its lock record (\(sysroot.lock.files.count) files)")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Delete a target's cached sysroots.")

        @Argument(help: ArgumentHelp("A runner name or Rust target triple, or system-aarch64.", valueName: "target"))
        var target: String

        func run() throws {
            let context = try Context()
            let name = try context.entry(target).target
            let count = try context.cache.remove(target: name)
            TerminalSummary.emit("crossrun: removed \(count) cached \(name) sysroot\(count == 1 ? "" : "s")")
        }
    }
}

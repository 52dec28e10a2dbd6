import FoundationEssentials
import Glibc

/// Stage 1, prepare: the configuration, the binary's header, the runner catalogue and the launch plan: what
/// decides the emulator's command line, and nothing else, so the emulator starts as early as it can. Where the
/// reports go is worked out once the tests have run (``TestRunner/writeReports(_:of:)``).
struct PreparedRun {
    var invocation: Invocation
    /// The binary's absolute path.
    var binaryPath: String
    var configuration: Configuration
    var info: BinaryInfo
    var catalog: TargetCatalog
    var plan: LaunchPlan
    /// The doctest this binary is, when rustdoc runs it (Doctests.swift).
    var doctest: Doctest?
    /// The share of the tests this run takes (`--partition`); set by ``TestRunner/selectPartition(_:)``.
    var partition: Partition?

    /// The binary's file name (a byte that is not UTF-8 as U+FFFD: it names the reports and the suite).
    var fileName: String { binaryPath.lastPathComponent.replacingRawBytes }
    /// cargo's `name-0123456789abcdef` without the hash.
    var suiteName: String { doctest?.name ?? RunResult.Binary.suiteName(forFile: fileName) }

    /// A program `cargo run` (or `cargo run --example`) started: cargo is the caller (it sets `CARGO` for what it
    /// runs), the binary is not a cargo test binary (`NAME-<16 hex>`) nor a doctest, and nextest is not running it.
    /// With no libtest output it is reported as a program, not a test (``TestRunner/writeReports(_:of:)``).
    var isCargoProgram: Bool {
        guard let cargo = invocation.environment["CARGO"], !cargo.isEmpty else { return false }
        return !TestRunner.isCargoTestBinary(fileName) && fileName != "rust_out"
            && NextestContext.detect(environment: invocation.environment, arguments: invocation.arguments) == nil
    }
}

extension TestRunner {
    #if canImport(Glibc)
        static let coreLimit = __rlimit_resource_t(RLIMIT_CORE.rawValue)
    #else
        static let coreLimit = RLIMIT_CORE
    #endif

    func prepare(_ invocation: Invocation) throws -> PreparedRun {
        let binaryPath = Paths.absolute(invocation.binary, relativeTo: invocation.workingDirectory)
        var options = invocation.options
        options.sysroot = options.sysroot.map { Paths.absolute($0, relativeTo: invocation.workingDirectory) }
        let configuration = try Configuration.load(
            options: options, environment: invocation.environment, workingDirectory: invocation.workingDirectory)
        StartupTrace.mark("configuration")
        let info = try BinaryInspector.inspect(path: binaryPath)
        StartupTrace.mark("header")
        let catalog = try TargetCatalog.load(extraDirectory: invocation.environment[Configuration.Variable.runnersDir])
        try configuration.validateTargets(in: catalog)
        StartupTrace.mark("runners")
        let plan = try planner(for: invocation, configuration: configuration, catalog: catalog)
            .plan(binary: info, arguments: invocation.arguments)
        StartupTrace.mark("launch plan")
        Self.disableCoreDumps()
        let doctest = Doctest.identify(binaryPath: binaryPath, environment: invocation.environment, workingDirectory: invocation.workingDirectory)
        return PreparedRun(
            invocation: invocation, binaryPath: binaryPath, configuration: configuration, info: info, catalog: catalog,
            plan: plan, doctest: doctest)
    }

    /// The launch planner with this run's sysroots (the Debian ones, extra providers, then fetched ones), the
    /// one fetcher (fetched sysroots, full-system mode's kernel) and the folders a wasm module may open.
    func planner(for invocation: Invocation, configuration: Configuration, catalog: TargetCatalog) -> LaunchPlanner {
        let tools = toolsExecutable ?? ToolsExecutable.beside(selfExecutable ?? ToolsExecutable.ownExecutable)
        let fetcher = ToolsSysrootFetcher(configuration: configuration, tools: tools)
        let fetched = FetchedSysrootProvider(fetcher: fetcher, configuration: configuration)
        let resolver = SysrootResolver(
            providers: sysrootProviders + [fetched], ignoreDebianSysroots: configuration.ignoreSystemSysroots)
        var planner = LaunchPlanner(
            catalog: catalog, configuration: configuration, sysroots: resolver,
            searchPath: invocation.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        planner.fetcher = fetcher
        planner.environment = invocation.environment
        planner.workingDirectory = invocation.workingDirectory
        planner.wasmDirectories = invocation.options.wasmDirectories.map { directory in
            guard let separator = directory.firstRange(of: "::") else { return Paths.absolute(directory, relativeTo: invocation.workingDirectory) }
            return Paths.absolute(String(directory[..<separator.lowerBound]), relativeTo: invocation.workingDirectory) + directory[separator.lowerBound...]
        }
        if let executable = selfExecutable { planner.selfExecutable = executable }
        planner.toolsExecutable = tools
        return planner
    }

    /// qemu dumps a core of the guest (and the host one of itself) into the working directory on a guest
    /// crash; a test suite's crash must not litter the project with hundreds of megabytes.
    static func disableCoreDumps() {
        var noCore = rlimit()
        if getrlimit(coreLimit, &noCore) == 0 {
            noCore.rlim_cur = 0
            setrlimit(coreLimit, &noCore)
        }
    }
}

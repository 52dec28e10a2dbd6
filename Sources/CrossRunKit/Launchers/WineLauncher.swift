import FoundationEssentials
import Glibc

/// A Windows PE executable under wine: `wine [ARGS] BINARY ARGS...`, with `WINEDEBUG=-all`, a wine prefix in
/// crossrun's cache folder (`<cache>/wine/prefix`) unless the user set `WINEDEBUG` or `WINEPREFIX` themselves, and
/// wine's crash debugger off (`WINEDLLOVERRIDES` gets `winedbg.exe=d`).
/// wine passes the Unix environment on to the Windows program (as its environment block) and the arguments as
/// its command line; its stdout and stderr are the program's.
public struct WineLauncher: Launcher {
    public var kind: LaunchPlan.Kind { .wine }

    public init() {}

    public func plan(_ request: LaunchRequest) throws -> LaunchPlan {
        let runner = try request.requireRunner()
        let wine = runner.executable(or: request.planner.selfExecutable)
        let environment = Self.environment(guest: request.planner.environment).merging(runner.environment) { _, user in user }
        if let prefix = environment["WINEPREFIX"], request.planner.environment["WINEPREFIX"] == nil {
            // wine makes the prefix folder itself, but not the folders above it.
            try SysrootCache.makeFolders(prefix.deletingLastPathComponent)
        }
        let argv = [wine] + runner.extraArguments + [request.binary.path] + request.arguments
        return request.plan(.wine, target: runner.definition.name, executable: wine, argv: argv, environment: environment)
    }

    /// The variables crossrun adds for wine, given the guest's environment: `WINEDEBUG=-all` (wine's `fixme:` and
    /// `err:` lines would land in every test's stderr) and `WINEPREFIX=<cache>/wine/prefix` (a fresh prefix takes
    /// seconds to create: made once there, every later run reuses it), each only when the user has not set it; and
    /// `winedbg.exe=d` added to `WINEDLLOVERRIDES` unless it names winedbg already: on an unhandled exception wine
    /// otherwise starts winedbg, which takes time, can crash itself (wine 8.0), and makes the exit status 0 or 84
    /// at random instead of the exception code's low byte (5 for an access violation).
    public static func environment(guest: [String: String]) -> [String: String] {
        var added: [String: String] = [:]
        if guest["WINEDEBUG"] == nil { added["WINEDEBUG"] = "-all" }
        if guest["WINEPREFIX"] == nil { added["WINEPREFIX"] = prefix(environment: guest) }
        switch guest["WINEDLLOVERRIDES"] {
        case nil, "": added["WINEDLLOVERRIDES"] = noDebugger
        case let overrides? where !overrides.contains("winedbg"): added["WINEDLLOVERRIDES"] = overrides + ";" + noDebugger
        default: break
        }
        return added
    }

    /// The DLL override that keeps wine from starting its debugger on a crash.
    static let noDebugger = "winedbg.exe=d"

    /// crossrun's wine prefix: `prefix` in the `wine` folder of its cache (`CROSSRUN_CACHE_DIR`,
    /// `$XDG_CACHE_HOME/crossrun`, `~/.cache/crossrun`).
    public static func prefix(environment: [String: String]) -> String {
        SysrootCache(environment: environment).base + "/wine/prefix"
    }
}

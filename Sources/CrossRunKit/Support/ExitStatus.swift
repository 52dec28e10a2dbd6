import FoundationEssentials
import Glibc

/// The exit statuses crossrun itself uses, besides passing the test binary's own status through.
public enum ExitStatus {
    /// crossrun's per-binary timeout killed the emulator.
    public static let timedOut: Int32 = 124
    /// crossrun's own error: a bad flag, configuration, binary or unsupported target.
    public static let crossrunError: Int32 = 125
    /// The binary cannot be executed under any configured emulator (its loader or sysroot is missing).
    public static let cannotExecute: Int32 = 126
    /// The emulator or runtime the target needs is not installed.
    public static let emulatorMissing: Int32 = 127
    /// `crossrun doctor --target T`: a named target cannot run on this machine.
    public static let checkFailed: Int32 = 1

    /// The status a shell reports for a process killed by `signal`: 128 + N.
    public static func forSignal(_ signal: Int32) -> Int32 { 128 + signal }
}

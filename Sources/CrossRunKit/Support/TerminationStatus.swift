import FoundationEssentials
import Glibc

/// How a process ended, as data.
public enum TerminationStatus: Equatable, Sendable {
    /// It called exit with this code.
    case exited(Int32)
    /// It was killed by this signal. For qemu-user this is the guest's signal: qemu re-raises it on itself.
    case signaled(Int32)

    /// The status a shell would report: the code, or 128 + signal.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let signal): return ExitStatus.forSignal(signal)
        }
    }

    public var isSuccess: Bool { self == .exited(0) }

    /// `exit status 101` or `killed by SIGSEGV (signal 11)`.
    public var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal): return "killed by \(Signals.name(signal)) (signal \(signal))"
        }
    }

    /// Decodes a `waitpid` status word.
    package static func fromWaitStatus(_ status: Int32) -> TerminationStatus {
        let low = status & 0x7F
        if low == 0 { return .exited((status >> 8) & 0xFF) }
        return .signaled(low)
    }
}

/// Signal names for messages and reports.
public enum Signals {
    static let names: [Int32: String] = [
        SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
        SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
        SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
        SIGCHLD: "SIGCHLD", SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGTSTP: "SIGTSTP", SIGTTIN: "SIGTTIN",
        SIGTTOU: "SIGTTOU", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ", SIGSYS: "SIGSYS",
    ]

    /// Kills crossrun's own process group (and so cargo above it) with `signal`, default action restored first.
    /// Used after a terminal Ctrl-C that only the child's group received.
    public static func reraiseOnOwnGroup(_ signal: Int32) -> Never {
        Glibc.signal(signal, SIG_DFL)
        kill(0, signal)
        exit(ExitStatus.forSignal(signal))
    }

    /// `SIGSEGV`, or `signal N` for one without a name here.
    public static func name(_ signal: Int32) -> String { names[signal] ?? "signal \(signal)" }
}

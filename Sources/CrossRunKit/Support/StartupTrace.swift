import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// `CROSSRUN_TRACE_STARTUP=1`: where a run's time goes after `main`, phase by phase (the time before `main` — exec,
/// the loader, relocation — is measured from outside: `LD_DEBUG=statistics`, perf; BENCHMARKS.md). Each
/// ``mark(_:)`` keeps the time; ``report()`` prints them on stderr as one line. Off (one environment lookup,
/// nothing kept) otherwise.
public enum StartupTrace {
    nonisolated(unsafe) private static var marks: [(String, Double)] = []
    /// `--isolate` starts processes from several threads.
    private static let lock = Lock()
    public static let enabled: Bool = getenv("CROSSRUN_TRACE_STARTUP").map { String(cString: $0) == "1" } ?? false

    /// Milliseconds on the monotonic clock.
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) * 1000 + Double(spec.tv_nsec) / 1_000_000
    }

    /// Records that the run got to `phase` (only when enabled).
    public static func mark(_ phase: String) {
        guard enabled else { return }
        let time = now()
        lock.lock()
        marks.append((phase, time))
        lock.unlock()
    }

    /// `crossrun: startup: main 0.0 ms, configuration +0.3, ...`: each phase's time after the one before.
    public static func report() {
        guard enabled else { return }
        lock.lock()
        let marks = self.marks
        lock.unlock()
        guard let first = marks.first else { return }
        var previous = first.1
        var parts: [String] = []
        for (phase, time) in marks {
            parts.append("\(phase) +\(format(time - previous))")
            previous = time
        }
        parts.append("total \(format(previous - first.1)) ms after main")
        let line = "crossrun: startup: " + parts.joined(separator: ", ") + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    static func format(_ milliseconds: Double) -> String {
        let tenths = Int((milliseconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

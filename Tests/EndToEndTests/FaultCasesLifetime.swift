import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// MARK: Lifetime (issue 14, item 3): no emulator outlives crossrun, whatever ends it.

extension FaultCase {
    static let lifetime: [FaultCase] = [
        // timeout(1) sends SIGTERM at 3 s and SIGKILL at 5 s; crossrun's own 2 s grace ends the guest at about the
        // same time. Whichever wins (timeout's status 124, or 137 when it had to kill crossrun), qemu is gone: it
        // got SIGKILL from crossrun, or from its parent-death signal.
        FaultCase(name: "lifetime: `timeout -k 2 3 crossrun` with a guest that ignores SIGTERM", fault: "stubborn",
                  prefix: ["/usr/bin/timeout", "-k", "2", "3"], limit: 30, status: [124, 137], tests: .ifWritten),
        // One outside SIGTERM gets the timeout's sequence: forwarded, then SIGKILL after --kill-grace.
        FaultCase(name: "lifetime: one outside SIGTERM, guest ignores it: SIGKILL after the kill grace", needs: timeLimitFlags,
                  fault: "stubborn", options: ["--kill-grace", "1s"], during: .signals([SIGTERM], after: inTest, gap: 0),
                  limit: 12, status: [128 + SIGTERM], tests: .including(stormTests), results: interrupted(by: "SIGTERM")),
        // Nothing runs in crossrun after SIGKILL: qemu's parent-death signal ends it.
        FaultCase(name: "lifetime: SIGKILL of crossrun while qemu runs", fault: "hang",
                  during: .signals([SIGKILL], after: inTest, gap: 0), limit: 30, status: [128 + SIGKILL], tests: .ifWritten),
        // The guest's child is a qemu process in its own session: crossrun adopts it (subreaper) when its parent
        // ends, and ends it when the run ends.
        FaultCase(name: "lifetime: a guest's child calls setsid() and keeps running", fault: "setsid-child",
                  limit: 30, status: [0], tests: .exactly(cleanFaultTests)),
    ]
}

import Foundation
import Testing

@testable import CrossRunKit

/// The orphan sweep's list of crossrun's children: the kernel's per-thread lists must name exactly the children the
/// slow scan of every /proc/PID/stat finds, whichever thread started them, running or exited and not yet reaped.
@Suite("the orphan sweep's children")
struct OrphanListTests {
    @Test("/proc/self/task/*/children names the same children as the /proc scan: the spawner thread's, another thread's, a zombie")
    func listedMatchesScanned() throws {
        let sleeper = try Spawn.start("/bin/sleep", argv: ["sleep", "60"], environment: []).get()
        let quick = try Spawn.start("/bin/true", argv: ["true"], environment: []).get()
        // A child of another thread than the spawner: posix_spawn from this test's thread.
        var other: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("sleep"), strdup("60"), nil]
        defer { argv.forEach { free($0) } }
        #expect(posix_spawn(&other, "/bin/sleep", nil, nil, argv, environ) == 0)
        defer {
            for pid in [sleeper, other] { kill(pid, SIGKILL) }
            var status: Int32 = 0
            for pid in [sleeper, quick, other] { waitpid(pid, &status, 0) }
        }
        // /bin/true has ended by now and is a zombie until reaped.
        var state = ""
        for _ in 0..<200 {
            state = (try? String(contentsOfFile: "/proc/\(quick)/stat", encoding: .utf8))?.split(separator: ")").last?.split(separator: " ").first.map(String.init) ?? ""
            if state == "Z" { break }
            usleep(10_000)
        }
        #expect(state == "Z")
        let listed = try #require(Orphans.listedChildren(), "this kernel has /proc/self/task/*/children")
        // Other tests start and reap children meanwhile: the two reads agree at some moment, not necessarily the first.
        var agreed = false
        for _ in 0..<50 where !agreed {
            agreed = Set(Orphans.listedChildren() ?? []) == Set(Orphans.scannedChildren())
            if !agreed { usleep(20_000) }
        }
        #expect(agreed, "the kernel's lists and the /proc scan never named the same children")
        #expect(Set([sleeper, quick, other]).isSubset(of: Set(listed)))
        #expect(Set([sleeper, quick, other]).isSubset(of: Set(Orphans.children())))
    }
}

/// The record of crossrun's children: `--isolate`'s jobs start tests at the same time, and the sweep never sees a
/// child started but not recorded.
@Suite("the record of crossrun's children")
struct LiveChildrenTests {
    @Test("two starts run at the same time (one waits inside its start for the other to begin), and a look at the record waits for a start under way and then sees its pid")
    func startsOverlap() {
        let first: pid_t = 2_000_000_001, second: pid_t = 2_000_000_002
        let firstInside = DispatchSemaphore(value: 0), secondInside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let overlapped = LockedFlag()
        let done = DispatchGroup()
        done.enter()
        Thread.detachNewThread {
            _ = LiveChildren.starting {
                firstInside.signal()
                // With one lock for every start, the second could not begin until this one ended.
                overlapped.set(secondInside.wait(timeout: .now() + 5) == .success)
                release.wait()
                return .success(first)
            }
            done.leave()
        }
        firstInside.wait()
        done.enter()
        Thread.detachNewThread {
            _ = LiveChildren.starting {
                secondInside.signal()
                return .success(second)
            }
            done.leave()
        }
        // The look waits for the first start, still under way, and then sees its pid.
        let looked = LockedFlag()
        done.enter()
        Thread.detachNewThread {
            looked.set(LiveChildren.withRecorded { $0.contains(first) && $0.contains(second) })
            done.leave()
        }
        usleep(100_000)
        release.signal()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(overlapped.value)
        #expect(looked.value)
        LiveChildren.reaped(first)
        LiveChildren.reaped(second)
        #expect(LiveChildren.withRecorded { !$0.contains(first) && !$0.contains(second) })
    }
}

private final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set(_ value: Bool) { lock.withLock { flag = value } }
    var value: Bool { lock.withLock { flag } }
}

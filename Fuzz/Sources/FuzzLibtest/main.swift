import Foundation
import FuzzDriver

@testable import CrossRunKit

/// One input: a test process's stdout. The first byte chooses where the bytes are split into two chunks (a line
/// across chunks) and whether the fast path is on; the rest is the output. Any result is fine; a trap is the bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let control = start.load(as: UInt8.self)
    let output = UnsafeRawBufferPointer(start: start + 1, count: count - 1)
    var collector = TestRunCollector()
    collector.usesFastPath = control & 1 == 0
    let split = min(Int(control >> 1) * output.count / 127, output.count)
    collector.consumeStdout(UnsafeRawBufferPointer(rebasing: output[..<split]))
    collector.consumeStdout(UnsafeRawBufferPointer(rebasing: output[split...]))
    var progress = TestProgress(limit: Configured(.seconds(1), from: .builtIn))
    progress.consume(UnsafeRawBufferPointer(rebasing: output[split...]))
    _ = progress.check(collector)
    let (tests, counts) = collector.finish(status: control & 2 == 0 ? .exited(0) : .signaled(11), suiteName: "fuzz")
    let result = RunResult.Counts(tests: tests, unnamed: collector.unnamedCounts, libtest: counts)
    _ = result.tests
    return 0
}

// libFuzzer's driver (FuzzDriver) runs `fuzz` on generated inputs.
runFuzzer(fuzz)

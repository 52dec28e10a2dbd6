import Foundation
import FuzzDriver

@testable import CrossRunKit
@testable import CrossRunTools

enum Shared {
    static let catalog = try? TargetCatalog.builtIn()
}

/// One input: a file's bytes. Any result or CrossRunError is fine; a trap is the bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    if let info = try? BinaryInspector.inspect(path: "fuzz.bin", bytes: bytes) {
        _ = info.summary
        _ = info.environment
        _ = Shared.catalog?.definition(for: info)
    }
    _ = try? GuestLibraries.neededLibraries(elf: bytes)
    return 0
}

// libFuzzer's driver (FuzzDriver) runs `fuzz` on generated inputs.
runFuzzer(fuzz)

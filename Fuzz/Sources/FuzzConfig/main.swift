import Foundation
import FuzzDriver

@testable import CrossRunKit

enum Shared {
    static let catalog = try? TargetCatalog.builtIn()
}

/// One input: a crossrun.toml's text. Any configuration or CrossRunError is fine; a trap is the bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    guard let file = try? ConfigFile.parse(toml: text, path: "/fuzz/crossrun.toml") else { return 0 }
    for definition in Shared.catalog?.definitions ?? [] {
        let settings = file.settings(for: definition)
        _ = settings.timeout.map { DurationText.format($0.value) }
        _ = settings.testTimeout.map { DurationText.format($0.value) }
    }
    _ = file.killGrace.map { DurationText.format($0.value) }
    return 0
}

// libFuzzer's driver (FuzzDriver) runs `fuzz` on generated inputs.
runFuzzer(fuzz)

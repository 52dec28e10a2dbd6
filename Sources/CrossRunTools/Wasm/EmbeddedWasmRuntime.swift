import CrossRunKit
import Foundation
import WasmKit
import WasmKitWASI
import WASI
import Glibc

/// Runs a wasm32-wasip1 (wasm32-wasi, WASI preview 1) module in this process with WasmKit, so `cargo test --target wasm32-wasi`
/// works with nothing installed. crossrun starts crossrun-tools as a child (`crossrun-tools wasm-run ...`) to do this, so the
/// module runs through the same pipeline as an emulator: own process group, output teed, status faithful.
public enum EmbeddedWasmRuntime {
    /// The status a trap ends the process with: 128 + SIGABRT, as wasmtime does, since a Rust panic under
    /// wasm's panic=abort and `std::process::abort` both end in a trap.
    public static let trapStatus: Int32 = EmbeddedWasmLauncher.trapStatus

    /// A host folder the module may see, under a guest path.
    public struct Preopen: Sendable, Equatable {
        public var hostPath: String
        public var guestPath: String

        public init(hostPath: String, guestPath: String) {
            self.hostPath = hostPath
            self.guestPath = guestPath
        }
    }

    /// Runs `module` to completion and returns its exit status: `proc_exit(n)` gives n, returning from
    /// `_start` 0, a trap ``trapStatus`` (with the trap's message on stderr). A module that cannot be loaded
    /// throws ``CrossRunError`` `.wasmModuleUnreadable` (status 126).
    public static func run(module path: String, arguments: [String], environment: [String: String], preopens: [Preopen]) throws -> Int32 {
        let module: Module
        do {
            module = try parseWasm(filePath: path)
        } catch {
            throw CrossRunError.wasmModuleUnreadable(path: path, reason: "\(error)")
        }
        do {
            let wasi = try WASIBridgeToHost(
                args: [path] + arguments, environment: environment,
                preopens: preopens.map { WASIBridgeToHost.Preopen(guestPath: $0.guestPath, hostPath: $0.hostPath) })
            let engine = Engine()
            let store = Store(engine: engine)
            var code: UInt32 = 0
            try wasi.runAndClose { wasi in
                var imports = Imports()
                wasi.link(to: &imports, store: store)
                let instance = try module.instantiate(store: store, imports: imports)
                code = try wasi.start(instance)
            }
            return Int32(truncatingIfNeeded: code)
        } catch {  // `start` turns proc_exit into its code; anything thrown is a trap or a load failure
            // The first line says what trapped; WasmKit's wasm backtrace after it is noise in a test log.
            let message = String(describing: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("crossrun: wasm trap: \(message)\n".utf8))
            return trapStatus
        }
    }
}

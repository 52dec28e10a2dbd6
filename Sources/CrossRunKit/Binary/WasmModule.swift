import FoundationEssentials
import Glibc

/// What a WebAssembly file's first 8 bytes say, and (core modules) what its import and export sections say about
/// how it can be run. Every read is bounded: a section is read only when it is no larger than
/// ``maximumSectionSize``, at most ``maximumSections`` section headers are walked, and any doubt (a truncated or
/// malformed section, a kind of import this parser does not know) gives nil, "cannot tell", never a refusal.
public enum WasmModule {
    /// `\0asm`.
    public static let magic: [UInt8] = [0x00, 0x61, 0x73, 0x6D]

    /// A core module (WebAssembly 1.0 and later: version 1, layer 0) or a component (the component model:
    /// version 0x0d, layer 1), from bytes 4..<8 of a file that starts with ``magic``.
    public enum Kind: Equatable, Sendable {
        case core(version: UInt32)
        case component(version: UInt16)
    }

    /// Bytes 4..<8: a 16-bit version and a 16-bit layer, little-endian. Layer 1 is a component; anything else is
    /// read as a core module's 32-bit version, as before components existed.
    public static func kind(header bytes: [UInt8]) -> Kind? {
        guard bytes.count >= 8, Array(bytes[0..<4]) == magic else { return nil }
        let version = UInt16(bytes[4]) | UInt16(bytes[5]) << 8
        let layer = UInt16(bytes[6]) | UInt16(bytes[7]) << 8
        if layer == 1 { return .component(version: version) }
        return .core(version: UInt32(version) | UInt32(layer) << 16)
    }

    /// What a core module imports and exports, as far as running it goes.
    public struct Interface: Equatable, Sendable {
        /// Some import's module is WASI's (`wasi_snapshot_preview1`, `wasi_unstable`, `wasi:...`).
        public var importsWASI: Bool
        /// It exports a function `_start`, a WASI command's entry point.
        public var exportsStart: Bool

        /// Neither: a module built for wasm32-unknown-unknown, which only a JavaScript host (wasm-bindgen) runs.
        public var isUnknownUnknown: Bool { !importsWASI && !exportsStart }
    }

    /// How the refusal of a wasm32-unknown-unknown module names it, and what it says to do instead.
    static let unknownUnknownDescription =
        "a WebAssembly module with no WASI imports and no _start export (wasm32-unknown-unknown), which needs a JavaScript host"
    static let unknownUnknownInstead =
        "run its tests with wasm-bindgen-test-runner (cargo install wasm-bindgen-cli; CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner), or build for wasm32-wasip1"

    /// Sections larger than this are not read (a module's import and export sections are a few kilobytes).
    public static let maximumSectionSize = 1 << 20
    /// Section headers walked at most (a module has 13 kinds of section, plus custom ones).
    public static let maximumSections = 4096

    static let importSection: UInt8 = 2
    static let exportSection: UInt8 = 7

    /// Reads a core module's import and export sections through `read(offset, count)`; nil when it cannot tell.
    public static func interface(read: (UInt64, Int) throws -> [UInt8]) -> Interface? {
        var offset: UInt64 = 8
        var imports: [UInt8]?
        var exports: [UInt8]?
        var walked = 0
        var pastExports = false
        // Sections come in order (custom ones anywhere): the walk ends at the export section or the file's end.
        while exports == nil, walked < maximumSections {
            walked += 1
            guard let head = try? read(offset, 6), !head.isEmpty else { break }  // the end of the file
            var cursor = ByteCursor(head)
            guard let id = cursor.byte(), let size = cursor.leb32() else { return nil }
            let start = offset + UInt64(cursor.position)
            if id == importSection || id == exportSection {
                guard size <= maximumSectionSize, let body = try? read(start, Int(size)), body.count == Int(size) else { return nil }
                if id == importSection { imports = body } else { exports = body }
            } else if (8...12).contains(id) {
                pastExports = true  // start, element, code, data or data count: past where an export section would be
                break
            }
            offset = start + UInt64(size)
        }
        // A file that ended inside a section header, or whose sections run past its end, was caught above. One that
        // ends before an export section or a later one (code, data...) may be a module cut short: cannot tell.
        guard exports != nil || pastExports else { return nil }
        var interface = Interface(importsWASI: false, exportsStart: false)
        if let imports {
            guard let found = importsWASI(imports) else { return nil }
            interface.importsWASI = found
        }
        if let exports {
            guard let found = exportsStart(exports) else { return nil }
            interface.exportsStart = found
        }
        return interface
    }

    /// Whether any import in an import section's body comes from a WASI module; nil when the body cannot be parsed.
    static func importsWASI(_ body: [UInt8]) -> Bool? {
        var cursor = ByteCursor(body)
        guard let count = cursor.leb32() else { return nil }
        for _ in 0..<count {
            guard let module = cursor.name(), cursor.name() != nil, let kind = cursor.byte() else { return nil }
            if module.starts(with: Array("wasi".utf8)) { return true }
            switch kind {
            case 0x00:  // function: type index
                guard cursor.leb32() != nil else { return nil }
            case 0x01:  // table: reference type, limits
                guard let type = cursor.byte(), type == 0x70 || type == 0x6F, cursor.limits() else { return nil }
            case 0x02:  // memory: limits
                guard cursor.limits() else { return nil }
            case 0x03:  // global: value type, mutability
                guard cursor.byte() != nil, cursor.byte() != nil else { return nil }
            case 0x04:  // tag (exception handling): attribute, type index
                guard cursor.byte() != nil, cursor.leb32() != nil else { return nil }
            default:
                return nil
            }
        }
        return false
    }

    /// Whether an export section's body exports a function `_start`; nil when the body cannot be parsed.
    static func exportsStart(_ body: [UInt8]) -> Bool? {
        var cursor = ByteCursor(body)
        guard let count = cursor.leb32() else { return nil }
        for _ in 0..<count {
            guard let name = cursor.name(), let kind = cursor.byte(), cursor.leb32() != nil else { return nil }
            if kind == 0x00, name.elementsEqual("_start".utf8) { return true }
        }
        return false
    }
}

/// Reads WebAssembly's binary encodings from a byte array; every read checks the bounds and returns nil past them.
struct ByteCursor {
    let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    /// An unsigned LEB128 of at most 32 bits (5 bytes).
    mutating func leb32() -> UInt32? {
        var result: UInt32 = 0
        for shift in stride(from: 0, to: 35, by: 7) {
            guard let byte = byte() else { return nil }
            if shift == 28, byte & 0x70 != 0 { return nil }  // more than 32 bits
            result |= UInt32(byte & 0x7F) << UInt32(shift)
            if byte & 0x80 == 0 { return result }
        }
        return nil
    }

    /// A name: a length, then that many bytes.
    mutating func name() -> ArraySlice<UInt8>? {
        guard let length = leb32(), Int(length) <= bytes.count - position else { return nil }
        defer { position += Int(length) }
        return bytes[position..<(position + Int(length))]
    }

    /// Limits: a flag byte (bit 0: a maximum follows; bit 1: shared; bit 2: 64-bit), a minimum and maybe a maximum.
    mutating func limits() -> Bool {
        guard let flags = byte(), flags < 8 else { return false }
        // 64-bit limits are LEB128s of up to 10 bytes; skip them as such.
        let read: (inout ByteCursor) -> Bool = flags & 4 != 0 ? { $0.leb64() } : { $0.leb32() != nil }
        guard read(&self) else { return false }
        return flags & 1 == 0 || read(&self)
    }

    /// Skips an unsigned LEB128 of at most 64 bits.
    mutating func leb64() -> Bool {
        for _ in 0..<10 {
            guard let byte = byte() else { return false }
            if byte & 0x80 == 0 { return true }
        }
        return false
    }
}

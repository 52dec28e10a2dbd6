/// Text from the system that need not be UTF-8 (command-line arguments, file names) carried in a `String`
/// without losing a byte, and text shown on a terminal that must not drive it.
///
/// A Swift `String` holds only valid Unicode, and `CommandLine.arguments` turns every byte that is not UTF-8
/// into U+FFFD. `String(rawBytes:)` instead keeps each such byte as one scalar of a private-use range
/// (U+10FF80 + byte - 0x80, the last 128 code points of plane 16), so every other part of crossrun handles
/// the argument as ordinary text, and `rawBytes` gives back the exact bytes where they leave the process again
/// (`posix_spawn`'s argv, `open`, `stat`). A real scalar of that range in the input is kept as its four bytes,
/// so the round trip is exact for any byte string.
extension String {
    /// The first scalar of the range that stands for raw bytes 0x80-0xFF.
    static let rawByteBase: UInt32 = 0x10FF80

    /// `bytes` (an argument or a path, without its NUL) as text; `rawBytes` gives them back unchanged.
    public init(rawBytes bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        // Most arguments and paths are ASCII: nothing to keep raw.
        if !bytes.contains(where: { $0 >= 0x80 }) {
            self = String(decoding: bytes, as: UTF8.self)
            return
        }
        var scalars = String.UnicodeScalarView()
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        // The parser reads ahead, but consumes the bytes in order: `position` is where the next scalar starts.
        var position = 0
        func keepRaw(_ encoded: some Sequence<UInt8>) {
            for byte in encoded { scalars.append(Unicode.Scalar(String.rawByteBase + UInt32(byte & 0x7F))!) }
        }
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                if scalar.value >= String.rawByteBase { keepRaw(encoded) } else { scalars.append(scalar) }
                position += encoded.count
            case .error(let length):
                keepRaw(bytes[position..<position + length])
                position += length
            case .emptyInput:
                break loop
            }
        }
        self = String(scalars)
    }

    /// The bytes this text stands for: UTF-8, with each raw-byte scalar back as its byte.
    public var rawBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            if scalar.value >= String.rawByteBase {
                bytes.append(UInt8(scalar.value - String.rawByteBase) | 0x80)
            } else {
                bytes.append(contentsOf: UTF8.encode(scalar)!)
            }
        }
        return bytes
    }

    /// Whether the text holds a raw byte (a byte that is not UTF-8 in the original).
    public var hasRawBytes: Bool { unicodeScalars.contains { $0.value >= String.rawByteBase } }

    /// Calls `body` with the bytes as a NUL-terminated C string (a path for `open`, `stat`, `posix_spawn`).
    public func withRawCString<Result>(_ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        guard hasRawBytes else { return try withCString(body) }
        let bytes = rawBytes.map { CChar(bitPattern: $0) } + [0]
        return try bytes.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// The text with each raw byte as U+FFFD, as `CommandLine.arguments` would show it: for names in reports.
    public var replacingRawBytes: String {
        guard hasRawBytes else { return self }
        return String(String.UnicodeScalarView(unicodeScalars.map { $0.value >= String.rawByteBase ? "\u{FFFD}" : $0 }))
    }

    /// The text safe to print on one terminal line: control characters (C0, DEL, C1, such as ESC and newline),
    /// Unicode's bidirectional overrides and raw bytes become visible escapes (`\n`, `\t`, `\r`, `\x1b`,
    /// `\u{202e}`, and `\xff` for a byte that is not UTF-8); everything else is unchanged. For every message that
    /// quotes text from a file or the command line (an archive entry's name, an ELF interpreter, a path), so
    /// an error stays one line and cannot move the cursor, change colours or retitle the terminal.
    public var escapedForTerminal: String {
        guard unicodeScalars.contains(where: Self.needsEscape) else { return self }
        var result = ""
        result.reserveCapacity(utf8.count + 16)
        for scalar in unicodeScalars {
            guard Self.needsEscape(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value >= String.rawByteBase {
                    result += "\\x" + String(scalar.value - String.rawByteBase + 0x80, radix: 16)
                } else if scalar.value <= 0xFF {
                    result += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    result += "\\u{" + String(scalar.value, radix: 16) + "}"
                }
            }
        }
        return result
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        // Bidirectional embeddings, overrides and isolates, and the marks: they reorder what follows on the line.
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        case 0x2028, 0x2029: return true  // line and paragraph separators
        case String.rawByteBase...: return true
        default: return false
        }
    }
}

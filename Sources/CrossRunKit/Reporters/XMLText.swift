/// Makes any text safe for an XML 1.0 document: ANSI escape sequences are removed and the characters XML 1.0
/// forbids even as references (most C0 controls, U+FFFE, U+FFFF) become U+FFFD. Invalid UTF-8 was already
/// replaced when the bytes were decoded.
public enum XMLText {
    public static func sanitize(_ text: String) -> String {
        // Nearly every name and attribute is printable ASCII: one pass over the bytes finds nothing to change.
        if ByteSearch.allBytes(of: text, { (0x20...0x7E).contains($0) || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) { return text }
        let stripped = ANSI.strip(text)
        guard stripped.unicodeScalars.contains(where: { !isAllowed($0) }) else { return stripped }
        var scalars = String.UnicodeScalarView()
        for scalar in stripped.unicodeScalars {
            scalars.append(isAllowed(scalar) ? scalar : "\u{FFFD}")
        }
        return String(scalars)
    }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD: return true
        case 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// Seconds as a plain decimal with millisecond precision (`0.004`), never an exponent.
    public static func seconds(_ value: Double) -> String {
        // Negative, NaN and absurd values (a test's own print can look like `<1e999s>`) are clamped.
        guard value.isFinite else { return "0.000" }
        let milliseconds = min(max(0, (value * 1000).rounded()), 1e15)
        let whole = Int(milliseconds) / 1000
        let fraction = Int(milliseconds) % 1000
        return "\(whole)." + String(fraction).leftPadded(to: 3)
    }
}

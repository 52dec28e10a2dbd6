import FoundationEssentials
import Glibc

/// Removes ANSI escape sequences (colours, cursor moves) from text.
public enum ANSI {
    public static func strip(_ text: String) -> String {
        guard ByteSearch.contains(0x1B, in: text) else { return text }
        var result = String.UnicodeScalarView()
        var iterator = text.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            guard scalar == "\u{1B}" else {
                result.append(scalar)
                continue
            }
            guard let kind = iterator.next() else { break }
            switch kind {
            case "[":  // CSI: parameters and intermediates, then one final byte 0x40-0x7E
                while let next = iterator.next() {
                    if (0x40...0x7E).contains(next.value) { break }
                }
            case "]":  // OSC: ends with BEL or ESC \; an unterminated one ends at the line's end
                while let next = iterator.next() {
                    if next == "\u{07}" { break }
                    if next == "\u{1B}" {
                        _ = iterator.next()
                        break
                    }
                    if next == "\n" {
                        result.append(next)
                        break
                    }
                }
            case " "..."/":  // intermediate bytes (`ESC ( B` selects a character set), then one final byte
                while let next = iterator.next() {
                    if (0x30...0x7E).contains(next.value) { break }
                }
            default:  // a two-character sequence (`ESC =`, `ESC 7`, ...)
                break
            }
        }
        return String(result)
    }
}

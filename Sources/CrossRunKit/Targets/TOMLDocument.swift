import TOMLKit
import Glibc

/// Parses TOML text for every reader of TOML files (crossrun.toml, the user config, runner definitions, sysroot
/// manifests, .cargo/config.toml), after two checks TOMLKit's parser (toml++ 3) lacks. Where toml++ asserts
/// instead of reporting a parse error (an abort in a debug build, undefined behaviour in a release build), the
/// text is refused first: a table header whose key starts with a character no key can start with (`[!x]`, `[=]`,
/// `[+a]`, a control character), a `}` inside an array (`a = [}]`), and a date followed by a one-digit time
/// (`a = 2024-01-01 1`). All found by the fuzzing harness (docs/reliability.md, "Fuzzing").
package enum TOMLDocument {
    struct SyntaxError: Error, CustomStringConvertible {
        var line: Int
        var column: Int
        var message: String
        var description: String { message }
    }

    package static func table(_ text: String) throws -> TOMLTable {
        if let error = assertingSyntax(in: text) { throw error }
        return try TOMLTable(string: text)
    }

    /// Whether `bytes[start..<end]` is a word of 10 characters besides `_` with `-` at 4 and 7 (a date's shape),
    /// followed by one space and one digit that no second digit follows (`2024-01-01 1`): toml++ reads on for a
    /// time and asserts where the value ends. Never valid TOML (a time's hour has two digits).
    static func isDateThenOneDigit(_ bytes: [UInt8], start: Int, end: Int) -> Bool {
        let word = bytes[start..<end].filter { $0 != UInt8(ascii: "_") }
        guard word.count == 10, word[4] == UInt8(ascii: "-"), word[7] == UInt8(ascii: "-"),
            end + 1 < bytes.count, bytes[end] == UInt8(ascii: " "), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end + 1])
        else { return false }
        // A time has two digits for the hour: anything else after the one digit (toml++ counts Unicode spaces,
        // even U+FEFF, as the end of the value) is never valid.
        return end + 2 == bytes.count || !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end + 2])
    }

    /// What ends a bare word (a key, a number, a date): white space, brackets, braces, a comma, a comment, a quote.
    static func isWordEnd(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: "]"), UInt8(ascii: "}"),
            UInt8(ascii: ","), UInt8(ascii: "#"), UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: "\""), UInt8(ascii: "'"):
            return true
        default:
            return false
        }
    }

    /// The first table header (`[` or `[[` at the start of a line, outside strings, comments, arrays and inline
    /// tables) whose key does not start with a bare-key character, a quote, or `]` (which toml++ reports itself),
    /// or the first `}` whose innermost open bracket is an array's `[`.
    static func assertingSyntax(in text: String) -> SyntaxError? {
        let bytes = Array(text.utf8)
        // toml++ skips a UTF-8 byte order mark: the first line starts after it.
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        var lineStart = index
        var open: [UInt8] = []  // the `[` of arrays and `{` of inline tables not closed yet
        var atLineStart = true
        func isBareKey(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                lineStart = index + 1
                atLineStart = true
                index += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
                continue
            case UInt8(ascii: "#"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let escapes = byte == UInt8(ascii: "\"")
                if index + 2 < bytes.count, bytes[index + 1] == byte, bytes[index + 2] == byte {
                    // A multi-line string: up to the next unescaped triple quote (plus up to two more quotes).
                    index += 3
                    while index < bytes.count {
                        if escapes, bytes[index] == UInt8(ascii: "\\") {
                            index += 2
                            continue
                        }
                        if bytes[index] == UInt8(ascii: "\n") {
                            line += 1
                            lineStart = index + 1
                        }
                        if index + 2 < bytes.count, bytes[index] == byte, bytes[index + 1] == byte, bytes[index + 2] == byte {
                            index += 3
                            var extra = 0
                            while extra < 2, index < bytes.count, bytes[index] == byte {
                                index += 1
                                extra += 1
                            }
                            break
                        }
                        index += 1
                    }
                } else {
                    index += 1
                    while index < bytes.count, bytes[index] != byte, bytes[index] != UInt8(ascii: "\n") {
                        index += escapes && bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                    }
                    if index < bytes.count, bytes[index] == byte { index += 1 }
                }
                atLineStart = false
                continue
            case UInt8(ascii: "["):
                if open.isEmpty && atLineStart {
                    var next = index + 1
                    if next < bytes.count, bytes[next] == UInt8(ascii: "[") { next += 1 }
                    while next < bytes.count, bytes[next] == UInt8(ascii: " ") || bytes[next] == UInt8(ascii: "\t") { next += 1 }
                    if next < bytes.count {
                        let first = bytes[next]
                        if !(isBareKey(first) || first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") || first == UInt8(ascii: "]")) {
                            let shown = first >= 0x20 && first < 0x7F ? "'\(Character(UnicodeScalar(first)))'" : "byte 0x" + String(first, radix: 16)
                            return SyntaxError(
                                line: line, column: next - lineStart + 1,
                                message: "a table header's name must start with a letter, a digit, _, - or a quote, not \(shown)")
                        }
                    }
                    index = next
                    atLineStart = false
                    continue
                }
                open.append(byte)
            case UInt8(ascii: "{"):
                open.append(byte)
            case UInt8(ascii: "}"):
                if open.last == UInt8(ascii: "[") {
                    return SyntaxError(
                        line: line, column: index - lineStart + 1, message: "'}' inside an array, which holds values separated by commas and ends with ']'")
                }
                _ = open.popLast()
            case UInt8(ascii: "]"):
                _ = open.popLast()
            case UInt8(ascii: ","), UInt8(ascii: "="):
                break
            default:
                // A bare word: a key, or a value such as a number or a date.
                let start = index
                while index < bytes.count, !isWordEnd(bytes[index]) { index += 1 }
                if isDateThenOneDigit(bytes, start: start, end: index) {
                    return SyntaxError(
                        line: line, column: start - lineStart + 1,
                        message: "a date followed by a one-digit time; write a whole time (2024-01-01 12:00:00) or quote the text")
                }
                atLineStart = false
                continue
            }
            atLineStart = false
            index += 1
        }
        return nil
    }
}

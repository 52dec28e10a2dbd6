import CrossRunKit
import Foundation
import TOMLKit
import Glibc

/// Edits the text of a `.cargo/config.toml` so that `[target.<triple>]` tables name crossrun as their runner,
/// touching nothing else: comments, order, formatting and every other setting stay as they were. The result is
/// checked by parsing it with TOMLKit.
public struct CargoConfigEditor: Sendable {
    /// What one target needs in its table.
    public struct Entry: Equatable, Sendable {
        public var triple: String
        /// The linker to set when the table has none (nil: leave linker alone).
        public var linker: String?

        public init(triple: String, linker: String? = nil) {
            self.triple = triple
            self.linker = linker
        }
    }

    /// One change made, for the summary.
    public enum Change: Equatable, Sendable, CustomStringConvertible {
        case addedTable(triple: String)
        case setRunner(triple: String, previous: String?)
        case setLinker(triple: String, linker: String)

        public var description: String {
            switch self {
            case .addedTable(let triple): return "added [target.\(triple)]"
            case .setRunner(let triple, let previous?): return "[target.\(triple)] runner: \(previous) -> \"crossrun\""
            case .setRunner(let triple, nil): return "[target.\(triple)] runner = \"crossrun\""
            case .setLinker(let triple, let linker): return "[target.\(triple)] linker = \"\(linker)\""
            }
        }
    }

    public var runner = "crossrun"

    public init() {}

    /// `text` with every entry's table naming crossrun as its runner, and the changes made (none when it did
    /// already). `source` names the file in errors.
    public func apply(_ entries: [Entry], to text: String, source: String) throws -> (text: String, changes: [Change]) {
        let parsed = try Self.parse(text, source: source)
        var lines = Self.splitLines(text)
        var changes: [Change] = []
        for entry in entries {
            let existing = parsed["target"]?.table?[entry.triple]
            let hasRunner = existing?.table?["runner"] != nil
            let runnerIsCrossrun = existing?.table?["runner"]?.string == runner
            let wantsLinker = entry.linker != nil && existing?.table?["linker"] == nil
            if runnerIsCrossrun && !wantsLinker { continue }
            if existing == nil {
                // A new table at the end, after one blank line.
                while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
                if !lines.isEmpty { lines.append("") }
                lines.append("[target.\(Self.key(entry.triple))]")
                if let linker = entry.linker { lines.append("linker = \(Self.quoted(linker))") }
                lines.append("runner = \(Self.quoted(runner))")
                changes.append(.addedTable(triple: entry.triple))
                continue
            }
            guard let header = Self.headerLine(of: entry.triple, in: lines) else {
                throw CrossRunError.invalidConfiguration(
                    file: source,
                    reason: "[target.\(entry.triple)] is written as dotted keys or an inline table, which crossrun setup does not rewrite; add runner = \"crossrun\" to it by hand")
            }
            let end = Self.sectionEnd(after: header, in: lines)
            var insertAt = Self.lastSettingLine(from: header, to: end, in: lines) + 1
            if wantsLinker, let linker = entry.linker {
                lines.insert("linker = \(Self.quoted(linker))", at: insertAt)
                insertAt += 1
                changes.append(.setLinker(triple: entry.triple, linker: linker))
            }
            if runnerIsCrossrun { continue }
            let sectionEnd = Self.sectionEnd(after: header, in: lines)
            if hasRunner, let runnerLine = (header + 1..<sectionEnd).first(where: { Self.isKey("runner", lines[$0]) }) {
                // Replace the value, keeping the line's indentation; a multi-line array runs to its closing bracket.
                var last = runnerLine
                if Self.openBrackets(lines[runnerLine]) > 0 {
                    var depth = Self.openBrackets(lines[runnerLine])
                    while depth > 0 && last + 1 < sectionEnd {
                        last += 1
                        depth += Self.openBrackets(lines[last])
                    }
                }
                let previous = (runnerLine...last).map { index in
                    let line = lines[index]
                    return String(line[..<(Self.scan(line).comment ?? line.endIndex)]).trimmingCharacters(in: .whitespaces)
                }.joined(separator: " ")
                    .split(separator: "=", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
                let indentation = String(lines[runnerLine].prefix { $0 == " " || $0 == "\t" })
                // The comment at the end of the replaced value stays (the user's note on the line).
                let comment = Self.trailingComment(lines[last]).map { " " + $0 } ?? ""
                lines.replaceSubrange(runnerLine...last, with: [indentation + "runner = \(Self.quoted(runner))" + comment])
                changes.append(.setRunner(triple: entry.triple, previous: previous))
            } else {
                lines.insert("runner = \(Self.quoted(runner))", at: insertAt)
                changes.append(.setRunner(triple: entry.triple, previous: nil))
            }
        }
        var result = lines.joined(separator: "\n")
        if !result.isEmpty && !result.hasSuffix("\n") { result += "\n" }
        if changes.isEmpty { return (text, []) }
        // The edit must still be TOML, and must say what was meant.
        let check = try Self.parse(result, source: source + " (as crossrun setup would write it)")
        for entry in entries where check["target"]?.table?[entry.triple]?.table?["runner"]?.string != runner {
            throw CrossRunError.invalidConfiguration(
                file: source, reason: "crossrun setup could not set runner for [target.\(entry.triple)]; add runner = \"crossrun\" to it by hand")
        }
        return (result, changes)
    }

    static func parse(_ text: String, source: String) throws -> TOMLTable {
        do {
            return try TOMLDocument.table(text)
        } catch {
            throw CrossRunError.invalidConfiguration(file: source, reason: "not valid TOML (\(TOMLErrors.describe(error))), so crossrun setup left it alone")
        }
    }

    /// Lines without their terminators; a final newline does not make an empty last line.
    static func splitLines(_ text: String) -> [String] {
        // By Unicode scalars: to String, "\r\n" is one Character that "\n" does not match.
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if current.last == "\r" { current.removeLast() }
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    /// A table key: bare when TOML allows it, else quoted.
    static func key(_ name: String) -> String {
        let bare = !name.isEmpty && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" || $0 == "_" }
        return bare ? name : quoted(name)
    }

    /// A TOML basic string.
    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// The line index of `[target.<triple>]` (bare, "quoted" or 'literal' key, any spacing, trailing comment).
    static func headerLine(of triple: String, in lines: [String]) -> Int? {
        lines.firstIndex { line in
            guard let keys = tableHeaderKeys(line), keys.count == 2 else { return false }
            return keys[0] == "target" && keys[1] == triple
        }
    }

    /// The dotted keys of a `[a.b]` table header line, unquoted; nil for any other line (and for `[[array]]`).
    static func tableHeaderKeys(_ line: String) -> [String]? {
        var scanner = Substring(line.trimmingCharacters(in: .whitespaces))
        guard scanner.hasPrefix("["), !scanner.hasPrefix("[[") else { return nil }
        scanner = scanner.dropFirst()
        var keys: [String] = []
        while true {
            scanner = scanner.drop { $0 == " " || $0 == "\t" }
            guard let first = scanner.first else { return nil }
            var key = ""
            if first == "\"" || first == "'" {
                scanner = scanner.dropFirst()
                var closed = false
                while let character = scanner.first {
                    scanner = scanner.dropFirst()
                    if character == first { closed = true; break }
                    if first == "\"" && character == "\\", let escaped = scanner.first {
                        scanner = scanner.dropFirst()
                        key.append(escaped)
                        continue
                    }
                    key.append(character)
                }
                guard closed else { return nil }
            } else {
                key = String(scanner.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
                guard !key.isEmpty else { return nil }
                scanner = scanner.dropFirst(key.count)
            }
            keys.append(key)
            scanner = scanner.drop { $0 == " " || $0 == "\t" }
            if scanner.first == "." {
                scanner = scanner.dropFirst()
                continue
            }
            guard scanner.first == "]" else { return nil }
            scanner = scanner.dropFirst().drop { $0 == " " || $0 == "\t" }
            return scanner.isEmpty || scanner.hasPrefix("#") ? keys : nil
        }
    }

    /// The index after the last line of the table whose header is at `header`: the next table header, or the end.
    static func sectionEnd(after header: Int, in lines: [String]) -> Int {
        var index = header + 1
        while index < lines.count {
            let trimmed = lines[index].trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") { return index }
            index += 1
        }
        return lines.count
    }

    /// The last line in the table that is neither blank nor a comment (the header itself when there is none), so
    /// that new keys go after the existing ones and before comments that introduce the next table.
    static func lastSettingLine(from header: Int, to end: Int, in lines: [String]) -> Int {
        var last = header
        for index in header + 1..<max(end, header + 1) {
            let trimmed = lines[index].trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty && !trimmed.hasPrefix("#") { last = index }
        }
        return last
    }

    static func isKey(_ key: String, _ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        for candidate in [key, "\"\(key)\"", "'\(key)'"] where trimmed.hasPrefix(candidate) {
            let rest = trimmed.dropFirst(candidate.count).drop { $0 == " " || $0 == "\t" }
            if rest.hasPrefix("=") { return true }
        }
        return false
    }

    /// `[` minus `]` outside strings and comments on one line.
    static func openBrackets(_ line: String) -> Int {
        scan(line).depth
    }

    /// The line's comment (from its `#` outside strings to the end), or nil.
    static func trailingComment(_ line: String) -> Substring? {
        scan(line).comment.map { line[$0...] }
    }

    /// One pass over a line outside strings: the bracket depth before any comment, and where the comment starts.
    static func scan(_ line: String) -> (depth: Int, comment: String.Index?) {
        var depth = 0
        var quote: Character?
        var escaped = false
        for index in line.indices {
            let character = line[index]
            if let open = quote {
                if escaped { escaped = false } else if character == "\\" && open == "\"" { escaped = true } else if character == open { quote = nil }
                continue
            }
            switch character {
            case "\"", "'": quote = character
            case "#": return (depth, index)
            case "[": depth += 1
            case "]": depth -= 1
            default: break
            }
        }
        return (depth, nil)
    }
}

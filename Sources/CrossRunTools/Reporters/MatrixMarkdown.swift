import CrossRunKit
import Foundation
import Glibc

/// The matrix as GitHub-flavoured Markdown for a CI job summary (`$GITHUB_STEP_SUMMARY`, which GitHub cuts off at
/// 1 MiB per step): the headline, a totals table per target, the rows that differ between targets, then the rows
/// that failed everywhere (each failing cell links to its message and output further down), then only a count of
/// the rest. Kept under `limit` bytes: rows and messages that would pass it are counted, not listed.
public enum MatrixMarkdown {
    /// GitHub's limit is 1 MiB (1,048,576 bytes) per step; this leaves room for a line before or after.
    public static let defaultLimit = 1_000_000
    /// One message-and-output block at most this many bytes of text.
    static let messageLimit = 4096

    public static func render(_ matrix: Matrix, limit: Int = defaultLimit) -> String {
        var head = "## crossrun: tests across targets\n\n"
        head += escape(matrix.headline) + ".\n\n"
        head += "| Target | Passed | Failed | Ignored | Errors | Not run | Flaky | Runs | Time |\n"
        head += "| :-- | --: | --: | --: | --: | --: | --: | --: | --: |\n"
        for (target, totals) in zip(matrix.targets, matrix.totals) {
            head += "| \(escape(target)) | \(totals.count(.passed)) | \(totals.count(.failed)) | \(totals.count(.ignored)) | "
                + "\(totals.count(.error)) | \(totals.count(.notRun)) | \(totals.flaky) | \(totals.runs) | \(String(format: "%.2fs", totals.duration)) |\n"
        }
        let reserve = 4096  // the closing lines, and the counts of what was left out
        var used = head.utf8.count + reserve
        // Group by group, differences first: the table rows as long as they fit (for the failures, in half of
        // what is left, so that messages get the other half), then the messages of the rows listed.
        let listedGroups: [Matrix.Group] = [.differs, .failed]
        var listed: [Matrix.Group: [Matrix.Row]] = [:]
        var unlisted: [Matrix.Group: Int] = [:]
        let tableHead = tableHeader(matrix)
        var blocks: [String] = []
        var linked = Set<String>()
        var messagesLeft = 0
        for group in listedGroups {
            let rows = matrix.rows.filter { $0.group == group }
            guard !rows.isEmpty else { continue }
            used += tableHead.utf8.count + 120
            let rowLimit = group == .differs ? limit : used + max(0, limit - used) / 2
            for row in rows {
                // Its size with every failing cell linked, the most it can take.
                let line = tableRow(row, matrix: matrix, linked: Set(matrix.targets.map { anchor(row, $0) }))
                if used + line.utf8.count > rowLimit {
                    unlisted[group, default: 0] += 1
                    continue
                }
                used += line.utf8.count
                listed[group, default: []].append(row)
            }
            for row in listed[group] ?? [] {
                for (target, cell) in zip(matrix.targets, row.cells) where cell.state.isFailure {
                    let block = messageBlock(row: row, target: target, cell: cell)
                    if used + block.utf8.count > limit {
                        messagesLeft += 1
                        continue
                    }
                    used += block.utf8.count
                    blocks.append(block)
                    linked.insert(anchor(row, target))
                }
            }
        }
        var text = head
        for group in listedGroups {
            let rows = listed[group] ?? []
            let total = rows.count + (unlisted[group] ?? 0)
            guard total > 0 else { continue }
            text += "\n### " + (group == .differs ? "Differs between targets" : "Failed on every target that ran it") + " (\(total))\n\n"
            text += tableHead
            for row in rows { text += tableRow(row, matrix: matrix, linked: linked) }
            if let left = unlisted[group], left > 0 {
                text += "\n\(left) more not listed here, to keep this summary under GitHub's size limit: the HTML page (`crossrun report matrix --html`) lists them all.\n"
            }
        }
        if !blocks.isEmpty || messagesLeft > 0 {
            text += "\n### Messages and output\n"
            for block in blocks { text += block }
            if messagesLeft > 0 {
                text += "\n\(messagesLeft) more messages left out to keep this summary under GitHub's size limit: the HTML page has them.\n"
            }
        }
        let same = matrix.rows.filter { $0.group == .same }
        if !same.isEmpty {
            var byState: [String: Int] = [:]
            for row in same {
                byState[row.cells.first { $0.state != .noRun }.map(Matrix.label) ?? "no run", default: 0] += 1
            }
            let parts = byState.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            text += "\n### The same on every target (\(same.count))\n\n\(escape(parts)); not listed here.\n"
        }
        return text
    }

    static func tableHeader(_ matrix: Matrix) -> String {
        "| Test | " + matrix.targets.map(escape).joined(separator: " | ") + " |\n"
            + "| :-- |" + String(repeating: " :-- |", count: matrix.targets.count) + "\n"
    }

    static func tableRow(_ row: Matrix.Row, matrix: Matrix, linked: Set<String>) -> String {
        var line = "| " + escape(Matrix.title(of: row)) + " |"
        for (target, cell) in zip(matrix.targets, row.cells) {
            let label = symbol(cell) + " " + escape(Matrix.label(cell))
            let id = anchor(row, target)
            line += " " + (linked.contains(id) ? "[\(label)](#\(id))" : label) + " |"
        }
        return line + "\n"
    }

    static func symbol(_ cell: Matrix.Cell) -> String {
        switch cell.state {
        case .passed: return cell.flaky ? "⚠️" : "✅"
        case .failed, .error: return "❌"
        case .ignored: return "⏭️"
        case .measured: return "📏"
        case .notRun, .noRun: return "➖"
        }
    }

    /// `t3-armv7`: the row's id and the target, with anything but letters, digits, `-`, `_` and `.` as `_`.
    static func anchor(_ row: Matrix.Row, _ target: String) -> String {
        row.id + "-" + String(target.unicodeScalars.map { scalar -> Character in
            let value = scalar.value
            let plain = (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value)
                || scalar == "-" || scalar == "_" || scalar == "."
            return plain ? Character(scalar) : "_"
        })
    }

    static func messageBlock(row: Matrix.Row, target: String, cell: Matrix.Cell) -> String {
        var body = ""
        if let message = cell.message, !message.isEmpty { body += message }
        if let output = cell.output, !output.isEmpty, output != cell.message {
            body += (body.isEmpty ? "" : "\n\n") + "---- output ----\n" + output
        }
        if body.isEmpty { body = "(no message)" }
        body = clean(body)
        if body.utf8.count > messageLimit {
            // The start (the panic message) and the end (where the output stopped).
            let head = String(decoding: Array(body.utf8.prefix(messageLimit / 4)), as: UTF8.self)
            let tail = String(decoding: Array(body.utf8.suffix(messageLimit * 3 / 4)), as: UTF8.self)
            body = head + "\n[… \(body.utf8.count - head.utf8.count - tail.utf8.count) bytes left out …]\n" + tail
        }
        var fence = "```"
        while body.contains(fence) { fence += "`" }
        let attempts = cell.attempts > 1 ? " (\(cell.attempts) attempts)" : ""
        return "\n<a id=\"\(anchor(row, target))\"></a>\n**\(escape(target))**: \(escape(Matrix.title(of: row))): "
            + escape(Matrix.label(cell)) + attempts + "\n\n" + fence + "text\n" + body + "\n" + fence + "\n"
    }

    /// Text for a fenced block: ANSI sequences and control characters other than newline and tab removed.
    static func clean(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in ANSI.strip(text).unicodeScalars {
            if scalar == "\n" || scalar == "\t" || !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)) {
                result.append(scalar)
            } else if scalar == "\r" {
                continue
            } else {
                result.append("\u{FFFD}")
            }
        }
        return String(result)
    }

    /// Inline text: Markdown's punctuation backslash-escaped (valid for any ASCII punctuation in CommonMark, and
    /// `|` so a table cell stays one cell), line breaks and control characters as spaces.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in ANSI.strip(text).unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                result += " "
            } else if "\\`*_{}[]<>()#+-!|~&$".unicodeScalars.contains(scalar) {
                result += "\\"
                result.unicodeScalars.append(scalar)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

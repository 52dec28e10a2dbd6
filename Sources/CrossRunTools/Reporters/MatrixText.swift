import CrossRunKit
import Foundation
import Glibc

/// The matrix as plain text for a terminal (`crossrun report matrix` on stdout): the headline, each target's
/// totals, every row that differs or failed with its cells (and each failing cell's message on one line),
/// then how many rows are the same everywhere. Colour only when asked for (stdout is a terminal).
public enum MatrixText {
    public static func render(_ matrix: Matrix, colour: Bool = false) -> String {
        func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        func painted(_ cell: Matrix.Cell, width: Int) -> String {
            let label = Matrix.label(cell)
            let padded = label.padding(toLength: max(width, label.count), withPad: " ", startingAt: 0)
            switch cell.state {
            case .failed, .error: return paint(padded, "1;31")
            case .passed: return paint(padded, cell.flaky ? "33" : "32")
            case .notRun, .noRun: return paint(padded, "2")
            default: return paint(padded, "33")
            }
        }
        var lines: [String] = [matrix.headline.escapedForTerminal + "."]
        let targetWidth = matrix.targets.map(\.count).max() ?? 0
        for (target, totals) in zip(matrix.targets, matrix.totals) {
            lines.append("  " + target.escapedForTerminal.padding(toLength: targetWidth, withPad: " ", startingAt: 0) + "  " + Matrix.totalsText(totals))
        }
        let width = max(8, matrix.targets.map(\.count).max() ?? 0, matrix.rows.flatMap { $0.cells.map { Matrix.label($0).count } }.max() ?? 0)
        for group in [Matrix.Group.differs, .failed] {
            let rows = matrix.rows.filter { $0.group == group }
            guard !rows.isEmpty else { continue }
            lines.append("")
            lines.append(paint(group == .differs ? "Differs between targets (\(rows.count)):" : "Failed on every target that ran it (\(rows.count)):", "1"))
            lines.append("  " + matrix.targets.map { $0.escapedForTerminal.padding(toLength: width, withPad: " ", startingAt: 0) }.joined(separator: " ") + "  test")
            for row in rows {
                let cells = row.cells.map { painted($0, width: width) }.joined(separator: " ")
                lines.append("  " + cells + "  " + Matrix.title(of: row).escapedForTerminal)
                for (target, cell) in zip(matrix.targets, row.cells) where cell.state.isFailure {
                    if let message = Matrix.oneLine(cell.message) {
                        lines.append("      " + target.escapedForTerminal + ": " + message.escapedForTerminal)
                    }
                }
            }
        }
        let same = matrix.rows.filter { $0.group == .same }
        if !same.isEmpty {
            var byState: [String: Int] = [:]
            for row in same {
                let state = row.cells.first { $0.state != .noRun }.map(Matrix.label) ?? "no run"
                byState[state, default: 0] += 1
            }
            let parts = byState.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            lines.append("")
            lines.append("The same on every target: \(same.count) test\(same.count == 1 ? "" : "s") (\(parts)).")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

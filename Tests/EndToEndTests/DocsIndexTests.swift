import Foundation
import Testing

/// docs/README.md is the index of docs/: one Markdown table, under its header, with a row for every page.
struct DocsIndexTests {
    @Test("docs/README.md's table: one block of rows under its header, a row for every docs/ page")
    func index() throws {
        let docs = packageRoot.appendingPathComponent("docs")
        let text = try String(contentsOf: docs.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Every table line belongs to the one block that starts at the header and its |---| rule: a row after a
        // blank line or after prose would render as a paragraph of raw pipes.
        let header = try #require(lines.firstIndex(of: "| Document | What it covers |"))
        #expect(lines[header + 1] == "|---|---|")
        let end = lines[(header + 2)...].firstIndex { !$0.hasPrefix("|") } ?? lines.count
        let strays = lines.indices.filter { ($0 < header || $0 >= end) && lines[$0].hasPrefix("|") }
        #expect(strays.isEmpty, "table rows outside the table: \(strays.map { lines[$0] })")

        let rows = lines[(header + 2)..<end]
        let listed = Set(rows.compactMap { row -> String? in
            guard let open = row.range(of: "]("), let close = row[open.upperBound...].firstIndex(of: ")") else { return nil }
            return String(row[open.upperBound..<close])
        })
        let pages = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") && $0 != "README.md" }
        #expect(pages.count > 15)
        for page in pages { #expect(listed.contains(page), "docs/README.md has no row for \(page)") }
        for link in listed { #expect(pages.contains(link), "docs/README.md links \(link), which is not in docs/") }
    }
}

import CrossRunKit
import Foundation
import Glibc

/// The matrix as one self-contained HTML page (`crossrun report matrix --html FILE`): no network, no external
/// file; the style and the script are inline, and every text from the results is escaped. One table row per
/// test with a sticky header: the rows that differ between targets, then those that failed, then the rest
/// (collapsed until shown or searched); a search box and a filter (all, differs, failed) that the inline script
/// applies; each failing cell links to its message and output below the table. Usable with 10,000+ tests: the
/// rows are static HTML, the script only hides and shows them.
public enum MatrixHTML {
    /// A test's output in the page at most this many bytes (its start and its end).
    static let outputLimit = 32 * 1024

    public static func render(_ matrix: Matrix) -> String {
        var html = ""
        html.reserveCapacity(4096 + matrix.rows.count * (120 + 40 * matrix.targets.count))
        html += """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>crossrun: tests across targets</title>
            <style>\(style)</style>
            </head>
            <body>
            <h1>Tests across targets</h1>

            """
        html += "<p id=\"headline\">\(escape(matrix.headline)).</p>\n"
        html += "<table id=\"totals\"><thead><tr><th>Target</th><th>Passed</th><th>Failed</th><th>Ignored</th><th>Errors</th><th>Not run</th><th>Flaky</th><th>Runs</th><th>Time</th></tr></thead><tbody>\n"
        for (target, totals) in zip(matrix.targets, matrix.totals) {
            html += "<tr><th>\(escape(target))</th><td>\(totals.count(.passed))</td><td>\(totals.count(.failed))</td><td>\(totals.count(.ignored))</td>"
                + "<td>\(totals.count(.error))</td><td>\(totals.count(.notRun))</td><td>\(totals.flaky)</td><td>\(totals.runs)</td>"
                + "<td>\(String(format: "%.2fs", totals.duration))</td></tr>\n"
        }
        html += "</tbody></table>\n"
        html += """
            <div id="controls">
            <input id="search" type="search" placeholder="Search tests" aria-label="Search tests" autocomplete="off">
            <label><input type="radio" name="show" value="all" checked> All</label>
            <label><input type="radio" name="show" value="differs"> Differs (\(matrix.count(.differs)))</label>
            <label><input type="radio" name="show" value="failed"> Failed (\(matrix.rows.filter { $0.cells.contains { $0.state.isFailure } }.count))</label>
            <span id="shown"></span>
            </div>

            """
        let columns = matrix.targets.count + 1
        html += "<table id=\"matrix\"><thead><tr><th>Test</th>"
        for target in matrix.targets { html += "<th>\(escape(target))</th>" }
        html += "</tr></thead>\n"
        let titles: [Matrix.Group: String] = [
            .differs: "Differs between targets", .failed: "Failed on every target that ran it", .same: "The same on every target",
        ]
        var messages: [(row: Matrix.Row, target: String, cell: Matrix.Cell)] = []
        for group in Matrix.Group.allCases {
            let rows = matrix.rows.filter { $0.group == group }
            guard !rows.isEmpty else { continue }
            let name = groupName(group)
            html += "<tbody id=\"\(name)\"><tr class=\"group\"><th colspan=\"\(columns)\">\(titles[group]!) (\(rows.count))"
            if group == .same {
                html += " <button type=\"button\" id=\"toggle-same\" aria-expanded=\"false\">Show</button>"
            }
            html += "</th></tr>\n"
            for row in rows {
                let failed = row.cells.contains { $0.state.isFailure }
                html += "<tr class=\"row\" id=\"\(row.id)\" data-group=\"\(name)\"\(failed ? " data-failed=\"\"" : "")"
                html += " data-name=\"\(escape(Matrix.title(of: row).lowercased()))\"\(group == .same ? " hidden" : "")>"
                html += "<td class=\"name\">"
                if !row.crate.isEmpty { html += "<span class=\"crate\">\(escape(row.crate))</span> " }
                html += "<span class=\"binary\">\(escape(row.binary))</span> <span class=\"test\">\(escape(row.test))</span></td>"
                for (target, cell) in zip(matrix.targets, row.cells) {
                    let state = cell.state == .notRun ? "not-run" : cell.state == .noRun ? "no-run" : cell.state.rawValue
                    var title = target + ": " + Matrix.label(cell)
                    if let duration = cell.duration { title += String(format: " in %.3fs", duration) }
                    if cell.attempts > 1 { title += " (\(cell.attempts) attempts)" }
                    // An ignore reason, a benchmark: shown on hover (a failure's message has its own section).
                    if !cell.state.isFailure, let message = Matrix.oneLine(cell.message) { title += ": " + message }
                    html += "<td class=\"cell \(state)\(cell.flaky ? " flaky" : "")\" title=\"\(escape(title))\">"
                    if cell.state.isFailure {
                        html += "<a href=\"#\(anchor(row, target))\">\(escape(Matrix.label(cell)))</a>"
                        messages.append((row, target, cell))
                    } else {
                        html += escape(Matrix.label(cell))
                    }
                    html += "</td>"
                }
                html += "</tr>\n"
            }
            html += "</tbody>\n"
        }
        html += "</table>\n"
        if !messages.isEmpty {
            html += "<h2>Messages and output</h2>\n"
            for (row, target, cell) in messages {
                html += "<section class=\"message\" id=\"\(anchor(row, target))\"><h3><a href=\"#\(row.id)\">\(escape(Matrix.title(of: row)))</a>"
                html += " on \(escape(target)): \(escape(Matrix.label(cell)))\(cell.attempts > 1 ? " (\(cell.attempts) attempts)" : "")</h3>\n"
                html += "<pre class=\"text\">\(escape(MatrixMarkdown.clean(cell.message ?? "(no message)")))</pre>\n"
                if let output = cell.output, !output.isEmpty, output != cell.message {
                    html += "<details open><summary>Output</summary><pre class=\"text\">\(escape(MatrixMarkdown.clean(capped(output))))</pre></details>\n"
                }
                html += "</section>\n"
            }
        }
        html += "<footer>Written by <code>crossrun report matrix</code> from \(matrix.sources.map { escape($0) }.joined(separator: ", ")).</footer>\n"
        html += "<script>\(script)</script>\n</body>\n</html>\n"
        return html
    }

    static func groupName(_ group: Matrix.Group) -> String {
        switch group {
        case .differs: return "differs"
        case .failed: return "failed"
        case .same: return "same"
        }
    }

    static func anchor(_ row: Matrix.Row, _ target: String) -> String { "m-" + MatrixMarkdown.anchor(row, target) }

    static func capped(_ text: String) -> String {
        guard text.utf8.count > outputLimit else { return text }
        let head = String(decoding: Array(text.utf8.prefix(outputLimit / 4)), as: UTF8.self)
        let tail = String(decoding: Array(text.utf8.suffix(outputLimit * 3 / 4)), as: UTF8.self)
        return head + "\n[… \(text.utf8.count - head.utf8.count - tail.utf8.count) bytes left out …]\n" + tail
    }

    /// `&`, `<`, `>`, `"` and `'` as character references: safe in text and in quoted attributes.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }

    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0 1em 2em;color:#1b1f24;background:#fff}
        h1{font-size:1.4em;margin:.6em 0 .3em}h2{font-size:1.2em;margin-top:1.5em}h3{font-size:1em;margin:.8em 0 .3em}
        table{border-collapse:collapse}th,td{padding:.2em .6em;border-bottom:1px solid #d8dee4;text-align:left;vertical-align:top}
        #totals td{text-align:right}
        #controls{position:sticky;top:0;z-index:3;background:#fff;padding:.5em 0;height:2em;display:flex;gap:1em;align-items:center}
        #search{width:24em;padding:.2em .4em}
        #matrix{width:100%}#matrix thead th{position:sticky;top:3em;z-index:2;background:#eef1f4}
        #matrix tr.group th{background:#f6f8fa;font-weight:600;padding-top:.6em}
        td.name{font-family:ui-monospace,monospace;word-break:break-all}.crate,.binary{color:#57606a}
        td.cell{white-space:nowrap;font-weight:600}
        .passed{color:#1a7f37}.failed,.error{color:#cf222e;background:#ffebe9}.ignored,.measured{color:#9a6700}
        .not-run,.no-run{color:#8c959f;font-weight:400}.flaky{color:#9a6700}
        td.failed a,td.error a{color:inherit}
        tr.row:target,section:target{outline:2px solid #0969da}
        section.message{border-left:3px solid #cf222e;padding-left:.8em;margin:1em 0}
        pre.text{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:.5em;margin:.3em 0;max-height:40em;overflow:auto}
        footer{margin-top:2em;color:#57606a}
        """

    /// Filters and searches the rows; shows the collapsed ones on request. Reads only the page itself.
    static let script = #"""
        (function () {
          "use strict";
          var rows = Array.prototype.slice.call(document.querySelectorAll("#matrix tr.row"));
          var search = document.getElementById("search");
          var shown = document.getElementById("shown");
          var toggle = document.getElementById("toggle-same");
          var showSame = false;
          var timer = null;
          function mode() {
            var checked = document.querySelector("input[name=show]:checked");
            return checked ? checked.value : "all";
          }
          function apply() {
            var query = search.value.trim().toLowerCase();
            var filter = mode();
            var count = 0;
            for (var i = 0; i < rows.length; i++) {
              var row = rows[i];
              var group = row.getAttribute("data-group");
              var visible = filter === "all" || (filter === "differs" && group === "differs") ||
                (filter === "failed" && row.hasAttribute("data-failed"));
              if (visible && group === "same" && !showSame && query === "") visible = false;
              if (visible && query !== "" && row.getAttribute("data-name").indexOf(query) < 0) visible = false;
              row.hidden = !visible;
              if (visible) count++;
            }
            shown.textContent = count + " of " + rows.length + " tests shown";
            document.body.setAttribute("data-shown", String(count));
          }
          search.addEventListener("input", function () {
            if (timer !== null) clearTimeout(timer);
            timer = setTimeout(apply, rows.length > 2000 ? 150 : 0);
          });
          Array.prototype.forEach.call(document.querySelectorAll("input[name=show]"), function (input) {
            input.addEventListener("change", apply);
          });
          if (toggle) {
            toggle.addEventListener("click", function () {
              showSame = !showSame;
              toggle.textContent = showSame ? "Hide" : "Show";
              toggle.setAttribute("aria-expanded", String(showSame));
              apply();
            });
          }
          function reveal() {
            var id = decodeURIComponent(location.hash.slice(1));
            var target = id ? document.getElementById(id) : null;
            if (target && target.tagName === "TR" && target.hidden) {
              target.hidden = false;
            }
          }
          window.addEventListener("hashchange", reveal);
          // ?show=differs|failed|all&q=TEXT in the address starts with that filter and search.
          var parameters = {};
          location.search.slice(1).split("&").forEach(function (pair) {
            var parts = pair.split("=");
            if (parts[0]) parameters[decodeURIComponent(parts[0])] = decodeURIComponent((parts[1] || "").replace(/\+/g, " "));
          });
          if (parameters.q) search.value = parameters.q;
          if (parameters.show) {
            var choice = document.querySelector("input[name=show][value=\"" + parameters.show.replace(/[^a-z]/g, "") + "\"]");
            if (choice) choice.checked = true;
          }
          apply();
          reveal();
          document.body.setAttribute("data-ready", String(rows.length));
        })();
        """#
}

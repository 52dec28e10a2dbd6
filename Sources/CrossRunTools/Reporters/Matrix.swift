import CrossRunKit
import Foundation
import Glibc

/// The cross-target view (`crossrun report matrix`): one row per test (crate, binary, test name), one column per
/// target, the outcome in each cell. Rows whose outcome differs between targets come first, then rows with a
/// failure, then the rest. Built from the runs ``ResultsMerger/readRuns(_:excluding:)`` reads, so partitions are
/// already one run; several runs of one binary on one target (retries of a CI job) are attempts of one cell.
/// Rendered by ``MatrixText``, ``MatrixMarkdown`` and ``MatrixHTML`` (docs/matrix.md).
public struct Matrix: Sendable {
    /// What a cell shows.
    public enum State: String, Sendable, CaseIterable {
        case passed, failed, ignored, measured, error
        /// The binary ran on this target, but this test is not among its results (a `#[cfg]` left it out, a
        /// filter, a partition that never ran).
        case notRun = "not run"
        /// No run of this binary on this target at all: not a difference.
        case noRun = "no run"

        /// A failure: `failed` or `error`.
        public var isFailure: Bool { self == .failed || self == .error }
    }

    public struct Cell: Sendable, Equatable {
        public var state: State
        /// Of the attempt the state comes from (the last failing one, for a failure).
        public var message: String?
        public var output: String?
        public var duration: Double?
        /// The test failed in one attempt and passed in another (or `--retries` marked it flaky).
        public var flaky: Bool
        /// How many results of this test on this target were read (more than 1: the job ran again).
        public var attempts: Int

        public static let noRun = Cell(state: .noRun, flaky: false, attempts: 0)
        static let notRun = Cell(state: .notRun, flaky: false, attempts: 0)
    }

    /// The group a row sorts into.
    public enum Group: Int, Sendable, Comparable, CaseIterable {
        /// The outcome differs between the targets that ran the test's binary.
        case differs
        /// The same on every target, and a failure on at least one.
        case failed
        /// The same on every target, no failure.
        case same

        public static func < (a: Group, b: Group) -> Bool { a.rawValue < b.rawValue }
    }

    public struct Row: Sendable {
        /// The Cargo package (`CARGO_PKG_NAME` when cargo ran the binary), else empty.
        public var crate: String
        /// The binary's suite name (`crossrun_demo`, `integration`).
        public var binary: String
        public var test: String
        /// One per ``Matrix/targets``, in that order.
        public var cells: [Cell]
        public var group: Group
        /// A stable id for links (`t12`): its position in ``Matrix/rows``.
        public var id: String
    }

    /// What one target did in all.
    public struct Totals: Sendable, Equatable {
        public var runs = 0
        /// Sum of the runs' durations, in seconds.
        public var duration = 0.0
        /// Cells by state (`noRun` not counted).
        public var counts: [State: Int] = [:]
        public var flaky = 0

        public func count(_ state: State) -> Int { counts[state] ?? 0 }
    }

    /// The column names: `launch.target` of the runs, sorted.
    public var targets: [String]
    /// Sorted: group, then crate, binary, test.
    public var rows: [Row]
    /// One per target.
    public var totals: [Totals]
    /// The results JSON files or folders read.
    public var sources: [String]

    public func count(_ group: Group) -> Int { rows.lazy.filter { $0.group == group }.count }

    /// Reads every results JSON under `inputs` (files or folders) and builds the matrix. Each input must be there,
    /// and a folder must hold results JSON: a mistyped or empty folder is an error, not a missing column.
    public static func load(_ inputs: [String]) throws -> Matrix {
        for input in inputs {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) else {
                throw CrossRunError.resultsNotReadable(path: input, reason: "no such file or directory")
            }
            if isFolder.boolValue, try ReportMerger.expand([input], extension: "json").isEmpty {
                throw CrossRunError.noResultsFound(paths: [input])
            }
        }
        return Matrix(runs: try ResultsMerger.readRuns(inputs), sources: inputs)
    }

    /// The inputs that hold results JSON: existing files, and folders with a `.json` directly in them.
    public static func withResults(_ inputs: [String]) -> [String] {
        inputs.filter { input in
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) else { return false }
            return !isFolder.boolValue || !((try? ReportMerger.expand([input], extension: "json")) ?? []).isEmpty
        }
    }

    /// Builds the matrix from results JSON runs (``ResultsMerger/readRuns(_:excluding:)``).
    public init(runs: [[String: Any]], sources: [String] = []) {
        self.sources = sources
        // A run read twice (its own file and a merged document beside it) counts once.
        var seenRuns = Set<String>()
        struct Observation { var outcome: String; var message: String?; var output: String?; var duration: Double?; var flaky: Bool; var startedAt: String }
        struct Key: Hashable { var crate: String; var binary: String; var test: String }
        var attempts: [Key: [String: [Observation]]] = [:]
        var order: [Key] = []
        var binariesOnTarget = Set<[String]>()
        var targetTotals: [String: Totals] = [:]
        for run in runs {
            let binary = run["binary"] as? [String: Any] ?? [:]
            let launch = run["launch"] as? [String: Any] ?? [:]
            let target = launch["target"] as? String ?? "unknown"
            let binaryName = binary["name"] as? String ?? binary["fileName"] as? String ?? "?"
            let crate = run["package"] as? String ?? ""
            let startedAt = run["startedAt"] as? String ?? ""
            let identity = [target, binary["fileName"] as? String ?? "", startedAt, run["partition"] as? String ?? "",
                "\(run["duration"] ?? "")"].joined(separator: "\u{0}")
            guard seenRuns.insert(identity).inserted else { continue }
            binariesOnTarget.insert([crate, binaryName, target])
            targetTotals[target, default: Totals()].runs += 1
            targetTotals[target, default: Totals()].duration += (run["duration"] as? Double) ?? 0
            for case let test as [String: Any] in run["tests"] as? [Any] ?? [] {
                let key = Key(crate: crate, binary: binaryName, test: test["name"] as? String ?? "")
                if attempts[key] == nil { order.append(key) }
                attempts[key, default: [:]][target, default: []].append(
                    Observation(
                        outcome: test["outcome"] as? String ?? "error", message: test["message"] as? String,
                        output: test["output"] as? String, duration: test["duration"] as? Double,
                        flaky: test["flaky"] as? Bool ?? false, startedAt: startedAt))
            }
        }
        let names = targetTotals.keys.sorted()
        targets = names
        func cell(_ found: [Observation]) -> Cell {
            // In start order; the last attempt decides, except that a failure is shown with its message.
            let sorted = found.enumerated().sorted { ($0.element.startedAt, $0.offset) < ($1.element.startedAt, $1.offset) }.map(\.element)
            let states = sorted.map { State(rawValue: $0.outcome) ?? .error }
            let last = sorted[sorted.count - 1]
            var state = states[states.count - 1]
            let mixed = Set(states).count > 1
            var shown = last
            if mixed, states.contains(.passed), states.contains(where: \.isFailure) {
                state = .passed
                shown = sorted.last { (State(rawValue: $0.outcome) ?? .error).isFailure } ?? last
            }
            return Cell(
                state: state, message: shown.message, output: shown.output, duration: last.duration,
                flaky: sorted.contains(where: \.flaky) || (mixed && state == .passed), attempts: sorted.count)
        }
        var built: [Row] = []
        built.reserveCapacity(order.count)
        for key in order {
            let byTarget = attempts[key] ?? [:]
            let cells = names.map { target -> Cell in
                if let found = byTarget[target], !found.isEmpty { return cell(found) }
                return binariesOnTarget.contains([key.crate, key.binary, target]) ? .notRun : .noRun
            }
            let present = Set(cells.map(\.state)).subtracting([.noRun])
            let group: Group = present.count > 1 ? .differs : present.contains(where: \.isFailure) ? .failed : .same
            built.append(Row(crate: key.crate, binary: key.binary, test: key.test, cells: cells, group: group, id: ""))
        }
        // Among the differences, those where a target failed come first: a test that passes here and fails there
        // is what the matrix is for; one ignored on one target only is less news.
        func quiet(_ row: Row) -> Int { row.group == .differs && !row.cells.contains(where: \.state.isFailure) ? 1 : 0 }
        built.sort { ($0.group, quiet($0), $0.crate, $0.binary, $0.test) < ($1.group, quiet($1), $1.crate, $1.binary, $1.test) }
        for index in built.indices { built[index].id = "t\(index + 1)" }
        rows = built
        totals = names.map { target in
            var totals = targetTotals[target] ?? Totals()
            let column = names.firstIndex(of: target)!
            for row in built {
                let cell = row.cells[column]
                guard cell.state != .noRun else { continue }
                totals.counts[cell.state, default: 0] += 1
                if cell.flaky { totals.flaky += 1 }
            }
            return totals
        }
    }

    /// Writes a rendered page or summary to `path` (through a temporary file renamed into place).
    public static func write(_ text: String, to path: String) throws {
        try AtomicFile.write(Data(text.utf8), to: path)
    }

    /// The whole test name as one line: `crate binary test` without empty parts.
    public static func title(of row: Row) -> String {
        [row.crate, row.binary, row.test].filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// A message on one line (its lines joined, runs of white space as one space), cut to `limit` characters.
    static func oneLine(_ text: String?, limit: Int = 240) -> String? {
        guard let text else { return nil }
        let joined = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        guard !joined.isEmpty else { return nil }
        return joined.count > limit ? String(joined.prefix(limit)) + "…" : joined
    }

    /// `passed`, `FAILED`, ... as the text and Markdown show it.
    static func label(_ cell: Cell) -> String {
        switch cell.state {
        case .failed: return "FAILED"
        case .error: return "ERROR"
        case .passed where cell.flaky: return "passed (flaky)"
        default: return cell.state.rawValue
        }
    }

    /// The line above the tables: `2 targets, 14 tests: 1 differs between targets, 0 failed everywhere, 13 the same`.
    public var headline: String {
        let differs = count(.differs)
        let failed = count(.failed)
        let same = count(.same)
        let targetsText = "\(targets.count) target\(targets.count == 1 ? "" : "s") (\(targets.joined(separator: ", ")))"
        return "\(targetsText), \(rows.count) test\(rows.count == 1 ? "" : "s"): \(differs) differ\(differs == 1 ? "s" : "") between targets, "
            + "\(failed) failed on every target that ran \(failed == 1 ? "it" : "them"), \(same) the same everywhere"
    }

    /// One target's totals as a line: `10 passed, 1 failed, 2 ignored in 1.20s (3 runs)`.
    static func totalsText(_ totals: Totals) -> String {
        var parts = ["\(totals.count(.passed)) passed", "\(totals.count(.failed)) failed", "\(totals.count(.ignored)) ignored"]
        if totals.count(.error) > 0 { parts.append("\(totals.count(.error)) errors") }
        if totals.count(.measured) > 0 { parts.append("\(totals.count(.measured)) measured") }
        if totals.count(.notRun) > 0 { parts.append("\(totals.count(.notRun)) not run") }
        if totals.flaky > 0 { parts.append("\(totals.flaky) flaky") }
        return parts.joined(separator: ", ") + " in " + String(format: "%.2fs", totals.duration)
            + " (\(totals.runs) run\(totals.runs == 1 ? "" : "s"))"
    }
}

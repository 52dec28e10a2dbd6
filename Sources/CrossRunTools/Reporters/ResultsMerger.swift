import CrossRunKit
import Foundation
import Glibc

/// Combines results JSON files (crossrun's `RunResult` documents) into one document: `{"version": 1,
/// "runs": [...], "counts": {...}}`. Runs of one binary in partitions (`--partition`, same binary name and
/// target) become one run whose tests are the union (a test already there is not added twice) and whose counts
/// are recounted; other runs are kept as they are.
public enum ResultsMerger {
    public static let version = 1

    @discardableResult
    public static func merge(_ inputs: [String], into output: String) throws -> ReportMerger.Summary {
        let runs = try readRuns(inputs, excluding: output)
        let all = runs.flatMap { $0["tests"] as? [[String: Any]] ?? [] }
        let totals = counts(of: all)
        let document: [String: Any] = ["version": version, "runs": runs, "counts": totals]
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw CrossRunError.reportNotWritable(path: output, reason: "\(error)")
        }
        try AtomicFile.write(to: output) { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: data + Data("\n".utf8)) else {
                throw CrossRunError.reportNotWritable(path: output, reason: String(cString: strerror(errno)))
            }
        }
        return ReportMerger.Summary(
            suites: runs.count, tests: totals["tests"] ?? 0, failures: totals["failed"] ?? 0, errors: totals["errors"] ?? 0,
            skipped: totals["ignored"] ?? 0)
    }

    /// Every run in the results JSON files among `inputs` (a folder stands for every `.json` directly in it; a
    /// merged document's `runs` count one by one), with the runs of one binary in partitions (same binary name
    /// and target, each with a `partition`) combined into one as in ``merge(_:into:)``. `report merge --json`
    /// and `report matrix` both read results through this. Throws `noResultsFound` when there is no file and
    /// `resultsNotReadable` for a file that is not crossrun's results JSON.
    public static func readRuns(_ inputs: [String], excluding output: String? = nil) throws -> [[String: Any]] {
        var files = try ReportMerger.expand(inputs, extension: "json")
        if let output { files = files.filter { ($0 as NSString).standardizingPath != (output as NSString).standardizingPath } }
        guard !files.isEmpty else { throw CrossRunError.noResultsFound(paths: inputs) }
        var runs: [[String: Any]] = []
        var partitioned: [String: Int] = [:]
        // `tests` is checked to be an array, not cast to one of dictionaries: that cast copies a 100k-test array.
        func isRun(_ object: [String: Any]) -> Bool { object["binary"] is [String: Any] && object["tests"] is [Any] }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CrossRunError.resultsNotReadable(path: file, reason: "it cannot be read")
            }
            guard let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CrossRunError.resultsNotReadable(path: file, reason: "it is not a JSON object")
            }
            let found: [[String: Any]]
            if isRun(document) {
                found = [document]
            } else if let merged = document["runs"] as? [Any], merged.allSatisfy({ ($0 as? [String: Any]).map(isRun) ?? false }) {
                found = merged.compactMap { $0 as? [String: Any] }
            } else {
                throw CrossRunError.resultsNotReadable(path: file, reason: "it is not a crossrun results JSON file")
            }
            for run in found {
                guard run["partition"] is String, run["partition"] as? String != "merged" else {
                    runs.append(run)
                    continue
                }
                let binary = run["binary"] as? [String: Any] ?? [:]
                let key = "\(binary["name"] ?? "")\u{0}\((run["launch"] as? [String: Any])?["target"] ?? "")"
                guard let index = partitioned[key] else {
                    partitioned[key] = runs.count
                    runs.append(run)
                    continue
                }
                var into = runs[index]
                var tests = into["tests"] as? [[String: Any]] ?? []
                var seen = Set(tests.compactMap { $0["name"] as? String })
                for test in run["tests"] as? [[String: Any]] ?? [] where seen.insert(test["name"] as? String ?? "").inserted {
                    tests.append(test)
                }
                into["tests"] = tests
                into["duration"] = ((into["duration"] as? Double) ?? 0) + ((run["duration"] as? Double) ?? 0)
                // The merged run failed if any share did.
                if let exit = run["exit"] as? [String: Any], (exit["status"] as? Int ?? 0) != 0,
                    ((into["exit"] as? [String: Any])?["status"] as? Int ?? 0) == 0
                {
                    into["exit"] = exit
                }
                runs[index] = into
            }
        }
        for index in partitioned.values {
            var run = runs[index]
            run["counts"] = counts(of: run["tests"] as? [[String: Any]] ?? [])
            run["partition"] = "merged"
            runs[index] = run
        }
        return runs
    }

    /// Counts by outcome, named as in the results JSON's `counts`.
    static func counts(of tests: [[String: Any]]) -> [String: Int] {
        var counts = ["tests": tests.count, "passed": 0, "failed": 0, "ignored": 0, "measured": 0, "errors": 0]
        for test in tests {
            switch test["outcome"] as? String {
            case "passed": counts["passed", default: 0] += 1
            case "failed": counts["failed", default: 0] += 1
            case "ignored": counts["ignored", default: 0] += 1
            case "measured": counts["measured", default: 0] += 1
            default: counts["errors", default: 0] += 1
            }
        }
        return counts
    }
}

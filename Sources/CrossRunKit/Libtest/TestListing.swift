/// libtest's `--list` output (`NAME: test` lines), used to name the tests that terse output (`cargo test -q`)
/// only counts.
public enum TestListing {
    /// The test names in `--list` output, in order; benchmarks are left out.
    public static func names(in output: String) -> [String] {
        output.split(whereSeparator: \.isNewline).compactMap { line in
            guard line.hasSuffix(": test") else { return nil }
            return String(line.dropLast(": test".count))
        }
    }

    /// Whether `--list` output ends as libtest's does, with `N tests, M benchmarks` (also for zero tests).
    public static func hasClosingLine(_ output: String) -> Bool {
        output.split(whereSeparator: \.isNewline).contains { line in
            let words = line.split(separator: " ")
            return words.count == 4 && Int(words[0]) != nil && words[1].hasPrefix("test") && Int(words[2]) != nil
                && words[3].hasPrefix("benchmark")
        }
    }

    /// The libtest options that select tests, kept from the user's arguments for a `--list` run: filters,
    /// `--exact`, `--skip NAME`, `--ignored`, `--include-ignored`, `--exclude-should-panic`. Output and scheduling
    /// options are dropped.
    public static func selection(from arguments: [String]) -> [String] {
        let dropWithValue: Set<String> = ["--format", "--test-threads", "--color", "--logfile", "-Z", "--shuffle-seed"]
        let dropAlone: Set<String> = [
            "-q", "--quiet", "--nocapture", "--show-output", "--list", "--bench", "--test", "--shuffle",
            "--ensure-time", "--report-time", "--force-run-in-process",
        ]
        var kept: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if dropAlone.contains(argument) { continue }
            if dropWithValue.contains(argument) {
                index += 1
                continue
            }
            if let equals = argument.firstIndex(of: "="), dropWithValue.contains(String(argument[..<equals])) { continue }
            kept.append(argument)
            if argument == "--skip", index < arguments.count {
                kept.append(arguments[index])
                index += 1
            }
        }
        return kept
    }

    /// Outcomes for terse mode: every listed test that is not a named failure passed, unless it is ignored.
    /// Returns nil when the sets do not add up to libtest's counts (then the counts are reported as they are).
    public static func terseOutcomes(
        listed: [String], ignored: Set<String>, failed: Set<String>, counts: UnnamedCounts
    ) -> [TestCase]? {
        var result: [TestCase] = []
        var passed = 0
        var skipped = 0
        for name in listed where !failed.contains(name) {
            if ignored.contains(name) {
                skipped += 1
                result.append(TestCase(name: name, outcome: .ignored))
            } else {
                passed += 1
                result.append(TestCase(name: name, outcome: .passed))
            }
        }
        guard passed == counts.passed, skipped == counts.ignored else { return nil }
        return result
    }
}

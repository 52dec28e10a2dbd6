import FoundationEssentials
import Glibc

/// Terse output (`cargo test -q`) names only failures. Two `--list` runs of the same binary with the same
/// test selection name the rest: every listed test that did not fail passed, unless it is ignored.
extension TestRunner {
    func nameTerse(_ phases: inout RunPhases, plan: LaunchPlan, arguments: [String]) throws {
        guard phases.unnamed.total > 0, phases.libtestCounts != nil, mayStartProcess,
            let named = nameTerseResults(plan: plan, arguments: arguments, tests: phases.tests, unnamed: phases.unnamed)
        else { return }
        phases.tests = named
        phases.unnamed = .none
    }

    /// The tests with the unnamed ones named, or nil (the counts stay unnamed) when the listing fails or does
    /// not add up.
    func nameTerseResults(plan: LaunchPlan, arguments: [String], tests: [TestCase], unnamed: UnnamedCounts) -> [TestCase]? {
        let selection = TestListing.selection(from: arguments)
        let runsIgnored = selection.contains("--ignored") || selection.contains("--include-ignored")
        func list(_ extra: [String]) -> [String]? { listTests(plan: plan, selection: selection + extra) }
        guard let listed = list([]) else { return nil }
        let ignored: Set<String>
        if runsIgnored || unnamed.ignored == 0 {
            ignored = []
        } else {
            guard let names = list(["--ignored"]) else { return nil }
            ignored = Set(names)
        }
        let failed = Set(tests.filter { $0.outcome == .failed }.map(\.name))
        let named = tests.filter { $0.outcome != .passed && $0.outcome != .ignored }
        let alreadyNamed = tests.contains { $0.outcome == .passed || $0.outcome == .ignored }
        guard !alreadyNamed,
            let inferred = TestListing.terseOutcomes(listed: listed, ignored: ignored, failed: failed, counts: unnamed)
        else { return nil }
        // Keep libtest's listing order, with failures where they stand in it.
        let byName = Dictionary((inferred + named).map { ($0.name, $0) }, uniquingKeysWith: { _, named in named })
        let listedSet = Set(listed)
        var result = listed.compactMap { byName[$0] }
        result += named.filter { !listedSet.contains($0.name) }
        return result
    }
}

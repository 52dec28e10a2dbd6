import FoundationEssentials
import Glibc

/// Stage 4, partition (`--partition hash:K/N` or `slice:K/N`): the run takes its share of the listed tests by
/// exact name; everything after (terse naming, crash-resume, retries) then works on that share, as if the
/// user had named those tests.
extension TestRunner {
    func selectPartition(_ prepared: PreparedRun) throws -> PreparedRun {
        guard let partition = try prepared.configuration.partition() else { return prepared }
        let arguments = prepared.invocation.arguments
        guard let listed = try listTestsCheckingCPU(plan: prepared.plan, selection: TestListing.selection(from: arguments)) else {
            throw CrossRunError.partitionListingFailed(path: prepared.binaryPath, partition: partition.description)
        }
        var selected = prepared
        selected.partition = partition
        selected.invocation.arguments = Self.partitionArguments(from: arguments, names: partition.select(listed))
        selected.plan = prepared.plan.with(arguments: selected.invocation.arguments)
        return selected
    }

    /// The user's arguments without test filters, with `--exact` and the partition's names (or, for an empty
    /// share, one name no test has, since `--exact` without names would run every test).
    static func partitionArguments(from arguments: [String], names: [String]) -> [String] {
        var base = Array(LibtestArguments.resumeArguments(from: arguments).dropLast())  // not the forced --test-threads=1
        base += arguments.enumerated().flatMap { index, argument -> [String] in
            if argument.hasPrefix("--test-threads=") { return [argument] }
            if argument == "--test-threads", index + 1 < arguments.count { return [argument, arguments[index + 1]] }
            return []
        }
        return base + ["--exact"] + (names.isEmpty ? ["crossrun: this partition has no tests"] : names)
    }
}

import FoundationEssentials
import Glibc

/// One share of a binary's tests for a CI matrix job: `hash:K/N` (by a hash of each test's name: stable when
/// tests are added or removed elsewhere) or `slice:K/N` (every Nth test of libtest's sorted listing, starting at
/// the Kth: even shares). Deterministic on every machine; the N shares of a suite are disjoint and cover it.
public struct Partition: Equatable, Sendable, CustomStringConvertible {
    public enum Strategy: String, Sendable { case hash, slice }

    public var strategy: Strategy
    /// 1-based share number.
    public var index: Int
    public var count: Int

    public init(strategy: Strategy, index: Int, count: Int) {
        self.strategy = strategy
        self.index = index
        self.count = count
    }

    /// Parses `hash:2/3` or `slice:1/4` (also `count:K/N`, nextest's name for slices); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let strategyName = parts[0] == "count" ? "slice" : String(parts[0])
        let numbers = parts[1].split(separator: "/", omittingEmptySubsequences: false)
        guard let strategy = Strategy(rawValue: strategyName), numbers.count == 2,
            numbers.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let index = Int(numbers[0]), let count = Int(numbers[1]), count >= 1, count <= 100_000, index >= 1, index <= count
        else { return nil }
        self.init(strategy: strategy, index: index, count: count)
    }

    public static let expected = "hash:K/N or slice:K/N with 1 <= K <= N (e.g. hash:1/3), or ci, hash:ci or slice:ci to take K/N from the CI's parallel-job variables"

    /// A CI service's parallel-job variables: which share this job is and how many there are.
    public struct CIVariables: Sendable {
        public var service: String
        public var index: String
        public var total: String
        /// Whether the index counts from 0 (Buildkite, CircleCI) rather than 1 (GitLab).
        public var zeroBased: Bool
    }

    /// The services `ci` reads, in the order they are tried.
    public static let ciServices = [
        CIVariables(service: "GitLab", index: "CI_NODE_INDEX", total: "CI_NODE_TOTAL", zeroBased: false),
        CIVariables(service: "Buildkite", index: "BUILDKITE_PARALLEL_JOB", total: "BUILDKITE_PARALLEL_JOB_COUNT", zeroBased: true),
        CIVariables(service: "CircleCI", index: "CIRCLE_NODE_INDEX", total: "CIRCLE_NODE_TOTAL", zeroBased: true),
    ]

    /// The strategy of `ci` (hash), `hash:ci`, `slice:ci` or `count:ci`; nil when `text` does not ask for the CI's
    /// variables.
    public static func ciStrategy(_ text: String) -> Strategy? {
        switch text {
        case "ci", "hash:ci": return .hash
        case "slice:ci", "count:ci": return .slice
        default: return nil
        }
    }

    /// This job's share from the first CI service whose variables are set (`origin` names the setting in errors).
    /// GitLab sets `CI_NODE_TOTAL=1` without `CI_NODE_INDEX` for a job without `parallel:`: the whole suite.
    public static func fromCI(strategy: Strategy, environment: [String: String], origin: String) throws -> Partition {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        for ci in ciServices where value(ci.index) != nil || value(ci.total) != nil {
            guard let totalText = value(ci.total), let total = Int(totalText), total >= 1, total <= 100_000 else {
                throw CrossRunError.invalidEnvironmentValue(
                    variable: ci.total, value: value(ci.total) ?? "", expected: "the number of \(ci.service) parallel jobs (\(origin) ci reads it)")
            }
            guard let indexText = value(ci.index) else {
                if !ci.zeroBased && total == 1 { return Partition(strategy: strategy, index: 1, count: 1) }
                throw CrossRunError.invalidEnvironmentValue(
                    variable: ci.index, value: "", expected: "this job's \(ci.service) parallel index beside \(ci.total)=\(total) (\(origin) ci reads it)")
            }
            let first = ci.zeroBased ? 0 : 1
            guard let number = Int(indexText), number >= first, number < total + first else {
                throw CrossRunError.invalidEnvironmentValue(
                    variable: ci.index, value: indexText,
                    expected: "\(first) to \(total - 1 + first), this job's \(ci.service) parallel index (\(ci.zeroBased ? "0" : "1")-based, \(ci.total)=\(total))")
            }
            return Partition(strategy: strategy, index: number - first + 1, count: total)
        }
        let names = ciServices.map { "\($0.index)/\($0.total)" }.joined(separator: ", ")
        throw CrossRunError.invalidEnvironmentValue(
            variable: origin, value: "ci",
            expected: "a CI parallel job: none of \(names) is set; run the job in parallel (GitLab parallel:, Buildkite or CircleCI parallelism:) or give hash:K/N")
    }

    public var description: String { "\(strategy.rawValue):\(index)/\(count)" }

    /// The names of `listed` (libtest's `--list` order) in this share, in that order.
    public func select(_ listed: [String]) -> [String] {
        switch strategy {
        case .slice:
            return listed.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
        case .hash:
            return listed.filter { Int(Self.fnv1a(Array($0.utf8)) % UInt64(count)) == index - 1 }
        }
    }

    /// FNV-1a, 64-bit: fixed, endian-free and the same in every process (Swift's `Hasher` is seeded per process).
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

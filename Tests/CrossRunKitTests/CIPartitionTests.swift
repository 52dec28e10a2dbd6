import CrossRunKit
import Testing

/// `--partition ci`: K/N from GitLab's, Buildkite's or CircleCI's parallel-job variables (docs/reliability.md).
struct CIPartitionTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var environment: [String: String]
        /// `hash:K/N`, or nil when it is an error naming `error`.
        var share: String?
        var error: String? = nil
        var testDescription: String { environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
    }

    static let rows = [
        Row(environment: ["CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "3"], share: "hash:1/3"),
        Row(environment: ["CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "3"], share: "hash:3/3"),
        // GitLab without parallel: sets only CI_NODE_TOTAL=1: the whole suite.
        Row(environment: ["CI_NODE_TOTAL": "1"], share: "hash:1/1"),
        Row(environment: ["BUILDKITE_PARALLEL_JOB": "0", "BUILDKITE_PARALLEL_JOB_COUNT": "4"], share: "hash:1/4"),
        Row(environment: ["BUILDKITE_PARALLEL_JOB": "3", "BUILDKITE_PARALLEL_JOB_COUNT": "4"], share: "hash:4/4"),
        Row(environment: ["CIRCLE_NODE_INDEX": "1", "CIRCLE_NODE_TOTAL": "2"], share: "hash:2/2"),
        // GitLab's variables win when several are set (the first service in the list).
        Row(environment: ["CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2", "CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "2"], share: "hash:2/2"),
        Row(environment: [:], share: nil, error: "--partition"),
        Row(environment: ["CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "3"], share: nil, error: "CI_NODE_INDEX"),
        Row(environment: ["CI_NODE_INDEX": "4", "CI_NODE_TOTAL": "3"], share: nil, error: "CI_NODE_INDEX"),
        Row(environment: ["CI_NODE_TOTAL": "3"], share: nil, error: "CI_NODE_INDEX"),
        Row(environment: ["CIRCLE_NODE_INDEX": "2", "CIRCLE_NODE_TOTAL": "2"], share: nil, error: "CIRCLE_NODE_INDEX"),
        Row(environment: ["BUILDKITE_PARALLEL_JOB": "1"], share: nil, error: "BUILDKITE_PARALLEL_JOB_COUNT"),
        Row(environment: ["CIRCLE_NODE_INDEX": "x", "CIRCLE_NODE_TOTAL": "2"], share: nil, error: "CIRCLE_NODE_INDEX"),
        Row(environment: ["CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "0"], share: nil, error: "CI_NODE_TOTAL"),
    ]

    @Test("the share, or the one-line error naming the variable", arguments: rows)
    func share(_ row: Row) throws {
        if let share = row.share {
            #expect(try Partition.fromCI(strategy: .hash, environment: row.environment, origin: "--partition").description == share)
        } else {
            let error = #expect(throws: CrossRunError.self) {
                try Partition.fromCI(strategy: .hash, environment: row.environment, origin: "--partition")
            }
            #expect(error?.subject == row.error, "\(String(describing: error))")
            #expect(error?.exitStatus == 125)
        }
    }

    @Test("ci, hash:ci, slice:ci and count:ci ask for the CI's variables; K/N and anything else do not",
          arguments: [("ci", Partition.Strategy.hash), ("hash:ci", .hash), ("slice:ci", .slice), ("count:ci", .slice)])
    func spelling(text: String, strategy: Partition.Strategy) {
        #expect(Partition.ciStrategy(text) == strategy)
    }

    @Test("K/N specs and other words are not CI specs", arguments: ["hash:1/3", "CI", "ci:1/2", "mod:ci", ""])
    func notCI(text: String) {
        #expect(Partition.ciStrategy(text) == nil)
    }
}

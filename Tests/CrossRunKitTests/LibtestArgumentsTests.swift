import Testing

@testable import CrossRunKit

/// The arguments crash-resume, --isolate, retries and partitions start a process with, from the user's own.
@Suite struct LibtestArgumentsTests {
    @Test(
        "filters, scheduling and non-JSON formats are dropped; options that change what runs or prints are kept",
        arguments: [
            (["parser", "--exact", "-q"], ["--test-threads=1"]),
            (["--test-threads", "8", "--skip", "slow", "tests::a"], ["--test-threads=1"]),
            (["--format", "terse", "--nocapture"], ["--nocapture", "--test-threads=1"]),
            (["--format", "json", "-Z", "unstable-options"], ["--format", "json", "-Z", "unstable-options", "--test-threads=1"]),
            (["--format=json", "--include-ignored", "--color", "never"], ["--format=json", "--include-ignored", "--color", "never", "--test-threads=1"]),
            (["--shuffle", "--shuffle-seed", "3", "--test-threads=4", "--ignored"], ["--ignored", "--test-threads=1"]),
        ])
    func resumeArguments(user: [String], expected: [String]) {
        #expect(LibtestArguments.resumeArguments(from: user) == expected)
    }

    @Test("a format is asked for as --format F or --format=F, not as a test filter named F")
    func asksForFormat() {
        #expect(LibtestArguments.asks(for: "json", in: ["--format", "json"]))
        #expect(LibtestArguments.asks(for: "json", in: ["-Z", "unstable-options", "--format=json"]))
        #expect(!LibtestArguments.asks(for: "json", in: ["json"]))
        #expect(!LibtestArguments.asks(for: "json", in: ["--format", "terse", "json"]))
    }
}

import Foundation
import Testing

@testable import CrossRunKit

/// `--nocapture` sends a failing test's panic to stderr as `thread '<test>' panicked at ...`: the collector credits
/// it to the test by the thread's name (or, on the `main` thread of Rust < 1.67's `--test-threads 1`, by the order the
/// tests ran), in both panic formats and with pretty and terse output.
struct StderrPanicTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var stdout: String
        var stderr: String
        /// Failed test → the message its failure must carry.
        var expected: [String: String]
    }

    static let prettyStdout = """

        running 3 tests
        test b ... FAILED
        test a ... FAILED
        test c ... ok

        failures:

        failures:
            a
            b

        test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s


        """

    static let terseStdout = """

        running 3 tests
        FF.
        failures:

        failures:
            a
            b

        test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s


        """

    static let cases: [Case] = [
        Case(
            testDescription: "Rust 1.63 quoted messages, several threads, interleaved",
            stdout: prettyStdout,
            stderr: """
                thread 'b' panicked at 'assertion failed: `(left == right)`
                  left: `42`,
                 right: `43`: the answer is off', tests/panics.rs:13:5
                note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
                thread 'a' panicked at 'boom in a', tests/panics.rs:20:5
                a line some test wrote to stderr

                """,
            expected: ["a": "boom in a", "b": "assertion failed: `(left == right)`\n  left: `42`,\n right: `43`: the answer is off"]),
        Case(
            testDescription: "Rust 1.63 panics of two threads torn into one line (each written in pieces)",
            stdout: prettyStdout,
            stderr: """
                thread 'a' panicked at 'boom in a', thread 'b' panicked at 'assertion failed: `(left == right)`
                  left: `42`,
                 right: `43`: the answer is off', tests/panics.rs:13:5
                tests/panics.rs:20:5
                note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

                """,
            expected: ["a": "boom in a", "b": "assertion failed: `(left == right)`\n  left: `42`,\n right: `43`: the answer is off"]),
        Case(
            testDescription: "Rust 1.73 two-line messages, the second without a note",
            stdout: prettyStdout,
            stderr: """
                thread 'a' panicked at src/lib.rs:5:9:
                assertion `left == right` failed: off
                  left: 1
                 right: 2
                note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
                thread 'b' panicked at src/lib.rs:9:9:
                boom in b

                """,
            expected: ["a": "assertion `left == right` failed: off\n  left: 1\n right: 2", "b": "boom in b"]),
        Case(
            testDescription: "Rust 1.88 thread ids, terse output",
            stdout: terseStdout,
            stderr: """
                thread 'b' (4242) panicked at src/lib.rs:9:9:
                boom in b
                thread 'a' (4243) panicked at src/lib.rs:5:9:
                boom in a

                """,
            expected: ["a": "boom in a", "b": "boom in b"]),
    ]

    @Test(arguments: cases)
    func credited(_ test: Case) {
        let (_, tests, _) = collect(stdout: Data(test.stdout.utf8), stderr: Data(test.stderr.utf8), status: .exited(101))
        for (name, message) in test.expected {
            let failure = tests.first { $0.name == name }
            #expect(failure?.outcome == .failed)
            #expect(failure?.message == message, "\(name): \(failure?.message ?? "nil")")
        }
        #expect(tests.first { $0.name == "c" }?.message == nil)
    }

    /// `--nocapture` with several threads: another test's print can land between `FAILED` and its newline, so the
    /// header has no result of its own (seen in FidelityTests once in about 200 runs, which then reported the test
    /// twice: once from libtest's failures list with its panic, once as the unfinished header with "failed").
    @Test("a result torn off its header by another test's print: one case per test, its panic its message, the text kept as its output")
    func tornResult() {
        let stdout = """

            running 3 tests
            a printed this first
            test b ... FAILEDa line from c

            test a ... FAILED
            test c ... ok

            failures:

            failures:
                a
                b

            test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.03s


            """
        let stderr = """
            thread 'b' panicked at 'the answer is off', tests/panics.rs:13:5
            note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
            thread 'a' panicked at 'boom in a', tests/panics.rs:20:5

            """
        let (_, tests, counts) = collect(stdout: Data(stdout.utf8), stderr: Data(stderr.utf8), status: .exited(101))
        #expect(tests.map(\.name).sorted() == ["a", "b", "c"], "\(tests.map(\.name))")
        let b = tests.first { $0.name == "b" }
        #expect(b?.outcome == .failed)
        #expect(b?.message == "the answer is off")
        #expect(b?.output?.hasPrefix("FAILEDa line from c") == true, "\(b?.output ?? "nil")")
        #expect(tests.first { $0.name == "a" }?.message == "boom in a")
        #expect(RunResult.Counts(tests: tests, unnamed: .none, libtest: counts).failed == 2)
    }

    /// Rust < 1.67 runs `--test-threads 1` tests on the main thread: the panics go, in order, to the tests that
    /// panic in the order they ran (failed ones and passed `should panic` ones), however stdout and stderr interleave.
    @Test func mainThreadPanicsInRunOrder() {
        var collector = TestRunCollector()
        func out(_ text: String) { var bytes = Array(text.utf8); bytes.withUnsafeMutableBytes { collector.consumeStdout(UnsafeRawBufferPointer($0)) } }
        func err(_ text: String) { var bytes = Array(text.utf8); bytes.withUnsafeMutableBytes { collector.consumeStderr(UnsafeRawBufferPointer($0)) } }
        // stdout runs ahead of stderr, as it does when both pipes are read in one go.
        out("\nrunning 5 tests\ntest a_first ... ok\ntest b_quiet ... FAILED\ntest c_noisy ... c_noisy printed this\nFAILED\n")
        out("test d_expected - should panic ... ok\ntest e_last ... FAILED\n\nfailures:\n\nfailures:\n    b_quiet\n    c_noisy\n    e_last\n\n")
        out("test result: FAILED. 2 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\n")
        err("thread 'main' panicked at 'boom in b_quiet', tests/t.rs:3:5\nnote: run with `RUST_BACKTRACE=1`\n")
        err("c_noisy wrote this to stderr\nthread 'main' panicked at 'called `Result::unwrap()` on an `Err` value: \"x\"', tests/t.rs:9:12\n")
        err("thread 'main' panicked at 'expected panic', tests/t.rs:12:5\nthread 'main' panicked at src/t.rs:15:5:\nboom in e_last\n")
        let (tests, _) = collector.finish(status: .exited(101), suiteName: "suite")
        #expect(tests.first { $0.name == "b_quiet" }?.message == "boom in b_quiet")
        #expect(tests.first { $0.name == "c_noisy" }?.message == "called `Result::unwrap()` on an `Err` value: \"x\"")
        #expect(tests.first { $0.name == "e_last" }?.message == "boom in e_last")
        #expect(tests.first { $0.name == "d_expected" }?.message == nil)
    }

    /// When the panics on the main thread do not match the tests that panic one to one, none is credited.
    @Test func mainThreadPanicsThatDoNotMatchAreNotGuessed() {
        let stdout = "\nrunning 2 tests\ntest a ... FAILED\ntest b ... FAILED\n\nfailures:\n\nfailures:\n    a\n    b\n\n"
            + "test result: FAILED. 0 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\n"
        let (_, tests, _) = collect(
            stdout: Data(stdout.utf8), stderr: Data("thread 'main' panicked at 'only one', src/lib.rs:1:1\n".utf8), status: .exited(101))
        #expect(tests.map(\.message) == ["failed", "failed"])
    }

    /// A panic in the test's own captured output still wins over a stderr line of the same name.
    @Test func capturedPanicWins() {
        let stdout = """

            running 1 test
            test a ... FAILED

            failures:

            ---- a stdout ----
            thread 'a' panicked at 'captured boom', src/lib.rs:1:1

            failures:
                a

            test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s

            """
        let (_, tests, _) = collect(
            stdout: Data(stdout.utf8), stderr: Data("thread 'a' panicked at 'other', src/lib.rs:2:2\n".utf8), status: .exited(101))
        #expect(tests.first?.message == "captured boom")
    }
}

import CrossRunKit
import Testing

/// The environments below are what nextest 0.9.148 gave a runner script that dumped its environment.
struct NextestContextTests {
    static let listEnvironment = [
        "NEXTEST": "1", "NEXTEST_BINARY_ID": "crossrun-demo", "NEXTEST_EXECUTION_MODE": "process-per-test",
        "NEXTEST_PROFILE": "default", "NEXTEST_RECOMMENDED_VERSION": "none", "NEXTEST_REQUIRED_VERSION": "none",
        "NEXTEST_RUN_ID": "b8d0d72b-06ec-4f58-9075-a0401735d743", "NEXTEST_TEST_PHASE": "list", "NEXTEST_VERSION": "0.9.148",
        "NEXTEST_WORKSPACE_ROOT": "/tmp/eco/demo", "PATH": "/usr/bin:/bin",
    ]
    static let runEnvironment = [
        "NEXTEST": "1", "NEXTEST_ATTEMPT": "1", "NEXTEST_ATTEMPT_ID": "f89b35f8-41aa-4324-a93f-194be922b2ed:crossrun-demo$crash::segfaults",
        "NEXTEST_BINARY_ID": "crossrun-demo", "NEXTEST_EXECUTION_MODE": "process-per-test", "NEXTEST_PROFILE": "default",
        "NEXTEST_RUN_ID": "f89b35f8-41aa-4324-a93f-194be922b2ed", "NEXTEST_RUN_MODE": "test", "NEXTEST_STRESS_CURRENT": "none",
        "NEXTEST_TEST_GLOBAL_SLOT": "1", "NEXTEST_TEST_GROUP": "@global", "NEXTEST_TEST_GROUP_SLOT": "none",
        "NEXTEST_TEST_NAME": "crash::segfaults", "NEXTEST_TEST_PHASE": "run", "NEXTEST_TEST_THREADS": "2",
        "NEXTEST_TOTAL_ATTEMPTS": "1", "NEXTEST_VERSION": "0.9.148",
    ]

    @Test("not under nextest: nil, whatever the arguments")
    func notNextest() {
        #expect(NextestContext.detect(environment: [:]) == nil)
        #expect(NextestContext.detect(environment: ["PATH": "/usr/bin", "CARGO": "/usr/bin/cargo"], arguments: ["--exact", "x", "--nocapture"]) == nil)
        #expect(NextestContext.detect(environment: ["NEXTEST": "0"]) == nil)
        #expect(NextestContext.detect(environment: ["NEXTEST": ""]) == nil)
    }

    @Test("nextest listing a binary")
    func listing() throws {
        let context = try #require(NextestContext.detect(environment: Self.listEnvironment, arguments: ["--list", "--format", "terse", "--ignored"]))
        #expect(context.isListing)
        #expect(!context.isSingleTest)
        #expect(context.testName == nil)
        #expect(context.binaryID == "crossrun-demo")
        #expect(context.runID == "b8d0d72b-06ec-4f58-9075-a0401735d743")
        #expect(context.version == "0.9.148")
        #expect(context.executionMode == "process-per-test")
    }

    @Test("nextest running one test")
    func singleTest() throws {
        let context = try #require(NextestContext.detect(environment: Self.runEnvironment, arguments: ["--exact", "crash::segfaults", "--nocapture"]))
        #expect(context.phase == .run)
        #expect(context.isSingleTest)
        #expect(!context.isListing)
        #expect(context.testName == "crash::segfaults")
        #expect(context.attempt == 1)
        #expect(context.totalAttempts == 1)
    }

    @Test("an older nextest without the phase and test name variables: taken from libtest's arguments",
          arguments: [
            (["--list", "--format", "terse"], NextestContext.Phase.list, String?.none),
            (["--exact", "tests::a", "--nocapture"], .run, "tests::a"),
            (["tests::b", "--exact", "--nocapture"], .run, "tests::b"),
            (["--nocapture"], .run, nil),
          ])
    func olderNextest(arguments: [String], phase: NextestContext.Phase, name: String?) throws {
        let environment = ["NEXTEST_RUN_ID": "x", "NEXTEST_EXECUTION_MODE": "process-per-test"]
        let context = try #require(NextestContext.detect(environment: environment, arguments: arguments))
        #expect(context.phase == phase)
        #expect(context.testName == name)
        #expect(context.isSingleTest == (name != nil))
    }

    @Test("a phase this crossrun does not know is kept, and is not a listing")
    func unknownPhase() throws {
        var environment = Self.runEnvironment
        environment["NEXTEST_TEST_PHASE"] = "bench"
        let context = try #require(NextestContext.detect(environment: environment))
        #expect(context.phase == .other("bench"))
        #expect(!context.isListing)
    }
}

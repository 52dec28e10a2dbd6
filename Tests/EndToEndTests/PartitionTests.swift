import Foundation
import Testing

/// `--partition`: the shares of the aarch64 demo's tests are disjoint, cover the suite, and merged with
/// `crossrun report merge` they equal an unpartitioned run, in JUnit and in results JSON.
@Suite(.enabled(if: Tool.available("qemu-aarch64-static", "xmllint")))
struct PartitionTests {
    /// (name, outcome) of every test in a results JSON run.
    func outcomes(_ run: [String: Any]) -> [String: String] {
        let tests = run["tests"] as? [[String: Any]] ?? []
        return Dictionary(tests.compactMap { t in (t["name"] as? String).map { ($0, t["outcome"] as? String ?? "") } }) { a, _ in a }
    }

    @Test("merged partitions equal an unpartitioned run", arguments: ["hash", "slice"])
    func mergedEqualsWhole(strategy: String) throws {
        let folder = try temporaryDirectory("partition")
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        let whole = try crossrun(["--json", folder.appendingPathComponent("whole.json").path, "--junit",
                                  folder.appendingPathComponent("whole.xml").path, binary])
        #expect(whole.status == 0)
        var shares: [[String: String]] = []
        let parts = folder.appendingPathComponent("parts")
        for k in 1...3 {
            let json = parts.appendingPathComponent("p\(k).json").path
            let result = try crossrun(["--partition", "\(strategy):\(k)/3", "--json", json, "--junit", parts.appendingPathComponent("p\(k).xml").path, binary])
            #expect(result.status == 0, "\(result.stderrText)")
            let run = try readResults(json)
            #expect(run["partition"] as? String == "\(strategy):\(k)/3")
            shares.append(outcomes(run))
        }
        // Disjoint, and together the whole suite.
        let all = shares.flatMap(\.keys)
        #expect(Set(all).count == all.count)
        let expected = outcomes(try readResults(folder.appendingPathComponent("whole.json").path))
        #expect(shares.reduce(into: [:]) { $0.merge($1) { a, _ in a } } == expected)

        let mergedXML = folder.appendingPathComponent("merged.xml").path
        let mergedJSON = folder.appendingPathComponent("merged.json").path
        let merge = try crossrun(["report", "merge", parts.path, "-o", mergedXML, "--json", mergedJSON])
        #expect(merge.status == 0, "\(merge.stderrText)")
        #expect(try schemaProblems(mergedXML) == nil)
        let document = try readResults(mergedJSON)
        let runs = try #require(document["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        #expect(outcomes(runs[0]) == expected)
        let xml = try String(contentsOfFile: mergedXML, encoding: .utf8)
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == expected.count)
        #expect(xml.components(separatedBy: "<testsuite ").count - 1 == 1)
    }

    /// Each CI's parallel-job variables for share `k` of 3 (GitLab counts from 1, Buildkite and CircleCI from 0).
    static let ciJobs: [(service: String, variables: @Sendable (Int) -> [String: String?])] = [
        ("GitLab", { ["CI_NODE_INDEX": "\($0)", "CI_NODE_TOTAL": "3"] }),
        ("Buildkite", { ["BUILDKITE_PARALLEL_JOB": "\($0 - 1)", "BUILDKITE_PARALLEL_JOB_COUNT": "3"] }),
        ("CircleCI", { ["CIRCLE_NODE_INDEX": "\($0 - 1)", "CIRCLE_NODE_TOTAL": "3"] }),
    ]

    @Test("--partition ci takes K/N from the CI's parallel-job variables: the same shares as hash:K/N",
          arguments: ciJobs.map(\.service))
    func partitionFromCI(service: String) throws {
        let folder = try temporaryDirectory("partition-ci")
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        let job = try #require(Self.ciJobs.first { $0.service == service })
        for k in 1...3 {
            let fromCI = folder.appendingPathComponent("ci\(k).json").path
            let result = try crossrun(["--partition", "ci", "--json", fromCI, "--junit", fromCI + ".xml", binary], environment: environment(job.variables(k)))
            #expect(result.status == 0, "\(result.stderrText)")
            let explicit = folder.appendingPathComponent("hash\(k).json").path
            #expect(try crossrun(["--partition", "hash:\(k)/3", "--json", explicit, "--junit", explicit + ".xml", binary]).status == 0)
            #expect(try readResults(fromCI)["partition"] as? String == "hash:\(k)/3")
            #expect(outcomes(try readResults(fromCI)) == outcomes(try readResults(explicit)))
        }
    }

    @Test("--partition ci outside a parallel CI job, or with a bad index, is one line, status 125")
    func partitionFromCIRefused() throws {
        let binary = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        let cases: [([String: String?], String)] = [
            ([:], "none of CI_NODE_INDEX/CI_NODE_TOTAL"),
            (["CIRCLE_NODE_INDEX": "3", "CIRCLE_NODE_TOTAL": "3"], "CIRCLE_NODE_INDEX=3 is not valid; expected 0 to 2"),
            (["CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "3"], "CI_NODE_INDEX=0 is not valid; expected 1 to 3"),
        ]
        for (variables, message) in cases {
            let result = try crossrun(["--no-report", "--partition", "ci", binary], environment: environment(variables))
            #expect(result.status == 125)
            #expect(result.stderrText.split(separator: "\n").count == 1, "\(result.stderrText)")
            #expect(result.stderrText.contains(message), "\(result.stderrText)")
        }
    }

    @Test("a bad partition is one line, status 125")
    func badSpec() throws {
        let binary = try Examples.rustDemoLibrary("aarch64-unknown-linux-gnu")
        for spec in ["hash:0/3", "slice:4/3", "mod:1/2", "hash:1"] {
            let result = try crossrun(["--no-report", "--partition", spec, binary])
            #expect(result.status == 125)
            #expect(result.stderrText.split(separator: "\n").count == 1, "\(result.stderrText)")
            #expect(result.stdout.isEmpty)
        }
    }
}

import Foundation
import Testing

/// The CI recipes (Examples/ci), the GitHub Action (action.yml) and the GitLab template
/// (templates/crossrun.gitlab-ci.yml): yamllint, their SchemaStore schemas (check-jsonschema, offline), and their
/// own shell steps run end to end by the simulated runners of CISimulator.swift: 3 partition jobs and a merge job,
/// against an unpartitioned run, on a copy of Examples/rust-demo for aarch64-unknown-linux-gnu.
///
/// Not run: the rustup steps (network), skipped by name; `make install` becomes `make install-files` with this
/// test run's crossrun (a release build takes many minutes; CROSSRUN_CI_RECIPE_FULL_BUILD=1 runs the real one).
@Suite(.serialized)
struct CIRecipeTests {
    static let recipes = Examples.root.appendingPathComponent("ci")
    static let github = recipes.appendingPathComponent("github-actions.yml").path
    static let gitlab = recipes.appendingPathComponent("gitlab-ci.yml").path
    static let buildkite = recipes.appendingPathComponent("buildkite.yml").path
    static let shellRecipe = recipes.appendingPathComponent("cross-test.sh").path
    static let action = packageRoot.appendingPathComponent("action.yml").path
    static let template = packageRoot.appendingPathComponent("templates/crossrun.gitlab-ci.yml").path
    static let target = "aarch64-unknown-linux-gnu"
    /// yamllint's default rules, with lines up to 120 characters.
    static let yamllintConfig = "{extends: default, rules: {line-length: {max: 120}}}"

    /// Each YAML file with its SchemaStore schema as check-jsonschema ships it (and its data transform).
    static let schemas: [(file: String, schema: String, transform: String?)] = [
        (github, "vendor.github-workflows", nil),
        (action, "vendor.github-actions", nil),
        (gitlab, "vendor.gitlab-ci", "gitlab-ci"),
        (template, "vendor.gitlab-ci", "gitlab-ci"),
        (buildkite, "vendor.buildkite", nil),
    ]

    @Test("yamllint accepts every recipe, the action and the template", arguments: [github, gitlab, buildkite, action, template])
    func yamllint(path: String) throws {
        let yamllint = try #require(PythonTools.find("yamllint"), "no yamllint in \(PythonTools.folder); run scripts/install-deps.sh")
        let result = try run(yamllint, ["--strict", "-d", Self.yamllintConfig, path])
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
    }

    func checkJSONSchema(_ path: String, schema: String, transform: String?) throws -> ProcessResult {
        let validator = try #require(PythonTools.find("check-jsonschema"), "no check-jsonschema in \(PythonTools.folder); run scripts/install-deps.sh")
        var arguments = ["--builtin-schema", schema]
        if let transform { arguments += ["--data-transform", transform] }
        return try run(validator, arguments + [path])
    }

    @Test("each file validates against its published schema (offline)", arguments: 0..<schemas.count)
    func schema(index: Int) throws {
        let (file, schema, transform) = Self.schemas[index]
        let result = try checkJSONSchema(file, schema: schema, transform: transform)
        #expect(result.status == 0, "\(file) against \(schema): \(result.stdoutText)\(result.stderrText)")
    }

    @Test("the schema check fails on a broken workflow, action and GitLab job")
    func schemaCheckCanFail() throws {
        let folder = try temporaryDirectory("ci-schema")
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken: [(String, String, String?, String)] = [
            // runs-on missing, a step with both run and uses, steps not a list of steps.
            ("workflow.yml", "vendor.github-workflows", nil, "on: push\njobs:\n  test:\n    steps:\n      - run: true\n        uses: actions/checkout@v4\n"),
            // A composite step without shell.
            ("action.yml", "vendor.github-actions", nil, "name: x\ndescription: x\nruns:\n  using: composite\n  steps:\n    - run: true\n"),
            // parallel out of range, script not a string or list.
            ("gitlab.yml", "vendor.gitlab-ci", "gitlab-ci", "test:\n  parallel: 500\n  script: {a: b}\n"),
        ]
        for (name, schema, transform, text) in broken {
            let file = folder.appendingPathComponent(name)
            try text.write(to: file, atomically: true, encoding: .utf8)
            let result = try checkJSONSchema(file.path, schema: schema, transform: transform)
            #expect(result.status != 0, "\(name) passed \(schema): \(result.stdoutText)")
            #expect(result.stdoutText.contains("Schema validation errors") || result.stderrText.contains("Schema validation errors"), "\(result.stdoutText)\(result.stderrText)")
        }
    }

    @Test("GitHub recipe: the merge job has checks: write and contents: read, needs the matrix and runs always")
    func githubMergeJobShape() throws {
        let workflow = try loadCIYAML(Self.github)
        let jobs = try #require(workflow["jobs"] as? [String: Any])
        let merge = try #require(jobs["merge"] as? [String: Any])
        let permissions = try #require(merge["permissions"] as? [String: String])
        #expect(permissions == ["checks": "write", "contents": "read"])
        #expect(merge["needs"] as? String == "cross-test")
        #expect(merge["if"] as? String == "always()")
        let uses = ((merge["steps"] as? [[String: Any]]) ?? []).compactMap { $0["uses"] as? String }
        #expect(uses.contains { $0.hasPrefix("mikepenz/action-junit-report@") })
        #expect(uses.contains { $0.hasPrefix("actions/download-artifact@") })
        // The matrix's partitions and the PARTITIONS the action is given agree.
        let matrix = try #require(((jobs["cross-test"] as? [String: Any])?["strategy"] as? [String: Any])?["matrix"] as? [String: Any])
        let partitions = try #require(matrix["partition"] as? [String])
        #expect(partitions == (1...partitions.count).map(String.init))
        #expect((workflow["env"] as? [String: String])?["PARTITIONS"] == String(partitions.count))
    }

    @Test("the simulated runner fails a host path in a container job, an unknown expression, an expression in run:")
    func simulatorCatchesMistakes() throws {
        let sandbox = try CISandbox()
        defer { sandbox.remove() }
        func workflow(_ step: [String: Any], container: Bool = true) -> [String: Any] {
            var job: [String: Any] = ["runs-on": "ubuntu-latest", "steps": [["uses": "actions/checkout@v4"], step]]
            if container { job["container"] = "debian:12" }
            return ["defaults": ["run": ["shell": "bash"]], "jobs": ["test": job]]
        }
        // The old recipe's bug: ${{ github.workspace }} in a container job is the host's path.
        let hostPath = ["name": "build", "env": ["SRC": "${{ github.workspace }}/src"], "run": "test -d \"$SRC\""] as [String: Any]
        let inContainer = try GitHubSimulator(sandbox: sandbox, workflow: "", replacing: workflow(hostPath)).runJob("test")
        #expect(inContainer.step("build")?.status == 1)
        let onHost = try GitHubSimulator(sandbox: sandbox, workflow: "", replacing: workflow(hostPath, container: false)).runJob("test")
        #expect(onHost.step("build")?.status == 0)
        // An action given a host path in a container job.
        let upload = ["uses": "actions/upload-artifact@v4", "with": ["name": "x", "path": "${{ runner.temp }}/x"]] as [String: Any]
        #expect(throws: SimulationError.self) { try GitHubSimulator(sandbox: sandbox, workflow: "", replacing: workflow(upload)).runJob("test") }
        // Expressions the runner does not simulate, and one inside a script.
        let secret = ["name": "secret", "env": ["TOKEN": "${{ secrets.TOKEN }}"], "run": "true"] as [String: Any]
        #expect(throws: SimulationError.self) { try GitHubSimulator(sandbox: sandbox, workflow: "", replacing: workflow(secret)).runJob("test") }
        let inline = ["name": "inline", "run": "echo ${{ github.workspace }}"] as [String: Any]
        #expect(throws: SimulationError.self) { try GitHubSimulator(sandbox: sandbox, workflow: "", replacing: workflow(inline)).runJob("test") }
        // A package name apt-get would not find here.
        let apt = ["name": "apt", "run": "apt-get install -y gcc-aarch64-linux-gnu no-such-package-crossrun"] as [String: Any]
        let missing = try GitHubSimulator(sandbox: sandbox, workflow: "", replacing: workflow(apt)).runJob("test")
        #expect(missing.step("apt")?.status == 100)
        #expect(missing.step("apt")?.output.contains("no-such-package-crossrun") == true)
    }

    @Test("the action: a bad input is one ::error line that says what to give", arguments: [
        (["partitions": "3", "partition": "4"], "partition: 4 is more than partitions (3); give 1 to 3."),
        (["partitions": "three"], "partitions: 'three' is not a positive whole number"),
        (["targets": "aarch64;rm"], "targets: 'aarch64;rm' is not a Rust target triple"),
        (["deb": "missing.deb"], "deb: no file 'missing.deb'; give the path of a crossrun .deb"),
        (["setup": "yes"], "setup: 'yes' is not true or false."),
    ])
    func actionBadInput(inputs: [String: String], message: String) throws {
        let sandbox = try CISandbox()
        defer { sandbox.remove() }
        let workflow: [String: Any] = [
            "jobs": ["test": ["runs-on": "ubuntu-latest", "steps": [["uses": "actions/checkout@v4"], ["uses": GitHubSimulator.actionReference, "with": inputs]]]]
        ]
        let job = try GitHubSimulator(sandbox: sandbox, workflow: "", replacing: workflow).runJob("test")
        let check = try #require(job.step("Check the inputs"))
        #expect(check.status == 1)
        let lines = check.output.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("::error title=crossrun action::") && lines[0].contains(message), "\(check.output)")
        // Nothing after the check ran.
        #expect(job.steps.filter { $0.status != nil }.map(\.name) == ["actions/checkout@v4", "Check the inputs"])
    }

    // MARK: End to end

    /// Checks a job's steps and what it left for leaks of host paths.
    func expectClean(_ transcript: String, workspace: URL, sandbox: CISandbox, _ what: String) {
        #expect(sandbox.leaks(in: transcript).isEmpty, "\(what) mentions a host path \(sandbox.leaks(in: transcript)):\n\(transcript.suffix(4000))")
        #expect(sandbox.leakingFiles(under: workspace).isEmpty, "\(what): files mention a host path: \(sandbox.leakingFiles(under: workspace))")
    }

    func expectSucceeded(_ job: GitHubSimulator.Job) {
        for step in job.steps where step.status != nil {
            #expect(step.status == 0, "\(job.id): step '\(step.name)' exited \(step.status!):\n\(step.output.suffix(4000))")
        }
    }

    /// Runs the GitHub recipe's matrix job for aarch64 with `partitions` partitions, then the merge job; returns
    /// the merged JUnit file's test cases and the per-partition cases.
    func runGitHub(partitions: Int, sandbox: CISandbox) throws -> (merged: [JUnitCase], shares: [[JUnitCase]]) {
        let simulator = try GitHubSimulator(sandbox: sandbox, workflow: Self.github)
        if partitions == 1 { simulator.workflowEnvOverrides["PARTITIONS"] = "1" }
        var shares: [[JUnitCase]] = []
        for partition in 1...partitions {
            let job = try simulator.runJob("cross-test", matrix: ["target": Self.target, "partition": String(partition)])
            expectSucceeded(job)
            expectClean(job.transcript, workspace: job.workspace, sandbox: sandbox, "cross-test \(partition)/\(partitions)")
            #expect(job.steps.filter(\.skippedByName).map(\.name) == ["Install Rust with the target's standard library"])
            // The action's work: the partition, the runner variable, setup's config, the packages asked for.
            #expect(job.githubEnv["CROSSRUN_PARTITION"] == (partitions > 1 ? "hash:\(partition)/\(partitions)" : nil))
            #expect(job.githubEnv[cargoRunnerVariable(Self.target)] == "crossrun")
            let config = try String(contentsOf: job.workspace.appendingPathComponent(".cargo/config.toml"), encoding: .utf8)
            #expect(config.contains("[target.\(Self.target)]\nlinker = \"aarch64-linux-gnu-gcc\"\nrunner = \"crossrun\""), "\(config)")
            #expect(sandbox.aptRequests().isSuperset(of: ["qemu-user-static", "gpgv", "debian-archive-keyring", "gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"]))
            #expect(!job.cacheKeys.isEmpty && job.cacheKeys.values.allSatisfy { !$0.isEmpty && !$0.hasSuffix("-") }, "\(job.cacheKeys)")
            let artifact = sandbox.artifacts.appendingPathComponent("crossrun-reports-\(Self.target)-\(partition)")
            var cases: [JUnitCase] = []
            for file in try FileManager.default.contentsOfDirectory(atPath: artifact.path) where file.hasSuffix(".xml") {
                cases += try JUnitCase.all(in: artifact.appendingPathComponent(file).path)
            }
            shares.append(cases)
        }
        let merge = try simulator.runJob("merge")
        expectSucceeded(merge)
        expectClean(merge.transcript, workspace: merge.workspace, sandbox: sandbox, "merge")
        let junit = merge.workspace.appendingPathComponent("junit.xml").path
        #expect(merge.publishedReports == [junit], "\(merge.steps.map { "\($0.name) \($0.status.map(String.init) ?? "not run"): \($0.output)" })")
        #expect(try schemaProblems(junit) == nil)
        // The action's cross-target matrix: its Markdown in the job summary, its HTML page as an artifact.
        #expect(merge.summary.hasPrefix("## crossrun: tests across targets\n"), "\(merge.summary.prefix(2000))")
        #expect(merge.summary.contains("| aarch64 | "), "\(merge.summary.prefix(2000))")
        let page = sandbox.artifacts.appendingPathComponent("crossrun-matrix/crossrun-matrix.html").path
        #expect(try String(contentsOfFile: page, encoding: .utf8).contains("tests::add_small_numbers"))
        return (try JUnitCase.all(in: junit).sorted(), shares)
    }

    @Test("GitHub recipe: 3 partition jobs + merge give the same JUnit test cases as an unpartitioned run")
    func githubPartitionsEqualWholeRun() throws {
        let sandbox = try CISandbox()
        defer { sandbox.remove() }
        let whole = try runGitHub(partitions: 1, sandbox: sandbox)
        let split = try CISandbox()
        defer { split.remove() }
        let partitioned = try runGitHub(partitions: 3, sandbox: split)
        #expect(whole.merged.count >= 15 && whole.merged.contains { $0.name.hasSuffix("add_small_numbers") }, "\(whole.merged)")
        #expect(partitioned.merged == whole.merged)
        // The shares were real shares: disjoint, none the whole suite, together all of it.
        #expect(partitioned.shares.map(\.count).reduce(0, +) == whole.merged.count)
        #expect(partitioned.shares.allSatisfy { $0.count < whole.merged.count })
        #expect(Set(partitioned.shares.flatMap { $0 }).count == whole.merged.count)
    }

    /// Breaks the demo's library so that cargo fails to build it (status 101) before any test runs.
    static let breakBuild = "printf '\\nfn broken( {\\n' >> src/lib.rs"

    @Test("GitHub recipe: a build that fails before any test ran fails the test step with cargo's 101; merge exits 0")
    func githubBuildFailureKeepsCargoStatus() throws {
        let sandbox = try CISandbox()
        defer { sandbox.remove() }
        let simulator = try GitHubSimulator(sandbox: sandbox, workflow: Self.github)
        // The checkout is followed by a step of the test's own that breaks the source.
        var workflow = simulator.workflow
        var jobs = try #require(workflow["jobs"] as? [String: Any])
        var job = try #require(jobs["cross-test"] as? [String: Any])
        var steps = try #require(job["steps"] as? [[String: Any]])
        steps.insert(["name": "Break the build", "run": Self.breakBuild], at: 1)
        job["steps"] = steps
        jobs["cross-test"] = job
        workflow["jobs"] = jobs
        let broken = try GitHubSimulator(sandbox: sandbox, workflow: Self.github, replacing: workflow)
        let result = try broken.runJob("cross-test", matrix: ["target": Self.target, "partition": "1"])
        let test = try #require(result.step("Run the tests"))
        #expect(test.status == 101, "\(test.output.suffix(3000))")
        #expect(result.step("Upload the reports")?.status == 0)
        let merge = try broken.runJob("merge")
        #expect(merge.step("Merge the reports")?.status == 0, "\(merge.step("Merge the reports")?.output ?? "")")
        #expect(!FileManager.default.fileExists(atPath: merge.workspace.appendingPathComponent("junit.xml").path))
        #expect(merge.step("Write the cross-target matrix")?.status == 0)
        #expect(merge.summary.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: sandbox.artifacts.appendingPathComponent("crossrun-matrix").path))
    }

    func expectSucceeded(_ runs: [GitLabSimulator.JobRun]) {
        for run in runs {
            #expect(run.record.status == 0, "\(run.name) exited \(run.record.status ?? -1):\n\(run.record.output.suffix(5000))")
        }
    }

    /// Runs the GitLab recipe's cross-test job (`parallel:` as the recipe has it, or none) and the merge job.
    func runGitLab(parallel: Int?, sandbox: CISandbox) throws -> (merged: [JUnitCase], jobs: [GitLabSimulator.JobRun]) {
        let simulator = try GitLabSimulator(sandbox: sandbox, pipeline: Self.gitlab)
        // Project settings: aarch64 only (the recipe also lists armv7), and crossrun's source from a local clone
        // rather than the network (git fetch of a folder).
        simulator.projectVariables = ["CROSSRUN_TARGETS": Self.target, "CROSSRUN_SOURCE_URL": try localSource(sandbox), "CROSSRUN_SOURCE_REF": "main"]
        let jobs = try simulator.runJob("cross-test", parallel: parallel)
        #expect(jobs.count == (parallel ?? 3))
        expectSucceeded(jobs)
        for job in jobs {
            expectClean(job.transcript, workspace: job.project, sandbox: sandbox, job.name)
            #expect(job.skippedReferences == [".rustup"])
            #expect(job.junitReports.count == 1, "\(job.junitReports)")
            for report in job.junitReports { #expect(try schemaProblems(report) == nil) }
            let config = try String(contentsOf: job.project.appendingPathComponent(".cargo/config.toml"), encoding: .utf8)
            #expect(config.contains("[target.\(Self.target)]\nlinker = \"aarch64-linux-gnu-gcc\"\nrunner = \"crossrun\""), "\(config)")
        }
        #expect(sandbox.aptRequests().isSuperset(of: ["qemu-user-static", "gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"]))
        let merge = try simulator.runJob("cross-test-report")
        expectSucceeded(merge)
        let mergeJob = try #require(merge.first)
        expectClean(mergeJob.transcript, workspace: mergeJob.project, sandbox: sandbox, "cross-test-report")
        let junit = mergeJob.project.appendingPathComponent("crossrun-junit.xml").path
        #expect(try schemaProblems(junit) == nil)
        // The template's cross-target matrix, kept as the merge job's artifacts.
        for file in ["crossrun-matrix.html", "crossrun-matrix.md"] {
            #expect(FileManager.default.fileExists(atPath: mergeJob.project.appendingPathComponent(file).path), "\(file)")
        }
        return (try JUnitCase.all(in: junit).sorted(), jobs)
    }

    /// A git repository of the package's files (the copy GitHub's runner would unpack), on branch main: the
    /// template's `git fetch` of CROSSRUN_SOURCE_URL reads it from the disk.
    func localSource(_ sandbox: CISandbox) throws -> String {
        let repository = sandbox.root.appendingPathComponent("crossrun.git")
        if FileManager.default.fileExists(atPath: repository.path) { return repository.path }
        let script = """
            set -e
            cp -a "$1" "$2"
            cd "$2"
            git init -q -b main
            git add -A
            git -c user.name=ci -c user.email=ci@example.com commit -q -m source
            """
        let result = try run("/bin/bash", ["-c", script, "-", sandbox.actionCopy.path, repository.path])
        try #require(result.status == 0, "\(result.stderrText)")
        return repository.path
    }

    @Test("GitLab recipe: parallel: 3 + the merge job give the same JUnit test cases as a job without parallel:")
    func gitlabPartitionsEqualWholeRun() throws {
        let sandbox = try CISandbox()
        defer { sandbox.remove() }
        let whole = try runGitLab(parallel: 1, sandbox: sandbox)
        let split = try CISandbox()
        defer { split.remove() }
        let partitioned = try runGitLab(parallel: nil, sandbox: split)
        #expect(whole.merged.count >= 15 && whole.merged.contains { $0.name.hasSuffix("add_small_numbers") }, "\(whole.merged)")
        #expect(partitioned.merged == whole.merged)
        // Each parallel job ran a share (GitLab's CI_NODE_INDEX/CI_NODE_TOTAL through CROSSRUN_PARTITION=ci).
        var shareCounts: [Int] = []
        for job in partitioned.jobs {
            #expect(job.variables["CROSSRUN_PARTITION"] == "ci")
            shareCounts.append(try job.junitReports.map { try JUnitCase.all(in: $0).count }.reduce(0, +))
        }
        #expect(shareCounts.reduce(0, +) == whole.merged.count)
        #expect(shareCounts.allSatisfy { $0 < whole.merged.count }, "\(shareCounts)")
    }

    @Test("GitLab recipe: a build that fails before any test ran ends the job with cargo's 101; the merge job exits 0")
    func gitlabBuildFailureKeepsCargoStatus() throws {
        let sandbox = try CISandbox()
        defer { sandbox.remove() }
        let simulator = try GitLabSimulator(sandbox: sandbox, pipeline: Self.gitlab)
        simulator.scriptPrefixes["cross-test"] = Self.breakBuild
        simulator.projectVariables = ["CROSSRUN_TARGETS": Self.target, "CROSSRUN_SOURCE_URL": try localSource(sandbox), "CROSSRUN_SOURCE_REF": "main"]
        let jobs = try simulator.runJob("cross-test", parallel: 1)
        let job = try #require(jobs.first)
        #expect(job.record.status == 101, "\(job.record.output.suffix(3000))")
        #expect(!job.record.output.contains("no JUnit reports found"))
        let merge = try #require(try simulator.runJob("cross-test-report").first)
        #expect(merge.record.status == 0, "\(merge.record.output.suffix(3000))")
    }

    @Test("Buildkite recipe with cross-test.sh: parallelism 3 + the merge step give the same test cases as one job")
    func buildkitePartitionsEqualWholeRun() throws {
        func pipeline(parallelism: Int?) throws -> [JUnitCase] {
            let sandbox = try CISandbox()
            defer { sandbox.remove() }
            let simulator = try BuildkiteSimulator(sandbox: sandbox, pipeline: Self.buildkite)
            // The agent's environment: crossrun from the source folder instead of a released .deb (network).
            simulator.agentEnvironment = ["CROSSRUN_VERSION": "", "CROSSRUN_SRC": sandbox.actionCopy.path, "CROSSRUN_TARGETS": Self.target]
            if parallelism == 1 { simulator.agentEnvironment["CROSSRUN_PARTITION"] = "hash:1/1" }
            let jobs = try simulator.runStep("cross-test", parallelism: parallelism)
            #expect(jobs.count == (parallelism ?? 3))
            let merge = try #require(try simulator.runStep("merge").first)
            for job in jobs + [merge] {
                #expect(job.record.status == 0, "\(job.record.name) exited \(job.record.status ?? -1):\n\(job.record.output.suffix(4000))")
                expectClean(job.transcript, workspace: job.project, sandbox: sandbox, job.record.name)
            }
            let junit = merge.project.appendingPathComponent("crossrun-junit.xml").path
            #expect(try schemaProblems(junit) == nil)
            // The cross-target matrix: the page beside the merged file, its Markdown as the build's annotation.
            #expect(FileManager.default.fileExists(atPath: merge.project.appendingPathComponent("crossrun-matrix.html").path))
            let annotation = try String(contentsOf: sandbox.artifacts.deletingLastPathComponent().appendingPathComponent("buildkite-annotations.md"), encoding: .utf8)
            #expect(annotation.hasPrefix("## crossrun: tests across targets\n"), "\(annotation.prefix(1000))")
            return try JUnitCase.all(in: junit).sorted()
        }
        let whole = try pipeline(parallelism: 1)
        #expect(whole.count >= 15, "\(whole)")
        #expect(try pipeline(parallelism: nil) == whole)
    }

    @Test("cross-test.sh: a build that fails before any test ran exits with cargo's 101, not 125")
    func shellRecipeBuildFailureKeepsCargoStatus() throws {
        let sandbox = try CISandbox()
        defer { sandbox.remove() }
        let simulator = try BuildkiteSimulator(sandbox: sandbox, pipeline: Self.buildkite)
        simulator.agentEnvironment = [
            "CROSSRUN_VERSION": "", "CROSSRUN_SRC": sandbox.actionCopy.path, "CROSSRUN_TARGETS": Self.target, "CROSSRUN_PARTITION": "hash:1/1",
        ]
        simulator.commandPrefix = Self.breakBuild
        let jobs = try simulator.runStep("cross-test", parallelism: 1)
        let job = try #require(jobs.first)
        #expect(job.record.status == 101, "\(job.record.output.suffix(3000))")
        #expect(!job.record.output.contains("no JUnit reports found"))
    }
}

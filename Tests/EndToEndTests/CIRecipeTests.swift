import Foundation
import Testing

/// The CI recipes in Examples/ci: valid YAML that yamllint accepts, the JUnit upload wired up, and their own shell
/// steps run here on a copy of Examples/rust-demo: install crossrun with the Makefile, `crossrun setup`,
/// `crossrun doctor`, `cargo test --target`, `crossrun report merge`.
///
/// The steps that reach the network (apt-get, rustup, cloning crossrun) are not run: scripts/install-deps.sh has
/// installed their equivalents. `make install` builds a release binary, which takes many minutes; here the step
/// runs `make install-files` with the crossrun this test run built instead (set CROSSRUN_CI_RECIPE_FULL_BUILD=1 to
/// run the real `make install`).
@Suite(.serialized, .enabled(if: PythonTools.available("yamllint") && Tool.available("cargo", "make", "qemu-aarch64-static", "xmllint")))
struct CIRecipeTests {
    static let recipes = Examples.root.appendingPathComponent("ci")
    static let github = recipes.appendingPathComponent("github-actions.yml").path
    static let gitlab = recipes.appendingPathComponent("gitlab-ci.yml").path
    static let target = "aarch64-unknown-linux-gnu"
    /// yamllint's default rules, with lines up to 120 characters.
    static let yamllintConfig = "{extends: default, rules: {line-length: {max: 120}}}"

    /// The recipe read as JSON by Python's YAML loader (PyYAML, which yamllint brings).
    func load(_ path: String) throws -> [String: Any] {
        let python = try #require(PythonTools.find("python3"))
        let script = "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)"
        let result = try run(python, ["-c", script, path])
        try #require(result.status == 0, "\(path) does not load: \(result.stderrText)")
        return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
    }

    @Test("yamllint accepts both recipes", arguments: [github, gitlab])
    func yamllint(path: String) throws {
        let yamllint = try #require(PythonTools.find("yamllint"))
        let result = try run(yamllint, ["--strict", "-d", Self.yamllintConfig, path])
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
    }

    @Test("GitHub recipe: builds crossrun with make install, runs cargo test, merges and uploads the JUnit report")
    func githubShape() throws {
        let workflow = try load(Self.github)
        let job = try #require((workflow["jobs"] as? [String: Any])?["cross-test"] as? [String: Any])
        let steps = try #require(job["steps"] as? [[String: Any]])
        let uses = steps.compactMap { $0["uses"] as? String }
        #expect(uses.contains { $0.hasPrefix("actions/upload-artifact@") })
        #expect(uses.contains { $0.hasPrefix("mikepenz/action-junit-report@") })
        let scripts = steps.compactMap { $0["run"] as? String }.joined(separator: "\n")
        #expect(scripts.contains("make -C \"$CROSSRUN_SRC\" install"))
        #expect(scripts.contains("cargo test --target \"$TARGET\""))
        #expect(scripts.contains("crossrun report merge"))
        // Reports are uploaded even when tests fail.
        for step in steps where (step["uses"] as? String)?.contains("junit") == true || (step["uses"] as? String)?.contains("upload-artifact") == true {
            #expect(step["if"] as? String == "always()")
        }
    }

    @Test("GitLab recipe: artifacts:reports:junit points at the merged report, kept when tests fail")
    func gitlabShape() throws {
        let pipeline = try load(Self.gitlab)
        let job = try #require(pipeline["cross-test"] as? [String: Any])
        let artifacts = try #require(job["artifacts"] as? [String: Any])
        #expect(artifacts["when"] as? String == "always")
        #expect((artifacts["reports"] as? [String: Any])?["junit"] as? String == "target/crossrun/junit-$TARGET.xml")
        let script = try #require(job["script"] as? [String])
        #expect(script.contains { $0.hasPrefix("cargo test --target \"$TARGET\"") })
        #expect(script.contains { $0.hasPrefix("crossrun report merge target/crossrun -o \"target/crossrun/junit-$TARGET.xml\"") })
    }

    /// A copy of Examples/rust-demo without its .cargo/ (the recipe's `crossrun setup` writes it) or target/.
    func freshProject() throws -> URL {
        let project = try temporaryDirectory("ci-recipe")
        for item in ["Cargo.toml", "Cargo.lock", "src", "tests"] {
            try FileManager.default.copyItem(at: Examples.rustDemo.appendingPathComponent(item), to: project.appendingPathComponent(item))
        }
        return project
    }

    /// Runs recipe shell steps in order with bash -e, as the CI would, in `project`. GitHub's `$GITHUB_PATH`
    /// additions are put on PATH for the following steps.
    func runSteps(_ steps: [String], in project: URL, home: URL) throws -> [ProcessResult] {
        let githubPath = home.appendingPathComponent("github-path")
        _ = FileManager.default.createFile(atPath: githubPath.path, contents: nil)
        var env = environment([
            "HOME": home.path, "TARGET": Self.target, "CROSSRUN_SRC": packageRoot.path, "GITHUB_PATH": githubPath.path,
            "CI_PROJECT_DIR": project.path, "CARGO_TERM_COLOR": "never",
        ])
        // Only the cargo from Debian has the aarch64 std here; crossrun comes from the recipe's install step, not
        // from this test run's build folder.
        env["PATH"] = "/usr/bin:/bin:/usr/sbin:/sbin"
        // `make install` builds a release binary first: minutes. Unless asked for, install this run's crossrun.
        let full = ProcessInfo.processInfo.environment["CROSSRUN_CI_RECIPE_FULL_BUILD"] == "1"
        let prelude = full ? "" : """
            make() {
              local arguments=()
              for argument in "$@"; do
                if [ "$argument" = install ]; then argument=install-files; fi
                arguments+=("$argument")
              done
              command make "${arguments[@]}" BUILT="\((crossrunExecutable as NSString).deletingLastPathComponent)"
            }

            """
        var results: [ProcessResult] = []
        for step in steps {
            let added = (try String(contentsOf: githubPath, encoding: .utf8)).split(separator: "\n").reversed().joined(separator: ":")
            var stepEnv = env
            if !added.isEmpty { stepEnv["PATH"] = added + ":" + env["PATH"]! }
            let result = try run("/bin/bash", ["-e", "-c", prelude + step], environment: stepEnv, in: project)
            results.append(result)
            if result.status != 0 { break }
        }
        return results
    }

    /// Checks what the steps left: a config naming crossrun, and a merged JUnit report that validates and counts
    /// the demo's tests.
    func checkOutcome(project: URL, home: URL, results: [ProcessResult]) throws {
        for result in results {
            #expect(result.status == 0, "a recipe step failed (\(result.status)): \(result.stdoutText)\n\(result.stderrText.suffix(3000))")
        }
        #expect(FileManager.default.isExecutableFile(atPath: home.appendingPathComponent(".local/bin/crossrun").path))
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent(".local/share/crossrun/Runners/aarch64.toml").path))
        let config = try String(contentsOf: project.appendingPathComponent(".cargo/config.toml"), encoding: .utf8)
        #expect(config.contains("[target.\(Self.target)]\nlinker = \"aarch64-linux-gnu-gcc\"\nrunner = \"crossrun\""))
        let junit = project.appendingPathComponent("target/crossrun/junit-\(Self.target).xml").path
        #expect(try schemaProblems(junit) == nil)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        // Every test of every binary's own report is in the merged one (the demo has 15, 2 of them ignored).
        let reports = project.appendingPathComponent("target/crossrun")
        var perBinary = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: reports.path) where file.hasSuffix(".json") {
            perBinary += (try readResults(reports.appendingPathComponent(file).path)["tests"] as? [Any])?.count ?? 0
        }
        #expect(perBinary >= 15)
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == perBinary)
        #expect(xml.contains("add_small_numbers"))
    }

    @Test("GitHub recipe's shell steps run: install, setup, doctor, cargo test, report merge")
    func githubStepsRun() throws {
        let workflow = try load(Self.github)
        let job = try #require((workflow["jobs"] as? [String: Any])?["cross-test"] as? [String: Any])
        let steps = try #require(job["steps"] as? [[String: Any]])
        let wanted = ["Install crossrun", "Use crossrun as the target's runner", "Run the tests"]
        let scripts = wanted.compactMap { name in steps.first { $0["name"] as? String == name }?["run"] as? String }
        try #require(scripts.count == wanted.count, "steps named \(wanted) not all found")
        let project = try freshProject()
        let home = try temporaryDirectory("ci-home")
        defer {
            try? FileManager.default.removeItem(at: project)
            try? FileManager.default.removeItem(at: home)
        }
        try checkOutcome(project: project, home: home, results: try runSteps(scripts, in: project, home: home))
    }

    @Test("GitLab recipe's script runs: install, setup, doctor, cargo test, report merge")
    func gitlabScriptRuns() throws {
        let pipeline = try load(Self.gitlab)
        let job = try #require(pipeline["cross-test"] as? [String: Any])
        let script = try #require(job["script"] as? [String])
        let project = try freshProject()
        let home = try temporaryDirectory("ci-home")
        defer {
            try? FileManager.default.removeItem(at: project)
            try? FileManager.default.removeItem(at: home)
        }
        // GitLab runs the script's lines in one shell, stopping at the first that fails.
        try checkOutcome(project: project, home: home, results: try runSteps([script.joined(separator: "\n")], in: project, home: home))
    }
}

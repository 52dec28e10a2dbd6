import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

// A simulated CI runner for the recipes in Examples/ci, action.yml and templates/crossrun.gitlab-ci.yml: their own
// shell steps run here, for real, in container-like clean folders. What is simulated, and nothing more:
// - every job gets fresh folders under one temporary root: the workspace (<root>/job-N/__w/project/project on
//   GitHub, <root>/job-N/builds/group/project on GitLab), HOME, RUNNER_TEMP; PATH holds system folders only;
// - `uses:` steps: actions/checkout copies Examples/rust-demo (Cargo.toml, Cargo.lock, src, tests) into the
//   workspace, actions/cache does nothing (its inputs are still evaluated), upload-artifact/download-artifact copy
//   to and from an artifact folder of the run, mikepenz/action-junit-report checks its file, and
//   your-org/crossrun@v1 runs action.yml's composite steps (from a copy of the package's files, as GitHub unpacks
//   an action); any other action is an error;
// - `${{ }}`: only inputs.*, matrix.*, env.*, github.workspace, github.action_path, runner.temp and
//   steps.<id>.outputs.*, and in `if:` always(), success(), failure() and `==`/`!=` against a quoted string;
//   anything else is an error, as is an expression inside a `run:` script;
// - GITHUB_ENV, GITHUB_PATH and GITHUB_OUTPUT files are honoured between steps, GITHUB_STEP_SUMMARY is collected
//   into the job's summary (1 MiB per step at most, as on GitHub); GitLab's include (of the
//   template), extends, !reference, variables (expanded as GitLab does), parallel: N, needs: artifacts, cache
//   paths (checked to be inside the project) and artifacts (paths and reports:junit, `when`);
// - apt-get is a shell function (through BASH_ENV) that installs nothing and fails unless every package it is
//   given is installed here (`dpkg -s`), so the names are real; `make install` becomes `make install-files` with
//   the crossrun this test run built (CROSSRUN_CI_RECIPE_FULL_BUILD=1 runs the real build);
// - steps that need the network (rustup) are skipped by name and counted.

struct SimulationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A recipe's YAML as JSON, every scalar a string (as the CI systems read them); GitLab's
/// `!reference [job, key]` becomes `{"!reference": [job, key]}`.
func loadCIYAML(_ path: String) throws -> [String: Any] {
    let python = try #require(PythonTools.find("python3"), "no python3 in \(PythonTools.folder); run scripts/install-deps.sh")
    let script = """
        import json, sys, yaml
        class Loader(yaml.SafeLoader): pass
        Loader.add_constructor('!reference', lambda loader, node: {'!reference': loader.construct_sequence(node)})
        def strings(value):
            if isinstance(value, dict): return {strings(k): strings(v) for k, v in value.items()}
            if isinstance(value, list): return [strings(v) for v in value]
            if value is None: return ''
            if isinstance(value, bool): return 'true' if value else 'false'
            return str(value)
        json.dump(strings(yaml.load(open(sys.argv[1]), Loader=Loader)), sys.stdout)
        """
    let result = try run(python, ["-c", script, path])
    guard result.status == 0 else { throw SimulationError("\(path) does not load: \(result.stderrText)") }
    guard let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] else {
        throw SimulationError("\(path) is not a mapping")
    }
    return object
}

/// The test cases of a JUnit file: classname, name and outcome (passed, failure, error, skipped).
struct JUnitCase: Hashable, Comparable, CustomStringConvertible {
    var classname: String
    var name: String
    var outcome: String
    static func < (a: JUnitCase, b: JUnitCase) -> Bool { (a.classname, a.name, a.outcome) < (b.classname, b.name, b.outcome) }
    var description: String { "\(classname)::\(name)=\(outcome)" }

    static func all(in path: String) throws -> [JUnitCase] {
        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: path))
        return try document.nodes(forXPath: "//testcase").compactMap { node in
            guard let element = node as? XMLElement else { return nil }
            let children = Set((element.children ?? []).compactMap { $0.name })
            let outcome = ["failure", "error", "skipped"].first { children.contains($0) } ?? "passed"
            return JUnitCase(
                classname: element.attribute(forName: "classname")?.stringValue ?? "",
                name: element.attribute(forName: "name")?.stringValue ?? "", outcome: outcome)
        }
    }
}

/// What one step (or one GitLab job's script) did.
struct StepRecord {
    var name: String
    /// nil: not run (its condition was false, or skipped by name).
    var status: Int32?
    var output: String
    var skippedByName = false
}

/// The shared part of a simulated run: its root folder, the artifact store, the crossrun to install, the shims.
final class CISandbox {
    let root: URL
    let artifacts: URL
    let built: URL
    let shims: URL
    let aptLog: URL
    /// A copy of the package's files (what GitHub unpacks for `uses: owner/name@ref`; no .build, no .git).
    let actionCopy: URL
    private var jobs = 0

    /// Host paths that must never show up in a job's output, environment, config or reports.
    let hostPaths: [String] = [packageRoot.path, (crossrunExecutable as NSString).deletingLastPathComponent]

    init() throws {
        guard Self.swiftFolder != nil else { throw SimulationError("no swift on PATH: the recipes' source builds need it") }
        root = try temporaryDirectory("ci-sim")
        artifacts = root.appendingPathComponent("artifacts")
        built = root.appendingPathComponent("built")
        shims = root.appendingPathComponent("runner-shims.bash")
        aptLog = root.appendingPathComponent("apt-get.log")
        actionCopy = root.appendingPathComponent("_actions/your-org/crossrun/v1")
        let files = FileManager.default
        try files.createDirectory(at: artifacts, withIntermediateDirectories: true)
        try files.createDirectory(at: built, withIntermediateDirectories: true)
        // What `make install-files BUILT=...` installs: crossrun and the crossrun-tools beside it.
        for name in ["crossrun", "crossrun-tools"] {
            try files.copyItem(
                atPath: (crossrunExecutable as NSString).deletingLastPathComponent + "/" + name, toPath: built.appendingPathComponent(name).path)
        }
        try files.createDirectory(at: actionCopy, withIntermediateDirectories: true)
        // The package's own files (tracked, or new and not ignored), from the working tree.
        let copy = try run(
            "/bin/bash",
            ["-c", "git -C \"$1\" ls-files -z --cached --others --exclude-standard | (cd \"$1\" && xargs -0 cp --parents -t \"$2\" 2>/dev/null); test -f \"$2/action.yml\"", "-", packageRoot.path, actionCopy.path])
        guard copy.status == 0 else { throw SimulationError("cannot copy the package into \(actionCopy.path): \(copy.stderrText)") }
        let full = ProcessInfo.processInfo.environment["CROSSRUN_CI_RECIPE_FULL_BUILD"] == "1"
        var text = """
            # The simulated runner's shims (Tests/EndToEndTests/CISimulator.swift), loaded through BASH_ENV.
            # apt-get installs nothing: every package named must already be installed here.
            apt-get() {
              local argument status=0
              case "${1:-}" in update) echo "apt-get update (simulated)"; return 0 ;; esac
              for argument in "$@"; do
                case "$argument" in
                  -*|install) ;;
                  */*) echo "E: the simulated apt-get cannot install the file $argument" >&2; status=100 ;;
                  *)
                    echo "$argument" >> '\(aptLog.path)'
                    if ! dpkg -s "$argument" >/dev/null 2>&1; then
                      echo "E: Unable to locate package $argument (simulated apt-get: not installed on this machine)" >&2
                      status=100
                    fi ;;
                esac
              done
              [ "$status" = 0 ] && echo "apt-get $* (simulated: all installed)"
              return "$status"
            }
            sudo() { "$@"; }
            # Buildkite's agent: `buildkite-agent artifact download PATTERN DESTINATION` from the run's artifacts.
            buildkite-agent() {
              # `annotate [--style S] [--context C] < MARKDOWN`: the annotation is kept beside the artifacts.
              if [ "$1" = annotate ]; then cat >> '\(artifacts.path)/../buildkite-annotations.md'; return 0; fi
              [ "$1 $2" = "artifact download" ] || { echo "buildkite-agent $1 $2: not simulated" >&2; return 1; }
              local pattern=$3 destination=$4 job file
              for job in '\(artifacts.path)'/buildkite-*/; do
                ( shopt -s nullglob globstar; cd "$job" && for file in $pattern; do
                    [ -f "$file" ] && mkdir -p "$OLDPWD/$destination/$(dirname "$file")" && cp "$file" "$OLDPWD/$destination/$file"
                  done; true )
              done
            }

            """
        if !full {
            text += """
                # make install builds a release crossrun (minutes): install this test run's crossrun instead.
                make() {
                  local arguments=() argument
                  for argument in "$@"; do
                    if [ "$argument" = install ]; then argument=install-files; fi
                    arguments+=("$argument")
                  done
                  command make "${arguments[@]}" BUILT='\(built.path)'
                }

                """
        }
        try text.write(to: shims, atomically: true, encoding: .utf8)
    }

    /// Removes the run's folders (call it from a `defer`, which also keeps the sandbox alive to the end).
    func remove() { try? FileManager.default.removeItem(at: root) }

    /// A fresh folder for the next job.
    func newJobRoot() throws -> URL {
        jobs += 1
        let folder = root.appendingPathComponent("job-\(jobs)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The folder of the Swift toolchain running the tests: it stands in for the swift image's /usr/bin/swift
    /// (the recipes build crossrun from source in `swift:6.3-bookworm`).
    static let swiftFolder: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map(String.init).first { FileManager.default.isExecutableFile(atPath: $0 + "/swift") }
    }()

    /// A clean machine's environment: system folders (and Swift's) on PATH, the given HOME, the runner's shims.
    func baseEnvironment(home: URL) -> [String: String] {
        let path = [Self.swiftFolder, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"].compactMap { $0 }.joined(separator: ":")
        return [
            "PATH": path, "HOME": home.path, "LANG": "C.UTF-8", "CI": "true", "BASH_ENV": shims.path,
            "CARGO_TERM_COLOR": "never", "RUST_BACKTRACE": "0",
        ]
    }

    /// Runs a script with bash as the CI would (`-e -o pipefail`), in `directory`.
    func runScript(_ script: String, environment: [String: String], in directory: URL, scriptFolder: URL) throws -> ProcessResult {
        try FileManager.default.createDirectory(at: scriptFolder, withIntermediateDirectories: true)
        let file = scriptFolder.appendingPathComponent("step-\(UUID().uuidString).sh")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try run("/bin/bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", file.path], environment: environment, in: directory)
    }

    /// Copies Examples/rust-demo's sources (no .cargo/, no target/) into `folder`.
    func checkOut(into folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for item in ["Cargo.toml", "Cargo.lock", "src", "tests"] {
            try FileManager.default.copyItem(at: Examples.rustDemo.appendingPathComponent(item), to: folder.appendingPathComponent(item))
        }
    }

    /// The packages the simulated apt-get was asked for.
    func aptRequests() -> Set<String> {
        Set(((try? String(contentsOf: aptLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init))
    }

    /// Host paths found in `text`.
    func leaks(in text: String) -> [String] { hostPaths.filter { text.contains($0) } }

    /// Every text file under `folder` (configs, reports) that mentions a host path.
    func leakingFiles(under folder: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var found: [String] = []
        for case let file as URL in walker {
            let name = file.lastPathComponent
            guard name.hasSuffix(".xml") || name.hasSuffix(".json") || name.hasSuffix(".toml"), !file.path.contains("/target/aarch64") else { continue }
            if let text = try? String(contentsOf: file, encoding: .utf8), !leaks(in: text).isEmpty { found.append(file.path) }
        }
        return found
    }

    /// Files and folders matching a shell glob relative to `folder` (bash: nullglob, globstar).
    func glob(_ pattern: String, in folder: URL) throws -> [String] {
        let result = try run(
            "/bin/bash", ["-c", "shopt -s nullglob globstar; cd \"$1\" || exit 1; for f in $2; do [ -e \"$f\" ] && printf '%s\\n' \"$f\"; done; true", "-", folder.path, pattern])
        return result.stdoutText.split(separator: "\n").map(String.init)
    }

    /// Copies `item` (a file or folder) to `destination`, creating folders; an existing file is an error (no
    /// artifact may silently overwrite another's file).
    func copyMerging(_ item: URL, to destination: URL) throws {
        let files = FileManager.default
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: item.path, isDirectory: &isFolder) else { throw SimulationError("no \(item.path)") }
        if isFolder.boolValue {
            try files.createDirectory(at: destination, withIntermediateDirectories: true)
            for child in try files.contentsOfDirectory(atPath: item.path) {
                try copyMerging(item.appendingPathComponent(child), to: destination.appendingPathComponent(child))
            }
        } else {
            if files.fileExists(atPath: destination.path) {
                throw SimulationError("artifacts collide: \(destination.lastPathComponent) exists already in \(destination.deletingLastPathComponent().path)")
            }
            try files.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try files.copyItem(at: item, to: destination)
        }
    }
}

/// Parses a GITHUB_ENV / GITHUB_OUTPUT file: `NAME=value` lines and `NAME<<DELIMITER` blocks.
func parseGitHubFile(_ url: URL) throws -> [String: String] {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [:] }
    var values: [String: String] = [:]
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[...]
    while let line = lines.popFirst() {
        if line.isEmpty { continue }
        if let range = line.range(of: "<<"), !line[..<range.lowerBound].contains("=") {
            let name = String(line[..<range.lowerBound])
            let delimiter = String(line[range.upperBound...])
            var body: [String] = []
            while let next = lines.popFirst(), next != delimiter { body.append(next) }
            values[name] = body.joined(separator: "\n")
        } else if let equals = line.firstIndex(of: "=") {
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        } else {
            throw SimulationError("\(url.lastPathComponent): a line that is neither NAME=value nor NAME<<DELIMITER: \(line)")
        }
    }
    return values
}

/// A simulated GitHub Actions runner for one workflow file, with `your-org/crossrun@v1` mapped to action.yml.
final class GitHubSimulator {
    let sandbox: CISandbox
    let workflow: [String: Any]
    let action: [String: Any]
    /// Workflow-level `env:` values replaced by the test (PARTITIONS=1 for the unpartitioned run).
    var workflowEnvOverrides: [String: String] = [:]
    /// Steps that need the network, skipped by name.
    static let skippedStepNames: Set<String> = ["Install Rust with the target's standard library"]
    static let actionReference = "your-org/crossrun@v1"
    /// What the host-path expressions give in a container job (GitHub's runner: actions/runner#2058, #2185).
    static let hostWorkspace = "/home/runner/work/project/project"
    static let hostTemp = "/home/runner/work/_temp"
    static let hostActionPath = "/home/runner/work/_actions/your-org/crossrun/v1"

    struct Job {
        var id: String
        var workspace: URL
        var home: URL
        var temp: URL
        /// A `container:` job: ${{ github.workspace }}, ${{ runner.temp }} and ${{ github.action_path }} are then the
        /// host's paths (/home/runner/work/...), which do not exist inside the container; the scripts see the
        /// container's (GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_ACTION_PATH), as on GitHub's runners.
        var container = false
        var steps: [StepRecord] = []
        var failed = false
        var githubEnv: [String: String] = [:]
        var githubPath: [String] = []
        /// actions/cache keys, by step name.
        var cacheKeys: [String: String] = [:]
        var publishedReports: [String] = []
        /// The job summary: what the steps wrote to their GITHUB_STEP_SUMMARY files, in order (GitHub keeps at most
        /// 1 MiB of a step's; a bigger one is an error here).
        var summary = ""
        /// Every step's output, the environment file and the PATH additions, for the leak check.
        var transcript: String { steps.map { "\($0.name): \($0.output)" }.joined(separator: "\n") + githubEnv.description + githubPath.description }
        func step(_ name: String) -> StepRecord? { steps.first { $0.name == name } }
    }

    /// Expression contexts of the step being run.
    struct Scope {
        var inputs: [String: String]?
        var actionPath: String?
        var matrix: [String: String]
        var stepIDs: Set<String>
        var outputs: [String: [String: String]] = [:]
    }

    /// The workflow at `path`, or `replacing` (the same workflow changed by a test).
    init(sandbox: CISandbox, workflow path: String, replacing: [String: Any]? = nil) throws {
        self.sandbox = sandbox
        workflow = try replacing ?? loadCIYAML(path)
        action = try loadCIYAML(packageRoot.appendingPathComponent("action.yml").path)
    }

    func jobDefinition(_ id: String) throws -> [String: Any] {
        guard let job = (workflow["jobs"] as? [String: Any])?[id] as? [String: Any] else { throw SimulationError("no job \(id)") }
        return job
    }

    // MARK: Expressions

    func value(of expression: String, scope: Scope, env: [String: String], job: Job) throws -> String {
        let parts = expression.trimmingCharacters(in: .whitespaces).split(separator: ".").map(String.init)
        switch (parts.first, parts.count) {
        case ("inputs", 2):
            guard let inputs = scope.inputs else { throw SimulationError("inputs.\(parts[1]) outside an action") }
            guard let value = inputs[parts[1]] else { throw SimulationError("unknown input \(parts[1])") }
            return value
        case ("matrix", 2):
            guard let value = scope.matrix[parts[1]] else { throw SimulationError("unknown matrix value \(parts[1])") }
            return value
        case ("env", 2):
            return env[parts[1]] ?? ""
        case ("github", 2) where parts[1] == "workspace":
            return job.container ? Self.hostWorkspace : job.workspace.path
        case ("github", 2) where parts[1] == "action_path":
            guard let path = scope.actionPath else { throw SimulationError("github.action_path outside an action") }
            return job.container ? Self.hostActionPath : path
        case ("runner", 2) where parts[1] == "temp":
            return job.container ? Self.hostTemp : job.temp.path
        case ("steps", 4) where parts[2] == "outputs":
            guard scope.stepIDs.contains(parts[1]) else { throw SimulationError("no step with id \(parts[1])") }
            return scope.outputs[parts[1]]?[parts[3]] ?? ""
        default:
            throw SimulationError("expression not simulated: \(expression)")
        }
    }

    func evaluate(_ text: String, scope: Scope, env: [String: String], job: Job) throws -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${{") {
            guard let end = rest[start.upperBound...].range(of: "}}") else { throw SimulationError("unterminated ${{ in \(text)") }
            result += rest[..<start.lowerBound]
            result += try value(of: String(rest[start.upperBound..<end.lowerBound]), scope: scope, env: env, job: job)
            rest = rest[end.upperBound...]
        }
        return result + rest
    }

    func condition(_ raw: String?, scope: Scope, env: [String: String], job: Job) throws -> Bool {
        guard var text = raw?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return !job.failed }
        if text.hasPrefix("${{"), text.hasSuffix("}}") { text = String(text.dropFirst(3).dropLast(2)).trimmingCharacters(in: .whitespaces) }
        switch text {
        case "always()": return true
        case "success()": return !job.failed
        case "failure()": return job.failed
        default: break
        }
        for op in ["==", "!="] {
            let sides = text.components(separatedBy: " \(op) ")
            guard sides.count == 2 else { continue }
            let literal = sides[1].trimmingCharacters(in: .whitespaces)
            guard literal.hasPrefix("'"), literal.hasSuffix("'"), literal.count >= 2 else { throw SimulationError("condition not simulated: \(text)") }
            let left = try value(of: sides[0], scope: scope, env: env, job: job)
            let equal = left == String(literal.dropFirst().dropLast())
            return !job.failed && (op == "==" ? equal : !equal)
        }
        throw SimulationError("condition not simulated: \(text)")
    }

    // MARK: Jobs

    /// Runs job `id` of the workflow with the given matrix values, in fresh folders.
    func runJob(_ id: String, matrix: [String: String] = [:]) throws -> Job {
        let definition = try jobDefinition(id)
        // The matrix values must be ones the workflow's matrix has.
        let declared = ((definition["strategy"] as? [String: Any])?["matrix"] as? [String: Any]) ?? [:]
        for (key, value) in matrix {
            guard let values = declared[key] as? [String], values.contains(value) else {
                throw SimulationError("job \(id) has no matrix value \(key)=\(value)")
            }
        }
        let root = try sandbox.newJobRoot()
        var job = Job(
            id: id, workspace: root.appendingPathComponent("__w/project/project"), home: root.appendingPathComponent("github/home"),
            temp: root.appendingPathComponent("__w/_temp"))
        job.container = definition["container"] != nil
        for folder in [job.workspace, job.home, job.temp] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let files = ["GITHUB_ENV", "GITHUB_PATH"].map { job.temp.appendingPathComponent("_runner_file_commands/\($0.lowercased())") }
        try FileManager.default.createDirectory(at: files[0].deletingLastPathComponent(), withIntermediateDirectories: true)
        for file in files { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }

        var scope = Scope(inputs: nil, actionPath: nil, matrix: matrix, stepIDs: [])
        var workflowEnv = (workflow["env"] as? [String: String]) ?? [:]
        for (key, value) in workflowEnvOverrides {
            guard workflowEnv[key] != nil else { throw SimulationError("the workflow has no env \(key) to override") }
            workflowEnv[key] = value
        }
        var jobEnv: [String: String] = [:]
        for (key, value) in (definition["env"] as? [String: String]) ?? [:] {
            jobEnv[key] = try evaluate(value, scope: scope, env: workflowEnv, job: job)
        }
        let defaultShell = ((workflow["defaults"] as? [String: Any])?["run"] as? [String: Any])?["shell"] as? String
        let steps = (definition["steps"] as? [[String: Any]]) ?? []
        scope.stepIDs = Set(steps.compactMap { $0["id"] as? String })
        for step in steps {
            try runStep(step, scope: &scope, baseEnv: workflowEnv.merging(jobEnv) { $1 }, defaultShell: defaultShell, job: &job, files: files)
        }
        return job
    }

    func runStep(_ step: [String: Any], scope: inout Scope, baseEnv: [String: String], defaultShell: String?, job: inout Job, files: [URL]) throws {
        let name = (step["name"] as? String) ?? (step["uses"] as? String) ?? "run"
        // The env context: workflow and job env, what earlier steps wrote to GITHUB_ENV, this step's env.
        var contextEnv = baseEnv.merging(job.githubEnv) { $1 }
        var stepEnv: [String: String] = [:]
        for (key, value) in (step["env"] as? [String: String]) ?? [:] {
            stepEnv[key] = try evaluate(value, scope: scope, env: contextEnv, job: job)
        }
        contextEnv.merge(stepEnv) { $1 }
        guard try condition(step["if"] as? String, scope: scope, env: contextEnv, job: job) else {
            job.steps.append(StepRecord(name: name, status: nil, output: ""))
            return
        }
        if Self.skippedStepNames.contains(name) {
            job.steps.append(StepRecord(name: name, status: nil, output: "", skippedByName: true))
            return
        }
        let id = step["id"] as? String
        if let script = step["run"] as? String {
            guard !script.contains("${{") else { throw SimulationError("step \(name): an expression inside run: (pass it through env:)") }
            let shell = (step["shell"] as? String) ?? (scope.inputs == nil ? defaultShell : nil)
            guard shell == "bash" else { throw SimulationError("step \(name): shell is \(shell ?? "not set"), not bash") }
            let output = job.temp.appendingPathComponent("_runner_file_commands/output-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let stepSummary = job.temp.appendingPathComponent("_runner_file_commands/step_summary_\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: stepSummary.path, contents: nil)
            var env = sandbox.baseEnvironment(home: job.home)
            env.merge(contextEnv) { $1 }
            env["PATH"] = (job.githubPath.reversed() + [env["PATH"]!]).joined(separator: ":")
            env.merge([
                "GITHUB_ACTIONS": "true", "RUNNER_OS": "Linux", "GITHUB_WORKSPACE": job.workspace.path, "RUNNER_TEMP": job.temp.path,
                "GITHUB_ENV": files[0].path, "GITHUB_PATH": files[1].path, "GITHUB_OUTPUT": output.path,
                "GITHUB_STEP_SUMMARY": stepSummary.path,
            ]) { $1 }
            if let actionPath = scope.actionPath {
                env["GITHUB_ACTION_PATH"] = actionPath
                env["GITHUB_ACTION_REPOSITORY"] = "your-org/crossrun"
            }
            var directory = job.workspace
            if let folder = step["working-directory"] as? String {
                let value = try evaluate(folder, scope: scope, env: contextEnv, job: job)
                directory = value.hasPrefix("/") ? URL(fileURLWithPath: value) : job.workspace.appendingPathComponent(value)
            }
            let result = try sandbox.runScript(script, environment: env, in: directory, scriptFolder: job.temp)
            job.steps.append(StepRecord(name: name, status: result.status, output: result.stdoutText + result.stderrText))
            if let id { scope.outputs[id] = try parseGitHubFile(output) }
            let summary = try Data(contentsOf: stepSummary)
            guard summary.count <= 1_048_576 else {
                throw SimulationError("step \(name): its job summary is \(summary.count) bytes, over GitHub's 1 MiB limit")
            }
            job.summary += String(decoding: summary, as: UTF8.self)
            job.githubEnv = try parseGitHubFile(files[0])
            job.githubPath = ((try? String(contentsOf: files[1], encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if result.status != 0 { job.failed = true }
            return
        }
        guard let uses = step["uses"] as? String else { throw SimulationError("step \(name): neither run: nor uses:") }
        var with: [String: String] = [:]
        for (key, value) in (step["with"] as? [String: String]) ?? [:] {
            with[key] = try evaluate(value, scope: scope, env: contextEnv, job: job)
        }
        // A path input of an action: relative to the workspace; an absolute one must be one of the job's folders
        // (a host path given to an action running in a container does not exist there).
        let workspace = job.workspace
        let root = sandbox.root.path
        func path(_ value: String?) throws -> URL? {
            guard let value, !value.isEmpty else { return nil }
            let url = (value.hasPrefix("/") ? URL(fileURLWithPath: value) : workspace.appendingPathComponent(value)).standardizedFileURL
            guard url.path.hasPrefix(root + "/") else {
                throw SimulationError("step \(name): the path \(value) is not in the job's folders (a host path in a container job?)")
            }
            return url
        }
        var status: Int32 = 0
        var message = ""
        switch uses {
        case _ where uses.hasPrefix("actions/checkout@"):
            try sandbox.checkOut(into: try path(with["path"]) ?? job.workspace)
        case _ where uses.hasPrefix("actions/cache@"):
            guard let key = with["key"], !key.isEmpty, let paths = with["path"], !paths.isEmpty else { throw SimulationError("step \(name): cache without path or key") }
            for line in paths.split(separator: "\n") where line.hasPrefix("/") { _ = try path(String(line)) }
            job.cacheKeys[name] = key
        case _ where uses.hasPrefix("actions/upload-artifact@"):
            guard let artifact = with["name"], !artifact.isEmpty, let source = try path(with["path"]) else {
                job.steps.append(StepRecord(name: name, status: 1, output: "upload-artifact: no name or no path (with: \(with))"))
                job.failed = true
                return
            }
            let destination = sandbox.artifacts.appendingPathComponent(artifact)
            guard !FileManager.default.fileExists(atPath: destination.path) else { throw SimulationError("artifact \(artifact) uploaded twice") }
            if FileManager.default.fileExists(atPath: source.path) {
                var isFolder: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: source.path, isDirectory: &isFolder)
                try sandbox.copyMerging(source, to: isFolder.boolValue ? destination : destination.appendingPathComponent(source.lastPathComponent))
                message = "uploaded \(artifact)"
            } else if with["if-no-files-found"] == "error" {
                status = 1
                message = "no files at \(source.path)"
            } else {
                message = "no files were found with the provided path: \(with["path"]!); no artifact will be uploaded"
            }
        case _ where uses.hasPrefix("actions/download-artifact@"):
            let destination = try path(with["path"]) ?? job.workspace
            let names = try FileManager.default.contentsOfDirectory(atPath: sandbox.artifacts.path).sorted()
            if let artifact = with["name"] {
                guard names.contains(artifact) else { throw SimulationError("step \(name): no artifact \(artifact)") }
                try sandbox.copyMerging(sandbox.artifacts.appendingPathComponent(artifact), to: destination)
            } else {
                let pattern = with["pattern"] ?? "*"
                let merge = with["merge-multiple"] == "true"
                for artifact in names where fnmatch(pattern, artifact, 0) == 0 {
                    try sandbox.copyMerging(sandbox.artifacts.appendingPathComponent(artifact), to: merge ? destination : destination.appendingPathComponent(artifact))
                }
            }
        case _ where uses.hasPrefix("mikepenz/action-junit-report@"):
            guard let report = try path(with["report_paths"]) else { throw SimulationError("step \(name): no report_paths") }
            if FileManager.default.fileExists(atPath: report.path) {
                job.publishedReports.append(report.path)
            } else if with["require_tests"] != "false" {
                status = 1
                message = "no test report at \(report.path)"
            }
        case Self.actionReference:
            let outputs = try runAction(with: with, caller: scope, job: &job, files: files, baseEnv: baseEnv)
            if let id { scope.outputs[id] = outputs }
            return
        default:
            throw SimulationError("step \(name): the action \(uses) is not simulated")
        }
        job.steps.append(StepRecord(name: name, status: status, output: message))
        if status != 0 { job.failed = true }
    }

    /// Runs action.yml's composite steps with `with` as inputs; returns the action's outputs.
    func runAction(with: [String: String], caller: Scope, job: inout Job, files: [URL], baseEnv: [String: String]) throws -> [String: String] {
        let declared = (action["inputs"] as? [String: [String: String]]) ?? [:]
        var inputs: [String: String] = [:]
        for (name, input) in declared { inputs[name] = input["default"] ?? "" }
        for (name, value) in with {
            guard declared[name] != nil else { throw SimulationError("the action has no input \(name)") }
            inputs[name] = value
        }
        guard let runs = action["runs"] as? [String: Any], runs["using"] as? String == "composite",
            let steps = runs["steps"] as? [[String: Any]]
        else { throw SimulationError("action.yml is not a composite action") }
        var scope = Scope(
            inputs: inputs, actionPath: sandbox.actionCopy.path, matrix: caller.matrix, stepIDs: Set(steps.compactMap { $0["id"] as? String }))
        for step in steps {
            try runStep(step, scope: &scope, baseEnv: baseEnv, defaultShell: nil, job: &job, files: files)
        }
        var outputs: [String: String] = [:]
        for (name, output) in (action["outputs"] as? [String: [String: String]]) ?? [:] {
            outputs[name] = try evaluate(output["value"] ?? "", scope: scope, env: baseEnv, job: job)
        }
        return outputs
    }
}

/// A simulated GitLab CI pipeline for one .gitlab-ci.yml, with the include of crossrun's template resolved to
/// templates/crossrun.gitlab-ci.yml.
final class GitLabSimulator {
    let sandbox: CISandbox
    let pipeline: [String: Any]
    /// Project-level CI/CD variables (settings), which beat the YAML's.
    var projectVariables: [String: String] = [:]
    /// Lines a test puts between a job's before_script and script, by job name.
    var scriptPrefixes: [String: String] = [:]
    /// Hidden jobs whose scripts need the network (rustup), skipped where they are !reference'd.
    static let skippedReferences: Set<String> = [".rustup"]
    static let templateProject = "your-group/crossrun"
    static let templateFile = "templates/crossrun.gitlab-ci.yml"
    private var nextJobID = 4100
    /// Artifact folders by job name (one per parallel instance).
    private(set) var artifactsOf: [String: [URL]] = [:]

    struct JobRun {
        var name: String
        var project: URL
        var record: StepRecord
        var skippedReferences: [String]
        var junitReports: [String]
        var variables: [String: String]
        var transcript: String { record.output + variables.description }
    }

    init(sandbox: CISandbox, pipeline path: String) throws {
        self.sandbox = sandbox
        var pipeline = try loadCIYAML(path)
        var merged: [String: Any] = [:]
        for include in (pipeline["include"] as? [[String: String]]) ?? [] {
            guard include["project"] == Self.templateProject, include["file"] == Self.templateFile else {
                throw SimulationError("include not simulated: \(include)")
            }
            merged = Self.deepMerge(merged, try loadCIYAML(packageRoot.appendingPathComponent(Self.templateFile).path))
        }
        pipeline["include"] = nil
        self.pipeline = Self.deepMerge(merged, pipeline)
    }

    /// GitLab's merge for include and extends: mappings merge key by key, anything else is replaced.
    static func deepMerge(_ base: [String: Any], _ over: [String: Any]) -> [String: Any] {
        var result = base
        for (key, value) in over {
            if let inner = value as? [String: Any], let existing = result[key] as? [String: Any] {
                result[key] = deepMerge(existing, inner)
            } else {
                result[key] = value
            }
        }
        return result
    }

    /// A job with its `extends` resolved.
    func job(_ name: String, depth: Int = 0) throws -> [String: Any] {
        guard depth < 11, var raw = pipeline[name] as? [String: Any] else { throw SimulationError("no job \(name)") }
        let parents: [String] = (raw["extends"] as? [String]) ?? ((raw["extends"] as? String).map { [$0] } ?? [])
        raw["extends"] = nil
        var base: [String: Any] = [:]
        for parent in parents { base = Self.deepMerge(base, try job(parent, depth: depth + 1)) }
        return Self.deepMerge(base, raw)
    }

    /// A script list with `!reference` entries resolved (those of skippedReferences left out and reported).
    func script(_ value: Any?, skipped: inout [String]) throws -> [String] {
        guard let value else { return [] }
        if let line = value as? String { return [line] }
        guard let items = value as? [Any] else { throw SimulationError("a script that is not a list: \(value)") }
        var lines: [String] = []
        for item in items {
            if let line = item as? String {
                lines.append(line)
            } else if let reference = (item as? [String: Any])?["!reference"] as? [String], reference.count == 2 {
                if Self.skippedReferences.contains(reference[0]) {
                    skipped.append(reference[0])
                    continue
                }
                lines += try script(try job(reference[0])[reference[1]], skipped: &skipped)
            } else {
                throw SimulationError("a script item not simulated: \(item)")
            }
        }
        return lines
    }

    /// GitLab's expansion of `$NAME` and `${NAME}` in variable values; an unknown name is an error here.
    static func expand(_ text: String, _ known: [String: String]) throws -> String {
        let pattern = try NSRegularExpression(pattern: #"\$(\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))"#)
        var result = text
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            let nameRange = match.range(at: 2).location != NSNotFound ? match.range(at: 2) : match.range(at: 3)
            let name = String(text[Range(nameRange, in: text)!])
            guard let value = known[name] else { throw SimulationError("variable $\(name) is not defined") }
            result.replaceSubrange(Range(match.range, in: result)!, with: value)
        }
        return result
    }

    /// Runs job `name`: N parallel instances for `parallel: N` (or `parallel` instead, 1 = no parallel:), each in
    /// a fresh project folder holding the repository and the artifacts of the jobs it needs.
    func runJob(_ name: String, parallel: Int? = nil) throws -> [JobRun] {
        let definition = try job(name)
        let instances = parallel ?? Int((definition["parallel"] as? String) ?? "1") ?? 1
        var skipped: [String] = []
        let lines = try script(definition["before_script"], skipped: &skipped) + (scriptPrefixes[name].map { [$0] } ?? [])
            + script(definition["script"], skipped: &skipped)
        guard definition["image"] as? String != nil else { throw SimulationError("job \(name) names no image") }
        for cache in (definition["cache"] as? [[String: Any]]) ?? [] {
            for path in (cache["paths"] as? [String]) ?? [] where path.hasPrefix("/") || path.hasPrefix("$") || path.contains("..") {
                throw SimulationError("job \(name): cache path \(path) is not inside the project folder")
            }
        }
        var runs: [JobRun] = []
        for index in 1...instances {
            nextJobID += 1
            let root = try sandbox.newJobRoot()
            let project = root.appendingPathComponent("builds/group/project")
            let home = root.appendingPathComponent("root")
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
            try sandbox.checkOut(into: project)
            for need in (definition["needs"] as? [[String: String]]) ?? [] where need["artifacts"] != "false" {
                guard let job = need["job"], let folders = artifactsOf[job] else { throw SimulationError("job \(name) needs \(need), which has not run") }
                for folder in folders { try sandbox.copyMerging(folder, to: project) }
            }
            let jobName = instances > 1 ? "\(name) \(index)/\(instances)" : name
            var predefined = [
                "CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": project.path, "CI_BUILDS_DIR": root.appendingPathComponent("builds").path,
                "CI_JOB_ID": String(nextJobID), "CI_JOB_NAME": jobName, "CI_JOB_STAGE": (definition["stage"] as? String) ?? "test",
                "CI_NODE_TOTAL": String(instances), "CI_PIPELINE_ID": "77",
            ]
            if instances > 1 { predefined["CI_NODE_INDEX"] = String(index) }
            // The YAML's variables (top level, then the job's), then the project's; expanded with each other.
            var raw = (pipeline["variables"] as? [String: Any]) ?? [:]
            raw.merge((definition["variables"] as? [String: Any]) ?? [:]) { $1 }
            var values = raw.mapValues { ($0 as? String) ?? (($0 as? [String: Any])?["value"] as? String) ?? "" }
            values.merge(projectVariables) { $1 }
            var variables = values
            for _ in 0..<4 {
                let known = predefined.merging(variables) { $1 }
                variables = try values.mapValues { try Self.expand($0, known) }
                values = variables
            }
            var env = sandbox.baseEnvironment(home: home)
            env.merge(predefined) { $1 }
            env.merge(variables) { $1 }
            let result = try sandbox.runScript(lines.joined(separator: "\n"), environment: env, in: project, scriptFolder: root.appendingPathComponent("tmp"))
            let record = StepRecord(name: jobName, status: result.status, output: result.stdoutText + result.stderrText)
            // Artifacts: on success, or always with when: always.
            var junit: [String] = []
            if let artifacts = definition["artifacts"] as? [String: Any], result.status == 0 || artifacts["when"] as? String == "always" {
                let store = sandbox.artifacts.appendingPathComponent("gitlab-\(nextJobID)")
                try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
                let known = predefined.merging(variables) { $1 }
                for pattern in (artifacts["paths"] as? [String]) ?? [] {
                    for match in try sandbox.glob(try Self.expand(pattern, known), in: project) {
                        try sandbox.copyMerging(project.appendingPathComponent(match), to: store.appendingPathComponent(match))
                    }
                }
                if let pattern = (artifacts["reports"] as? [String: Any])?["junit"] as? String {
                    junit = try sandbox.glob(try Self.expand(pattern, known), in: project).map { project.appendingPathComponent($0).path }
                }
                artifactsOf[name, default: []].append(store)
            }
            runs.append(JobRun(name: jobName, project: project, record: record, skippedReferences: skipped, junitReports: junit, variables: variables))
        }
        return runs
    }
}

/// A simulated Buildkite pipeline: `command` steps (with `parallelism: N`), `env`, `artifact_paths`, and
/// `buildkite-agent artifact download` (a shell function). Plugins (the docker plugin) are not run: the steps run
/// on this machine. The project folder holds the repository, with Examples/ci/cross-test.sh as
/// .buildkite/cross-test.sh, as the recipe asks.
final class BuildkiteSimulator {
    let sandbox: CISandbox
    let pipeline: [String: Any]
    /// The agent's environment (agent hooks or the agent's own settings), which beats the pipeline's.
    var agentEnvironment: [String: String] = [:]
    /// A line a test puts before each command.
    var commandPrefix: String?

    struct JobRun {
        var record: StepRecord
        var project: URL
        var variables: [String: String]
        var transcript: String { record.output + variables.description }
    }

    init(sandbox: CISandbox, pipeline path: String) throws {
        self.sandbox = sandbox
        pipeline = try loadCIYAML(path)
    }

    func step(_ key: String) throws -> [String: Any] {
        guard let step = ((pipeline["steps"] as? [Any]) ?? []).compactMap({ $0 as? [String: Any] }).first(where: { $0["key"] as? String == key }) else {
            throw SimulationError("no step with key \(key)")
        }
        return step
    }

    func runStep(_ key: String, parallelism: Int? = nil) throws -> [JobRun] {
        let definition = try step(key)
        guard let command = definition["command"] as? String else { throw SimulationError("step \(key) has no command") }
        let count = parallelism ?? Int((definition["parallelism"] as? String) ?? "1") ?? 1
        var runs: [JobRun] = []
        for index in 0..<count {
            let root = try sandbox.newJobRoot()
            let project = root.appendingPathComponent("buildkite/builds/agent/org/project")
            let home = root.appendingPathComponent("home")
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
            try sandbox.checkOut(into: project)
            try FileManager.default.createDirectory(at: project.appendingPathComponent(".buildkite"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: Examples.root.appendingPathComponent("ci/cross-test.sh"), to: project.appendingPathComponent(".buildkite/cross-test.sh"))
            let jobID = UUID().uuidString.lowercased()
            var variables = (pipeline["env"] as? [String: String]) ?? [:]
            variables.merge((definition["env"] as? [String: String]) ?? [:]) { $1 }
            variables.merge(agentEnvironment) { $1 }
            variables.merge(["BUILDKITE": "true", "BUILDKITE_JOB_ID": jobID, "BUILDKITE_BUILD_CHECKOUT_PATH": project.path]) { $1 }
            if count > 1 {
                variables["BUILDKITE_PARALLEL_JOB"] = String(index)
                variables["BUILDKITE_PARALLEL_JOB_COUNT"] = String(count)
            }
            var env = sandbox.baseEnvironment(home: home)
            env.merge(variables) { $1 }
            let script = (commandPrefix.map { $0 + "\n" } ?? "") + command
            let result = try sandbox.runScript(script, environment: env, in: project, scriptFolder: root.appendingPathComponent("tmp"))
            // artifact_paths are uploaded whatever the status.
            let store = sandbox.artifacts.appendingPathComponent("buildkite-\(jobID)")
            for pattern in (definition["artifact_paths"] as? [String]) ?? [] {
                for match in try sandbox.glob(pattern, in: project) where !match.hasSuffix("/") {
                    var isFolder: ObjCBool = false
                    if FileManager.default.fileExists(atPath: project.appendingPathComponent(match).path, isDirectory: &isFolder), !isFolder.boolValue {
                        try sandbox.copyMerging(project.appendingPathComponent(match), to: store.appendingPathComponent(match))
                    }
                }
            }
            runs.append(JobRun(record: StepRecord(name: key, status: result.status, output: result.stdoutText + result.stderrText), project: project, variables: variables))
        }
        return runs
    }
}

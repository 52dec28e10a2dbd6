#!/usr/bin/env python3
"""crossrun's side-by-side benchmark (issue 7). Run through `bash Benchmarks/run.sh`, which builds and installs
what this needs and passes the paths; this file only measures and prints the table.

Every comparison runs its commands interleaved (A B A B ...) after one warm-up round of each, so load on the machine
falls on both sides alike, and reports the median of the per-round ratios with their min–max spread. No figure here is
a test: nothing fails on a slow run. The benchmark does fail when the two sides of a comparison disagree on the
outcome (exit statuses, or passed/failed/ignored counts against nextest): a fast wrong answer is no result.
"""
import argparse
import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

AARCH64 = "aarch64-unknown-linux-gnu"
SYSROOT = "/usr/aarch64-linux-gnu"
QEMU = "qemu-aarch64-static"
RUNNER_VARIABLE = "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER"


class Failure(Exception):
    pass


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Measuring

class Step:
    """One process to run: argv, working directory, extra environment."""

    def __init__(self, argv, cwd=None, env=None, stdin=None, own_rss=False):
        self.argv, self.cwd, self.env, self.stdin = argv, cwd, env or {}, stdin
        # Measure the peak memory of this program alone, through /usr/bin/time: wait4's ru_maxrss also holds the
        # peak of the memory the child started in, and Python's subprocess starts children with vfork, so a
        # benchmark that read a big output into Python would see Python's size in every later row.
        self.own_rss = own_rss


def run_steps(steps):
    """Runs the steps one after another; returns (seconds, CPU seconds, peak RSS in KiB of any one step, exit
    statuses)."""
    peak = 0
    cpu = 0.0
    statuses = []
    start = time.perf_counter()
    for step in steps:
        env = dict(os.environ)
        env.update(step.env)
        stdin = open(step.stdin, "rb") if step.stdin else subprocess.DEVNULL
        argv = step.argv
        rss_file = None
        if step.own_rss:
            rss_file = tempfile.NamedTemporaryFile(prefix="bench-rss-", delete=False)
            rss_file.close()
            argv = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name] + argv
        process = subprocess.Popen(argv, cwd=step.cwd, env=env, stdin=stdin,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if step.stdin:
            stdin.close()
        statuses.append(process.returncode)
        if rss_file:
            with open(rss_file.name) as file:
                lines = file.read().split()
            os.unlink(rss_file.name)
            # /usr/bin/time notes a non-zero exit before the figure.
            peak = max(peak, int(lines[-1]))
        else:
            peak = max(peak, usage.ru_maxrss)
        cpu += usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start, cpu, peak, statuses


def interleave(commands, runs, check=None):
    """commands: {label: [Step, ...]}. One warm-up round, then `runs` rounds of every command in turn (the order
    rotates each round). Returns {label: {"times": [...], "rss": [...], "statuses": [...]}}. `check(label, statuses)`
    runs on every measured round."""
    labels = list(commands)
    results = {label: {"times": [], "cpu": [], "rss": [], "statuses": None} for label in labels}
    for label in labels:
        run_steps(commands[label])
    for round_number in range(runs):
        order = labels[round_number % len(labels):] + labels[:round_number % len(labels)]
        for label in order:
            wall, cpu, rss, statuses = run_steps(commands[label])
            results[label]["times"].append(wall)
            results[label]["cpu"].append(cpu)
            results[label]["rss"].append(rss)
            if results[label]["statuses"] is None:
                results[label]["statuses"] = statuses
            elif results[label]["statuses"] != statuses:
                raise Failure(f"{label}: exit statuses changed between rounds: {results[label]['statuses']} then {statuses}")
            if check:
                check(label, statuses)
    return results


def ratios(a, b):
    return [x / y for x, y in zip(a["times"], b["times"])]


def spread(values, digits=2):
    median = statistics.median(values)
    return f"{median:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def seconds(values):
    return spread(values, 3)


# ---------------------------------------------------------------------------------------------------------------
# Suites

def cargo_env(extra=None):
    env = {"PATH": "/usr/bin:" + os.environ.get("PATH", ""), "CARGO_TERM_COLOR": "never", "RUST_BACKTRACE": "0"}
    env.update(extra or {})
    return env


def test_binaries(crate_dir, selection=("--tests",)):
    """The crate's test executables for aarch64 (`selection`: cargo's target options), built if needed."""
    env = dict(os.environ)
    env.update(cargo_env())
    output = subprocess.run(
        ["cargo", "test", "--offline", *selection, "--no-run", "--target", AARCH64, "--message-format=json"],
        cwd=crate_dir, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    binaries = []
    for line in output.splitlines():
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("profile", {}).get("test") and message.get("executable"):
            binaries.append(message["executable"])
    if not binaries:
        raise Failure(f"{crate_dir}: cargo built no test executable")
    return binaries


def suite_counts(report_dir, binaries):
    """passed/failed/ignored summed over crossrun's results JSON for these binaries."""
    total = {"passed": 0, "failed": 0, "ignored": 0}
    for binary in binaries:
        path = os.path.join(report_dir, os.path.basename(binary) + ".json")
        with open(path) as file:
            counts = json.load(file)["counts"]
        for key in total:
            total[key] += counts[key]
    return total


def nextest_counts(junit_path, stderr_text):
    """passed/failed/ignored from nextest's JUnit (and its closing summary for the skipped tests)."""
    root = ET.parse(junit_path).getroot()
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    # nextest leaves ignored tests out of its JUnit; its summary line counts them as skipped.
    match = re.search(r"(\d+) tests? run: .*?(?:, (\d+) skipped)?\s*$", stderr_text, re.MULTILINE)
    if match and match.group(2):
        skipped = max(skipped, int(match.group(2)))
    return {"passed": passed, "failed": failed, "ignored": skipped}


# ---------------------------------------------------------------------------------------------------------------
# The benchmark

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--crossrun", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--demo", required=True, help="Examples/rust-demo")
    parser.add_argument("--crate", action="append", default=[],
                        help="DIR|CARGO-SELECTION: a prepared crate folder and its test targets (repeatable)")
    parser.add_argument("--nextest-bin", required=True, help="folder holding cargo-nextest")
    parser.add_argument("--flood", required=True, help="the libtest-flood generator")
    parser.add_argument("--hello", required=True, help="a static aarch64 hello world")
    parser.add_argument("--wasm", help="the demo's wasm32-wasi test module")
    parser.add_argument("--node-runner", help="a node WASI runner script")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nextest-runs", type=int, default=3, help="rounds for the (slow) nextest comparison")
    parser.add_argument("--report-runs", type=int, default=3, help="rounds for the report-throughput floods")
    parser.add_argument("--flood-sizes", type=lambda text: [int(n) for n in text.split(",")], default=[100_000, 400_000],
                        help="test counts for the report-throughput floods, comma-separated")
    parser.add_argument("--output-flood-bytes", type=int, default=2**30,
                        help="bytes of a test's own output for the output-flood row (0: skip it)")
    parser.add_argument("--only", default="startup,report,crash,suites,nextest")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    crossrun = args.crossrun
    rows = []  # (section, measure, value)
    failed_checks = []  # targets a check holds the run to (start-up): the run fails after writing the table

    def table():
        machine = f"{os.cpu_count()} cores, {platform.machine()}, {platform.platform()}"
        load = os.getloadavg()
        text = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `{crossrun}` on {machine}; "
                f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) when this was written. "
                f"Medians of {args.runs} interleaved rounds after a warm-up (nextest: {args.nextest_runs}; report "
                f"throughput: {args.report_runs}; start-up: {args.runs * 4}), min–max in brackets."]
        current = None
        for section, measure, value in rows:
            if section != current:
                text += ["", f"### {section}", "", "| measure | value |", "|---|---|"]
                current = section
            text.append(f"| {measure} | {value} |")
        return "\n".join(text) + "\n"

    def row(section, measure, value):
        rows.append((section, measure, value))
        log(f"  {measure}: {value}")
        with open(args.output, "w") as file:  # a partial table survives an interrupted run
            file.write(table())

    help_text = subprocess.run([crossrun, "run", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    has_isolate = "--isolate" in help_text
    # A crossrun with the fork server carries its guest source: its binary holds the placeholder argument.
    with open(shutil.which(crossrun) or crossrun, "rb") as binary_file:
        executable = binary_file.read()
        has_fork_server = b"crossrun-forkserver-placeholder" in executable
        has_warm_up = b"crossrun-forkserver-warm-up-matches-no-test" in executable
        has_successors = b"CROSSRUN_FORKSERVER_CARRY" in executable
    # `--isolate` with one part of the fork server turned off (docs/isolation.md), where this crossrun has it:
    # (side's label, its variable, its reports' suffix, the row's words for what it lacks).
    isolate_without = [side for present, side in [
        # One qemu start per test.
        (has_fork_server, ("crossrun --isolate, no fork server", "CROSSRUN_FORK_SERVER", "-isolate-nofork", "the fork server")),
        # The fork server without its warm-up (#the-warm-up).
        (has_warm_up, ("crossrun --isolate, no warm-up", "CROSSRUN_FORKSERVER_WARM", "-isolate-cold", "the fork server's warm-up")),
        # Every test forked from the first server (#carrying-translations-forward).
        (has_successors, ("crossrun --isolate, no successors", "CROSSRUN_FORKSERVER_CARRY", "-isolate-nocarry", "successors")),
    ] if present]
    suites = [("rust-demo (Examples)", args.demo, ["--tests"])]
    for spec in args.crate:
        folder, _, selection = spec.partition("|")
        selection = selection.split() or ["--tests"]
        suites.append((f"{os.path.basename(folder.rstrip('/'))} `{' '.join(selection)}`", folder, selection))
    report_root = os.path.join(args.work, "reports")
    slug = lambda name: re.sub(r"\W+", "-", name).strip("-")

    def startup():
        section = "5. start-up cost"
        log(section)
        # cargo's call: `crossrun BINARY`, no option of crossrun's, settings from the environment.
        commands = {
            "version": [Step([crossrun, "--version"])],
            "cargo hello": [Step([crossrun, args.hello], env={"CROSSRUN_NO_REPORT": "1"})],
            "cargo hello + reports": [Step([crossrun, args.hello], env={"CROSSRUN_REPORT_DIR": os.path.join(report_root, "hello")})],
            "option hello": [Step([crossrun, "--no-report", args.hello])],
            "bare hello": [Step([QEMU, args.hello])],
        }
        result = interleave(commands, args.runs * 4)
        millis = lambda label: spread([t * 1000 for t in result[label]["times"]], 1)
        row(section, "`crossrun --version`, ms (target ≤ 3)", millis("version"))
        row(section, f"static aarch64 hello world as cargo runs it (`crossrun BINARY`, CROSSRUN_NO_REPORT=1): bare qemu "
            f"{millis('bare hello')} ms, crossrun {millis('cargo hello')} ms; crossrun ÷ bare",
            f"**{spread(ratios(result['cargo hello'], result['bare hello']))}**")
        extra = [(c - b) * 1000 for c, b in zip(result["cargo hello"]["times"], result["bare hello"]["times"])]
        row(section, "crossrun's own start-up (hello world: crossrun − bare), ms (target ≤ 3)", spread(extra, 1))
        with_reports = [(c - b) * 1000 for c, b in zip(result["cargo hello + reports"]["times"], result["bare hello"]["times"])]
        row(section, "the same with the JUnit + JSON reports written, ms", spread(with_reports, 1))
        with_option = [(c - b) * 1000 for c, b in zip(result["option hello"]["times"], result["bare hello"]["times"])]
        row(section, "the same with a crossrun option (`--no-report`: argument-parser builds its command tree), ms", spread(with_option, 1))
        size = os.path.getsize(crossrun)
        stripped = size
        if shutil.which("strip"):
            with tempfile.TemporaryDirectory() as folder:
                copy = os.path.join(folder, "crossrun")
                subprocess.run(["strip", "-o", copy, crossrun], check=True)
                stripped = os.path.getsize(copy)
        row(section, "the crossrun executable, stripped as `make install` and the .deb install it, MB (target ≤ 15)",
            f"{stripped / 1e6:.1f} ({size / 1e6:.1f} unstripped)")
        tools = os.path.join(os.path.dirname(crossrun), "crossrun-tools")
        if os.path.exists(tools) and shutil.which("strip"):
            with tempfile.TemporaryDirectory() as folder:
                copy = os.path.join(folder, "crossrun-tools")
                subprocess.run(["strip", "-o", copy, tools], check=True)
                row(section, "crossrun-tools beside it (fetcher, wasm runtime, doctor, report merging; not on cargo's path), "
                    "stripped, MB", f"{os.path.getsize(copy) / 1e6:.1f} ({os.path.getsize(tools) / 1e6:.1f} unstripped)")
        # The start-up check: the own cost may miss its target only by the noise of this run (the median absolute
        # deviation of the per-round differences); more fails the benchmark run, after the table is written.
        target = float(os.environ.get("STARTUP_TARGET_MS", "3"))
        median = statistics.median(extra)
        noise = statistics.median([abs(value - median) for value in extra])
        verdict = "met" if median - target <= noise else f"**missed** by {median - target:.1f} ms (noise {noise:.1f} ms)"
        row(section, f"start-up check: own cost {median:.1f} ms against the {target:g} ms target", verdict)
        if median - target > noise:
            failed_checks.append(f"crossrun's own start-up is {median:.1f} ms, {median - target:.1f} ms over the {target:g} ms "
                                 f"target (noise {noise:.1f} ms): see BENCHMARKS.md's start-up section")

    def report():
        section = "4. report throughput: synthetic libtest output → results JSON + JUnit (target ≤ 1 s, ≤ 64 MiB)"
        log(section)
        out = os.path.join(args.work, "flood")
        os.makedirs(out, exist_ok=True)
        for size in args.flood_sizes:
            for shape in ("pretty", "json"):
                junit, results = os.path.join(out, f"{shape}-{size}.xml"), os.path.join(out, f"{shape}-{size}.json")
                commands = {
                    "crossrun": [Step([crossrun, "--junit", junit, "--json", results, args.flood, str(size), shape], own_rss=True)],
                    "alone": [Step([args.flood, str(size), shape])],
                }
                result = interleave(commands, args.report_runs)
                with open(results) as file:
                    counts = json.load(file)["counts"]
                expected = subprocess.run([args.flood, str(size), shape], stdout=subprocess.PIPE, text=True).stdout
                summary = re.search(r'"passed": (\d+), "failed": (\d+), "ignored": (\d+)', expected) or \
                    re.search(r"(\d+) passed; (\d+) failed; (\d+) ignored", expected)
                if (counts["passed"], counts["failed"], counts["ignored"]) != tuple(map(int, summary.groups())):
                    raise Failure(f"flood {size} {shape}: crossrun counted {counts}, the generator printed {summary.groups()}")
                size_mib = len(expected.encode()) / 2**20
                rss = statistics.median(result["crossrun"]["rss"]) / 1024
                row(section, f"{size // 1000}k tests, {shape} ({size_mib:.0f} MiB of output): wall crossrun "
                    f"{seconds(result['crossrun']['times'])} s, generator alone {seconds(result['alone']['times'])} s; "
                    f"**crossrun CPU {seconds(result['crossrun']['cpu'])} s** (generator {seconds(result['alone']['cpu'])} s)",
                    f"**{rss:.0f} MiB** peak RSS")
        # A flood of lines that are not libtest's, printed inside one test: throughput and a flat peak memory.
        size = args.output_flood_bytes
        if size > 0:
            junit, results = os.path.join(out, "output.xml"), os.path.join(out, "output.json")
            commands = {
                "crossrun": [Step([crossrun, "--junit", junit, "--json", results, args.flood, str(size), "output"], own_rss=True)],
                "alone": [Step([args.flood, str(size), "output"])],
            }
            result = interleave(commands, args.report_runs)
            with open(results) as file:
                test = json.load(file)["tests"][0]
            if test["outcome"] != "passed" or not test.get("outputTruncated"):
                raise Failure(f"output flood: crossrun recorded {test['name']} as {test['outcome']}, output truncated: {test.get('outputTruncated')}")
            rate = [size / 1e6 / t for t in result["crossrun"]["times"]]
            rss = statistics.median(result["crossrun"]["rss"]) / 1024
            row(section, f"{size / 2**30:.0f} GiB of a test's own output lines (not libtest's): wall crossrun "
                f"{seconds(result['crossrun']['times'])} s (**{spread(rate, 0)} MB/s**), generator alone "
                f"{seconds(result['alone']['times'])} s; crossrun CPU {seconds(result['crossrun']['cpu'])} s",
                f"**{rss:.0f} MiB** peak RSS")

    def crash():
        section = "3. crash-resume: the aarch64 demo suite with k = 2 crashing tests"
        log(section)
        library = next(b for b in test_binaries(args.demo) if "/crossrun_demo-" in b)
        # One test thread: with two, which of the two crashing tests ends the process first (SIGABRT or SIGSEGV)
        # varies from round to round, and the rounds must agree on the outcome.
        one_thread = "--test-threads=1"
        commands = {
            "clean": [Step([crossrun, "--no-report", library, one_thread], env=cargo_env())],
            "crashed": [Step([crossrun, "--no-report", library, one_thread], env=cargo_env({"CROSSRUN_DEMO_CRASH": "1"}))],
            "bare": [Step([QEMU, "-L", SYSROOT, library, one_thread], env=cargo_env())],
        }
        result = interleave(commands, args.runs)
        extra = [(c - n) / b for c, n, b in zip(result["crashed"]["times"], result["clean"]["times"], result["bare"]["times"])]
        row(section, f"no crash {seconds(result['clean']['times'])} s; 2 crashing tests {seconds(result['crashed']['times'])} s "
            f"(3 restarts + 2 `--nocapture` reruns); one bare qemu run {seconds(result['bare']['times'])} s; crashed ÷ clean",
            spread(ratios(result["crashed"], result["clean"])))
        row(section, "extra cost of the 2 crashes, in bare qemu process runs", f"**{spread(extra, 1)}**")
        if args.wasm and args.node_runner and shutil.which("node"):
            commands = {
                "embedded": [Step([crossrun, "--no-report", args.wasm])],
                "node": [Step(["node", "--no-warnings", args.node_runner, args.wasm])],
            }
            result = interleave(commands, args.runs)
            row(section, f"wasm32-wasi demo suite: crossrun's embedded WasmKit {seconds(result['embedded']['times'])} s, "
                f"node's WASI {seconds(result['node']['times'])} s; embedded ÷ node",
                f"**{spread(ratios(result['embedded'], result['node']))}**")

    def whole_suites():
        section = "1. whole suites: crossrun ÷ bare `qemu-aarch64-static -L` per test binary (target ≤ 1.03)"
        log(section)
        for name, crate, selection in suites:
            binaries = test_binaries(crate, selection)
            reports = os.path.join(report_root, "suites", slug(name))
            os.makedirs(reports, exist_ok=True)
            commands = {
                "crossrun": [Step([crossrun, "--report-dir", reports, b], cwd=crate, env=cargo_env()) for b in binaries],
                "bare": [Step([QEMU, "-L", SYSROOT, b], cwd=crate, env=cargo_env()) for b in binaries],
            }
            seen = {}

            def same_status(label, statuses):
                seen[label] = statuses
                if len(seen) == 2 and seen["crossrun"] != seen["bare"]:
                    raise Failure(f"{name}: crossrun exited {seen['crossrun']}, bare qemu {seen['bare']}")

            result = interleave(commands, args.runs, check=same_status)
            counts = suite_counts(reports, binaries)
            tests = counts["passed"] + counts["failed"] + counts["ignored"]
            row(section, f"{name}: {len(binaries)} binar{'y' if len(binaries) == 1 else 'ies'}, {tests} tests "
                f"({counts['passed']} passed, {counts['failed']} failed, {counts['ignored']} ignored); "
                f"bare {seconds(result['bare']['times'])} s, crossrun {seconds(result['crossrun']['times'])} s",
                f"**{spread(ratios(result['crossrun'], result['bare']), 3)}**")

    def nextest():
        section = "2. through cargo: cargo-nextest (qemu runner, JUnit) ÷ `cargo test` with crossrun (target ≥ 20)"
        log(section)
        nextest_path = args.nextest_bin + ":/usr/bin:" + os.environ.get("PATH", "")
        for name, crate, selection in suites:
            binaries = test_binaries(crate, selection)
            os.makedirs(os.path.join(crate, ".config"), exist_ok=True)
            with open(os.path.join(crate, ".config", "nextest.toml"), "w") as file:
                file.write('[profile.crossrun-bench]\nfail-fast = false\n\n[profile.crossrun-bench.junit]\npath = "junit.xml"\n')
            reports = os.path.join(report_root, "cargo", slug(name))
            os.makedirs(reports, exist_ok=True)
            cargo_test = ["cargo", "test", "--offline", *selection, "--no-fail-fast", "--target", AARCH64]
            nextest = ["cargo", "nextest", "run", "--offline", *selection, "--target", AARCH64, "--profile", "crossrun-bench"]
            commands = {
                "nextest": [Step(nextest, cwd=crate, env=cargo_env({"PATH": nextest_path, RUNNER_VARIABLE: f"{QEMU} -L {SYSROOT}"}))],
                "crossrun": [Step(cargo_test, cwd=crate, env=cargo_env({RUNNER_VARIABLE: crossrun, "CROSSRUN_REPORT_DIR": reports}))],
            }
            if has_isolate:
                commands["crossrun --isolate"] = [Step(cargo_test, cwd=crate, env=cargo_env(
                    {RUNNER_VARIABLE: f"{crossrun} --isolate", "CROSSRUN_REPORT_DIR": reports + "-isolate"}))]
                for label, variable, suffix, _ in isolate_without:
                    commands[label] = [Step(cargo_test, cwd=crate, env=cargo_env(
                        {RUNNER_VARIABLE: f"{crossrun} --isolate", variable: "0", "CROSSRUN_REPORT_DIR": reports + suffix}))]
            result = interleave(commands, args.nextest_runs)
            # The same outcomes on both sides, each from its own report (nextest's of one more run).
            env = dict(os.environ)
            env.update(commands["nextest"][0].env)
            run = subprocess.run(nextest, cwd=crate, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            theirs = nextest_counts(os.path.join(crate, "target", "nextest", "crossrun-bench", "junit.xml"), run.stderr)
            ours = suite_counts(reports, binaries)
            if theirs != ours:
                raise Failure(f"{name}: nextest counted {theirs}, crossrun {ours}")
            if has_isolate:
                isolated = suite_counts(reports + "-isolate", binaries)
                if isolated != ours:
                    raise Failure(f"{name}: crossrun --isolate counted {isolated}, crossrun {ours}")
                for _, _, suffix, lacking in isolate_without:
                    if suite_counts(reports + suffix, binaries) != ours:
                        raise Failure(f"{name}: crossrun --isolate without {lacking} counted differently from crossrun")
            row(section, f"{name}: {ours['passed']} passed, {ours['failed']} failed, {ours['ignored']} ignored on both sides; "
                f"nextest {seconds(result['nextest']['times'])} s, crossrun {seconds(result['crossrun']['times'])} s",
                f"**{spread(ratios(result['nextest'], result['crossrun']), 1)}**")
            if has_isolate:
                row(section, f"{name}: nextest ÷ `crossrun --isolate` ({seconds(result['crossrun --isolate']['times'])} s)",
                    f"**{spread(ratios(result['nextest'], result['crossrun --isolate']), 1)}**")
                row(section, f"{name}: `crossrun --isolate` ÷ `crossrun` (one process)",
                    f"**{spread(ratios(result['crossrun --isolate'], result['crossrun']), 1)}**")
                for label, variable, _, lacking in isolate_without:
                    row(section, f"{name}: `--isolate` without ÷ with {lacking} (`{variable}=0`: {seconds(result[label]['times'])} s)",
                        f"**{spread(ratios(result[label], result['crossrun --isolate']), 2)}**")
            else:
                row(section, f"{name}: nextest ÷ `crossrun --isolate`", "TODO: this crossrun has no `--isolate` yet")

    sections = {"startup": startup, "report": report, "crash": crash, "suites": whole_suites, "nextest": nextest}
    for name in args.only.split(","):
        sections[name]()
    rows.sort(key=lambda r: r[0][:2])  # sections in their numbered order
    with open(args.output, "w") as file:
        file.write(table())
    print(table())
    if failed_checks:
        raise Failure("; ".join(failed_checks))


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        log(f"benchmark failed: {failure}")
        sys.exit(1)

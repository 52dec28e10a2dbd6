#!/usr/bin/env python3
"""Re-records Tests/CrossRunKitTests/Fixtures/libtest/: real libtest output from real test binaries.

Sources:
  * Examples/rust-demo built with Debian's Rust 1.63 for aarch64 (run under qemu-aarch64-static) and with the
    rustup toolchain (first in PATH, 1.95 when recorded) natively for x86_64 (copied to /tmp so the
    checked-in Cargo.lock stays untouched);
  * a scratch crate of edge cases (written to /tmp/crossrun-edge by this script), built the same two ways.

Every case is written as raw bytes: NAME.stdout, NAME.stderr (only when non-empty), NAME.combined for the cases
that record stdout and stderr through one pipe. manifest.json lists each case's command, environment and
exit code; README.md is written by hand from it. Run from anywhere; needs scripts/install-deps.sh's packages
and Examples/build.sh to have run once. Timings ("finished in 0.05s") differ from run to run.
"""
import json, os, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/CrossRunKitTests/Fixtures/libtest"
DEMO = ROOT / "Examples/rust-demo"
NATIVE_DEMO = Path("/tmp/crossrun-demo-native")
EDGE = Path("/tmp/crossrun-edge")
DEBIAN_PATH = "/usr/bin:" + os.environ["PATH"]
RUSTUP_CARGO = os.path.expanduser("~/.cargo/bin/cargo")
QEMU_A64 = ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"]

EDGE_LIB = r'''//! Scratch crate for crossrun's libtest parser fixtures: edge cases the demo crate does not cover.

#[cfg(test)]
mod edge {
    use std::io::Write;

    #[test]
    fn passes() {}

    #[test]
    #[should_panic]
    fn did_not_panic() {}

    #[test]
    #[should_panic(expected = "expected text")]
    fn wrong_panic_message() {
        panic!("some other text");
    }

    #[test]
    fn control_and_invalid_utf8() {
        // Written straight to the process's stdout: libtest's capture only sees print!/println!.
        let mut out = std::io::stdout();
        out.write_all(b"raw bytes: \xff\xfe\x80 end\n").unwrap();
        out.flush().unwrap();
        // Captured, shown in the failures section.
        println!("control chars: ESC=\x1b[31mred\x1b[0m BEL=\x07 NUL=\0 VT=\x0b FF=\x0c CR=\r| tab=\t|");
        panic!("failing with control chars: \x1b[1mbold\x1b[0m \x07");
    }

    #[test]
    fn cdata_terminator() {
        println!("<![CDATA[ inner ]]> and <tag attr=\"v\"> & 'apos'");
        panic!("message with ]]> and <xml> & \"quotes\"\nsecond line of the message");
    }

    #[test]
    fn non_string_panic() {
        std::panic::panic_any(42u32);
    }

    #[test]
    #[ignore]
    fn exits_process() {
        println!("about to call process::exit(3)");
        std::process::exit(3);
    }

    #[test]
    #[ignore]
    fn aborts() {
        println!("about to abort");
        std::process::abort();
    }
}
'''


def run(cmd, cwd, env):
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)


def test_executables(cwd, env, extra):
    """Absolute paths of the test executables, keyed by target name (crate name or integration test name)."""
    out = subprocess.run(["cargo", "test", "--offline", "-q", "--no-run", "--message-format=json", *extra],
                         cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    exes = {}
    for line in out.decode().splitlines():
        if not line.startswith("{"):
            continue
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("profile", {}).get("test") and msg.get("executable"):
            exes[msg["target"]["name"]] = msg["executable"]
    return exes


def build():
    deb = dict(os.environ, PATH=DEBIAN_PATH)
    rustup = dict(os.environ)
    rustup["PATH"] = os.path.dirname(RUSTUP_CARGO) + ":" + os.environ["PATH"]
    # edge crate
    (EDGE / "src").mkdir(parents=True, exist_ok=True)
    (EDGE / ".cargo").mkdir(exist_ok=True)
    (EDGE / "Cargo.toml").write_text('[package]\nname = "edge"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n')
    (EDGE / ".cargo/config.toml").write_text('[target.aarch64-unknown-linux-gnu]\nlinker = "aarch64-linux-gnu-gcc"\n')
    (EDGE / "src/lib.rs").write_text(EDGE_LIB)
    # native copy of the demo crate
    if NATIVE_DEMO.exists():
        shutil.rmtree(NATIVE_DEMO)
    NATIVE_DEMO.mkdir()
    for name in ["Cargo.toml", "Cargo.lock", "src", "tests"]:
        src = DEMO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, NATIVE_DEMO / name)
    a64 = ["--target", "aarch64-unknown-linux-gnu"]
    bins = {}
    d = test_executables(DEMO, deb, a64)
    bins["a63"], bins["a63i"] = d["crossrun_demo"], d["integration"]
    d = test_executables(NATIVE_DEMO, rustup, [])
    bins["n95"], bins["n95i"] = d["crossrun_demo"], d["integration"]
    bins["e63"] = test_executables(EDGE, dict(deb, CARGO_TARGET_DIR=str(EDGE / "target-1.63")), a64)["edge"]
    bins["e95"] = test_executables(EDGE, dict(rustup, CARGO_TARGET_DIR=str(EDGE / "target-rustup")), [])["edge"]
    versions = {
        "1.63": subprocess.run(["/usr/bin/rustc", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip(),
        "rustup": subprocess.run([os.path.dirname(RUSTUP_CARGO) + "/rustc", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip(),
    }
    return bins, versions, rustup


def main():
    bins, versions, rustup_env = build()
    OUT.mkdir(parents=True, exist_ok=True)
    base_env = {k: v for k, v in os.environ.items() if k not in ("CROSSRUN_DEMO_FAIL", "RUSTC_BOOTSTRAP", "RUST_BACKTRACE")}
    base_env["RUST_BACKTRACE"] = "0"
    manifest = []

    def case(name, binkey, args, env=None, combined=False, description=""):
        exe = bins[binkey]
        cmd = (QEMU_A64 if binkey.startswith(("a", "e6")) else []) + [exe] + args
        cwd = EDGE if binkey.startswith("e") else (DEMO if binkey.startswith("a") else NATIVE_DEMO)
        e = dict(base_env, **(env or {}))
        r = subprocess.run(cmd, cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        (OUT / f"{name}.stdout").write_bytes(r.stdout)
        files = [f"{name}.stdout"]
        err = OUT / f"{name}.stderr"
        if r.stderr:
            err.write_bytes(r.stderr)
            files.append(err.name)
        elif err.exists():
            err.unlink()
        if combined:
            rc = subprocess.run(cmd, cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            (OUT / f"{name}.combined").write_bytes(rc.stdout)
            files.append(f"{name}.combined")
        shown_env = {"RUST_BACKTRACE": e["RUST_BACKTRACE"], **(env or {})}
        display = " ".join(f"{k}={v}" for k, v in shown_env.items()) + " " + " ".join(
            (["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"] if cmd[0].startswith("qemu") else [])
            + [os.path.basename(exe)] + args)
        manifest.append({"name": name, "files": files, "command": display, "exit_code": r.returncode,
                         "description": description})
        print(f"{r.returncode:4d} {name}", file=sys.stderr)

    fail = {"CROSSRUN_DEMO_FAIL": "1"}
    for tc, lib, integ, edge in [("rust1.63-aarch64", "a63", "a63i", "e63"), ("rust1.95-x86_64", "n95", "n95i", "e95")]:
        json_env = {} if tc.startswith("rust1.63") else {"RUSTC_BOOTSTRAP": "1"}
        case(f"{tc}-pretty-pass", lib, [], description="default (pretty) format, all pass")
        case(f"{tc}-pretty-fail", lib, [], fail, description="pretty, tests::opt_in_failure fails")
        case(f"{tc}-pretty-fail-backtrace", lib, [], dict(fail, RUST_BACKTRACE="1"), description="pretty failing run with RUST_BACKTRACE=1")
        case(f"{tc}-terse-pass", lib, ["--format", "terse"], description="terse format, all pass")
        case(f"{tc}-terse-fail", lib, ["--format", "terse"], fail, description="terse format, one failure")
        case(f"{tc}-json-pass", lib, ["-Z", "unstable-options", "--format", "json"], json_env, description="JSON events, all pass")
        case(f"{tc}-json-fail", lib, ["-Z", "unstable-options", "--format", "json"], dict(json_env, **fail), description="JSON events, one failure")
        case(f"{tc}-json-report-time-fail", lib, ["-Z", "unstable-options", "--format", "json", "--report-time"], dict(json_env, **fail), description="JSON with exec_time, one failure")
        case(f"{tc}-json-show-output-pass", lib, ["-Z", "unstable-options", "--format", "json", "--show-output"], json_env, description="JSON with stdout of passing tests")
        case(f"{tc}-pretty-report-time-pass", lib, ["-Z", "unstable-options", "--report-time"], json_env, description="pretty with <time> suffixes")
        case(f"{tc}-nocapture-fail", lib, ["--nocapture"], fail, description="--nocapture: test output goes straight to stdout/stderr")
        case(f"{tc}-nocapture-threads1-fail", lib, ["--nocapture", "--test-threads=1"], fail, combined=True,
             description="--nocapture --test-threads=1; .combined has stdout and stderr through one pipe")
        case(f"{tc}-show-output-pass", lib, ["--show-output"], description="--show-output: successes section")
        case(f"{tc}-show-output-fail", lib, ["--show-output"], fail, description="--show-output with a failure")
        case(f"{tc}-list", lib, ["--list"], description="--list")
        case(f"{tc}-list-terse", lib, ["--list", "--format", "terse"], description="--list --format terse")
        case(f"{tc}-list-ignored", lib, ["--list", "--ignored"], description="--list --ignored")
        case(f"{tc}-ignored", lib, ["--ignored"], description="--ignored: runs only the 2 ignored tests; needs_real_hardware panics")
        case(f"{tc}-include-ignored", lib, ["--include-ignored"], description="--include-ignored: all 10 run; needs_real_hardware panics")
        case(f"{tc}-filter-substring", lib, ["tests::divide"], description="substring filter tests::divide")
        case(f"{tc}-filter-exact", lib, ["--exact", "tests::add_small_numbers"], description="--exact tests::add_small_numbers")
        case(f"{tc}-filter-none-match", lib, ["no_such_test"], description="filter that matches nothing")
        case(f"{tc}-color-always-fail", lib, ["--color", "always"], fail, description="pretty with ANSI colours, one failure")
        case(f"{tc}-threads1-pass", lib, ["--test-threads=1"], description="--test-threads=1, deterministic order")
        case(f"{tc}-integration-pass", integ, [], description="the integration-test binary (tests/integration.rs)")
        case(f"{tc}-edge-pretty", edge, [], description="scratch edge crate, pretty: did-not-panic, wrong message, control chars and invalid UTF-8, ]]>, non-string payload")
        case(f"{tc}-edge-terse", edge, ["--format", "terse"], description="scratch edge crate, terse")
        case(f"{tc}-edge-json", edge, ["-Z", "unstable-options", "--format", "json"], json_env, description="scratch edge crate, JSON")
        case(f"{tc}-edge-nocapture", edge, ["--nocapture", "--test-threads=1"], combined=True, description="scratch edge crate, --nocapture --test-threads=1")
        case(f"{tc}-edge-exit-process", edge, ["--ignored", "--exact", "edge::exits_process"], description="a test calls process::exit(3): output stops mid-run, no result line")
        case(f"{tc}-edge-abort", edge, ["--ignored", "--exact", "edge::aborts"], description="a test calls process::abort(): SIGABRT, no result line")
    # unstable options refused on the rustup stable toolchain without RUSTC_BOOTSTRAP
    case("rust1.95-x86_64-json-without-bootstrap", "n95", ["-Z", "unstable-options", "--format", "json"], description="rustup stable without RUSTC_BOOTSTRAP: refused")
    case("rust1.95-x86_64-json-without-z", "n95", ["--format", "json"], description="--format json without -Z unstable-options, no RUSTC_BOOTSTRAP")
    case("rust1.95-x86_64-json-without-z-bootstrap", "n95", ["--format", "json"], {"RUSTC_BOOTSTRAP": "1"}, description="--format json without -Z unstable-options, RUSTC_BOOTSTRAP=1")
    case("rust1.63-aarch64-json-without-z", "a63", ["--format", "json"], description="Debian 1.63: --format json without -Z unstable-options")

    # doctests: cargo test --doc natively (stdout is rustdoc's libtest output; stderr is cargo's progress)
    for tc, cargo, env, cwd in [("rust1.95-x86_64", "cargo", rustup_env, NATIVE_DEMO),
                                ("rust1.63-x86_64", "/usr/bin/cargo", dict(os.environ, PATH=DEBIAN_PATH), DEMO)]:
        e = {k: v for k, v in env.items() if k not in ("CROSSRUN_DEMO_FAIL", "RUSTC_BOOTSTRAP")}
        e["RUST_BACKTRACE"] = "0"
        if tc.startswith("rust1.63"):
            e["CARGO_TARGET_DIR"] = str(DEMO / "target")
        cmd = [cargo, "test", "--offline", "--doc"]
        r = subprocess.run(cmd, cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        name = f"{tc}-doctest-pass"
        (OUT / f"{name}.stdout").write_bytes(r.stdout)
        (OUT / f"{name}.stderr").write_bytes(r.stderr)
        manifest.append({"name": name, "files": [f"{name}.stdout", f"{name}.stderr"],
                         "command": "RUST_BACKTRACE=0 cargo test --offline --doc", "exit_code": r.returncode,
                         "description": "rustdoc's doctest run (stdout); cargo's progress lines on stderr"})
        print(f"{r.returncode:4d} {name}", file=sys.stderr)

    (OUT / "manifest.json").write_text(json.dumps({"toolchains": versions, "cases": manifest}, indent=1) + "\n")


if __name__ == "__main__":
    main()

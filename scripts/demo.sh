#!/usr/bin/env bash
# The main job: crossrun on the Examples. Installs what is missing, builds crossrun (release), runs the Rust
# example's tests for aarch64, armv7, big-endian s390x (qemu-user), wasm32-wasi (Debian rustc 1.63's name of
# wasm32-wasip1; embedded WasmKit, or wasmtime when on PATH) and x86_64-pc-windows-gnu (wine) through `cargo test`
# with crossrun as the runner, runs the riscv64 and
# arm soft-float C examples and three bare-metal images through crossrun, shows the aarch64 library under
# --isolate, merges every report into one JUnit file, writes the cross-target matrix (an HTML page and Markdown)
# and says where they are.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

bash scripts/install-deps.sh
echo "==> building crossrun (release)" >&2
swift build -c release --product crossrun >&2
swift build -c release --product crossrun-tools >&2
bin="$(swift build -c release --show-bin-path)"
export PATH="/usr/bin:$bin:$PATH"
echo "==> building the Examples" >&2
bash Examples/build.sh

reports="$root/Examples/rust-demo/target/crossrun"
rm -rf "$reports"
status=0
cd "$root/Examples/rust-demo"
for target in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf s390x-unknown-linux-gnu wasm32-wasi; do
  echo "==> cargo test --target $target   (runner = \"crossrun\" in Examples/rust-demo/.cargo/config.toml)" >&2
  cargo test --offline --target "$target" || status=$?
done
# Windows under wine (installed by install-deps). RUST_BACKTRACE=0: with Debian's Rust 1.63 std under wine 8.0 a
# backtrace of a panicking test thread crashes the process (docs/windows.md, "Known problems").
echo "==> cargo test --target x86_64-pc-windows-gnu   (Windows PE test executables under wine)" >&2
RUST_BACKTRACE=0 cargo test --offline --target x86_64-pc-windows-gnu || status=$?
cd "$root"
for program in libtest_style-riscv64 libtest_style-armel; do
  echo "==> crossrun Examples/c/build/$program" >&2
  crossrun --report-dir "$reports" "Examples/c/build/$program" || status=$?
done

for image in rust-tests-cortex-m3.elf pass-rv32.elf pass-rv64.elf; do
  echo "==> crossrun Examples/embedded/build/$image   (bare metal: qemu-system with semihosting)" >&2
  crossrun --report-dir "$reports" "Examples/embedded/build/$image" || status=$?
done

library="$(bash Examples/build.sh --print-rust-binaries aarch64-unknown-linux-gnu | grep '/crossrun_demo-' | head -1)"
echo "==> crossrun --isolate -j 2 $(basename "$library")   (one process per test, 2 at a time; no report: shown only)" >&2
crossrun --isolate -j 2 --no-report "$library" || status=$?

echo "==> summary" >&2
crossrun report merge "$reports" -o "$reports/junit.xml" --json "$reports/results.json"
# Every test on every target, differences first (docs/matrix.md): a table here, an HTML page and a Markdown
# summary. (CROSSRUN_DEMO_DIFFER=1 makes tests::opt_in_failure fail on the 32-bit targets, armv7 and wasm32: the
# page's first row, before tests::divide_by_zero_panics, which wasm's libtest ignores.)
echo "==> crossrun report matrix   (every test on every target)" >&2
crossrun report matrix "$reports" --html "$reports/matrix.html" --markdown "$reports/matrix.md"
echo "JUnit report: $reports/junit.xml" >&2
echo "Results JSON (all runs): $reports/results.json" >&2
echo "Cross-target matrix: open file://$reports/matrix.html in a browser (Markdown summary: $reports/matrix.md)" >&2
echo "Per-binary reports (JUnit and results JSON): $reports/" >&2
exit "$status"

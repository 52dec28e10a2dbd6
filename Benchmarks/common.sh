# Shared by the benchmark scripts: builds crossrun and crossrun-tools (release with a static Swift runtime, as `make
# install` does; CROSSRUN_BIN=path skips that and measures the given binary, with the crossrun-tools beside it) and the
# Examples, and
# offers `median_of N COMMAND...`, which prints the median wall time in seconds of N runs after one warm-up.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/install-deps.sh
# CROSSRUN_BIN measures a crossrun built elsewhere (e.g. an older one, for before/after figures);
# CROSSRUN_SCRATCH builds into another scratch path than .build.
if [ -n "${CROSSRUN_BIN:-}" ]; then
  crossrun="$(cd "$(dirname "$CROSSRUN_BIN")" && pwd)/$(basename "$CROSSRUN_BIN")"
else
  # Built as `make install` (the README's install) builds them: both products (crossrun starts crossrun-tools beside
  # it for wasm modules, system mode and first-use sysroot fetches), release, Swift's runtime, libstdc++ and the
  # unwinder linked in.
  scratch="${CROSSRUN_SCRATCH:-$root/.build-static}"
  make build SCRATCH="$scratch" >&2
  crossrun="$(make -s --no-print-directory bin-path SCRATCH="$scratch")/crossrun"
fi
export PATH="/usr/bin:$PATH"
bash Examples/build.sh

median_of() {
  local runs="$1"; shift
  "$@" >/dev/null 2>&1 || true   # warm-up
  python3 - "$runs" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, command = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append(time.perf_counter() - start)
print(f"{statistics.median(times):.4f} {min(times):.4f} {max(times):.4f}")
PY
}

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}')" "$1" "$2"; }

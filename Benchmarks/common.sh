# Shared by the benchmark scripts: builds crossrun (release, as the README install does) and the Examples, and
# offers `median_of N COMMAND...`, which prints the median wall time in seconds of N runs after one warm-up.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/install-deps.sh
swift build -c release --product crossrun >&2
crossrun="$(swift build -c release --show-bin-path)/crossrun"
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

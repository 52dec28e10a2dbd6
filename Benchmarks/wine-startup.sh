#!/usr/bin/env bash
# wine's start-up cost: a trivial C program (Examples/c/libtest_style.c) as a Windows PE under wine, directly and
# through crossrun, against the same program built for Linux run natively and under qemu-aarch64-static.
# Interleaved rounds (A B C ... each round), medians in ms. RUNS=10 by default; CROSSRUN_BIN picks the crossrun.
#   bash Benchmarks/wine-startup.sh
set -euo pipefail
export PATH="/usr/bin:$PATH"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-10}"
crossrun="${CROSSRUN_BIN:-$here/.build/debug/crossrun}"
work=$(mktemp -d)
trap 'WINEPREFIX="$work/prefix" wineserver -k 2>/dev/null || true; rm -rf "$work"' EXIT
src="$here/Examples/c/libtest_style.c"
gcc -O1 -o "$work/native" "$src"
aarch64-linux-gnu-gcc -O1 -static -o "$work/aarch64" "$src"
x86_64-w64-mingw32-gcc -O1 -o "$work/tests.exe" "$src"
export WINEDEBUG=-all WINEDLLOVERRIDES=winedbg.exe=d CROSSRUN_CACHE_DIR="$work/cache"

ms() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1 || true; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }

# The first run ever: crossrun makes its wine prefix (<cache>/wine/prefix).
first=$(ms "$crossrun" --no-report "$work/tests.exe")
declare -A times
for ((i = 0; i < runs; i++)); do
  times[native]+="$(ms "$work/native") "
  times[qemu]+="$(ms qemu-aarch64-static "$work/aarch64") "
  WINEPREFIX="$work/cache/wine/prefix" wineserver -k 2>/dev/null || true; sleep 0.2
  times[wine_cold]+="$(WINEPREFIX="$work/cache/wine/prefix" ms wine "$work/tests.exe") "
  times[wine_warm]+="$(WINEPREFIX="$work/cache/wine/prefix" ms wine "$work/tests.exe") "
  WINEPREFIX="$work/cache/wine/prefix" wineserver -k 2>/dev/null || true; sleep 0.2
  times[crossrun_wine]+="$(ms "$crossrun" --no-report "$work/tests.exe") "
  # The next run within wineserver's 3 s linger: crossrun leaves wine's server running at the end of a run.
  times[crossrun_wine_warm]+="$(ms "$crossrun" --no-report "$work/tests.exe") "
  times[crossrun_qemu]+="$(ms "$crossrun" --no-report "$work/aarch64") "
done
echo "| what | median ms ($runs runs) |"
echo "|---|---|"
echo "| first run, fresh wine prefix, \`crossrun --no-report tests.exe\` | $first |"
for key in native qemu wine_cold wine_warm crossrun_wine crossrun_wine_warm crossrun_qemu; do
  echo "| $key | $(tr ' ' '\n' <<< "${times[$key]}" | grep . | median) |"
done

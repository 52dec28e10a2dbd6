#!/usr/bin/env bash
# Sysroot fetching, side by side on this machine: a cold aarch64 fetch by crossrun against `apt-get download`
# + `dpkg-deb -x` of the same packages from the same mirror, and a warm lookup of the cached sysroot.
# Prints each as a median of repeated runs (after a warm-up) and as a ratio. Needs the Debian mirror.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
runs="${RUNS:-5}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

cold_crossrun() { rm -rf "$work/cache"; CROSSRUN_CACHE_DIR="$work/cache" "$crossrun" sysroot fetch aarch64; }
cold_apt() {
  rm -rf "$work/apt"; mkdir -p "$work/apt/root"; chmod 777 "$work/apt"
  ( cd "$work/apt" && apt-get download -qq libc6:arm64 libgcc-s1:arm64 && for deb in *.deb; do dpkg-deb -x "$deb" root; done )
}
export -f cold_crossrun cold_apt; export work crossrun

read -r crossrun_cold _ _ < <(median_of "$runs" bash -c cold_crossrun)
read -r apt_cold _ _ < <(median_of "$runs" bash -c cold_apt)
CROSSRUN_CACHE_DIR="$work/cache" "$crossrun" sysroot fetch aarch64 >/dev/null 2>&1
read -r warm _ _ < <(CROSSRUN_CACHE_DIR="$work/cache" median_of "$runs" "$crossrun" sysroot path aarch64)

printf '%-55s %10s\n' "measure (median of $runs, seconds)" "value"
printf '%-55s %10s\n' "cold aarch64 fetch: crossrun sysroot fetch" "$crossrun_cold"
printf '%-55s %10s\n' "cold aarch64 fetch: apt-get download + dpkg-deb -x" "$apt_cold"
printf '%-55s %10s\n' "ratio crossrun / apt-get (includes InRelease + index + gpgv)" "$(ratio "$crossrun_cold" "$apt_cold")"
printf '%-55s %10s\n' "warm lookup: crossrun sysroot path aarch64" "$warm"

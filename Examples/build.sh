#!/usr/bin/env bash
# Builds every crossrun example: the rust-demo test binaries (aarch64, armv7, armv5te soft-float, i686, powerpc64le,
# s390x, mips64el, mipsel, wasm32-wasi, x86_64-pc-windows-gnu, wasm32-unknown-unknown for crossrun's refusal of it,
# and aarch64 linked by zig through cargo-zigbuild for glibc 2.17), the C programs (riscv64 dynamic and static,
# armel dynamic, aarch64 static, aarch64 musl dynamic and static, a Windows .exe, and libtest_style dynamic and
# static for i686, x86_64, powerpc, powerpc64, powerpc64le, s390x, mips, mipsel, mips64, mips64el, mipsisa64r6el,
# sparc64), the fidelity crate (doctests, panics under --nocapture, a program for cargo run; aarch64 and armv7),
# the wasm32-wasip2 component of wasm/ (from its text format), and the bare-metal images of
# embedded/build.sh. Idempotent and offline.
#
#   Examples/build.sh                                 build everything; one line per artifact on stderr
#   Examples/build.sh --print-rust-binaries TRIPLE    build rust-demo's tests for TRIPLE (if needed) and print
#                                                     the absolute paths of its test executables, one a line;
#                                                     a triple with a glibc version (aarch64-unknown-linux-gnu.2.17)
#                                                     is built with cargo-zigbuild into rust-demo/target/zig
#
# Needs the packages from scripts/install-deps.sh. Uses Debian's Rust 1.63 in /usr/bin (install-deps adds the std of
# every cross target to it), not a rustup toolchain that may come first in PATH.
set -euo pipefail

export PATH="/usr/bin:$PATH"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
demo="$here/rust-demo"
cbuild="$here/c/build"

# wasm32-wasi is Debian's Rust 1.63's name for wasm32-wasip1.
rust_targets=(
  aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf armv5te-unknown-linux-gnueabi
  i686-unknown-linux-gnu powerpc64le-unknown-linux-gnu s390x-unknown-linux-gnu
  mips64el-unknown-linux-gnuabi64 mipsel-unknown-linux-gnu
  wasm32-wasi wasm32-unknown-unknown x86_64-pc-windows-gnu
  aarch64-unknown-linux-gnu.2.17
)

# zig (PyPI ziglang) and cargo-zigbuild from scripts/install-deps.sh's venv. zig's caches and cargo-zigbuild's
# wrapper scripts live in rust-demo/target/zig (its --target-dir too), so a build never writes to ~/.cache and CI
# can keep or drop one folder. A cold cache costs about 45 s of zig compiling glibc 2.17 stubs and compiler-rt.
tools_dir="${CROSSRUN_TOOLS_DIR:-/opt/crossrun-tools}"
zig_dir="$demo/target/zig"

# cargo for target $1: cargo-zigbuild for a triple with a glibc version suffix (.2.17), cargo otherwise.
demo_cargo() {
  local target="$1"; shift
  if [[ "$target" =~ \.[0-9]+\.[0-9]+$ ]]; then
    local zig
    zig=$(ls "$tools_dir"/venv/lib/python3*/site-packages/ziglang/zig 2>/dev/null | head -n 1)
    if [ -z "$zig" ] || [ ! -x "$tools_dir/venv/bin/cargo-zigbuild" ]; then
      echo "build.sh: zig or cargo-zigbuild missing from $tools_dir/venv; run scripts/install-deps.sh" >&2
      return 1
    fi
    ( cd "$demo" && CARGO_ZIGBUILD_ZIG_PATH="$zig" ZIG_GLOBAL_CACHE_DIR="$zig_dir/zig-global-cache" \
        ZIG_LOCAL_CACHE_DIR="$zig_dir/zig-local-cache" XDG_CACHE_HOME="$zig_dir/xdg-cache" \
        "$tools_dir/venv/bin/cargo-zigbuild" test --offline --target "$target" --target-dir "$zig_dir" "$@" )
  else
    ( cd "$demo" && cargo test --offline --target "$target" "$@" )
  fi
}

# Prints the absolute paths of rust-demo's test executables for target $1 (building them if needed).
rust_test_binaries() {
  local target="$1"
  demo_cargo "$target" --quiet --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg.get("profile", {}).get("test") and msg.get("executable"):
        print(msg["executable"])
'
}

if [ "${1:-}" = "--print-rust-binaries" ]; then
  if [ $# -ne 2 ]; then echo "usage: $0 --print-rust-binaries TARGET-TRIPLE" >&2; exit 2; fi
  # Build first with errors visible, so a broken build does not just print nothing.
  demo_cargo "$2" --quiet --no-run >/dev/null
  rust_test_binaries "$2"
  exit 0
fi
if [ $# -ne 0 ]; then echo "usage: $0 [--print-rust-binaries TARGET-TRIPLE]" >&2; exit 2; fi

# Rust demo
for target in "${rust_targets[@]}"; do
  demo_cargo "$target" --quiet --no-run >/dev/null
  while IFS= read -r bin; do
    echo "built $bin" >&2
  done < <(rust_test_binaries "$target")
done

# fidelity: what a cargo user runs next (doctests, --nocapture panics, cargo run) for aarch64 and armv7. The
# end-to-end tests (FidelityTests) run cargo on a copy of it; building it here checks it compiles.
for target in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
  ( cd "$here/fidelity" && cargo build --offline --quiet --target "$target" --all-targets )
  echo "built fidelity for $target" >&2
done

# C programs: cc_build NAME SUFFIX COMPILER [EXTRA-FLAGS...]  ->  c/build/NAME-SUFFIX
mkdir -p "$cbuild"
cc_build() {
  local name="$1" suffix="$2" cc="$3"; shift 3
  local out="$cbuild/$name-$suffix" src="$here/c/$name.c"
  if [ ! -e "$out" ] || [ "$src" -nt "$out" ] || [ "$0" -nt "$out" ]; then
    "$cc" -std=c99 -O1 -g -Wall -Wextra -Werror "$@" -o "$out.tmp" "$src"
    mv -f "$out.tmp" "$out"
  fi
  echo "built $out" >&2
}

cc_build libtest_style riscv64        riscv64-linux-gnu-gcc
cc_build libtest_style riscv64-static riscv64-linux-gnu-gcc -static
cc_build libtest_style armel          arm-linux-gnueabi-gcc
cc_build plain_exit    aarch64-static aarch64-linux-gnu-gcc -static
cc_build plain_exit    riscv64        riscv64-linux-gnu-gcc
cc_build faults        aarch64        aarch64-linux-gnu-gcc            # fault injection (docs/reliability.md)
cc_build faults        aarch64-static aarch64-linux-gnu-gcc -static
# the fork server's warm-up must be undone (docs/isolation.md): 64- and 32-bit, little- and big-endian
cc_build forkserver_probe aarch64 aarch64-linux-gnu-gcc -pthread
cc_build forkserver_probe armv7   arm-linux-gnueabihf-gcc -pthread
cc_build forkserver_probe s390x   s390x-linux-gnu-gcc -pthread
cc_build forkserver_probe i686    i686-linux-gnu-gcc -pthread
# Windows (PE32+ console, run under wine): mingw's C runtime prints \r\n line ends, which the parser must take.
cc_build libtest_style x86_64-windows.exe x86_64-w64-mingw32-gcc

# musl C programs for aarch64 (forkserver_probe for the fork server under musl): Debian's aarch64-linux-gnu-gcc
# against Debian's musl-dev for arm64 (headers, crt files, libc.a) and musl's libc.so, unpacked by
# scripts/install-deps.sh. Dynamic ones through musl-dev's aarch64-linux-musl-gcc as install-deps sets it up (the
# compiler crossrun builds its musl fork-server library with); static ones linked by hand, as its specs file
# starts a static program with Scrt1.o.
#   musl_build NAME dynamic  ->  c/build/NAME-aarch64-musl         (interpreter /lib/ld-musl-aarch64.so.1)
#   musl_build NAME static   ->  c/build/NAME-aarch64-musl-static  (no interpreter)
musl_root="$tools_dir/musl/arm64/root"
musl_gcc="$tools_dir/musl/arm64/bin/aarch64-linux-musl-gcc"
musl_build() {
  local name="$1" mode="$2"
  local out="$cbuild/$name-aarch64-musl" src="$here/c/$name.c"
  if [ "$mode" = static ]; then out="$out-static"; fi
  if [ ! -e "$musl_root/usr/lib/aarch64-linux-musl/libc.a" ] || [ ! -x "$musl_gcc" ]; then
    echo "build.sh: Debian's musl for arm64 is not unpacked in $musl_root (or $musl_gcc is missing); run scripts/install-deps.sh" >&2
    return 1
  fi
  if [ ! -e "$out" ] || [ "$src" -nt "$out" ] || [ "$0" -nt "$out" ]; then
    local warnings=(-std=c99 -O1 -g -Wall -Wextra -Werror)
    if [ "$mode" = static ]; then
      local gcc_dir crt="$musl_root/usr/lib/aarch64-linux-musl"
      gcc_dir="$(dirname "$(aarch64-linux-gnu-gcc -print-libgcc-file-name)")"
      aarch64-linux-gnu-gcc "${warnings[@]}" -nostdinc -isystem "$musl_root/usr/include/aarch64-linux-musl" -isystem "$gcc_dir/include" \
        -nostdlib -static "$crt/crt1.o" "$crt/crti.o" "$gcc_dir/crtbeginT.o" "$src" \
        "$crt/libc.a" "$gcc_dir/libgcc.a" "$gcc_dir/libgcc_eh.a" "$crt/libc.a" "$gcc_dir/crtend.o" "$crt/crtn.o" -o "$out.tmp"
    else
      "$musl_gcc" "${warnings[@]}" "$src" -o "$out.tmp"
    fi
    mv -f "$out.tmp" "$out"
  fi
  echo "built $out" >&2
}
musl_build libtest_style dynamic
musl_build libtest_style static
musl_build plain_exit    dynamic
musl_build forkserver_probe dynamic

# libtest_style.c for every further Linux architecture (tests/EndToEndTests/LinuxArchTests.swift): dynamic, linked
# against Debian's cross sysroot in /usr/<triple> (libc6-dev-<arch>-cross), and static.
#   runner name  compiler prefix
linux_arches=(
  "i686         i686-linux-gnu"
  "x86_64       x86_64-linux-gnu"
  "powerpc      powerpc-linux-gnu"
  "powerpc64    powerpc64-linux-gnu"
  "powerpc64le  powerpc64le-linux-gnu"
  "s390x        s390x-linux-gnu"
  "mips         mips-linux-gnu"
  "mipsel       mipsel-linux-gnu"
  "mips64       mips64-linux-gnuabi64"
  "mips64el     mips64el-linux-gnuabi64"
  "mipsisa64r6el mipsisa64r6el-linux-gnuabi64"
  "sparc64      sparc64-linux-gnu"
)
for row in "${linux_arches[@]}"; do
  read -r arch prefix <<<"$row"
  cc="$prefix-gcc"
  if [ "$arch" = x86_64 ]; then cc=gcc; fi
  cc_build libtest_style "$arch"        "$cc"
  cc_build libtest_style "$arch-static" "$cc" -static
done

# wasm32-wasip2 component: Debian's Rust 1.63 has no wasm32-wasip2 target, so wasm/wasip2_libtest.wat is written
# in the component text format and assembled with wat2wasm from the PyPI wasmtime package (the wat crate), which
# scripts/install-deps.sh installs into the tools venv.
tools_python="${CROSSRUN_TOOLS_DIR:-/opt/crossrun-tools}/venv/bin/python"
wasm_build="$here/wasm/build"
mkdir -p "$wasm_build"
for wat in "$here"/wasm/*.wat; do
  out="$wasm_build/$(basename "$wat" .wat).wasm"
  if [ ! -e "$out" ] || [ "$wat" -nt "$out" ] || [ "$0" -nt "$out" ]; then
    "$tools_python" -c 'import sys, wasmtime; open(sys.argv[2] + ".tmp", "wb").write(wasmtime.wat2wasm(open(sys.argv[1]).read()))' "$wat" "$out"
    mv -f "$out.tmp" "$out"
  fi
  echo "built $out" >&2
done

# Bare-metal images (Cortex-M and RISC-V under qemu-system with semihosting)
"$here/embedded/build.sh"

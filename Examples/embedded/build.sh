#!/usr/bin/env bash
# Builds the bare-metal example images that crossrun runs under qemu-system (see README.md beside this file):
#   build/rust-tests-cortex-m3.elf              Rust #![no_std] libtest-style test image, mps2-an385 (Cortex-M3)
#   build/{pass,fail,trap,hang}-cortex-m3.elf   C, newlib + rdimon semihosting, mps2-an385
#   build/{pass,fail,trap,hang}-rv32.elf        C, picolibc semihosting, rv32imac, virt, -bios none
#   build/{pass,fail,trap,hang}-rv64.elf        C, picolibc semihosting, rv64imac, virt, -bios none
#   build/sifive-exit-{rv32,rv64}.elf           C, exits through virt's sifive_test device (status 5)
# Idempotent, offline, and quick when nothing changed (an image is rebuilt only when a source, the linker
# script or this script is newer). Prints one `built PATH` line per image on stderr.
# Needs the packages from scripts/install-deps.sh: gcc-arm-none-eabi libnewlib-arm-none-eabi
# gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf rustc rust-src.
set -euo pipefail

export PATH="/usr/bin:$PATH"   # Debian's rustc 1.63 (its rust-src matches it), not a rustup toolchain
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script="$here/build.sh"
out="$here/build"
csrc="$here/c"
rsrc="$here/rust"
mkdir -p "$out"

for tool in arm-none-eabi-gcc riscv64-unknown-elf-gcc rustc; do
  if ! command -v "$tool" >/dev/null; then
    echo "Examples/embedded/build.sh: $tool is missing; run scripts/install-deps.sh" >&2
    exit 1
  fi
done
core_src=/usr/lib/rustlib/src/rust/library/core/src/lib.rs
if [ ! -f "$core_src" ]; then
  echo "Examples/embedded/build.sh: $core_src is missing; install Debian's rust-src (scripts/install-deps.sh)" >&2
  exit 1
fi

# stale OUTPUT INPUT...: true when OUTPUT is missing or older than an input or this script.
stale() {
  local target="$1"; shift
  [ -e "$target" ] || return 0
  local input
  for input in "$script" "$@"; do
    [ "$input" -nt "$target" ] && return 0
  done
  return 1
}

built() { echo "built $1" >&2; }

# ---- Cortex-M3 (mps2-an385): newlib with rdimon semihosting, our vector table and memory layout ----
arm_ld="$csrc/mps2-an385.ld"
for name in pass fail trap hang; do
  image="$out/$name-cortex-m3.elf"
  if stale "$image" "$csrc/$name.c" "$csrc/startup-cortex-m.c" "$csrc/semihost.h" "$arm_ld"; then
    arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -std=c11 -O1 -g -Wall -Wextra -Werror \
      --specs=rdimon.specs -T "$arm_ld" -o "$image.tmp" "$csrc/$name.c" "$csrc/startup-cortex-m.c"
    mv -f "$image.tmp" "$image"
  fi
  built "$image"
done

# ---- RISC-V virt (-bios none): picolibc with semihosting; code at 0x80000000, data at 0x80200000 ----
rv_layout="-Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x200000,--defsym=__ram=0x80200000,--defsym=__ram_size=0x200000"
for arch in "rv32 -march=rv32imac -mabi=ilp32" "rv64 -march=rv64imac -mabi=lp64"; do
  read -r suffix march mabi <<<"$arch"
  for name in pass fail trap hang sifive-exit; do
    image="$out/$name-$suffix.elf"
    if stale "$image" "$csrc/$name.c" "$csrc/semihost.h"; then
      # --crt0=semihost: picolibc's crt0 that calls exit(main()) (the default crt0 spins after main returns).
      riscv64-unknown-elf-gcc "$march" "$mabi" -mcmodel=medany -std=c11 -O1 -g -Wall -Wextra -Werror \
        --specs=picolibc.specs --oslib=semihost --crt0=semihost "$rv_layout" -o "$image.tmp" "$csrc/$name.c"
      mv -f "$image.tmp" "$image"
    fi
    built "$image"
  done
done

# ---- Rust #![no_std] test image for thumbv7m-none-eabi ----
# Debian ships no std/core for thumbv7m: core is compiled from Debian's rust-src into a private sysroot, with a
# stub compiler_builtins (the intrinsics come from libgcc and newlib's libc at link time).
target=thumbv7m-none-eabi
sysroot="$out/rust-sysroot"
libdir="$sysroot/lib/rustlib/$target/lib"
rustc_version="$(rustc --version)"
if [ "$(cat "$sysroot/rustc-version" 2>/dev/null)" != "$rustc_version" ] || [ ! -f "$libdir/libcore.rlib" ] ||
   [ ! -f "$libdir/libcompiler_builtins.rlib" ] || [ "$rsrc/compiler_builtins.rs" -nt "$libdir/libcompiler_builtins.rlib" ]; then
  rm -rf "$sysroot"
  mkdir -p "$libdir"
  echo "Examples/embedded/build.sh: compiling core for $target from rust-src (about a minute)" >&2
  RUSTC_BOOTSTRAP=1 rustc --crate-type rlib --crate-name core --edition 2021 --target "$target" \
    -C opt-level=s -C panic=abort -C debuginfo=1 -Z force-unstable-if-unmarked --out-dir "$libdir" "$core_src"
  RUSTC_BOOTSTRAP=1 rustc --crate-type rlib --crate-name compiler_builtins --edition 2021 --target "$target" \
    -C opt-level=s -C panic=abort --out-dir "$libdir" "$rsrc/compiler_builtins.rs"
  echo "$rustc_version" >"$sysroot/rustc-version"
fi
image="$out/rust-tests-cortex-m3.elf"
if stale "$image" "$rsrc"/src/*.rs "$arm_ld" "$libdir/libcore.rlib" "$libdir/libcompiler_builtins.rlib"; then
  # Built from inside rust/ so panic locations read src/tests.rs:L:C.
  ( cd "$rsrc" && rustc --edition 2021 --crate-type bin --crate-name rust_tests --target "$target" \
      --sysroot "$sysroot" -C panic=abort -C opt-level=s -C debuginfo=1 \
      -C linker=arm-none-eabi-gcc -C link-arg=-mcpu=cortex-m3 -C link-arg=-mthumb -C link-arg=-nostartfiles \
      -C link-arg=-T"$arm_ld" -C link-arg=-lgcc -C link-arg=-lc \
      -o "$image.tmp" src/main.rs )
  mv -f "$image.tmp" "$image"
fi
built "$image"

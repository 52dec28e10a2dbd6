#!/usr/bin/env bash
# Runs every image from build.sh (building first if needed) under qemu-system with the command lines that
# README.md documents, and checks each one's exit status and output. Prints one line per run and ends with
# `N passed, N failed`; exits 1 if any check failed. Needs qemu-system-arm and qemu-system-misc.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/build.sh" 2>/dev/null || { echo "check.sh: build.sh failed; run it alone to see why" >&2; exit 1; }
build="$here/build"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# The common part: no display, no monitor, no serial port; semihosting console output (SYS_WRITE0/WRITEC,
# which picolibc uses for stdout and stderr) goes to qemu's stdout through the `semihost` chardev.
common=(-display none -monitor none -serial none -chardev stdio,id=semihost)
semihosting="enable=on,target=native,chardev=semihost"

qemu_for() {  # IMAGE -> the emulator and machine options for it
  case "$1" in
    *-cortex-m3.elf) echo "qemu-system-arm -machine mps2-an385 -cpu cortex-m3" ;;
    *-rv32.elf) echo "qemu-system-riscv32 -machine virt -cpu rv32 -bios none -m 128M" ;;
    *-rv64.elf) echo "qemu-system-riscv64 -machine virt -cpu rv64 -bios none -m 128M" ;;
  esac
}

passed=0 failed=0
# check IMAGE EXPECTED-STATUS STDOUT-GREP-PATTERN [SEMIHOSTING-ARG...]
check() {
  local name="$1" image="$build/$1" expected="$2" pattern="$3"; shift 3
  local config="$semihosting,arg=$(basename "$image" .elf)" arg
  for arg in "$@"; do config="$config,arg=${arg//,/,,}"; done
  # shellcheck disable=SC2046
  local limit=10; [ "$expected" = 124 ] && limit=3   # hang: the timeout ends it
  timeout "$limit" $(qemu_for "$image") "${common[@]}" -semihosting-config "$config" -kernel "$image" \
    </dev/null >"$scratch/out" 2>"$scratch/err"
  local status=$?
  if [ "$status" = "$expected" ] && grep -qE -- "$pattern" "$scratch/out"; then
    passed=$((passed + 1))
    printf 'ok      %-28s %-45s exit %s\n' "$name" "$*" "$status"
  else
    failed=$((failed + 1))
    printf 'FAILED  %-28s %-45s exit %s (expected %s, stdout matching /%s/)\n' "$name" "$*" "$status" "$expected" "$pattern"
    sed 's/^/    stdout: /' "$scratch/out"
    sed 's/^/    stderr: /' "$scratch/err"
  fi
}

for arch in cortex-m3 rv32 rv64; do
  check "pass-$arch.elf" 0 '^pass: hello from bare metal'
  check "fail-$arch.elf" 3 '^fail: about to exit with status 3'
  check "trap-$arch.elf" 70 '^trap: (HardFault|machine trap) cause=0x0*(10000|2) '
  check "hang-$arch.elf" 124 '^hang: spinning forever'
done
check sifive-exit-rv32.elf 5 'sifive_test device'
check sifive-exit-rv64.elf 5 'sifive_test device'

rust=rust-tests-cortex-m3.elf
check "$rust" 0 '^test result: ok\. 4 passed; 0 failed; 3 ignored; 0 measured; 0 filtered out; finished in '
check "$rust" 0 '^7 tests, 0 benchmarks$' --list
check "$rust" 0 '^test result: ok\. 2 passed; 0 failed; 0 ignored; 0 measured; 5 filtered out' gcd divide --test-threads=1
check "$rust" 0 '^test tests::divide_u64 \.\.\. ok$' --exact tests::divide_u64 --nocapture
check "$rust" 101 '^    tests::opt_in_failure$' --include-ignored --skip panics --test-threads 1
check "$rust" 101 '^test tests::panics_without_unwinding \.\.\. $' --ignored --exact tests::panics_without_unwinding
check "$rust" 0 '^\.\.\.iii\.$' -q

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

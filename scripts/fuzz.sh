#!/usr/bin/env bash
# Builds the fuzzing harness (Fuzz/, libFuzzer + AddressSanitizer) and runs each target for a fixed time, one
# after the other (libFuzzer runs on one core). Prints each target's runs, corpus size and crashes; exits 1 when
# any target crashed (a trap, a memory error, a hang of more than 10 s on one input, or more than 2 GB of memory).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     SECONDS per target (default 60); targets: binary libtest config
#
# Environment: FUZZ_SCRATCH (build folder, default Fuzz/.build), FUZZ_WORK (corpora grown and crashes found,
# default $FUZZ_SCRATCH/fuzz-work), FUZZ_BUILD_PREFIX (a command put before `swift build`, e.g. a semaphore).
# Seeds are Fuzz/Corpus/<target>/ (read only); a crash is saved as $FUZZ_WORK/<target>/crashes/crash-*: keep it
# as a regression fixture in Tests/CrossRunKitTests/Fixtures/fuzz/<target>/ (docs/reliability.md, "Fuzzing").
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(binary libtest config)
scratch="${FUZZ_SCRATCH:-$root/Fuzz/.build}"
work="${FUZZ_WORK:-$scratch/fuzz-work}"

# Every module gets coverage and address-sanitizer instrumentation (C and C++ too: TOMLKit's parser is C++).
# libFuzzer is linked without its own main (the toolchain's libclang_rt.fuzzer_no_main): each fuzz target's
# main.swift calls LLVMFuzzerRunDriver, and the package's build tool, crossrun-embed, keeps its own main.
# (`-sanitize=fuzzer` links libFuzzer's main into every executable, and `-parse-as-library` breaks
# crossrun-embed and SwiftPM's renamed entry points.)
swiftc_path="$(readlink -f "$(command -v swiftc)")"
libfuzzer="$(dirname "$swiftc_path")/../lib/swift/clang/lib/linux/libclang_rt.fuzzer_no_main-$(uname -m).a"
[ -f "$libfuzzer" ] || { echo "fuzz.sh: $libfuzzer not found; fuzzing needs the swift.org toolchain on Linux" >&2; exit 2; }
cd "$root/Fuzz"
${FUZZ_BUILD_PREFIX:-} swift build -c debug --scratch-path "$scratch" \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
    -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address \
    -Xlinker "$libfuzzer" -Xlinker -lstdc++ \
    2>&1 | { grep -v "warning: Cannot export local symbol" || true; }
bin="$scratch/debug"

failed=0
printf '%-8s %8s %10s %8s %7s\n' target seconds runs corpus crashes
for target in "${targets[@]}"; do
    case "$target" in
        binary) executable=FuzzBinary ;;
        libtest) executable=FuzzLibtest ;;
        config) executable=FuzzConfig ;;
        *) echo "fuzz.sh: unknown target $target (binary, libtest, config)" >&2; exit 2 ;;
    esac
    [ -x "$bin/$executable" ] || { echo "fuzz.sh: $bin/$executable was not built" >&2; exit 2; }
    corpus="$work/$target/corpus"
    crashes="$work/$target/crashes"
    mkdir -p "$corpus" "$crashes"
    log="$work/$target/fuzz.log"
    # The Swift runtime's own backtracer gets in the way of libFuzzer's crash handling; leaks are not the point.
    status=0
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:handle_sigill=1 \
        "$bin/$executable" "$corpus" "$root/Fuzz/Corpus/$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    size=$(find "$corpus" -type f | wc -l)
    found=$(find "$crashes" -type f | wc -l)
    printf '%-8s %8s %10s %8s %7s\n' "$target" "$seconds" "${runs:-?}" "$size" "$found"
    if [ "$status" -ne 0 ] || [ "$found" -gt 0 ]; then
        failed=1
        echo "  $target: libFuzzer ended with status $status; log $log" >&2
        grep -m3 -E "Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer|SUMMARY" "$log" | sed 's/^/  /' >&2 || true
        find "$crashes" -type f | sed 's/^/  crash: /' >&2
    fi
done
exit "$failed"

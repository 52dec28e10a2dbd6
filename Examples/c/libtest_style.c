/*
 * libtest_style.c - a C program that prints exactly what a Rust libtest harness prints in its default
 * ("pretty") format, so crossrun's parser can be exercised with non-Rust binaries and on targets
 * without a Rust std (riscv64, armel).
 *
 * Three tests: math::add (ok), math::div (ok, or FAILED when argv contains --fail or the environment has
 * CROSSRUN_DEMO_FAIL=1), math::overflow (ignored). Exit status 0 on success, 101 on failure, like libtest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    int fail = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--fail") == 0) fail = 1;
    }
    const char *env = getenv("CROSSRUN_DEMO_FAIL");
    if (env != NULL && strcmp(env, "1") == 0) fail = 1;

    printf("\nrunning 3 tests\n");
    printf("test math::add ... ok\n");
    printf("test math::div ... %s\n", fail ? "FAILED" : "ok");
    printf("test math::overflow ... ignored\n");

    if (fail) {
        printf("\nfailures:\n\n");
        printf("---- math::div stdout ----\n");
        printf("dividing 7 by 2\n");
        printf("thread 'math::div' panicked at 'assertion failed: `(left == right)`\n");
        printf("  left: `3`,\n");
        printf(" right: `4`', src/math.rs:12:9\n");
        printf("note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n");
        printf("\n\nfailures:\n");
        printf("    math::div\n");
        printf("\ntest result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n");
        fflush(stdout);
        return 101;
    }
    printf("\ntest result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n");
    fflush(stdout);
    return 0;
}

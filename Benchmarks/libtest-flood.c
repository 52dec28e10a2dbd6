/* A stand-in test binary for the report-throughput benchmark: prints what libtest prints for a suite of N tests,
 * in libtest's pretty format or its JSON format (`-Z unstable-options --format json`), shaped like the recorded
 * outputs in Tests/CrossRunKitTests/Fixtures/libtest. Every 97th test is ignored (every other one of those with a
 * reason) and every 10,000th fails with a captured panic, so the failures sections are there too. It is a host
 * program, so crossrun runs it directly, without an emulator.
 *
 *   libtest-flood N pretty|json
 *   libtest-flood BYTES output     one test that prints BYTES of its own lines (not libtest's) under --nocapture
 *
 * Exits 101 when a test failed, as libtest does, else 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_ignored(long i) { return i % 97 == 13; }
static int is_failed(long i) { return i % 10000 == 4242; }

static void name(char *out, size_t size, long i) {
    snprintf(out, size, "module_%03ld::submodule_%02ld::test_case_number_%07ld", i / 1000, (i / 10) % 100, i);
}

/* The output flood: a pretty suite of one test whose header waits while the test prints BYTES in lines of 100. */
static int output_flood(long bytes) {
    static char block[100 * 655];
    for (size_t i = 0; i < sizeof block; i += 100) {
        memset(block + i, 'x', 99);
        memcpy(block + i, "a line the test prints itself, not one of libtest's: ", 54);
        block[i + 99] = '\n';
    }
    printf("\nrunning 1 test\ntest flood::output ... ");
    fflush(stdout);
    for (long done = 0; done < bytes; done += (long)sizeof block) {
        size_t size = bytes - done < (long)sizeof block ? (size_t)(bytes - done) / 100 * 100 : sizeof block;
        if (fwrite(block, 1, size, stdout) != size) return 1;
    }
    printf("ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.23s\n\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[2], "output") == 0) return output_flood(atol(argv[1]));
    if (argc != 3 || (strcmp(argv[2], "pretty") != 0 && strcmp(argv[2], "json") != 0)) {
        fprintf(stderr, "usage: %s N pretty|json, or %s BYTES output\n", argv[0], argv[0]);
        return 2;
    }
    long n = atol(argv[1]);
    int json = strcmp(argv[2], "json") == 0;
    static char buffer[1 << 16];
    setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
    long passed = 0, failed = 0, ignored = 0;
    char test[128];

    if (json) printf("{ \"type\": \"suite\", \"event\": \"started\", \"test_count\": %ld }\n", n);
    else printf("\nrunning %ld tests\n", n);
    for (long i = 0; i < n; i++) {
        name(test, sizeof test, i);
        if (json) printf("{ \"type\": \"test\", \"event\": \"started\", \"name\": \"%s\" }\n", test);
        if (is_ignored(i)) {
            ignored++;
            if (json && i % 2) printf("{ \"type\": \"test\", \"name\": \"%s\", \"event\": \"ignored\", \"message\": \"needs real hardware\" }\n", test);
            else if (json) printf("{ \"type\": \"test\", \"name\": \"%s\", \"event\": \"ignored\" }\n", test);
            else if (i % 2) printf("test %s ... ignored, needs real hardware\n", test);
            else printf("test %s ... ignored\n", test);
        } else if (is_failed(i)) {
            failed++;
            if (json)
                printf("{ \"type\": \"test\", \"name\": \"%s\", \"event\": \"failed\", \"stdout\": \"checking add(2, 2) "
                       "against 5\\nthread '%s' panicked at 'assertion failed: `(left == right)`\\n  left: `4`,\\n "
                       "right: `5`', src/lib.rs:98:9\\n\" }\n", test, test);
            else printf("test %s ... FAILED\n", test);
        } else {
            passed++;
            if (json) printf("{ \"type\": \"test\", \"name\": \"%s\", \"event\": \"ok\" }\n", test);
            else printf("test %s ... ok\n", test);
        }
    }
    if (json) {
        printf("{ \"type\": \"suite\", \"event\": \"%s\", \"passed\": %ld, \"failed\": %ld, \"ignored\": %ld, \"measured\": 0, "
               "\"filtered_out\": 0, \"exec_time\": 1.234567 }\n", failed ? "failed" : "ok", passed, failed, ignored);
        return failed ? 101 : 0;
    }
    if (failed) {
        printf("\nfailures:\n\n");
        for (long i = 0; i < n; i++) {
            if (!is_failed(i) || is_ignored(i)) continue;
            name(test, sizeof test, i);
            printf("---- %s stdout ----\nchecking add(2, 2) against 5\nthread '%s' panicked at 'assertion failed: "
                   "`(left == right)`\n  left: `4`,\n right: `5`', src/lib.rs:98:9\n\n", test, test);
        }
        printf("\nfailures:\n");
        for (long i = 0; i < n; i++)
            if (is_failed(i) && !is_ignored(i)) { name(test, sizeof test, i); printf("    %s\n", test); }
    }
    printf("\ntest result: %s. %ld passed; %ld failed; %ld ignored; 0 measured; 0 filtered out; finished in 1.23s\n\n",
           failed ? "FAILED" : "ok", passed, failed, ignored);
    return failed ? 101 : 0;
}

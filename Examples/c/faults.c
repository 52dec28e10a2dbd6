/*
 * faults.c - a small libtest look-alike that misbehaves on demand, for crossrun's fault-injection suite
 * (Tests/EndToEndTests/FaultInjectionTests.swift, docs/reliability.md).
 *
 * It prints what a Rust libtest harness prints in its default ("pretty") format, one test at a time (like
 * --test-threads=1: `test NAME ... ` before the test runs, the result after), understands the libtest options
 * crossrun uses (--list, --exact, --skip, --ignored, --include-ignored, --nocapture, --test-threads, bare
 * filters), and exits 0, or 101 when a test failed.
 *
 * The fault comes from --fault=SPEC (an argument, so crash-resume's reruns keep it) or the environment variable
 * CROSSRUN_FAULT=SPEC. SPEC is ACTION[:N][@WHERE]; WHERE is `before` (before `running N tests`), `after` (after
 * libtest's `test result:` line) or a test name (default fault::here). Actions:
 *
 *   segv, abort, ill          die by SIGSEGV, SIGABRT, SIGILL (an undefined instruction)
 *   exit:N                    exit with status N there
 *   hang                      sleep forever; stubborn: the same, ignoring SIGINT, SIGTERM and SIGHUP
 *   fail                      the test fails with a panic message
 *   flood:N, flood-nonl:N     N bytes on stdout in lines of 100 bytes, or as one line without a newline
 *   flood-err:N, flood-err-nonl:N   the same on stderr
 *   flood-section:N           the test fails with N bytes of captured output in its failure section
 *   longline:N                the test fails with a panic message N bytes long
 *   binary, control, markup   the test prints (stdout and stderr), and fails with, NUL/0xFF/invalid UTF-8,
 *                             control characters (ESC sequences, \r, \b, \f, 0x01-0x1F), or XML markup
 *                             (]]>, <![CDATA[, &, <); markup and control also add tests with such names
 *   many:N                    the test set is N passing tests many::t00000... (every 100th ignored)
 *   repeat                    a test name dup::same is reported twice: FAILED, then ok
 *   fork, fork-quiet          fork a grandchild that sleeps forever (fork-quiet closes its stdout and stderr
 *                             first); the test itself passes
 *   setsid-child              the same, but the grandchild calls setsid() first: its own session and process
 *                             group, out of reach of signals to the test's group
 *   finished-inf, finished-nan, finished-negative
 *                             the tests pass, but libtest's result line says `finished in infs`, `NaNs` or `-1.00s`
 *   argv                      print each argument (argv[1]...) as hex bytes, `argv[N]: 41ff`, before the tests
 *
 * Output the faults write goes straight to file descriptors 1 and 2, as C code called from a Rust test does
 * (libtest captures only Rust's print! macros).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char name[96];
    int ignored;
} Test;

static Test *tests;
static int test_count;
static char action[32];
static long amount = -1;
static char where[96] = "fault::here";

static void add_test(const char *name, int ignored) {
    tests = realloc(tests, sizeof(Test) * (size_t)(test_count + 1));
    if (tests == NULL) abort();
    snprintf(tests[test_count].name, sizeof tests[test_count].name, "%.95s", name);
    tests[test_count].ignored = ignored;
    test_count++;
}

static int by_name(const void *a, const void *b) { return strcmp(((const Test *)a)->name, ((const Test *)b)->name); }

static void parse_fault(const char *spec) {
    char copy[256];
    snprintf(copy, sizeof copy, "%s", spec);
    char *at = strchr(copy, '@');
    if (at != NULL) {
        *at = '\0';
        snprintf(where, sizeof where, "%.95s", at + 1);
    }
    char *colon = strchr(copy, ':');
    if (colon != NULL) {
        *colon = '\0';
        amount = atol(colon + 1);
    }
    snprintf(action, sizeof action, "%.31s", copy);
}

static int is(const char *name) { return strcmp(action, name) == 0; }

/* Writes all of a buffer to a descriptor, bypassing stdio. */
static void put(int fd, const void *bytes, size_t count) {
    const char *p = bytes;
    while (count > 0) {
        ssize_t n = write(fd, p, count);
        if (n <= 0) return;
        p += n;
        count -= (size_t)n;
    }
}

static void flood(int fd, long bytes, int newlines) {
    static char block[65500];
    for (size_t i = 0; i < sizeof block; i++) block[i] = (char)('a' + i % 26);
    if (newlines) {
        for (size_t i = 99; i < sizeof block; i += 100) block[i] = '\n';
    }
    fflush(stdout);
    while (bytes > 0) {
        size_t chunk = bytes < (long)sizeof block ? (size_t)bytes : sizeof block;
        put(fd, block, chunk);
        bytes -= (long)chunk;
    }
    put(fd, "\n", 1);
}

/* The awkward bytes of the binary, control and markup actions. */
static const char binary_bytes[] = "bin: NUL[\0] FF[\xff] FE[\xfe] bad-utf8[\xc3\x28] surrogate[\xed\xa0\x80] end";
static const char control_bytes[] =
    "ctl: esc[\x1b[31mred\x1b[0m] osc[\x1b]0;title\x07] cr[a\rb] bs[a\bb] ff[\f] c0[\x01\x02\x03\x04\x05\x06\x07\x0b\x0e"
    "\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1c\x1d\x1e\x1f] del[\x7f] end";
static const char markup_bytes[] = "markup: cdata-end[]]>] cdata-start[<![CDATA[] amp[&] lt[<] gt[>] quote[\"'] entity[&amp;] end";

static const char *awkward(size_t *length) {
    if (is("binary")) { *length = sizeof binary_bytes - 1; return binary_bytes; }
    if (is("control")) { *length = sizeof control_bytes - 1; return control_bytes; }
    *length = sizeof markup_bytes - 1;
    return markup_bytes;
}

static void die_now(void) {
    fflush(stdout);
    fflush(stderr);
    if (is("segv")) {
        fprintf(stderr, "fault: about to write through a null pointer\n");
        *(volatile int *)0 = 1;
    } else if (is("abort")) {
        fprintf(stderr, "fault: about to abort\n");
        abort();
    } else if (is("ill")) {
        fprintf(stderr, "fault: about to execute an undefined instruction\n");
#if defined(__aarch64__)
        __asm__ volatile(".inst 0x00000000");
#else
        __builtin_trap();
#endif
    } else if (is("exit")) {
        fprintf(stderr, "fault: exiting with status %ld\n", amount);
        exit((int)amount);
    } else if (is("hang") || is("stubborn")) {
        if (is("stubborn")) {
            signal(SIGINT, SIG_IGN);
            signal(SIGTERM, SIG_IGN);
            signal(SIGHUP, SIG_IGN);
        }
        fprintf(stderr, "fault: hanging\n");
        for (;;) pause();
    }
}

static int is_deadly(void) {
    return is("segv") || is("abort") || is("ill") || is("exit") || is("hang") || is("stubborn");
}

/* Runs the fault inside a test; returns 1 when the test fails. Failure text goes to *section. */
static int run_fault(const char *name, char **section, size_t *section_length, char **message) {
    (void)name;
    if (is_deadly()) die_now();
    if (is("fail")) {
        *message = strdup("fault: failing on purpose");
        return 1;
    }
    if (is("flood") || is("flood-nonl")) flood(1, amount, is("flood"));
    if (is("flood-err") || is("flood-err-nonl")) flood(2, amount, is("flood-err"));
    if (is("flood-section")) {
        *section = malloc((size_t)amount + 1);
        for (long i = 0; i < amount; i++) (*section)[i] = (i % 100 == 99) ? '\n' : (char)('a' + i % 26);
        *section_length = (size_t)amount;
        *message = strdup("fault: flooded the captured output");
        return 1;
    }
    if (is("longline")) {
        *message = malloc((size_t)amount + 1);
        memset(*message, 'L', (size_t)amount);
        (*message)[amount] = '\0';
        return 1;
    }
    if (is("binary") || is("control") || is("markup")) {
        size_t length;
        const char *bytes = awkward(&length);
        fflush(stdout);
        put(1, bytes, length);
        put(1, "\n", 1);
        put(2, bytes, length);
        put(2, "\n", 1);
        *section = malloc(length + 1);
        memcpy(*section, bytes, length);
        *section_length = length;
        /* A panic message holds no NUL: the rest of the text goes in. */
        *message = malloc(length + 1);
        size_t kept = 0;
        for (size_t i = 0; i < length; i++) if (bytes[i] != '\0') (*message)[kept++] = bytes[i];
        (*message)[kept] = '\0';
        return 1;
    }
    if (is("fork") || is("fork-quiet") || is("setsid-child")) {
        fflush(stdout);
        fflush(stderr);
        pid_t child = fork();
        if (child == 0) {
            if (is("fork-quiet")) {
                close(1);
                close(2);
            }
            if (is("setsid-child")) setsid();
            for (;;) pause();
        }
        fprintf(stderr, "fault: forked grandchild %d%s\n", (int)child, is("setsid-child") ? " in its own session" : "");
    }
    return 0;
}

int main(int argc, char **argv) {
    int list = 0, exact = 0, nocapture = 0, only_ignored = 0, include_ignored = 0;
    const char *filters[64];
    int filter_count = 0;
    const char *skips[64];
    int skip_count = 0;
    const char *spec = getenv("CROSSRUN_FAULT");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--fault=", 8) == 0) spec = a + 8;
        else if (strcmp(a, "--list") == 0) list = 1;
        else if (strcmp(a, "--exact") == 0) exact = 1;
        else if (strcmp(a, "--nocapture") == 0) nocapture = 1;
        else if (strcmp(a, "--ignored") == 0) only_ignored = 1;
        else if (strcmp(a, "--include-ignored") == 0) include_ignored = 1;
        else if (strcmp(a, "--skip") == 0 && i + 1 < argc) { if (skip_count < 64) skips[skip_count++] = argv[++i]; }
        else if (strcmp(a, "--test-threads") == 0 || strcmp(a, "--format") == 0 || strcmp(a, "--color") == 0) i++;
        else if (a[0] == '-') continue;
        else if (filter_count < 64) filters[filter_count++] = a;
    }
    if (spec != NULL) parse_fault(spec);
    if (is("argv")) {
        for (int i = 1; i < argc; i++) {
            printf("argv[%d]: ", i);
            for (const unsigned char *p = (const unsigned char *)argv[i]; *p != '\0'; p++) printf("%02x", *p);
            printf("\n");
        }
    }

    if (is("many")) {
        char name[32];
        for (long i = 0; i < amount; i++) {
            snprintf(name, sizeof name, "many::t%05ld", i);
            add_test(name, i % 100 == 99);
        }
    } else {
        add_test("basic::adds", 0);
        add_test("basic::ignored", 1);
        add_test("basic::prints", 0);
        add_test("fault::here", 0);
        add_test("zz::last", 0);
        if (is("markup")) {
            add_test("markup::cdata_end]]>here", 0);
            add_test("markup::<![CDATA[open", 0);
            add_test("markup::amp&lt<gt>", 0);
        }
        if (is("control")) add_test("control::soh\x01unit\x1fsep", 0);
        if (is("repeat")) {
            add_test("dup::same", 0);
            add_test("dup::same", 0);
        }
    }
    qsort(tests, (size_t)test_count, sizeof(Test), by_name);

    /* Selection, as libtest does it. */
    int *selected = calloc((size_t)test_count + 1, sizeof(int));
    int total = 0;
    for (int t = 0; t < test_count; t++) {
        const char *name = tests[t].name;
        int keep = filter_count == 0;
        for (int f = 0; f < filter_count; f++) {
            if (exact ? strcmp(name, filters[f]) == 0 : strstr(name, filters[f]) != NULL) keep = 1;
        }
        for (int s = 0; s < skip_count; s++) {
            if (exact ? strcmp(name, skips[s]) == 0 : strstr(name, skips[s]) != NULL) keep = 0;
        }
        if (only_ignored && !tests[t].ignored) keep = 0;
        selected[t] = keep;
        total += keep;
    }

    if (list) {
        for (int t = 0; t < test_count; t++) {
            if (selected[t]) printf("%s: test\n", tests[t].name);
        }
        printf("\n%d tests, 0 benchmarks\n", total);
        return 0;
    }

    if (strcmp(where, "before") == 0) die_now();
    printf("\nrunning %d test%s\n", total, total == 1 ? "" : "s");
    fflush(stdout);

    int passed = 0, failed = 0, ignored = 0;
    const char **failures = calloc((size_t)test_count + 1, sizeof(char *));
    char **sections = calloc((size_t)test_count + 1, sizeof(char *));
    size_t *section_lengths = calloc((size_t)test_count + 1, sizeof(size_t));
    char **messages = calloc((size_t)test_count + 1, sizeof(char *));
    int repeats = 0;
    for (int t = 0; t < test_count; t++) {
        if (!selected[t]) continue;
        const char *name = tests[t].name;
        printf("test %s ... ", name);
        fflush(stdout);
        if (tests[t].ignored && !only_ignored && !include_ignored) {
            printf("ignored\n");
            ignored++;
            continue;
        }
        int fails = 0;
        char *section = NULL, *message = NULL;
        size_t section_length = 0;
        if (strcmp(name, where) == 0) fails = run_fault(name, &section, &section_length, &message);
        if (strcmp(name, "dup::same") == 0 && repeats++ == 0) {
            fails = 1;
            message = strdup("fault: the first dup::same failed");
        }
        if (strcmp(name, "basic::prints") == 0 && nocapture) printf("hello from basic::prints\n");
        if (fails) {
            printf("FAILED\n");
            if (nocapture) fprintf(stderr, "thread '%s' panicked at '%s', src/faults.rs:1:1\n", name, message);
            failures[failed] = name;
            sections[failed] = section;
            section_lengths[failed] = section_length;
            messages[failed] = message;
            failed++;
        } else {
            printf("ok\n");
            passed++;
        }
        fflush(stdout);
    }
    if (failed > 0) {
        printf("\nfailures:\n\n");
        for (int f = 0; f < failed && !nocapture; f++) {
            printf("---- %s stdout ----\n", failures[f]);
            fflush(stdout);
            if (sections[f] != NULL) {
                put(1, sections[f], section_lengths[f]);
                put(1, "\n", 1);
            }
            printf("thread '%s' panicked at '%s', src/faults.rs:1:1\n", failures[f], messages[f]);
            printf("note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n");
        }
        printf("\nfailures:\n");
        for (int f = 0; f < failed; f++) printf("    %s\n", failures[f]);
    }
    const char *took = is("finished-inf") ? "inf" : is("finished-nan") ? "NaN" : is("finished-negative") ? "-1.00" : "0.00";
    printf("\ntest result: %s. %d passed; %d failed; %d ignored; 0 measured; %d filtered out; finished in %ss\n\n",
           failed ? "FAILED" : "ok", passed, failed, ignored, test_count - total, took);
    fflush(stdout);
    if (strcmp(where, "after") == 0) die_now();
    return failed ? 101 : 0;
}

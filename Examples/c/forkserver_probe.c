/*
 * forkserver_probe.c - a C test program with a libtest-like command line, for the fork server's warm-up
 * (docs/isolation.md; Tests/EndToEndTests/ForkServerTests.swift). `--list` lists three tests; `--exact NAME` runs one
 * (any other argument is ignored). Before it looks at its arguments, main changes what a fresh process must not see
 * changed: a counter in static memory, a heap block, a descriptor left open, the SIGUSR1 disposition; and before it
 * returns, the working directory, the file mode mask and CROSSRUN_PROBE_CWD's value (in the environment array the
 * process started with). Each test fails unless its process is fresh in all of them
 * (with CROSSRUN_PROBE=1, the working directory must be CROSSRUN_PROBE_CWD): the fork server's warm-up runs main once
 * with no test to run, and must undo all of it before it forks the tests' processes.
 *
 * With CROSSRUN_PROBE_THREAD=1, main first starts a thread that never ends (a warm-up cannot be undone then, and the
 * server starts again without it); with CROSSRUN_PROBE_EXIT=1, main ends with exit() when no test was named, as
 * libtest does on an unknown option; with CROSSRUN_PROBE_PROTECT=1, a test makes a page of static memory read-only
 * (its process's successor cannot put that back, and says so instead of serving).
 *
 * A test's process also leaves a successor (docs/isolation.md, "Carrying translations forward"): the tests forked
 * from it fail the same way unless everything above was put back after a real test ran.
 *
 * Each test also fails unless pthread_getattr_np's answer for the main thread (which the fork server's library gives
 * a test's process from what glibc said in the server) is the one glibc's own function gives (glibc only: under
 * musl the library leaves the question to musl).
 *
 * main registers an exit handler that, with CROSSRUN_PROBE_EXITS set, appends main's last argument as a line to the
 * file it names, through a stream only exit()'s last flush of every stream writes: the warm-up ends through all of
 * exit() but _exit and writes it once, as each listing and each test's process does; a successor, forked after the
 * handlers and before that flush, does not.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int mains;
static char *block;
// A page of its own, for CROSSRUN_PROBE_PROTECT.
static char page[3 * 65536];

static void *forever(void *unused) {
    for (;;) pause();
    return unused;
}

static int zero_descriptors(void) {
    struct stat zero;
    if (stat("/dev/zero", &zero) != 0) return 0;
    int count = 0;
    for (int fd = 3; fd < 1024; fd++) {
        struct stat status;
        if (fstat(fd, &status) == 0 && S_ISCHR(status.st_mode) && status.st_rdev == zero.st_rdev) count++;
    }
    return count;
}

static void on_usr1(int sig) {
    (void)sig;
}

#ifdef __GLIBC__
// The main thread's attributes as one line.
static void describe(pthread_attr_t *attributes, char *text, size_t size) {
    void *low = NULL;
    size_t stack = 0, guard = 0;
    int detach = -1, inherit = -1, policy = -1, scope = -1;
    struct sched_param parameters = {.sched_priority = -1};
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    pthread_attr_getstack(attributes, &low, &stack);
    pthread_attr_getguardsize(attributes, &guard);
    pthread_attr_getdetachstate(attributes, &detach);
    pthread_attr_getinheritsched(attributes, &inherit);
    pthread_attr_getschedpolicy(attributes, &policy);
    pthread_attr_getschedparam(attributes, &parameters);
    pthread_attr_getscope(attributes, &scope);
    int affinity = pthread_attr_getaffinity_np(attributes, sizeof cpus, &cpus);
    snprintf(text, size, "stack %p+%zu guard %zu detach %d inherit %d policy %d priority %d scope %d cpus %d (%d)", low, stack,
             guard, detach, inherit, policy, parameters.sched_priority, scope, CPU_COUNT(&cpus), affinity);
    pthread_attr_destroy(attributes);
}

// pthread_getattr_np for the main thread (the fork server's library answers it in a test's process) against
// glibc's own.
static int same_stack_answer(void) {
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    int (*glibc)(pthread_t, pthread_attr_t *) = libc ? (int (*)(pthread_t, pthread_attr_t *))dlsym(libc, "pthread_getattr_np") : NULL;
    pthread_attr_t asked, own;
    if (glibc == NULL || pthread_getattr_np(pthread_self(), &asked) != 0 || glibc(pthread_self(), &own) != 0) {
        printf("pthread_getattr_np failed\n");
        return 0;
    }
    char answer[256], expected[256];
    describe(&asked, answer, sizeof answer);
    describe(&own, expected, sizeof expected);
    if (strcmp(answer, expected) == 0) return 1;
    printf("pthread_getattr_np: %s, glibc's: %s\n", answer, expected);
    return 0;
}
#else
// musl: the fork server's library leaves pthread_getattr_np to musl.
static int same_stack_answer(void) {
    return 1;
}
#endif

// The last argument main was called with: the test's name, the listing's option, or the warm-up's name.
static const char *last_argument;

// The line goes into a stream left open: only exit()'s last step, which flushes every stream, writes it.
static void count_exit(void) {
    const char *path = getenv("CROSSRUN_PROBE_EXITS");
    if (path == NULL) return;
    FILE *exits = fopen(path, "ae");
    if (exits != NULL) fprintf(exits, "%s\n", last_argument);
}

static int check(const char *name) {
    const char *protect = getenv("CROSSRUN_PROBE_PROTECT");
    if (protect && strcmp(protect, "1") == 0) {
        long size = sysconf(_SC_PAGESIZE);
        char *aligned = (char *)(((unsigned long)page + size - 1) / size * size);
        aligned[0] = 1;
        if (mprotect(aligned, size, PROT_READ) != 0) printf("mprotect failed\n");
    }
    int fresh = mains == 1 && block != NULL && strcmp(block, "main ran once") == 0 && same_stack_answer();
    printf("mains %d, block %s\n", mains, block ? block : "none");
    mode_t mask = umask(0);
    umask(mask);
    if (mask == 0137) {
        printf("the file mode mask is an earlier main's\n");
        fresh = 0;
    }
    // Under the tests (CROSSRUN_PROBE=1), CROSSRUN_PROBE_CWD names the working directory.
    const char *cwd = getenv("CROSSRUN_PROBE_CWD");
    char here[4096];
    if (getenv("CROSSRUN_PROBE") && (cwd == NULL || getcwd(here, sizeof here) == NULL || strcmp(here, cwd) != 0)) {
        printf("working directory %s, not %s\n", here, cwd ? cwd : "(CROSSRUN_PROBE_CWD unset)");
        fresh = 0;
    }
    printf("test %s ... %s\n", name, fresh ? "ok" : "FAILED");
    return fresh ? 0 : 101;
}

int main(int argc, char **argv) {
    const char *thread = getenv("CROSSRUN_PROBE_THREAD");
    if (thread && strcmp(thread, "1") == 0) {
        pthread_t id;
        pthread_create(&id, NULL, forever, NULL);
    }
    mains++;
    if (block == NULL) {
        block = malloc(64);
        snprintf(block, 64, mains == 1 ? "main ran once" : "main ran %d times", mains);
    } else {
        snprintf(block, 64, "main ran %d times", mains);
    }
    // A descriptor of /dev/zero open already: an earlier main's (main leaves one open; a fixed number could be
    // one the process inherited).
    if (zero_descriptors() > 0) mains += 1000;
    if (open("/dev/zero", O_RDONLY) < 0) return 1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_usr1;
    struct sigaction before;
    sigaction(SIGUSR1, NULL, &before);
    // A handler already there means an earlier main's.
    if (before.sa_handler == on_usr1) mains += 100;
    sigaction(SIGUSR1, &action, NULL);
    last_argument = argv[argc - 1];
    atexit(count_exit);

    const char *names[] = {"probe::first", "probe::second", "probe::third"};
    const char *exact = NULL;
    int list = 0, ignored = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) list = 1;
        if (strcmp(argv[i], "--ignored") == 0) ignored = 1;
        if (strcmp(argv[i], "--exact") == 0 && i + 1 < argc) exact = argv[i + 1];
    }
    if (list) {
        // None of the three is ignored.
        for (int t = 0; t < 3 && !ignored; t++) printf("%s: test\n", names[t]);
        printf("\n%d tests, 0 benchmarks\n", ignored ? 0 : 3);
        return 0;
    }
    const char *exit_early = getenv("CROSSRUN_PROBE_EXIT");
    int status = 0, ran = 0;
    printf("\nrunning %d tests\n", exact ? 1 : 3);
    for (int t = 0; t < 3; t++) {
        if (exact && strcmp(exact, names[t]) != 0) continue;
        ran++;
        status |= check(names[t]);
    }
    if (ran == 0 && exit_early && strcmp(exit_early, "1") == 0) exit(0);
    // What an earlier main leaves behind for the next.
    if (chdir("/") != 0) return 1;
    umask(0137);
    if (getenv("CROSSRUN_PROBE_CWD")) setenv("CROSSRUN_PROBE_CWD", "/an-earlier-main", 1);
    printf("\ntest result: %s. %d passed; %d failed; 0 ignored; 0 measured; %d filtered out; finished in 0.00s\n\n",
           status ? "FAILED" : "ok", status ? ran - 1 : ran, status ? 1 : 0, 3 - ran);
    return status;
}

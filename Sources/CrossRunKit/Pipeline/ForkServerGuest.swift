import Foundation

/// The C source of `--isolate`'s guest-side fork server (ForkServer.swift builds it with the target's cross C
/// compiler on first use and caches the library). Kept here, as text, so an installed crossrun carries it.
enum ForkServerGuest {
    /// The argument the server is started with after `--exact`; each test's process puts its test's name there.
    static let placeholder = "crossrun-forkserver-placeholder"
    /// The first words of the server's greeting.
    static let greeting = "crossrun-forkserver 1 ready "

    static let source = #"""
// crossrun's guest-side fork server for `--isolate` (docs/isolation.md). crossrun builds it with the target's cross
// C compiler as a shared library and loads it into a dynamically linked glibc test binary under qemu-user with
// LD_PRELOAD. It wraps __libc_start_main, so it runs after the dynamic loader, libc's start-up and the binary's
// constructors (Rust std's .init_array function, which keeps the argv pointer), just before main.
//
// Without CROSSRUN_FORKSERVER_FD it calls main and nothing else. With it (a SOCK_SEQPACKET socket crossrun
// passes as a descriptor), it first says "crossrun-forkserver 1 ready PID\n" and then serves requests:
//   request: one message, the test's name, with three descriptors (SCM_RIGHTS): stdin, stdout and stderr; or
//            "\001ARG\001ARG": the two arguments to put in place of the last two (`--list --ignored`, a listing);
//   reply:   "pid PID\n" once the test's process exists, or "error TEXT\n".
// For each request it forks a helper that forks the test's process and exits at once: the test's process then
// becomes crossrun's child (crossrun is the subreaper of what it starts), so crossrun waits for it, signals its
// process group and reads its wait status as for any process it starts itself. The test's process leads its own
// process group, dies with crossrun, puts the name in place of the last argument (the placeholder after
// `--exact`) in the original argv array (Rust's std reads that array, not main's arguments), takes the three
// descriptors as 0, 1 and 2, drops this library's variables and returns main's result through exit().
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PLACEHOLDER "crossrun-forkserver-placeholder"
#define PROTOCOL "crossrun-forkserver 1"

typedef int (*main_function)(int, char **, char **);
typedef int (*start_function)(main_function, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);

static main_function real_main;

static void say(int fd, const char *text) {
    ssize_t sent;
    do {
        sent = send(fd, text, strlen(text), MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    // crossrun is gone: so is the reason to serve.
    if (sent < 0) _exit(0);
}

// One request: the name (NUL-terminated in `name`) and three descriptors (-1 when none came). 0 at the end.
static int receive(int fd, char *name, size_t size, int fds[3]) {
    struct iovec part = {name, size - 1};
    union {
        char buffer[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control.buffer;
    message.msg_controllen = sizeof control.buffer;
    ssize_t got;
    do {
        got = recvmsg(fd, &message, MSG_CMSG_CLOEXEC);
    } while (got < 0 && errno == EINTR);
    if (got <= 0) return 0;
    name[got] = 0;
    fds[0] = fds[1] = fds[2] = -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS && header->cmsg_len == CMSG_LEN(3 * sizeof(int))) {
            memcpy(fds, CMSG_DATA(header), 3 * sizeof(int));
        }
    }
    return 1;
}

static void run_test(int server, pid_t crossrun, pid_t helper, int fds[3], char *name, int argc, char **argv, char **envp) {
    setpgid(0, 0);
    // The helper exits at once; from then on crossrun is the parent, and this process dies with it.
    while (getppid() == helper) usleep(20);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != crossrun) _exit(127);
    if (server > 2) close(server);
    for (int i = 0; i < 3; i++) {
        if (dup2(fds[i], i) < 0) _exit(127);
    }
    for (int i = 0; i < 3; i++) {
        if (fds[i] > 2) close(fds[i]);
    }
    unsetenv("CROSSRUN_FORKSERVER_FD");
    unsetenv("LD_PRELOAD");
    unsetenv("CROSSRUN_FORKSERVER_WARM");
    if (name[0] == '\001') {
        char *second = strchr(name + 1, '\001');
        if (second == NULL) _exit(125);
        *second = 0;
        argv[argc - 2] = name + 1;
        argv[argc - 1] = second + 1;
    } else {
        argv[argc - 1] = name;
    }
    exit(real_main(argc, argv, envp));
}

// ---- The warm-up (docs/isolation.md, "The warm-up") ----
// Before serving, the server runs main once with a filter that matches no test, so that qemu has translated the
// harness (Rust's runtime start-up, libtest's argument parsing, listing, filtering and output) and every test's
// process, forked afterwards, inherits those translations. Everything the run changed is then undone: the guest's
// writable memory is copied back from a snapshot taken just before, mappings made since are removed, the heap's
// end, signal dispositions, the signal mask, the alternate signal stack and descriptors are put back. What cannot be
// checked to be as before (a thread still running, a mapping gone or changed) ends the server with an error, and
// crossrun starts it again without the warm-up (CROSSRUN_FORKSERVER_WARM=0).
#define WARM_NAME "crossrun-forkserver-warm-up-matches-no-test"
#define MAX_REGIONS 2048
#define MAX_FDS 1024
#define MAPS_SIZE (1 << 20)

struct region {
    unsigned long start, end;
    char perms[4];
    int special;
    char *copy;
};

struct snapshot {
    struct region regions[MAX_REGIONS];
    int count;
    unsigned long brk;
    int heap; // the region holding the heap's end, or -1
    struct sigaction actions[_NSIG];
    char saved_action[_NSIG];
    sigset_t mask;
    int cwd; // a descriptor of the working directory
    mode_t umask;
    stack_t altstack;
    unsigned char open_fds[MAX_FDS / 8];
    int threads;
    char maps[MAPS_SIZE];
    // The listing after the warm-up, read into memory that is not restored.
    char now[MAPS_SIZE];
    struct region current[MAX_REGIONS];
};

static struct snapshot *snap;
static unsigned long work_start, work_end, copies_start, copies_end;
static sigjmp_buf warm_exit;
static volatile int warming;

typedef void (*exit_function)(int);

// exit() during the warm-up (libtest exits on a bad option) returns to the warm-up instead of ending the server.
void exit(int status) {
    if (warming) {
        warming = 0;
        siglongjmp(warm_exit, 1);
    }
    exit_function real_exit = (exit_function)dlsym(RTLD_NEXT, "exit");
    if (real_exit) real_exit(status);
    _exit(status);
}

static long read_file(const char *path, char *buffer, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t total = 0;
    for (;;) {
        ssize_t got = read(fd, buffer + total, size - 1 - total);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        total += (size_t)got;
        if (total >= size - 1) {
            close(fd);
            return -1;
        }
    }
    close(fd);
    buffer[total] = 0;
    return (long)total;
}

// One line of /proc/self/maps: its range, permissions and whether it is the stack, vdso or vvar (never touched).
static const char *parse_line(const char *line, struct region *region) {
    char *end;
    region->start = strtoul(line, &end, 16);
    if (*end != '-') return NULL;
    region->end = strtoul(end + 1, &end, 16);
    if (*end != ' ') return NULL;
    memcpy(region->perms, end + 1, 3);
    region->perms[3] = 0;
    const char *next = strchr(end, '\n');
    size_t length = next ? (size_t)(next - line) : strlen(line);
    region->special = 0;
    for (const char *name = line; name + 2 < line + length; name++) {
        if (*name == '[' && (!strncmp(name, "[stack]", 7) || !strncmp(name, "[vdso]", 6) || !strncmp(name, "[vvar]", 6) || !strncmp(name, "[vsyscall]", 10))) {
            region->special = 1;
        }
    }
    region->copy = NULL;
    return next ? next + 1 : line + length;
}

// The parts of `region` outside the snapshot's own two mappings (the kernel may have merged either with a neighbour
// into one line of the listing): up to three, into `parts`.
static int outside_ours(const struct region *region, struct region parts[3]) {
    int count = 1;
    parts[0] = *region;
    unsigned long ranges[2][2] = {{work_start, work_end}, {copies_start, copies_end}};
    for (int r = 0; r < 2; r++) {
        unsigned long from = ranges[r][0], to = ranges[r][1];
        if (from == to) continue;
        for (int i = 0; i < count; i++) {
            struct region part = parts[i];
            if (part.end <= from || part.start >= to) continue;
            int kept = 0;
            struct region pieces[2];
            if (part.start < from) {
                pieces[kept] = part;
                pieces[kept++].end = from;
            }
            if (part.end > to) {
                pieces[kept] = part;
                pieces[kept++].start = to;
            }
            parts[i] = parts[--count];
            for (int k = 0; k < kept; k++) parts[count++] = pieces[k];
            i--;
        }
    }
    // In address order.
    for (int i = 1; i < count; i++) {
        for (int j = i; j > 0 && parts[j].start < parts[j - 1].start; j--) {
            struct region swap = parts[j];
            parts[j] = parts[j - 1];
            parts[j - 1] = swap;
        }
    }
    return count;
}

static int count_threads(void) {
    char status[4096];
    if (read_file("/proc/self/status", status, sizeof status) < 0) return -1;
    const char *line = strstr(status, "\nThreads:");
    return line ? atoi(line + 9) : -1;
}

// Takes the snapshot; 0 with the reason in `why` when there is none (nothing changed then).
static int take_snapshot(const char **why) {
    void *work = mmap(NULL, sizeof(struct snapshot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (work == MAP_FAILED) {
        *why = "no memory for the snapshot";
        return 0;
    }
    snap = work;
    snap->cwd = -1;
    work_start = (unsigned long)work;
    work_end = work_start + sizeof(struct snapshot);
    if (read_file("/proc/self/maps", snap->maps, MAPS_SIZE) < 0) {
        *why = "/proc/self/maps could not be read";
        goto fail;
    }
    snap->brk = (unsigned long)syscall(SYS_brk, 0);
    snap->heap = -1;
    size_t writable = 0;
    const char *line = snap->maps;
    snap->count = 0;
    while (*line) {
        struct region listed, parts[3];
        line = parse_line(line, &listed);
        if (!line) {
            *why = "/proc/self/maps could not be parsed";
            goto fail;
        }
        int count = outside_ours(&listed, parts);
        if (snap->count + count > MAX_REGIONS) {
            *why = "too many mappings";
            goto fail;
        }
        for (int i = 0; i < count; i++) {
            struct region *region = &snap->regions[snap->count];
            *region = parts[i];
            if (region->start < snap->brk && region->end >= snap->brk) snap->heap = snap->count;
            if (!region->special && region->perms[0] == 'r' && region->perms[1] == 'w') writable += region->end - region->start;
            snap->count++;
        }
    }
    snap->threads = count_threads();
    snap->cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (snap->cwd < 0) {
        *why = "the working directory could not be opened";
        goto fail;
    }
    snap->umask = umask(0);
    umask(snap->umask);
    if (snap->threads < 1) {
        *why = "/proc/self/status has no thread count";
        goto fail;
    }
    void *copies = mmap(NULL, writable ? writable : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copies == MAP_FAILED) {
        *why = "no memory for the snapshot";
        goto fail;
    }
    copies_start = (unsigned long)copies;
    copies_end = copies_start + (writable ? writable : 1);
    for (int sig = 1; sig < _NSIG; sig++) snap->saved_action[sig] = sigaction(sig, NULL, &snap->actions[sig]) == 0;
    sigprocmask(SIG_BLOCK, NULL, &snap->mask);
    sigaltstack(NULL, &snap->altstack);
    memset(snap->open_fds, 0, sizeof snap->open_fds);
    for (int fd = 0; fd < MAX_FDS; fd++) {
        if (fcntl(fd, F_GETFD) != -1) snap->open_fds[fd / 8] |= (unsigned char)(1 << (fd % 8));
    }
    // Last, so that the copies hold every static above as it is now.
    char *into = copies;
    for (int i = 0; i < snap->count; i++) {
        struct region *region = &snap->regions[i];
        if (region->special || region->perms[0] != 'r' || region->perms[1] != 'w') continue;
        region->copy = into;
        memcpy(into, (void *)region->start, region->end - region->start);
        into += region->end - region->start;
    }
    return 1;
fail:
    if (snap->cwd >= 0) close(snap->cwd);
    munmap(work, sizeof(struct snapshot));
    snap = NULL;
    return 0;
}

// The part of [start, end) no snapshot region covers is removed, except the heap's own growth.
static void remove_new(unsigned long start, unsigned long end) {
    unsigned long at = start;
    for (int i = 0; i < snap->count && at < end; i++) {
        const struct region *region = &snap->regions[i];
        if (region->end <= at || region->start >= end) continue;
        if (region->start > at) munmap((void *)at, region->start - at);
        at = region->end;
    }
    if (at < end) munmap((void *)at, end - at);
}

// Undoes the warm-up; 0 with the reason in `why` when what is now cannot be made what was.
static int restore_snapshot(const char **why) {
    if (count_threads() != snap->threads) {
        *why = "a thread the warm-up started is still running";
        return 0;
    }
    for (int fd = 0; fd < MAX_FDS; fd++) {
        if (!(snap->open_fds[fd / 8] & (1 << (fd % 8))) && fcntl(fd, F_GETFD) != -1) close(fd);
    }
    // qemu keeps the heap's pages once it has them: lower the heap's end, leave its growth mapped.
    syscall(SYS_brk, snap->brk);
    unsigned long heap_end = snap->heap >= 0 ? snap->regions[snap->heap].end : 0;
    char *now = snap->now;
    struct region *current = snap->current;
    if (read_file("/proc/self/maps", now, MAPS_SIZE) < 0) {
        *why = "/proc/self/maps could not be read";
        return 0;
    }
    for (const char *line = now; *line;) {
        struct region listed, parts[3];
        line = parse_line(line, &listed);
        if (!line) {
            *why = "/proc/self/maps could not be parsed";
            return 0;
        }
        if (listed.special) continue;
        int count = outside_ours(&listed, parts);
        for (int i = 0; i < count; i++) {
            const struct region *region = &parts[i];
            // The heap's growth: [heap_end, the end of the mapping that holds or starts at it) stays.
            if (heap_end && region->start <= heap_end && region->end > heap_end) {
                remove_new(region->start, heap_end);
                continue;
            }
            remove_new(region->start, region->end);
        }
    }
    // Every region of the snapshot must still be there, whole and with its permissions.
    if (read_file("/proc/self/maps", now, MAPS_SIZE) < 0) {
        *why = "/proc/self/maps could not be read";
        return 0;
    }
    int count = 0;
    for (const char *line = now; *line;) {
        struct region listed, parts[3];
        line = parse_line(line, &listed);
        if (!line) {
            *why = "/proc/self/maps could not be parsed";
            return 0;
        }
        int pieces = outside_ours(&listed, parts);
        if (count + pieces > MAX_REGIONS) {
            *why = "too many mappings";
            return 0;
        }
        for (int i = 0; i < pieces; i++) current[count++] = parts[i];
    }
    for (int i = 0, at_current = 0; i < snap->count; i++) {
        const struct region *was = &snap->regions[i];
        if (was->special) continue;
        unsigned long at = was->start;
        while (at < was->end) {
            while (at_current < count && current[at_current].end <= at) at_current++;
            if (at_current == count || current[at_current].start > at) {
                *why = "a mapping the warm-up found was removed";
                return 0;
            }
            if (strcmp(current[at_current].perms, was->perms) != 0) {
                *why = "the warm-up changed a mapping's permissions";
                return 0;
            }
            at = current[at_current].end;
        }
    }
    for (int i = 0; i < snap->count; i++) {
        const struct region *region = &snap->regions[i];
        if (region->copy) memcpy((void *)region->start, region->copy, region->end - region->start);
    }
    // From here on, memory is as before the warm-up (snap and the statics above included).
    for (int sig = 1; sig < _NSIG; sig++) {
        if (snap->saved_action[sig]) sigaction(sig, &snap->actions[sig], NULL);
    }
    if (snap->altstack.ss_flags & SS_DISABLE) {
        stack_t off = {.ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = 0};
        sigaltstack(&off, NULL);
    } else {
        sigaltstack(&snap->altstack, NULL);
    }
    sigprocmask(SIG_SETMASK, &snap->mask, NULL);
    // Interval timers, the working directory and the file mode mask, as before main.
    struct itimerval off;
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_REAL, &off, NULL);
    setitimer(ITIMER_VIRTUAL, &off, NULL);
    setitimer(ITIMER_PROF, &off, NULL);
    umask(snap->umask);
    if (fchdir(snap->cwd) != 0) {
        *why = "the working directory could not be restored";
        return 0;
    }
    return 1;
}

static void *nothing(void *unused) {
    return unused;
}

// qemu-user translates for one thread until a process starts its second, and then throws every translation away
// (code for several threads differs). libtest runs a test in a thread of its own, so each test's process would lose
// the warm-up's translations at once: a thread started and ended here, before the warm-up, makes the server's
// translations the kind every forked process keeps. Its stack is small: glibc keeps it after the thread ends, and
// the snapshot copies it.
static void go_parallel(void) {
    int before = count_threads();
    pthread_attr_t attributes;
    if (pthread_attr_init(&attributes) != 0) return;
    size_t size = 256 * 1024;
    long minimum = sysconf(_SC_THREAD_STACK_MIN);
    if (minimum > 0 && (size_t)minimum > size) size = (size_t)minimum;
    pthread_attr_setstacksize(&attributes, size);
    pthread_t thread;
    int created = pthread_create(&thread, &attributes, nothing, NULL);
    pthread_attr_destroy(&attributes);
    if (created != 0) return;
    pthread_join(thread, NULL);
    // qemu ends the host thread just after the guest's join returns.
    for (int i = 0; i < 5000 && count_threads() != before; i++) usleep(100);
}

// Runs main once with no test to run and undoes it. 1: warm; 0: cold, `why` says why, nothing changed; -1: the
// server's state could not be restored (it must not serve).
static int warm_up(int argc, char **argv, char **envp, const char **why) {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) {
        *why = "/dev/null could not be opened";
        return 0;
    }
    int saved[3];
    for (int i = 0; i < 3; i++) saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
    if (saved[0] < 0 || saved[1] < 0 || saved[2] < 0) {
        *why = "no descriptors to keep the server's with";
        for (int i = 0; i < 3; i++) if (saved[i] >= 0) close(saved[i]);
        close(null);
        return 0;
    }
    for (int i = 0; i < 3; i++) dup2(null, i);
    go_parallel();
    int result = 0;
    if (take_snapshot(why)) {
        argv[argc - 1] = WARM_NAME;
        if (sigsetjmp(warm_exit, 1) == 0) {
            warming = 1;
            real_main(argc, argv, envp);
        }
        warming = 0;
        argv[argc - 1] = PLACEHOLDER;
        result = restore_snapshot(why) ? 1 : -1;
    }
    for (int i = 0; i < 3; i++) {
        dup2(saved[i], i);
        close(saved[i]);
    }
    close(null);
    if (snap) {
        close(snap->cwd);
        munmap((void *)copies_start, copies_end - copies_start);
        munmap((void *)work_start, work_end - work_start);
        snap = NULL;
    }
    return result;
}

static int serve(int server, int argc, char **argv, char **envp) {
    pid_t crossrun = getppid();
    if (argc < 2 || strcmp(argv[argc - 1], PLACEHOLDER) != 0) {
        say(server, "error the last argument is not the fork server's placeholder\n");
        return 125;
    }
    const char *warm = getenv("CROSSRUN_FORKSERVER_WARM");
    const char *why = "CROSSRUN_FORKSERVER_WARM=0";
    int warmed = warm && !strcmp(warm, "0") ? 0 : warm_up(argc, argv, envp, &why);
    if (warmed < 0) {
        char error[256];
        snprintf(error, sizeof error, "error the warm-up could not be undone: %s\n", why);
        say(server, error);
        _exit(125);
    }
    char ready[384];
    if (warmed) {
        snprintf(ready, sizeof ready, "%s ready %d warm\n", PROTOCOL, (int)getpid());
    } else {
        snprintf(ready, sizeof ready, "%s ready %d cold (%s)\n", PROTOCOL, (int)getpid(), why);
    }
    say(server, ready);
    static char name[65536];
    for (;;) {
        int fds[3];
        if (!receive(server, name, sizeof name, fds)) return 0;
        if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
            say(server, "error no descriptors came with the request\n");
            continue;
        }
        // The helper tells the server the test's pid through this pipe.
        int report[2];
        if (pipe2(report, O_CLOEXEC) != 0) {
            say(server, "error pipe2 failed\n");
        } else {
            pid_t helper = fork();
            if (helper < 0) {
                close(report[0]);
                close(report[1]);
                say(server, "error fork failed\n");
            } else if (helper == 0) {
                close(report[0]);
                pid_t me = getpid();
                pid_t test = fork();
                if (test == 0) {
                    close(report[1]);
                    run_test(server, crossrun, me, fds, name, argc, argv, envp);
                }
                if (test > 0) setpgid(test, test);
                ssize_t ignored = write(report[1], &test, sizeof test);
                (void)ignored;
                _exit(0);
            } else {
                close(report[1]);
                pid_t test = -1;
                ssize_t got;
                do {
                    got = read(report[0], &test, sizeof test);
                } while (got < 0 && errno == EINTR);
                close(report[0]);
                int status;
                // Once the helper is reaped, the test's process is crossrun's child.
                while (waitpid(helper, &status, 0) < 0 && errno == EINTR) {}
                char reply[64];
                if (got == (ssize_t)sizeof test && test > 0) {
                    snprintf(reply, sizeof reply, "pid %d\n", (int)test);
                } else {
                    snprintf(reply, sizeof reply, "error fork failed\n");
                }
                say(server, reply);
            }
        }
        for (int i = 0; i < 3; i++) close(fds[i]);
    }
}

static int wrapped_main(int argc, char **argv, char **envp) {
    const char *descriptor = getenv("CROSSRUN_FORKSERVER_FD");
    if (descriptor == NULL) return real_main(argc, argv, envp);
    return serve(atoi(descriptor), argc, argv, envp);
}

int __libc_start_main(main_function main, int argc, char **argv, void (*init)(void), void (*fini)(void), void (*rtld_fini)(void), void *stack_end) {
    start_function real_start = (start_function)dlsym(RTLD_NEXT, "__libc_start_main");
    if (real_start == NULL) {
        fprintf(stderr, "crossrun fork server: no __libc_start_main after the preload library\n");
        _exit(125);
    }
    real_main = main;
    return real_start(wrapped_main, argc, argv, init, fini, rtld_fini, stack_end);
}
"""#
}

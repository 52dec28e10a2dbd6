import FoundationEssentials
import Glibc

/// The C source of `--isolate`'s guest-side fork server (ForkServer.swift builds it with the target's cross C
/// compiler on first use and caches the library). Kept here, as text, so an installed crossrun carries it.
enum ForkServerGuest {
    /// The argument the server is started with after `--exact`; each test's process puts its test's name there.
    static let placeholder = "crossrun-forkserver-placeholder"
    /// The first words of the server's greeting.
    static let greeting = "crossrun-forkserver 1 ready "

    static let source = #"""
// crossrun's guest-side fork server for `--isolate` (docs/isolation.md). crossrun builds it with the target's cross
// C compiler as a shared library and loads it into a dynamically linked glibc or musl test binary under qemu-user
// with LD_PRELOAD (built against the binary's C library: with glibc's cross gcc or a musl one). It wraps
// __libc_start_main, so it runs after the dynamic loader, libc's start-up and the binary's constructors (Rust std's
// .init_array function, which keeps the argv pointer), just before main.
//
// Without CROSSRUN_FORKSERVER_FD it calls main and nothing else. With it (a SOCK_SEQPACKET socket crossrun
// passes as a descriptor), it first says "crossrun-forkserver 1 ready PID\n" and then serves requests:
//   request: one message, the test's name, with three descriptors (SCM_RIGHTS): stdin, stdout and stderr; or
//            "\001ARG\001ARG": the two arguments to put in place of the last two (`--list --ignored`, a listing);
//            "\002NAME": the test NAME, whose process leaves a successor (below) when main's thread calls exit();
//            "\003": a sibling server for another job, serving on the first descriptor (serve_sibling);
//   reply:   "pid PID next SERVER\n" when the server itself became the test's process PID and its fork SERVER
//            serves on, "pid PID\n" when PID is a fork made through a helper, or "error TEXT\n";
//   later:   "successor PID of TEST\n" with a descriptor, the socket the successor serves on from then on; or
//            "uncarried TEST REASON\n" when test TEST's successor could not put its memory back.
// A successor (docs/isolation.md, "Carrying translations forward"): the test's process forks once more when its main
// thread calls exit(); the fork leaves the test's process group and descriptors, puts back the memory and state
// the warm-up's snapshot holds (exactly as after the warm-up), and serves as the new server, with every translation
// qemu made while the test ran. crossrun then sends its requests there and closes the old server's socket.
// The test's process must be crossrun's child, so that crossrun waits for it, signals its process group and reads
// its wait status as for any process it starts itself. When the server is crossrun's child (the first server, and
// any server whose parent, an earlier test's process, has ended), one fork does it: the server becomes the test's
// process and the fork serves on (in a process group of its own). Otherwise (its parent is a test's process still
// running: two jobs share a server) it forks a helper that forks the test's process and exits at once: the test's
// process then becomes crossrun's child (crossrun is the subreaper of what it starts). The test's process leads its own
// process group, dies with crossrun, puts the name in place of the last argument (the placeholder after
// `--exact`) in the original argv array (Rust's std reads that array, not main's arguments), takes the three
// descriptors as 0, 1 and 2, drops this library's variables and returns main's result through exit().
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
// The warm-up's snapshot, kept while the server serves (see "The warm-up" below).
struct snapshot;
static struct snapshot *snap;
// In a test's process that leaves a successor: the old server's socket, kept until the successor has said so.
static int carry_socket = -1;
static pid_t carry_pid;

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

static int in_test;

#ifdef __GLIBC__
// Rust's std asks glibc for the main thread's stack (pthread_getattr_np) as every process starts, and glibc finds
// it by reading /proc/self/maps, which qemu-user writes out anew for each open: a fifth of a test's process's time
// on regex's suite. A test's process has the server's mappings as they were at the snapshot (the undo checks them),
// so the server asks glibc once, just before the snapshot, and a test's process gets that answer without the read,
// built as a new attribute object, whenever the main thread's stack limit, CPU affinity and scheduling are still
// what they were then; otherwise, for any other thread and outside a test's process, glibc answers.
static struct {
    int known;
    pthread_t thread;
    void *low;
    size_t size, guard;
    struct rlimit limit;
    size_t affinity_size;
    unsigned char affinity[1024];
} main_stack;
typedef int (*getattr_function)(pthread_t, pthread_attr_t *);
static getattr_function real_getattr;

// The main thread's CPU affinity into `set`, with the size glibc's pthread_getattr_np uses (the first power of two
// from 32 bytes that the kernel takes); 0 when it cannot be read.
static size_t main_affinity(unsigned char *set, size_t max) {
    for (size_t size = 32; size <= max; size *= 2) {
        int failed = pthread_getaffinity_np(main_stack.thread, size, (cpu_set_t *)set);
        if (failed == 0) return size;
        if (failed != EINVAL) return 0;
    }
    return 0;
}

// The kernel's, not pthread_getschedparam's: that one also records the values in the thread's descriptor, which
// pthread_getattr_np then reports.
static int default_scheduling(void) {
    struct sched_param parameters;
    return sched_getscheduler(getpid()) == SCHED_OTHER && sched_getparam(getpid(), &parameters) == 0 && parameters.sched_priority == 0;
}

static void learn_main_stack(void) {
    main_stack.known = 0;
    if (!real_getattr) real_getattr = (getattr_function)dlsym(RTLD_NEXT, "pthread_getattr_np");
    main_stack.thread = pthread_self();
    pthread_attr_t attributes;
    if (real_getattr == NULL || real_getattr(main_stack.thread, &attributes) != 0) return;
    int read = pthread_attr_getstack(&attributes, &main_stack.low, &main_stack.size) == 0
        && pthread_attr_getguardsize(&attributes, &main_stack.guard) == 0;
    pthread_attr_destroy(&attributes);
    main_stack.affinity_size = main_affinity(main_stack.affinity, sizeof main_stack.affinity);
    main_stack.known = read && main_stack.affinity_size > 0 && getrlimit(RLIMIT_STACK, &main_stack.limit) == 0 && default_scheduling();
}

static int same_as_learned(void) {
    struct rlimit limit;
    unsigned char now[sizeof main_stack.affinity];
    return getrlimit(RLIMIT_STACK, &limit) == 0 && limit.rlim_cur == main_stack.limit.rlim_cur
        && limit.rlim_max == main_stack.limit.rlim_max && default_scheduling()
        && main_affinity(now, sizeof now) == main_stack.affinity_size
        && memcmp(now, main_stack.affinity, main_stack.affinity_size) == 0;
}

int pthread_getattr_np(pthread_t thread, pthread_attr_t *attr) {
    if (!real_getattr) real_getattr = (getattr_function)dlsym(RTLD_NEXT, "pthread_getattr_np");
    if (in_test && main_stack.known && pthread_equal(thread, main_stack.thread) && same_as_learned()) {
        pthread_attr_t made;
        if (pthread_attr_init(&made) == 0) {
            if (pthread_attr_setstack(&made, main_stack.low, main_stack.size) == 0
                && pthread_attr_setguardsize(&made, main_stack.guard) == 0
                && pthread_attr_setaffinity_np(&made, main_stack.affinity_size, (const cpu_set_t *)main_stack.affinity) == 0) {
                *attr = made;
                return 0;
            }
            pthread_attr_destroy(&made);
        }
    }
    return real_getattr(thread, attr);
}
#else
// musl finds the main thread's stack without reading /proc/self/maps (and has no pthread_attr_setaffinity_np).
static void learn_main_stack(void) {}
#endif

static void run_test(int server, pid_t crossrun, pid_t helper, int fds[3], char *name, int carry, int argc, char **argv, char **envp) {
    in_test = 1;
    setpgid(0, 0);
    // A successor needs the server's socket to say so: kept out of the way, closed on exec.
    if (carry && snap) {
        // Under a low descriptor limit, lower.
        for (int at = 1000; carry_socket < 0 && at >= 10; at /= 10) carry_socket = fcntl(server, F_DUPFD_CLOEXEC, at);
        carry_pid = getpid();
    }
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
    unsetenv("CROSSRUN_FORKSERVER_CARRY");
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
#define MAX_DESCRIPTORS 4096
#define MAPS_SIZE (1 << 20)

struct region {
    unsigned long start, end;
    char perms[4];
    int special;
    char *copy;
};

// A descriptor open before the warm-up: what it refers to, its flags and its offset (-1: not seekable).
struct descriptor {
    int fd;
    dev_t device;
    ino_t inode;
    int descriptor_flags, status_flags;
    off_t offset;
};

// What the process is beyond its memory and descriptors.
struct attributes {
    struct rlimit limits[RLIM_NLIMITS];
    int priority;
    char name[17];
    cpu_set_t affinity;
    int has_affinity;
    int group_leader;
    pid_t session;
    int no_new_privileges, seccomp, dumpable;
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
    struct descriptor descriptors[MAX_DESCRIPTORS];
    int descriptor_count;
    struct attributes attributes;
    // Where a successor continues serving (serve's loop), the server's socket (its identity is not checked: each
    // successor serves on a socket of its own) and the working directory's path (a successor opens it again).
    sigjmp_buf resume;
    int server_fd, saved[3], null;
    char cwd_path[4096];
    // The process's first stack block, from argv up: the argument and environment arrays and their strings.
    unsigned long block_start, block_end;
    char *block_copy;
    int threads;
    pid_t pid; // the first server's
    char maps[MAPS_SIZE];
    // The listing after the warm-up, read into memory that is not restored.
    char now[MAPS_SIZE];
    struct region current[MAX_REGIONS];
};

// A mapping's length as the pages it takes.
static unsigned long page_rounded(unsigned long length) {
    unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
    return (length + page - 1) / page * page;
}

static unsigned long work_start, work_end, copies_start, copies_end;
static sigjmp_buf warm_exit;
// 1 while the warm-up's main runs, 2 while the exit() that ends it runs its handlers, 3 while that exit() runs
// glibc's last step (warm_cleanup), 0 otherwise.
static volatile int warming;
static pid_t server_pid;
static char **initial_argv;
static int serving_fd = -1;
static void leave_successor(void);

typedef void (*exit_function)(int);
static exit_function real_exit;

static int in_server_thread(void) {
    return getpid() == server_pid && (pid_t)syscall(SYS_gettid) == server_pid;
}

// glibc (up to 2.37) ends exit() by calling the functions of its __libc_atexit section (one: _IO_cleanup, which
// flushes and unbuffers every stream) and then _exit. During the warm-up the section's one entry is this function,
// which calls glibc's and comes back to the server (only in the server's own thread: a process the warm-up forked
// inherits `warming`, and ends as usual), so qemu has translated all of exit() but _exit itself.
static void (**libc_atexit)(void);
static void (*libc_cleanup)(void);
static void warm_cleanup(void) {
    if (libc_cleanup) libc_cleanup();
    if (warming == 3 && in_server_thread()) {
        warming = 0;
        siglongjmp(warm_exit, 1);
    }
}

// The warm-up ends through exit(), as a test's process does: the TLS destructors, the atexit handlers and the
// loader's destructors run (what a listing runs too), so qemu has translated that path before any test's process
// takes it (it is most of what a test's process would translate). The loader's destructor call is the handler
// registered first, so the last to run: this function wraps it. After it the warm-up goes on to glibc's last step
// (warm_cleanup) when the section was found, or back to the server from here.
// A test's process asked for a successor leaves it here too, so the successor carries the translations of the exit
// path the test took (its own thread-local destructors) as well.
static void (*real_rtld_fini)(void);
static volatile int carry_at_finish;
static void handlers_done(void) {
    if (warming == 2 && in_server_thread()) {
        // On to the rest of exit() when the section's entry is warm_cleanup; back from here otherwise.
        if (libc_cleanup) {
            warming = 3;
            return;
        }
#ifndef __GLIBC__
        // What musl's exit() does next: flush every stream.
        fflush(NULL);
#endif
        warming = 0;
        siglongjmp(warm_exit, 1);
    }
    if (carry_at_finish && carry_socket >= 0 && getpid() == carry_pid && (pid_t)syscall(SYS_gettid) == carry_pid) {
        carry_at_finish = 0;
        leave_successor();
    }
}
static void finish_exit(void) {
    if (real_rtld_fini) real_rtld_fini();
    handlers_done();
}
#ifndef __GLIBC__
// musl's exit() runs the atexit handlers, then the loaded objects' destructors in the reverse order of their
// constructors, then flushes every stream and calls _Exit; it has no rtld_fini. musl's loader constructs a preloaded
// library before the binary and the binary's own libraries (a preload is a pseudo-dependency of the binary), so this
// destructor runs after every other handler: it is musl's finish_exit.
__attribute__((destructor)) static void musl_handlers_done(void) {
    handlers_done();
}
#endif

void exit(int status) {
    if (warming == 1 && in_server_thread()) warming = 2;
    if (carry_socket >= 0 && getpid() == carry_pid) {
        if ((pid_t)syscall(SYS_gettid) == carry_pid) {
            carry_at_finish = 1;
        } else {
            // Not from main's thread: no successor (its stack is not the one the snapshot left out), and crossrun
            // need not wait for one.
            char said[96];
            snprintf(said, sizeof said, "uncarried %d exit() was called from another thread than main's\n", (int)carry_pid);
            send(carry_socket, said, strlen(said), MSG_NOSIGNAL);
            close(carry_socket);
            carry_socket = -1;
        }
    }
    if (real_exit == NULL) real_exit = (exit_function)dlsym(RTLD_NEXT, "exit");
    if (real_exit) real_exit(status);
    _exit(status);
}

// The open descriptors' numbers, from /proc/self/fd (the listing's own left out); -1 when it cannot be read.
static int list_descriptors(int *numbers, int max) {
    int directory = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory < 0) return -1;
    char buffer[4096];
    int count = 0;
    for (;;) {
        long got = syscall(SYS_getdents64, directory, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        for (long at = 0; at < got;) {
            unsigned short length;
            memcpy(&length, buffer + at + 16, sizeof length);
            const char *entry = buffer + at + 19;
            if (entry[0] >= '0' && entry[0] <= '9') {
                int fd = atoi(entry);
                if (fd != directory) {
                    if (count == max) {
                        close(directory);
                        return -1;
                    }
                    numbers[count++] = fd;
                }
            }
            at += length;
        }
    }
    close(directory);
    return count;
}

static int describe(int fd, struct descriptor *out) {
    struct stat status;
    if (fstat(fd, &status) != 0) return 0;
    out->fd = fd;
    out->device = status.st_dev;
    out->inode = status.st_ino;
    out->descriptor_flags = fcntl(fd, F_GETFD);
    out->status_flags = fcntl(fd, F_GETFL);
    out->offset = S_ISREG(status.st_mode) || S_ISDIR(status.st_mode) ? lseek(fd, 0, SEEK_CUR) : -1;
    return out->descriptor_flags != -1 && out->status_flags != -1;
}

static void read_attributes(struct attributes *out) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < RLIM_NLIMITS; i++) getrlimit(i, &out->limits[i]);
    errno = 0;
    out->priority = getpriority(PRIO_PROCESS, 0);
    prctl(PR_GET_NAME, (unsigned long)out->name, 0, 0, 0);
    out->has_affinity = sched_getaffinity(0, sizeof out->affinity, &out->affinity) == 0;
    out->group_leader = getpgrp() == getpid();
    out->session = getsid(0);
    out->no_new_privileges = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    out->seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
    out->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

// Puts back what the warm-up changed of the process's attributes; 0 when one cannot be put back.
static int restore_attributes(const struct attributes *was, const char **why) {
    struct attributes now;
    read_attributes(&now);
    if (now.group_leader != was->group_leader || now.session != was->session || now.no_new_privileges != was->no_new_privileges ||
        now.seccomp != was->seccomp) {
        *why = "the warm-up changed the process group, session or privileges";
        return 0;
    }
    for (int i = 0; i < RLIM_NLIMITS; i++) {
        if (memcmp(&now.limits[i], &was->limits[i], sizeof now.limits[i]) != 0 && setrlimit(i, &was->limits[i]) != 0) {
            *why = "the warm-up changed a resource limit that cannot be raised again";
            return 0;
        }
    }
    if (now.priority != was->priority && setpriority(PRIO_PROCESS, 0, was->priority) != 0) {
        *why = "the warm-up lowered the process's priority";
        return 0;
    }
    if (strcmp(now.name, was->name) != 0) prctl(PR_SET_NAME, (unsigned long)was->name, 0, 0, 0);
    if (was->has_affinity && memcmp(&now.affinity, &was->affinity, sizeof now.affinity) != 0 &&
        sched_setaffinity(0, sizeof was->affinity, &was->affinity) != 0) {
        *why = "the warm-up changed the process's CPU affinity";
        return 0;
    }
    if (now.dumpable != was->dumpable) prctl(PR_SET_DUMPABLE, was->dumpable, 0, 0, 0);
    return 1;
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

// Whether [start, end) lies in the snapshot's regions without a gap (and writable ones, with `writable`).
static int in_regions(unsigned long start, unsigned long end, int writable) {
    unsigned long at = start;
    for (int i = 0; i < snap->count && at < end; i++) {
        const struct region *region = &snap->regions[i];
        if (region->end <= at) continue;
        if (region->start > at || (writable && region->perms[1] != 'w')) return 0;
        at = region->end;
    }
    return at >= end;
}

// The listing is qemu's; every writable segment of every loaded object must be in it (a line it left out would be
// neither copied nor removed).
static int check_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    int *missing = data;
    unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *header = &info->dlpi_phdr[i];
        if (header->p_type != PT_LOAD || !(header->p_flags & PF_W) || header->p_memsz == 0) continue;
        unsigned long start = (info->dlpi_addr + header->p_vaddr) / page * page;
        if (!in_regions(start, info->dlpi_addr + header->p_vaddr + header->p_memsz, 0)) *missing = 1;
    }
    return 0;
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
    snap->server_fd = serving_fd;
    work_start = (unsigned long)work;
    work_end = work_start + page_rounded(sizeof(struct snapshot));
    if (read_file("/proc/self/maps", snap->maps, MAPS_SIZE) < 0) {
        *why = "/proc/self/maps could not be read";
        goto fail;
    }
    snap->brk = (unsigned long)syscall(SYS_brk, 0);
    snap->heap = -1;
    volatile char marker = 0;
    unsigned long here = (unsigned long)&marker;
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
            // The stack this code runs on is never copied back, whatever the listing calls it.
            if (region->start <= here && here < region->end) region->special = 1;
            if (region->start < snap->brk && region->end >= snap->brk) snap->heap = snap->count;
            if (!region->special && region->perms[0] == 'r' && region->perms[1] == 'w') writable += region->end - region->start;
            snap->count++;
        }
    }
    int missing = 0;
    dl_iterate_phdr(check_object, &missing);
    if (missing || !in_regions(here, here + 1, 1) || !in_regions((unsigned long)pthread_self(), (unsigned long)pthread_self() + 1, 1)) {
        *why = "/proc/self/maps does not list every mapping of the process";
        goto fail;
    }
    snap->threads = count_threads();
    snap->pid = getpid();
    snap->cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (getcwd(snap->cwd_path, sizeof snap->cwd_path) == NULL) snap->cwd_path[0] = 0;
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
    // The stack is not copied (this code runs on it), except its first block, from argv up to the mapping's end:
    // the argument and environment arrays and strings, which main may change (setenv, getopt's reordering).
    snap->block_start = (unsigned long)initial_argv;
    snap->block_end = 0;
    for (int i = 0; i < snap->count; i++) {
        if (snap->regions[i].start <= snap->block_start && snap->block_start < snap->regions[i].end) snap->block_end = snap->regions[i].end;
    }
    if (snap->block_end == 0) {
        *why = "the argument array is in no mapping";
        goto fail;
    }
    static int numbers[MAX_DESCRIPTORS];
    int listed = list_descriptors(numbers, MAX_DESCRIPTORS);
    if (listed < 0) {
        *why = "/proc/self/fd could not be read";
        goto fail;
    }
    snap->descriptor_count = 0;
    for (int i = 0; i < listed; i++) {
        if (describe(numbers[i], &snap->descriptors[snap->descriptor_count])) snap->descriptor_count++;
    }
    size_t total = writable + (snap->block_end - snap->block_start);
    void *copies = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copies == MAP_FAILED) {
        *why = "no memory for the snapshot";
        goto fail;
    }
    copies_start = (unsigned long)copies;
    copies_end = copies_start + page_rounded(total);
    for (int sig = 1; sig < _NSIG; sig++) snap->saved_action[sig] = sigaction(sig, NULL, &snap->actions[sig]) == 0;
    sigprocmask(SIG_BLOCK, NULL, &snap->mask);
    sigaltstack(NULL, &snap->altstack);
    read_attributes(&snap->attributes);
    // Last, so that the copies hold every static above as it is now.
    char *into = copies;
    snap->block_copy = into;
    memcpy(into, (void *)snap->block_start, snap->block_end - snap->block_start);
    into += snap->block_end - snap->block_start;
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

// glibc keeps the thread's id in its descriptor (fork writes the child's id there), and pthread_getattr_np,
// pthread_getaffinity_np and the like use it; the snapshot holds the first server's. So a successor, whose id is
// its own, puts it back after the copy: in the words of the descriptor (pthread_self() on) that hold this process's
// id now and the first server's in the snapshot. In the first server the two are the same and nothing changes.
static int own_id_words(pid_t **found, int max) {
    pid_t now = getpid();
    if (now == snap->pid) return 0;
    unsigned long self = (unsigned long)pthread_self();
    int count = 0;
    for (int i = 0; i < snap->count && count < max; i++) {
        const struct region *region = &snap->regions[i];
        if (!region->copy || self < region->start || self >= region->end) continue;
        unsigned long end = self + 2048 < region->end ? self + 2048 : region->end;
        for (unsigned long at = self; at + sizeof(pid_t) <= end && count < max; at += sizeof(pid_t)) {
            pid_t was;
            memcpy(&was, region->copy + (at - region->start), sizeof was);
            if (*(pid_t *)at == now && was == snap->pid) found[count++] = (pid_t *)at;
        }
    }
    return count;
}

// Undoes the warm-up; 0 with the reason in `why` when what is now cannot be made what was.
// `spare`: descriptors (-1: none) a successor keeps through it.
static int restore_snapshot(const char **why, const int spare[2]) {
    if (count_threads() != snap->threads) {
        *why = "a thread the warm-up started is still running";
        return 0;
    }
    // No handler runs while memory is half put back; the mask is restored last.
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    // Descriptors: the ones the warm-up opened are closed; the ones open before must be the same files with the
    // same flags (the offset is put back).
    static int numbers[MAX_DESCRIPTORS];
    int listed = list_descriptors(numbers, MAX_DESCRIPTORS);
    if (listed < 0) {
        *why = "/proc/self/fd could not be read";
        return 0;
    }
    for (int i = 0; i < listed; i++) {
        int known = 0;
        for (int j = 0; j < snap->descriptor_count && !known; j++) known = snap->descriptors[j].fd == numbers[i];
        if (numbers[i] == spare[0] || numbers[i] == spare[1]) known = 1;
        if (!known) close(numbers[i]);
    }
    for (int j = 0; j < snap->descriptor_count; j++) {
        const struct descriptor *was = &snap->descriptors[j];
        struct descriptor now;
        if (!describe(was->fd, &now) || ((now.device != was->device || now.inode != was->inode) && was->fd != snap->server_fd)) {
            static char replaced[96];
            snprintf(replaced, sizeof replaced, "descriptor %d, open before the warm-up, was closed or replaced", was->fd);
            *why = replaced;
            return 0;
        }
        if (now.descriptor_flags != was->descriptor_flags) fcntl(was->fd, F_SETFD, was->descriptor_flags);
        if (now.status_flags != was->status_flags) fcntl(was->fd, F_SETFL, was->status_flags);
        if (was->offset >= 0 && now.offset != was->offset) lseek(was->fd, was->offset, SEEK_SET);
        if (!describe(was->fd, &now) || now.descriptor_flags != was->descriptor_flags || now.status_flags != was->status_flags ||
            now.offset != was->offset) {
            *why = "a descriptor's flags or offset could not be put back";
            return 0;
        }
    }
    if (!restore_attributes(&snap->attributes, why)) return 0;
    // qemu keeps the heap's pages once it has them: lower the heap's end, leave its growth mapped.
    syscall(SYS_brk, snap->brk);
    // With no heap yet, what qemu maps for it starts at the page after the heap's end.
    unsigned long heap_end = snap->heap >= 0 ? snap->regions[snap->heap].end : page_rounded(snap->brk);
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
    // Nothing but the heap's growth may be left that the snapshot did not have (a removal that failed).
    for (int c = 0; c < count; c++) {
        const struct region *region = &current[c];
        if (region->special) continue;
        unsigned long at = region->start;
        for (int i = 0; i < snap->count && at < region->end; i++) {
            const struct region *was = &snap->regions[i];
            if (was->end <= at || was->start >= region->end) continue;
            if (was->start > at) break;
            at = was->end;
        }
        if (at < region->end && !(heap_end && at == heap_end)) {
            *why = "a mapping the warm-up made could not be removed";
            return 0;
        }
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
    pid_t *ids[4];
    int id_count = own_id_words(ids, 4);
    for (int i = 0; i < snap->count; i++) {
        const struct region *region = &snap->regions[i];
        if (region->copy) memcpy((void *)region->start, region->copy, region->end - region->start);
    }
    for (int i = 0; i < id_count; i++) *ids[i] = getpid();
    // Above every frame of this code: argv, environ and their strings as they were.
    memcpy((void *)snap->block_start, snap->block_copy, snap->block_end - snap->block_start);
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
static int go_parallel(void) {
    int before = count_threads();
    pthread_attr_t attributes;
    if (pthread_attr_init(&attributes) != 0) return 0;
    size_t size = 256 * 1024;
    long minimum = sysconf(_SC_THREAD_STACK_MIN);
    if (minimum > 0 && (size_t)minimum > size) size = (size_t)minimum;
    pthread_attr_setstacksize(&attributes, size);
    pthread_t thread;
    int created = pthread_create(&thread, &attributes, nothing, NULL);
    pthread_attr_destroy(&attributes);
    if (created != 0) return 0;
    pthread_join(thread, NULL);
    // qemu ends the host thread just after the guest's join returns.
    for (int i = 0; i < 5000 && count_threads() != before; i++) usleep(100);
    return count_threads() == before;
}

// The address of libc's __libc_atexit section, when it holds one function pointer: from libc's section headers,
// read from its file (sections are not mapped). NULL when there is none (glibc 2.38 calls _IO_cleanup directly).
static void (**find_libc_atexit(void))(void) {
    Dl_info info;
    if (dladdr((void *)&fflush, &info) == 0 || info.dli_fname == NULL || info.dli_fbase == NULL) return NULL;
    int fd = open(info.dli_fname, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    void (**found)(void) = NULL;
    ElfW(Ehdr) header;
    if (pread(fd, &header, sizeof header, 0) == (ssize_t)sizeof header && memcmp(header.e_ident, ELFMAG, SELFMAG) == 0 &&
        header.e_shentsize == sizeof(ElfW(Shdr)) && header.e_shnum > 0 && header.e_shnum < 256 && header.e_shstrndx < header.e_shnum) {
        ElfW(Shdr) sections[256];
        size_t size = header.e_shnum * sizeof(ElfW(Shdr));
        char names[4096];
        if (pread(fd, sections, size, header.e_shoff) == (ssize_t)size) {
            const ElfW(Shdr) *table = &sections[header.e_shstrndx];
            size_t length = table->sh_size < sizeof names - 1 ? table->sh_size : sizeof names - 1;
            if (pread(fd, names, length, table->sh_offset) == (ssize_t)length) {
                names[length] = 0;
                for (int i = 0; i < header.e_shnum; i++) {
                    if (sections[i].sh_name < length && strcmp(names + sections[i].sh_name, "__libc_atexit") == 0 &&
                        sections[i].sh_size == sizeof(void *)) {
                        found = (void (**)(void))((char *)info.dli_fbase + sections[i].sh_addr);
                    }
                }
            }
        }
    }
    close(fd);
    return found;
}

// Puts warm_cleanup in the section's place (1) or glibc's back (0); the page is writable only meanwhile.
static int swap_libc_atexit(int in) {
    if (libc_atexit == NULL) return 0;
    long page = sysconf(_SC_PAGESIZE);
    void *start = (void *)((unsigned long)libc_atexit / page * page);
    if (mprotect(start, page, PROT_READ | PROT_WRITE) != 0) return 0;
    if (in) {
        libc_cleanup = *libc_atexit;
        *libc_atexit = warm_cleanup;
    } else {
        *libc_atexit = libc_cleanup;
        libc_cleanup = NULL;
    }
    mprotect(start, page, PROT_READ);
    return 1;
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
    // During the run the server's socket is one of the copies.
    if (serving_fd >= 0 && serving_fd < 3) serving_fd = saved[serving_fd];
    int result = 0;
    server_pid = getpid();
    if (!go_parallel()) {
        *why = "the thread started before it did not end";
    } else if (learn_main_stack(), take_snapshot(why)) {
        argv[argc - 1] = WARM_NAME;
        libc_atexit = find_libc_atexit();
        int swapped = swap_libc_atexit(1);
        if (sigsetjmp(warm_exit, 1) == 0) {
            warming = 1;
            // Comes back through warm_cleanup (or finish_exit).
            exit(real_main(argc, argv, envp));
        }
        warming = 0;
        if (swapped) swap_libc_atexit(0);
        argv[argc - 1] = PLACEHOLDER;
        int none[2] = {-1, -1};
        result = restore_snapshot(why, none) ? 1 : -1;
    }
    for (int i = 0; i < 3; i++) {
        dup2(saved[i], i);
        close(saved[i]);
    }
    close(null);
    if (snap) {
        // Kept when warm, for the successors (its working directory's descriptor is not: they open it again).
        close(snap->cwd);
        snap->saved[0] = saved[0];
        snap->saved[1] = saved[1];
        snap->saved[2] = saved[2];
        snap->null = null;
        if (result != 1) {
            munmap((void *)copies_start, copies_end - copies_start);
            munmap((void *)work_start, work_end - work_start);
            snap = NULL;
        }
    }
    return result;
}

// ---- Successors (docs/isolation.md, "Carrying translations forward") ----

static int out_of_the_way(int fd) {
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 1000);
    close(fd);
    return moved;
}

static int same_file(int fd, const struct stat *file) {
    struct stat status;
    return fstat(fd, &status) == 0 && status.st_dev == file->st_dev && status.st_ino == file->st_ino;
}

// Gives the descriptors the snapshot lists what they were: the server's socket is `socket`, /dev/null and the
// working directory are opened again; any other must still be the same file. -1, or the one that cannot be.
static int reopen_descriptors(int socket) {
    struct stat null_file;
    if (stat("/dev/null", &null_file) != 0) return 0;
    for (int j = 0; j < snap->descriptor_count; j++) {
        const struct descriptor *was = &snap->descriptors[j];
        int flags = was->descriptor_flags & FD_CLOEXEC ? O_CLOEXEC : 0;
        int opened = -1;
        if (was->fd == snap->server_fd) {
            if (dup3(socket, was->fd, flags) < 0) return was->fd;
            continue;
        }
        if (was->device == null_file.st_dev && was->inode == null_file.st_ino) {
            opened = open("/dev/null", (was->status_flags & O_ACCMODE) | O_CLOEXEC);
        } else if (was->fd == snap->cwd) {
            opened = open(snap->cwd_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        } else {
            struct stat file = {.st_dev = was->device, .st_ino = was->inode};
            if (!same_file(was->fd, &file)) return was->fd;
            continue;
        }
        if (opened < 0) return was->fd;
        if (opened != was->fd) {
            int placed = dup3(opened, was->fd, flags);
            close(opened);
            if (placed < 0) return was->fd;
        } else if (!flags) {
            fcntl(opened, F_SETFD, 0);
        }
    }
    return -1;
}

// In the successor, a fork of a test's process whose main thread called exit(): out of the test's process group
// and off its descriptors at once (crossrun reads the test's output until its last copy closes, and ends what is
// left in its group), then, once crossrun has adopted it, the snapshot's memory and state back, and serving.
static void carry_on(int old, int sync) {
    pid_t test = getppid();
    setpgid(0, 0);
    int pair[2] = {-1, -1};
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) _exit(0);
    // Out of the way of the numbers the snapshot's descriptors get back.
    sync = out_of_the_way(sync);
    pair[0] = out_of_the_way(pair[0]);
    pair[1] = out_of_the_way(pair[1]);
    if (sync < 0 || pair[0] < 0 || pair[1] < 0) _exit(0);
    int spare[2] = {old, pair[0]};
    static int numbers[MAX_DESCRIPTORS];
    int listed = list_descriptors(numbers, MAX_DESCRIPTORS);
    // The test's descriptors go (crossrun's pipes among them); the snapshot's are given back below.
    for (int i = 0; i < listed; i++) {
        int keep = numbers[i] == old || numbers[i] == pair[0] || numbers[i] == pair[1] || numbers[i] == sync;
        for (int j = 0; j < snap->descriptor_count && !keep; j++) {
            const struct descriptor *was = &snap->descriptors[j];
            struct stat file = {.st_dev = was->device, .st_ino = was->inode};
            keep = was->fd == numbers[i] && was->fd > 2 && was->fd != snap->server_fd && same_file(was->fd, &file);
        }
        if (!keep) close(numbers[i]);
    }
    int lost = listed < 0 ? 0 : reopen_descriptors(pair[1]);
    close(pair[1]);
    char byte = 0;
    ssize_t ignored = write(sync, &byte, 1);
    (void)ignored;
    close(sync);
    // The test's process ends now; crossrun, the subreaper of what it starts, becomes this process's parent.
    while (getppid() == test) usleep(50);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    char said[384];
    static char reason[128];
    snprintf(reason, sizeof reason, "the test closed or replaced descriptor %d, open before it", lost);
    const char *why = reason;
    if (lost >= 0 || !restore_snapshot(&why, spare)) {
        snprintf(said, sizeof said, "uncarried %d %s\n", (int)test, why);
        say(old, said);
        _exit(0);
    }
    // Memory is the snapshot's again: the warm-up's end, as in the first server.
    for (int i = 0; i < 3; i++) {
        dup2(snap->saved[i], i);
        close(snap->saved[i]);
    }
    close(snap->null);
    close(snap->cwd);
    server_pid = getpid();
    snprintf(said, sizeof said, "successor %d of %d\n", (int)getpid(), (int)test);
    struct iovec part = {said, strlen(said)};
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control.buffer;
    message.msg_controllen = CMSG_SPACE(sizeof(int));
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &pair[0], sizeof(int));
    ssize_t sent;
    do {
        sent = sendmsg(old, &message, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    close(pair[0]);
    close(old);
    if (sent < 0) _exit(0);
    siglongjmp(snap->resume, 1);
}

// exit() in the main thread of a test's process asked to leave a successor: fork it, and end once it is out of
// the way.
static void leave_successor(void) {
    int old = carry_socket;
    carry_socket = -1;
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) != 0) return;
    pid_t successor = fork();
    if (successor == 0) {
        close(sync[0]);
        carry_on(old, sync[1]);
        _exit(0);
    }
    close(sync[1]);
    close(old);
    if (successor > 0) {
        char byte;
        while (read(sync[0], &byte, 1) < 0 && errno == EINTR) {}
    }
    close(sync[0]);
}

// Forks a process for crossrun to adopt: a helper forks it and exits at once, and crossrun (the subreaper of what it
// starts) adopts the orphan. Returns 0 in that process, with *helper the helper's pid (the process waits until its
// parent is no longer the helper), and 1 in the server once it has replied "pid PID\n" (or "error TEXT\n") and
// reaped the helper. The reply goes before the helper is reaped: the new process waits until the helper has ended
// and crossrun adopted it, and crossrun waits for it, not for the helper.
static int fork_adopted(int server, pid_t *helper) {
    // The helper tells the server the new process's pid through this pipe.
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        say(server, "error pipe2 failed\n");
        return 1;
    }
    pid_t forked = fork();
    if (forked == 0) {
        close(report[0]);
        pid_t me = getpid();
        pid_t child = fork();
        if (child == 0) {
            close(report[1]);
            *helper = me;
            return 0;
        }
        if (child > 0) setpgid(child, child);
        ssize_t ignored = write(report[1], &child, sizeof child);
        (void)ignored;
        _exit(0);
    }
    close(report[1]);
    pid_t child = -1;
    ssize_t got = -1;
    if (forked > 0) {
        do {
            got = read(report[0], &child, sizeof child);
        } while (got < 0 && errno == EINTR);
    }
    close(report[0]);
    char reply[64];
    if (got == (ssize_t)sizeof child && child > 0) {
        snprintf(reply, sizeof reply, "pid %d\n", (int)child);
    } else {
        snprintf(reply, sizeof reply, "error fork failed\n");
    }
    say(server, reply);
    int status;
    if (forked > 0) while (waitpid(forked, &status, 0) < 0 && errno == EINTR) {}
    return 1;
}

// "\003": a server for another job, with the first descriptor as its socket: a fork of this server (its memory, its
// translations) that crossrun adopts (fork_adopted), as a test's process; it greets on its socket and serves.
// The reply, "pid PID\n", comes first. Returns in the server; the sibling returns too, as the server it now is.
static void serve_sibling(int server, pid_t crossrun, int fds[3]) {
    pid_t helper = 0;
    if (fork_adopted(server, &helper) == 0) {
        setpgid(0, 0);
        while (getppid() == helper) usleep(20);
        // Adopted by crossrun: it dies with crossrun, as a successor does.
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != crossrun || dup2(fds[0], server) < 0) _exit(0);
        for (int i = 0; i < 3; i++) {
            if (fds[i] != server) close(fds[i]);
        }
        char ready[96];
        snprintf(ready, sizeof ready, "%s ready %d sibling\n", PROTOCOL, (int)getpid());
        say(server, ready);
        return;
    }
    for (int i = 0; i < 3; i++) close(fds[i]);
}

static int serve(int server, int argc, char **argv, char **envp) {
    pid_t crossrun = getppid();
    if (argc < 2 || strcmp(argv[argc - 1], PLACEHOLDER) != 0) {
        say(server, "error the last argument is not the fork server's placeholder\n");
        return 125;
    }
    // Its stderr (crossrun's pipe for start-up errors) becomes /dev/null, which a successor can open again.
    int quiet = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (quiet >= 0) {
        dup2(quiet, 2);
        close(quiet);
    }
    serving_fd = server;
    const char *warm = getenv("CROSSRUN_FORKSERVER_WARM");
    const char *why = "CROSSRUN_FORKSERVER_WARM=0";
    int warmed = warm && !strcmp(warm, "0") ? 0 : warm_up(argc, argv, envp, &why);
    if (warmed == 0) learn_main_stack();
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
    // A successor continues here, serving on the same descriptor number (its own socket).
    if (snap) sigsetjmp(snap->resume, 1);
    static char name[65536];
    for (;;) {
        int fds[3];
        if (!receive(server, name, sizeof name, fds)) return 0;
        if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
            for (int i = 0; i < 3; i++) {
                if (fds[i] >= 0) close(fds[i]);
            }
            say(server, "error no descriptors came with the request\n");
            continue;
        }
        if (name[0] == '\003') {
            serve_sibling(server, crossrun, fds);
            continue;
        }
        int carry = name[0] == '\002';
        // crossrun's own child: this process becomes the test's, and a fork of it serves on.
        if (getppid() == crossrun) {
            pid_t next = fork();
            if (next == 0) {
                setpgid(0, 0);
                for (int i = 0; i < 3; i++) close(fds[i]);
                continue;
            }
            if (next < 0) {
                say(server, "error fork failed\n");
            } else {
                setpgid(next, next);
                char reply[64];
                snprintf(reply, sizeof reply, "pid %d next %d\n", (int)getpid(), (int)next);
                say(server, reply);
                run_test(server, crossrun, 0, fds, name + carry, carry, argc, argv, envp);
            }
            for (int i = 0; i < 3; i++) close(fds[i]);
            continue;
        }
        // Its parent is a test's process still running: through a helper.
        pid_t helper = 0;
        if (fork_adopted(server, &helper) == 0) run_test(server, crossrun, helper, fds, name + carry, carry, argc, argv, envp);
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
    initial_argv = argv;
    real_exit = (exit_function)dlsym(RTLD_NEXT, "exit");
    real_rtld_fini = rtld_fini;
    return real_start(wrapped_main, argc, argv, init, fini, rtld_fini ? finish_exit : NULL, stack_end);
}
"""#
}

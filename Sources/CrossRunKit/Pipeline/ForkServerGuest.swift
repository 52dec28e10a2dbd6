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
//   request: one message, the test's name, with three descriptors (SCM_RIGHTS): stdin, stdout and stderr;
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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
    argv[argc - 1] = name;
    exit(real_main(argc, argv, envp));
}

static int serve(int server, int argc, char **argv, char **envp) {
    pid_t crossrun = getppid();
    if (argc < 2 || strcmp(argv[argc - 1], PLACEHOLDER) != 0) {
        say(server, "error the last argument is not the fork server's placeholder\n");
        return 125;
    }
    char ready[128];
    snprintf(ready, sizeof ready, "%s ready %d\n", PROTOCOL, (int)getpid());
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

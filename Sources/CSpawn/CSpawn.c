// vfork/exec with a parent-death signal, from one long-lived thread (include/CSpawn.h says why). posix_spawn
// cannot do this: it has no way to call prctl(PR_SET_PDEATHSIG) in the child.
#define _GNU_SOURCE
#include "CSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/// The one request being served, handed between the calling thread and the spawner thread.
static struct {
    pthread_mutex_t lock;
    pthread_cond_t posted;
    pthread_cond_t served;
    const crossrun_spawn_request *request;
    int served_flag;
    int result;
    pid_t pid;
} exchange = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0};

/// One caller at a time.
static pthread_mutex_t callers = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t started = PTHREAD_ONCE_INIT;
static int start_error;

static void write_errno_and_exit(int fd, int error) {
    ssize_t ignored = write(fd, &error, sizeof error);
    (void)ignored;
    _exit(127);
}

/// Puts `fd` on `target`; a descriptor already there loses its close-on-exec flag instead (dup2 would keep it).
static int place(int fd, int target) {
    if (fd == target) {
        int flags = fcntl(fd, F_GETFD);
        return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return dup2(fd, target) < 0 ? -1 : 0;
}

/// The child's side: async-signal-safe calls only (the parent has other threads).
static void child(const crossrun_spawn_request *request, pid_t parent, int report) {
    // Dies with crossrun. If crossrun died before this line, the signal will never come: stop here.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) write_errno_and_exit(report, errno);
    if (getppid() != parent) _exit(127);
    if (request->new_group && setpgid(0, 0) != 0) write_errno_and_exit(report, errno);
    if (request->stdin_null) {
        int null = open("/dev/null", O_RDONLY);
        if (null < 0) write_errno_and_exit(report, errno);
        if (place(null, STDIN_FILENO) != 0) write_errno_and_exit(report, errno);
        if (null != STDIN_FILENO) close(null);
    } else if (request->stdin_fd >= 0 && place(request->stdin_fd, STDIN_FILENO) != 0) {
        write_errno_and_exit(report, errno);
    }
    if (request->stdout_fd >= 0 && place(request->stdout_fd, STDOUT_FILENO) != 0) write_errno_and_exit(report, errno);
    if (request->stderr_fd >= 0 && place(request->stderr_fd, STDERR_FILENO) != 0) write_errno_and_exit(report, errno);
    // Default dispositions: the ones a test expects (crossrun ignores SIGPIPE and SIGTTOU, its parent may have
    // ignored SIGINT or SIGHUP), and every signal crossrun catches, so its handlers never run in the child.
    static const int defaults[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTTOU, SIGTTIN, SIGTSTP};
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) sigaction(defaults[i], &dfl, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction current;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &current) != 0) continue;
        if (current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN) sigaction(sig, &dfl, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(request->path, request->argv, request->envp);
    write_errno_and_exit(report, errno);
}

/// The parent's side, on the spawner thread: vfork, then learn from the close-on-exec pipe whether exec worked.
/// vfork, not fork: the child borrows crossrun's memory until it execs (the spawner thread waits meanwhile), so
/// no page table of crossrun's large address space is copied and no page of it is copied on write afterwards
/// (fork cost about a millisecond of every start). The child only makes system calls on its own stack frames,
/// never returns from child(), and every signal is blocked on this thread until its handlers are reset.
static int spawn_now(const crossrun_spawn_request *request, pid_t *pid) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();
    pid_t forked = vfork();
    if (forked < 0) {
        int error = errno;
        close(report[0]);
        close(report[1]);
        return error;
    }
    if (forked == 0) {
        close(report[0]);
        child(request, parent, report[1]);
    }
    close(report[1]);
    int error = 0;
    ssize_t got;
    do {
        got = read(report[0], &error, sizeof error);
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof error) {
        int status;
        while (waitpid(forked, &status, 0) < 0 && errno == EINTR) {}
        return error != 0 ? error : EIO;
    }
    *pid = forked;
    return 0;
}

static void *spawner(void *unused) {
    (void)unused;
    pthread_mutex_lock(&exchange.lock);
    for (;;) {
        while (exchange.request == NULL) pthread_cond_wait(&exchange.posted, &exchange.lock);
        const crossrun_spawn_request *request = exchange.request;
        pthread_mutex_unlock(&exchange.lock);
        pid_t pid = 0;
        int result = spawn_now(request, &pid);
        pthread_mutex_lock(&exchange.lock);
        exchange.request = NULL;
        exchange.result = result;
        exchange.pid = pid;
        exchange.served_flag = 1;
        pthread_cond_broadcast(&exchange.served);
    }
    return NULL;
}

static void start_spawner(void) {
    // All signals blocked on the spawner thread (it inherits the mask): crossrun's handlers run elsewhere, and a
    // signal never lands between fork and the child's reset of its handlers.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    start_error = pthread_create(&thread, &attributes, spawner, NULL);
    pthread_attr_destroy(&attributes);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
}

int crossrun_spawn(const crossrun_spawn_request *request, pid_t *pid) {
    pthread_once(&started, start_spawner);
    if (start_error != 0) return start_error;
    pthread_mutex_lock(&callers);
    pthread_mutex_lock(&exchange.lock);
    exchange.served_flag = 0;
    exchange.request = request;
    pthread_cond_signal(&exchange.posted);
    while (!exchange.served_flag) pthread_cond_wait(&exchange.served, &exchange.lock);
    int result = exchange.result;
    *pid = exchange.pid;
    pthread_mutex_unlock(&exchange.lock);
    pthread_mutex_unlock(&callers);
    return result;
}

int crossrun_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : errno;
}

int crossrun_cloexec_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno;
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int crossrun_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

char **crossrun_environment(void) {
    return environ;
}

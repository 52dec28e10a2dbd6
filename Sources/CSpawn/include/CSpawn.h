#ifndef CROSSRUN_CSPAWN_H
#define CROSSRUN_CSPAWN_H

#include <stddef.h>
#include <sys/types.h>

/// One program to start: what `crossrun_spawn` does in the child between fork and exec.
typedef struct {
    /// The file to execute (no PATH search) and its NULL-terminated argv and environment.
    const char *path;
    char *const *argv;
    char *const *envp;
    /// Descriptors to put on 0, 1 and 2 (in that order, with dup2); -1 keeps crossrun's own. `stdin_null`
    /// opens /dev/null on 0 instead.
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    int stdin_null;
    /// Nonzero: the child leads a new process group (setpgid(0, 0)).
    int new_group;
} crossrun_spawn_request;

/// Starts `request->path` with vfork and execve and returns 0 with its pid in `*pid`, or an errno value when the
/// program could not be started (the failed child is reaped; fork, exec and open errors alike).
///
/// The child gets SIGKILL when crossrun dies (PR_SET_PDEATHSIG), however crossrun dies, SIGKILL included; if
/// crossrun was already gone before that was set, the child ends without running the program. Because Linux
/// sends that signal when the *thread* that forked ends, not the process, every fork happens on one spawner
/// thread that crossrun starts on first use and never ends; the calling thread waits for it. In the child: the
/// new process group, the descriptors, default dispositions for SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT,
/// SIGTTOU, SIGTTIN, SIGTSTP and for every signal crossrun handles, an empty signal mask, then execve.
/// Only async-signal-safe calls run between vfork and exec.
int crossrun_spawn(const crossrun_spawn_request *request, pid_t *pid);

/// Makes this process the subreaper of its descendants (PR_SET_CHILD_SUBREAPER): a process whose parent dies
/// (a guest's forked child after `setsid()`, whose qemu parent ended) becomes crossrun's child instead of
/// init's, so crossrun can find and end it. Returns 0, or an errno value.
int crossrun_become_subreaper(void);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends are close-on-exec from the start, so a child another thread starts
/// meanwhile cannot inherit them. Returns 0, or an errno value.
int crossrun_cloexec_pipe(int fds[2]);

/// pidfd_open(pid, 0) (Linux 5.3): a close-on-exec descriptor that polls readable once `pid` has ended, so a
/// wait for more output can also end the moment the process does. Returns it, or -1 (ENOSYS on older kernels).
int crossrun_pidfd_open(pid_t pid);

/// A connected AF_UNIX SOCK_SEQPACKET pair, both ends close-on-exec (`--isolate`'s fork server, ForkServer.c).
int crossrun_seqpacket_pair(int fds[2]);

/// Sends `length` bytes as one message with `count` descriptors (SCM_RIGHTS); 0 or the errno.
int crossrun_send_with_descriptors(int socket, const void *bytes, size_t length, const int *fds, int count);

/// Receives one message into `bytes` (at most `length`) and the first descriptor that came with it into `fd` (-1
/// when none; others are closed); the message's length, 0 at the end, or minus the errno.
ssize_t crossrun_receive_with_descriptor(int socket, void *bytes, size_t length, int *fd);

/// This process's environment (`environ`), which may be NULL (after `clearenv`).
char **crossrun_environment(void);

#endif

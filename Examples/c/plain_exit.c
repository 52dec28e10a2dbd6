/*
 * plain_exit.c - no libtest output at all: prints one line and exits with the status given as argv[1]
 * (default 0). "segv" dies by SIGSEGV (null pointer write), "abort" dies by SIGABRT via abort().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *arg = argc > 1 ? argv[1] : "0";
    printf("plain_exit: %s\n", arg);
    fflush(stdout);
    if (strcmp(arg, "segv") == 0) {
        volatile int *p = (volatile int *)0;
        *p = 42;
        return 1; /* not reached */
    }
    if (strcmp(arg, "abort") == 0) {
        abort();
    }
    return atoi(arg);
}

/* Prints a line, then spins forever: it never exits, so only a timeout ends the emulator. */
#include <stdio.h>

int main(void) {
    printf("hang: spinning forever\n");
    fflush(stdout);
    for (;;) __asm__ volatile("" ::: "memory");
}

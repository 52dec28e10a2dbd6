/* RISC-V virt only: ends the emulation through the "sifive_test" finisher device at 0x100000 instead of
 * semihosting. Writing 0x5555 exits qemu with status 0; (code << 16) | 0x3333 exits with status `code`.
 * This image exits with status 5 (the line is still printed through semihosting). */
#include <stdint.h>
#include <stdio.h>

#define SIFIVE_TEST ((volatile uint32_t *)0x100000)
#define FINISHER_FAIL 0x3333
#define FINISHER_PASS 0x5555

int main(void) {
    printf("sifive-exit: leaving through the sifive_test device with status 5\n");
    fflush(stdout);
    *SIFIVE_TEST = (5u << 16) | FINISHER_FAIL;
    for (;;) {}
}

/* Executes an undefined instruction. Its fault handler prints one line through raw semihosting and exits with
 * status 70, so a crash is told apart from a test failure (exit 1..3) and from a clean exit.
 *   Arm Cortex-M: `udf` raises a UsageFault, escalated to HardFault (the fault handlers are not enabled);
 *                 HardFault_Handler here replaces the weak one in startup-cortex-m.c.
 *   RISC-V:       `unimp` raises an illegal-instruction exception (mcause 2); main points mtvec at trap_handler. */
#include <stdint.h>
#include <stdio.h>
#include "semihost.h"

#define TRAP_EXIT_STATUS 70

static void put_hex(char *out, uintptr_t value) {
    for (int i = (int)sizeof(value) * 2 - 1; i >= 0; i--, value >>= 4) out[i] = "0123456789abcdef"[value & 15];
    out[sizeof(value) * 2] = 0;
}

static __attribute__((noreturn)) void report(const char *what, uintptr_t cause, uintptr_t pc) {
    char hex[2 * sizeof(uintptr_t) + 1];
    semihost_write0(what);
    semihost_write0(" cause=0x");
    put_hex(hex, cause);
    semihost_write0(hex);
    semihost_write0(" pc=0x");
    put_hex(hex, pc);
    semihost_write0(hex);
    semihost_write0("\n");
    semihost_exit(TRAP_EXIT_STATUS);
}

#if defined(__arm__)
/* Called with the exception frame the core pushed on the main stack: word 6 is the faulting pc. */
__attribute__((used, noreturn)) static void hard_fault(const uint32_t *frame) {
    report("trap: HardFault", *(volatile uint32_t *)0xE000ED28 /* CFSR */, frame[6]);
}
__attribute__((naked)) void HardFault_Handler(void) {
    __asm__ volatile("mrs r0, msp\n b hard_fault");
}
#elif defined(__riscv)
static __attribute__((interrupt("machine"), aligned(4))) void trap_handler(void) {
    uintptr_t cause, pc;
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, mcause\n.option pop" : "=r"(cause));
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, mepc\n.option pop" : "=r"(pc));
    report("trap: machine trap", cause, pc);
}
#endif

int main(void) {
#if defined(__riscv)
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrw mtvec, %0\n.option pop" ::"r"(trap_handler));
#endif
    printf("trap: executing an undefined instruction\n");
    fflush(stdout);
#if defined(__arm__)
    __asm__ volatile("udf #0");
#else
    __asm__ volatile("unimp");
#endif
    printf("trap: still running after the undefined instruction (unexpected)\n");
    return 0;
}

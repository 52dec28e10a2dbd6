/* Raw Arm semihosting calls (the same operation numbers on Arm and RISC-V), for code that must not rely on the
 * C library: fault/trap handlers, and the sifive_test exit example. */
#ifndef SEMIHOST_H
#define SEMIHOST_H
#include <stdint.h>

#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_Stopped_ApplicationExit 0x20026

static inline uintptr_t semihost_call(uintptr_t op, uintptr_t arg) {
#if defined(__arm__)
    register uintptr_t r0 __asm__("r0") = op;
    register uintptr_t r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
#elif defined(__riscv)
    register uintptr_t a0 __asm__("a0") = op;
    register uintptr_t a1 __asm__("a1") = arg;
    /* The semihosting trap sequence: these three uncompressed instructions, 16-byte aligned so that none of
     * them crosses a page. */
    __asm__ volatile(".option push\n.option norvc\n.balign 16\n"
                     "slli x0, x0, 0x1f\nebreak\nsrai x0, x0, 7\n.option pop"
                     : "+r"(a0) : "r"(a1) : "memory");
    return a0;
#else
#error "semihost.h: Arm or RISC-V only"
#endif
}

static inline void semihost_write0(const char *text) { semihost_call(SYS_WRITE0, (uintptr_t)text); }

/* Exits with `code` as qemu's exit status: SYS_EXIT_EXTENDED carries the code on every target. */
static inline __attribute__((noreturn)) void semihost_exit(int code) {
    uintptr_t block[2] = {ADP_Stopped_ApplicationExit, (uintptr_t)code};
    semihost_call(SYS_EXIT_EXTENDED, (uintptr_t)block);
    for (;;) {}
}
#endif

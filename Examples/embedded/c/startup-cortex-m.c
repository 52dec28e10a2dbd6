/* Vector table for the Cortex-M images (qemu's mps2-an385 loads it at address 0: word 0 is the initial stack
 * pointer, word 1 the reset handler). Reset goes to newlib's rdimon crt0 `_start`, which sets up the stack and
 * heap through semihosting, opens stdin/stdout/stderr on the host, runs main and exits through semihosting.
 * Every fault goes to HardFault_Handler; the weak default here spins forever (what `hang`-like firmware does);
 * trap.c overrides it. */
#include <stdint.h>

extern void _start(void);
extern uint32_t __stack_top;

void HardFault_Handler(void) __attribute__((weak));
void HardFault_Handler(void) {
    for (;;) {}
}

static void Default_Handler(void) {
    for (;;) {}
}

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top,
    _start,
    Default_Handler,   /* NMI */
    HardFault_Handler, /* HardFault */
    HardFault_Handler, /* MemManage */
    HardFault_Handler, /* BusFault */
    HardFault_Handler, /* UsageFault */
    0, 0, 0, 0,
    Default_Handler,   /* SVCall */
    Default_Handler,   /* DebugMonitor */
    0,
    Default_Handler,   /* PendSV */
    Default_Handler,   /* SysTick */
};

//! A bare-metal `#![no_std]` test image for Cortex-M3 (qemu's mps2-an385): a handful of tests run by a
//! libtest-compatible harness (harness.rs) that talks to the host through Arm semihosting (semihosting.rs).
//!
//! Tests (sorted by name, as libtest runs them):
//!   tests::add_small_numbers, tests::divide_u64, tests::gcd_and_primes, tests::sort_small_array: pass.
//!   tests::opt_in_failure (ignored, "fails on purpose"): fails when run (`--ignored`, `--include-ignored`),
//!     with captured output and an assert_eq-style message.
//!   tests::panics_without_unwinding (ignored, "panics: ends the image"): a real Rust panic. There is no
//!     unwinding here, so the panic handler prints libtest's panic line on stderr and ends the emulation with
//!     status 101 in the middle of the run, like a libtest binary built with panic=abort dying.
//!   tests::slow_exhaustive_check (ignored, no reason): passes when run.
//! The default run passes (4 passed, 3 ignored, exit status 0).
#![no_std]
#![no_main]

mod harness;
mod semihosting;
mod tests;

use core::fmt::Write;

// Vector table at address 0: initial stack pointer, reset handler, then the exceptions (all faults go to
// `fault`, which reports and exits with status 70, as the C images' trap handler does).
core::arch::global_asm!(
    ".section .isr_vector, \"a\", %progbits",
    ".word __stack_top",
    ".word Reset",
    ".rept 14",
    ".word Fault",
    ".endr",
);

extern "C" {
    static mut __bss_start__: u32;
    static mut __bss_end__: u32;
}

#[no_mangle]
pub unsafe extern "C" fn Reset() -> ! {
    // qemu loads .data from the ELF file; .bss is not in the file, so zero it here.
    let mut word = core::ptr::addr_of_mut!(__bss_start__);
    while word < core::ptr::addr_of_mut!(__bss_end__) {
        core::ptr::write_volatile(word, 0);
        word = word.add(1);
    }
    semihosting::exit(harness::run(tests::ALL))
}

#[no_mangle]
pub extern "C" fn Fault() -> ! {
    if let Some(mut stderr) = semihosting::Handle::stderr() {
        // SAFETY: reading the Configurable Fault Status Register.
        let cfsr = unsafe { core::ptr::read_volatile(0xE000_ED28 as *const u32) };
        let _ = writeln!(stderr, "fault: CFSR=0x{:08x}", cfsr);
    }
    semihosting::exit(70)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    if let Some(mut stderr) = semihosting::Handle::stderr() {
        // SAFETY: single-threaded; the harness sets CURRENT_TEST around each test.
        let test = unsafe { harness::CURRENT_TEST };
        // PanicInfo displays as libtest's `panicked at 'MESSAGE', FILE:LINE:COL` (Rust 1.63).
        let _ = writeln!(stderr, "thread '{}' {}", test, info);
    }
    semihosting::exit(101)
}

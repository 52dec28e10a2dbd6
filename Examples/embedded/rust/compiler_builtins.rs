//! A stand-in for the `compiler_builtins` crate, which every `#![no_std]` crate links against but which
//! Debian's rust-src does not ship (it comes from crates.io). The intrinsics themselves (`__aeabi_uldivmod`,
//! `memcpy`, ...) come from arm-none-eabi-gcc's libgcc and newlib's libc at link time.
#![feature(no_core, compiler_builtins)]
#![no_core]
#![compiler_builtins]

//! The tests. Each gets an `Output` to write to (captured unless --nocapture) and returns Err through the
//! check!/check_eq! macros when a check fails.
use crate::harness::{Output, Test};
use crate::{check, check_eq};
use core::fmt::Write;

/// Sorted by name: the order libtest runs and lists tests in.
pub static ALL: &[Test] = &[
    Test { name: "tests::add_small_numbers", ignore: None, run: add_small_numbers },
    Test { name: "tests::divide_u64", ignore: None, run: divide_u64 },
    Test { name: "tests::gcd_and_primes", ignore: None, run: gcd_and_primes },
    Test { name: "tests::opt_in_failure", ignore: Some("fails on purpose"), run: opt_in_failure },
    Test { name: "tests::panics_without_unwinding", ignore: Some("panics: ends the image"), run: panics_without_unwinding },
    Test { name: "tests::slow_exhaustive_check", ignore: Some(""), run: slow_exhaustive_check },
    Test { name: "tests::sort_small_array", ignore: None, run: sort_small_array },
];

/// The value, hidden from the optimiser (so a division or an out-of-bounds index happens at run time).
fn opaque<T: Copy>(value: T) -> T {
    // SAFETY: reading a valid local.
    unsafe { core::ptr::read_volatile(&value) }
}

fn add(a: i32, b: i32) -> i32 {
    a + b
}

fn add_small_numbers(out: &mut Output) -> Result<(), ()> {
    check_eq!(out, add(2, 2), 4);
    check_eq!(out, add(-7, 3), -4);
    check_eq!(out, i32::MAX.checked_add(1), None);
    check_eq!(out, 200u8.wrapping_add(100), 44);
    Ok(())
}

fn divide_u64(out: &mut Output) -> Result<(), ()> {
    // 64-bit division on a 32-bit core: a libgcc helper (__aeabi_uldivmod).
    let big: u64 = opaque(1_000_000_000_007);
    check_eq!(out, big / 7, 142_857_142_858);
    check_eq!(out, big % 1_000, 7);
    Ok(())
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn gcd_and_primes(out: &mut Output) -> Result<(), ()> {
    check_eq!(out, gcd(84, 36), 12);
    check_eq!(out, gcd(17, 5), 1);
    let mut composite = [false; 100];
    let mut primes = 0;
    for n in 2..100 {
        if !composite[n] {
            primes += 1;
            let mut multiple = n * n;
            while multiple < 100 {
                composite[multiple] = true;
                multiple += n;
            }
        }
    }
    check_eq!(out, primes, 25);
    Ok(())
}

fn sort_small_array(out: &mut Output) -> Result<(), ()> {
    let mut values = [9, 3, 7, 1, 8, 2, 6, 4, 5, 0];
    for i in 1..values.len() {
        let mut j = i;
        while j > 0 && values[j - 1] > values[j] {
            values.swap(j - 1, j);
            j -= 1;
        }
    }
    check!(out, values.windows(2).all(|pair| pair[0] <= pair[1]));
    check_eq!(out, values, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    Ok(())
}

fn opt_in_failure(out: &mut Output) -> Result<(), ()> {
    let _ = writeln!(out, "checking add(2, 2) against 5");
    check_eq!(out, add(2, 2), 5);
    Ok(())
}

fn panics_without_unwinding(out: &mut Output) -> Result<(), ()> {
    let _ = writeln!(out, "about to index past the end of an array");
    let values = [1u8, 2, 3];
    let index = opaque(7usize);
    check_eq!(out, values[index], 0);
    Ok(())
}

fn slow_exhaustive_check(out: &mut Output) -> Result<(), ()> {
    // Every u16 pair's sum fits in u32 and commutes: 2^16 * 16 cases (the full square would be slow).
    for a in 0..=u16::MAX as u32 {
        for b in (0..=u16::MAX as u32).step_by(4096) {
            check_eq!(out, a + b, b + a);
        }
    }
    Ok(())
}

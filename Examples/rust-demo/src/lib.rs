//! Demo library for crossrun: a handful of small functions and a libtest suite
//! that covers passing, ignored, should_panic, printing and (opt-in) failing tests.

/// Adds two numbers.
///
/// ```
/// assert_eq!(crossrun_demo::add(2, 3), 5);
/// ```
pub fn add(a: u32, b: u32) -> u32 {
    a + b
}

/// Integer division that panics with a clear message on a zero divisor.
pub fn divide(a: i64, b: i64) -> i64 {
    if b == 0 {
        panic!("division by zero: {} / {}", a, b);
    }
    a / b
}

/// Returns the name of the architecture this code was compiled for.
pub fn arch() -> &'static str {
    std::env::consts::ARCH
}

/// Whether the machine running this code stores the low byte of a word first (little-endian).
///
/// Observed at run time: the word is written and its first byte read back through memory (volatile, so the
/// compiler cannot fold it to the byte order it compiled for), in the byte order the CPU or emulator really uses.
pub fn is_little_endian() -> bool {
    let mut word = 0u32;
    unsafe {
        std::ptr::write_volatile(&mut word, 0x0102_0304);
        std::ptr::read_volatile(&word as *const u32 as *const u8) == 0x04
    }
}

/// The page size in the auxiliary vector the kernel (or qemu-user) handed this process, read from
/// /proc/self/auxv as pairs of native words. Found only when the process runs with the word size and byte order
/// it was compiled for: read with the wrong width or byte order, no pair says `AT_PAGESZ`.
#[cfg(target_os = "linux")]
pub fn auxv_page_size() -> Option<usize> {
    const AT_NULL: usize = 0;
    const AT_PAGESZ: usize = 6;
    const WORD: usize = std::mem::size_of::<usize>();
    let bytes = std::fs::read("/proc/self/auxv").ok()?;
    let mut words = bytes.chunks_exact(WORD).map(|chunk| usize::from_ne_bytes(<[u8; WORD]>::try_from(chunk).unwrap()));
    while let (Some(key), Some(value)) = (words.next(), words.next()) {
        match key {
            AT_NULL => return None,
            AT_PAGESZ => return Some(value),
            _ => {}
        }
    }
    None
}

/// Reverses the words of a sentence.
pub fn reverse_words(s: &str) -> String {
    s.split_whitespace().rev().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_small_numbers() {
        assert_eq!(add(2, 2), 4);
    }

    #[test]
    fn divide_exact() {
        assert_eq!(divide(42, 6), 7);
    }

    #[test]
    #[should_panic(expected = "division by zero")]
    fn divide_by_zero_panics() {
        divide(1, 0);
    }

    #[test]
    fn reverse_words_works() {
        assert_eq!(reverse_words("hello cross world"), "world cross hello");
    }

    #[test]
    fn prints_to_stdout() {
        println!("running on {} (little-endian: {})", arch(), is_little_endian());
        assert!(!arch().is_empty());
        // The byte order observed at run time is the one the target declares: big on s390x, little elsewhere
        // here. An emulator of the wrong byte order fails this.
        assert_eq!(is_little_endian(), cfg!(target_endian = "little"));
    }

    #[test]
    fn prints_to_stderr() {
        eprintln!("this line goes to stderr");
        assert!(add(1, 1) == 2);
    }

    #[test]
    fn pointer_width_matches_arch() {
        let bits = std::mem::size_of::<usize>() * 8;
        println!("pointer width: {} bits", bits);
        assert_eq!(bits, if cfg!(target_pointer_width = "64") { 64 } else { 32 });
        // On Linux the process's auxiliary vector, written by the kernel or the emulator, is read back in words of
        // this width and byte order: a 64-bit emulator for a 32-bit binary (or one of the wrong byte order) fails.
        #[cfg(target_os = "linux")]
        {
            let page = auxv_page_size().expect("AT_PAGESZ in /proc/self/auxv read as native words");
            assert!(page >= 4096 && page.is_power_of_two(), "page size {}", page);
        }
    }

    #[test]
    #[ignore]
    fn slow_exhaustive_add() {
        for a in 0..10_000u32 {
            assert_eq!(add(a, 1), a + 1);
        }
    }

    #[test]
    #[ignore = "needs real hardware"]
    fn needs_real_hardware() {
        panic!("this test only makes sense on real hardware");
    }

    #[test]
    fn opt_in_failure() {
        let expected = if std::env::var("CROSSRUN_DEMO_FAIL").as_deref() == Ok("1") { 5 } else { 4 };
        println!("checking add(2, 2) against {}", expected);
        assert_eq!(add(2, 2), expected);
        // With CROSSRUN_DEMO_DIFFER=1 this test fails on 32-bit targets only (armv7, i686, ...): a real difference
        // between targets for `crossrun report matrix` to show (docs/matrix.md).
        if std::env::var("CROSSRUN_DEMO_DIFFER").as_deref() == Ok("1") {
            let bits = std::mem::size_of::<usize>() * 8;
            println!("CROSSRUN_DEMO_DIFFER=1: expecting a 64-bit usize, this target has {} bits", bits);
            assert_eq!(bits, 64, "usize is {} bits on {}: this code assumes 64-bit pointers", bits, arch());
        }
    }
}

/// Opt-in crashes for crossrun's crash-resume: with `CROSSRUN_DEMO_CRASH=1` these kill the whole test process,
/// the way a segfault or an abort does, before the other tests have reported. Without it they pass.
#[cfg(test)]
mod crash {
    fn enabled() -> bool {
        std::env::var("CROSSRUN_DEMO_CRASH").map(|v| v == "1").unwrap_or(false)
    }

    #[test]
    fn aborts() {
        if enabled() {
            println!("about to abort");
            std::process::abort();
        }
    }

    #[test]
    fn segfaults() {
        if enabled() {
            println!("about to write through a null pointer");
            unsafe { std::ptr::write_volatile(std::ptr::null_mut::<u32>(), 1) };
        }
    }
}

#[cfg(all(test, crossrun_demo_reliability))]
mod reliability;

#[cfg(all(test, crossrun_demo_forkserver))]
mod forkserver;

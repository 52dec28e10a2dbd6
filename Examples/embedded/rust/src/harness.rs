//! A small test harness that prints what libtest prints (pretty and terse formats, `--list`), so crossrun
//! reads a bare-metal image's output like a `cargo test` binary's. Options (from SYS_GET_CMDLINE):
//!   FILTER...            run tests whose name contains a FILTER (or equals one, with --exact)
//!   --exact              filters match whole names
//!   --skip FILTER        leave out tests matching FILTER (repeatable; --skip=FILTER too)
//!   --ignored            run only the ignored tests;  --include-ignored: run them too
//!   --list               print `NAME: test` lines and `N tests, 0 benchmarks` (not with terse), run nothing
//!   --nocapture          tests write straight to stdout instead of into a buffer shown on failure
//!   -q, --quiet, --format terse   terse progress (`..iF`)
//! Every other `--option` is accepted and ignored; libtest's options that take a value (--test-threads,
//! --format, --color, --logfile, --shuffle-seed, -Z) take it as the next argument or after `=`.

use crate::semihosting::{self, Handle};
use core::fmt::{self, Write};

pub struct Test {
    pub name: &'static str,
    /// `Some(reason)` for an ignored test (`Some("")`: no reason shown).
    pub ignore: Option<&'static str>,
    pub run: fn(&mut Output) -> Result<(), ()>,
}

/// Where a test writes: the capture buffer (shown under `failures:` if the test fails) or, with --nocapture,
/// stdout directly.
pub struct Output {
    pub test: &'static str,
    nocapture: bool,
    stdout: Handle,
    captured: Buffer<4096>,
}

impl Write for Output {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if self.nocapture {
            self.stdout.write_str(text)
        } else {
            self.captured.write_str(text)
        }
    }
}

impl Output {
    /// Records a failure the way libtest's panic hook prints one: `thread 'NAME' panicked at 'MSG', FILE:L:C`.
    pub fn fail(&mut self, message: fmt::Arguments, file: &str, line: u32, column: u32) -> Result<(), ()> {
        let test = self.test;
        let _ = writeln!(self, "thread '{}' panicked at '{}', {}:{}:{}", test, message, file, line, column);
        Err(())
    }
}

/// Fails the test (returns `Err`) unless `left == right`, with libtest 1.63's assert_eq message.
#[macro_export]
macro_rules! check_eq {
    ($out:expr, $left:expr, $right:expr) => {
        match (&$left, &$right) {
            (left, right) => {
                if !(*left == *right) {
                    return $out.fail(
                        format_args!("assertion failed: `(left == right)`\n  left: `{:?}`,\n right: `{:?}`", left, right),
                        file!(), line!(), column!());
                }
            }
        }
    };
}

/// Fails the test unless the condition holds, with libtest's `assertion failed: COND` message.
#[macro_export]
macro_rules! check {
    ($out:expr, $cond:expr) => {
        if !$cond {
            return $out.fail(format_args!("assertion failed: {}", stringify!($cond)), file!(), line!(), column!());
        }
    };
}

/// Fixed-size text buffer (no allocator on bare metal); text past the end is dropped.
pub struct Buffer<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Buffer<N> {
    pub const fn new() -> Self {
        Buffer { bytes: [0; N], len: 0 }
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl<const N: usize> Write for Buffer<N> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = N - self.len;
        let take = text.len().min(room);
        self.bytes[self.len..self.len + take].copy_from_slice(&text.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum RunIgnored {
    No,
    Only,
    Include,
}

const MAX_WORDS: usize = 32;

struct Options<'a> {
    list: bool,
    exact: bool,
    nocapture: bool,
    terse: bool,
    ignored: RunIgnored,
    filters: [&'a str; MAX_WORDS],
    filter_count: usize,
    skips: [&'a str; MAX_WORDS],
    skip_count: usize,
}

impl<'a> Options<'a> {
    fn parse(command_line: &'a str) -> Options<'a> {
        let mut options = Options {
            list: false,
            exact: false,
            nocapture: false,
            terse: false,
            ignored: RunIgnored::No,
            filters: [""; MAX_WORDS],
            filter_count: 0,
            skips: [""; MAX_WORDS],
            skip_count: 0,
        };
        // argv[0] is the program name.
        let mut words = command_line.split(' ').filter(|word| !word.is_empty()).skip(1);
        while let Some(word) = words.next() {
            let (flag, inline_value) = match word.find('=') {
                Some(at) if word.starts_with("--") => (&word[..at], Some(&word[at + 1..])),
                _ => (word, None),
            };
            match flag {
                "--list" => options.list = true,
                "--exact" => options.exact = true,
                "--nocapture" | "--no-capture" => options.nocapture = true,
                "--ignored" => options.ignored = RunIgnored::Only,
                "--include-ignored" => options.ignored = RunIgnored::Include,
                "-q" | "--quiet" => options.terse = true,
                "--skip" | "--format" | "--test-threads" | "--color" | "--logfile" | "--shuffle-seed" | "-Z" => {
                    let value = match inline_value {
                        Some(value) => value,
                        None => words.next().unwrap_or(""),
                    };
                    if flag == "--skip" && options.skip_count < MAX_WORDS {
                        options.skips[options.skip_count] = value;
                        options.skip_count += 1;
                    }
                    if flag == "--format" {
                        options.terse = value == "terse";
                    }
                }
                _ if word.starts_with('-') => {}
                _ => {
                    if options.filter_count < MAX_WORDS {
                        options.filters[options.filter_count] = word;
                        options.filter_count += 1;
                    }
                }
            }
        }
        options
    }

    fn matches(&self, pattern: &str, name: &str) -> bool {
        if self.exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    }

    fn selects(&self, test: &Test) -> bool {
        let filters = &self.filters[..self.filter_count];
        if !filters.is_empty() && !filters.iter().any(|filter| self.matches(filter, test.name)) {
            return false;
        }
        if self.skips[..self.skip_count].iter().any(|skip| self.matches(skip, test.name)) {
            return false;
        }
        !(self.ignored == RunIgnored::Only && test.ignore.is_none())
    }
}

fn plural(count: usize, word: &str, out: &mut Handle) {
    let _ = write!(out, "{} {}{}", count, word, if count == 1 { "" } else { "s" });
}

/// The test currently running, for the panic handler.
pub static mut CURRENT_TEST: &str = "main";

static mut COMMAND_LINE: [u8; 1024] = [0; 1024];
static mut OUTPUT: Output = Output {
    test: "",
    nocapture: false,
    stdout: Handle::NONE,
    captured: Buffer::new(),
};
static mut FAILED: [Option<(&str, usize)>; 64] = [None; 64];
static mut FAILURE_TEXT: Buffer<8192> = Buffer::new();

/// Runs the tests (already sorted by name) as libtest would and returns the exit status: 0, or 101 when a
/// test failed.
pub fn run(tests: &[Test]) -> u32 {
    let mut stdout = match Handle::stdout() {
        Some(handle) => handle,
        None => return 102,
    };
    // SAFETY: single-threaded bare-metal program; these statics are used only here and in the panic handler.
    let (command_line, output, failed, failure_text) =
        unsafe { (&mut COMMAND_LINE, &mut OUTPUT, &mut FAILED, &mut FAILURE_TEXT) };
    let command_line = semihosting::command_line(command_line).unwrap_or(b"");
    let options = Options::parse(core::str::from_utf8(command_line).unwrap_or(""));

    let selected = tests.iter().filter(|test| options.selects(test)).count();
    if options.list {
        for test in tests.iter().filter(|test| options.selects(test)) {
            let _ = writeln!(stdout, "{}: test", test.name);
        }
        if !options.terse {
            let _ = stdout.write_str("\n");
            plural(selected, "test", &mut stdout);
            let _ = stdout.write_str(", 0 benchmarks\n");
        }
        return 0;
    }

    let started = semihosting::centiseconds();
    let _ = stdout.write_str("\nrunning ");
    plural(selected, "test", &mut stdout);
    let _ = stdout.write_str("\n");
    let (mut passed, mut failed_count, mut ignored) = (0usize, 0usize, 0usize);
    for test in tests.iter().filter(|test| options.selects(test)) {
        let ignore = if options.ignored == RunIgnored::No { test.ignore } else { None };
        if !options.terse {
            let _ = write!(stdout, "test {} ... ", test.name);
        }
        if let Some(reason) = ignore {
            ignored += 1;
            if options.terse {
                let _ = stdout.write_str("i");
            } else if reason.is_empty() {
                let _ = stdout.write_str("ignored\n");
            } else {
                let _ = writeln!(stdout, "ignored, {}", reason);
            }
            continue;
        }
        *output = Output { test: test.name, nocapture: options.nocapture, stdout, captured: Buffer::new() };
        // SAFETY: see above.
        unsafe { CURRENT_TEST = test.name };
        let result = (test.run)(output);
        unsafe { CURRENT_TEST = "main" };
        match result {
            Ok(()) => {
                passed += 1;
                let _ = stdout.write_str(if options.terse { "." } else { "ok\n" });
            }
            Err(()) => {
                if failed_count < failed.len() {
                    let start = failure_text.as_bytes().len();
                    let _ = failure_text.write_str(core::str::from_utf8(output.captured.as_bytes()).unwrap_or(""));
                    failed[failed_count] = Some((test.name, failure_text.as_bytes().len() - start));
                }
                failed_count += 1;
                let _ = stdout.write_str(if options.terse { "F" } else { "FAILED\n" });
            }
        }
    }
    // Terse progress (`..iF`) has no newline of its own: the newline that starts `failures:` or
    // `test result:` ends it, as in libtest.
    if failed_count > 0 {
        let _ = stdout.write_str("\nfailures:\n");
        let mut offset = 0;
        let mut any_output = false;
        for (name, length) in failed.iter().flatten() {
            if *length > 0 {
                if !any_output {
                    let _ = stdout.write_str("\n");
                    any_output = true;
                }
                let _ = writeln!(stdout, "---- {} stdout ----", name);
                stdout.write_bytes(&failure_text.as_bytes()[offset..offset + length]);
                let _ = stdout.write_str("\n");
            }
            offset += length;
        }
        let _ = stdout.write_str("\nfailures:\n");
        for (name, _) in failed.iter().flatten() {
            let _ = writeln!(stdout, "    {}", name);
        }
    }
    let elapsed = semihosting::centiseconds().saturating_sub(started);
    let _ = writeln!(
        stdout,
        "\ntest result: {}. {} passed; {} failed; {} ignored; 0 measured; {} filtered out; finished in {}.{:02}s\n",
        if failed_count == 0 { "ok" } else { "FAILED" },
        passed,
        failed_count,
        ignored,
        tests.len() - selected,
        elapsed / 100,
        elapsed % 100
    );
    if failed_count == 0 {
        0
    } else {
        101
    }
}

//! Opt-in tests for crossrun's time limits and retries. The module is compiled only with
//! `RUSTFLAGS="--cfg crossrun_demo_reliability"` (so the demo's default test counts stay as they are), and even
//! then each test passes unless its variable is set:
//!
//! - `CROSSRUN_DEMO_HANG=1`: `hangs` never finishes (for `--test-timeout` and `--timeout`).
//! - `CROSSRUN_DEMO_FLAKY_DIR=DIR`: `flaky` fails the first time (it leaves a marker file in DIR) and passes
//!   every later time (for `--retries`).

use std::path::Path;
use std::time::Duration;

#[test]
fn hangs() {
    if std::env::var("CROSSRUN_DEMO_HANG").as_deref() == Ok("1") {
        println!("about to hang");
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

#[test]
fn flaky() {
    if let Ok(dir) = std::env::var("CROSSRUN_DEMO_FLAKY_DIR") {
        let marker = Path::new(&dir).join("crossrun-demo-flaky-ran");
        if !marker.exists() {
            std::fs::write(&marker, b"ran once\n").expect("cannot write the flaky marker file");
            println!("first run: failing on purpose");
            panic!("flaky: fails the first time, passes after");
        }
        println!("later run: passing");
    }
}

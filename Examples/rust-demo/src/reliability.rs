//! Opt-in tests for crossrun's time limits and retries. The module is compiled only with
//! `RUSTFLAGS="--cfg crossrun_demo_reliability"` (so the demo's default test counts stay as they are), and even
//! then each test passes unless its variable is set:
//!
//! - `CROSSRUN_DEMO_HANG=1`: `hangs` never finishes (for `--test-timeout` and `--timeout`).
//! - `CROSSRUN_DEMO_FLAKY_DIR=DIR`: `flaky` fails the first time (it leaves a marker file in DIR) and passes
//!   every later time (for `--retries`).
//! - `CROSSRUN_DEMO_SHARED_STATE=1`: `claims_shared_resource_a` and `_b` each claim one process-wide resource
//!   (as two tests binding one fixed port would): in one process the second to run fails; under
//!   `crossrun --isolate` each has a process of its own and both pass.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// The process-wide resource the two `claims_shared_resource_*` tests want to themselves.
static SHARED_RESOURCE_CLAIMED: AtomicBool = AtomicBool::new(false);

fn claim_shared_resource(test: &str) {
    if std::env::var("CROSSRUN_DEMO_SHARED_STATE").as_deref() == Ok("1") {
        let taken = SHARED_RESOURCE_CLAIMED.swap(true, Ordering::SeqCst);
        assert!(!taken, "{test}: another test in this process already holds the shared resource");
        println!("{test}: holds the shared resource");
    }
}

#[test]
fn claims_shared_resource_a() {
    claim_shared_resource("a");
}

#[test]
fn claims_shared_resource_b() {
    claim_shared_resource("b");
}

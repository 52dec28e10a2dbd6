//! Opt-in tests for crossrun's `--isolate` fork server. The module is compiled only with
//! `RUSTFLAGS="--cfg crossrun_demo_forkserver"` (so the demo's default test counts stay as they are), and each test
//! passes; with `CROSSRUN_DEMO_PROCESS_DIR=DIR` each also writes what its process looks like from inside to
//! `DIR/<letter>.txt`: its pid, its arguments, whether the fork server's variables reached it, whether its stdin
//! is at its end, and whether another test of this process already counted itself in a process-wide counter.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

static TESTS_IN_THIS_PROCESS: AtomicUsize = AtomicUsize::new(0);

fn report_process(letter: &str) {
    let earlier = TESTS_IN_THIS_PROCESS.fetch_add(1, Ordering::SeqCst);
    if let Ok(dir) = std::env::var("CROSSRUN_DEMO_PROCESS_DIR") {
        let mut input = Vec::new();
        let stdin_at_end = matches!(std::io::stdin().read_to_end(&mut input), Ok(0));
        let text = format!(
            "pid {}\nargs {}\nLD_PRELOAD {}\nCROSSRUN_FORKSERVER_FD {}\nCROSSRUN_FORKSERVER_WARM {}\nstdin at end {}\nearlier tests {}\ncwd {}\n",
            std::process::id(),
            std::env::args().skip(1).collect::<Vec<_>>().join(" "),
            std::env::var_os("LD_PRELOAD").is_some(),
            std::env::var_os("CROSSRUN_FORKSERVER_FD").is_some(),
            std::env::var_os("CROSSRUN_FORKSERVER_WARM").is_some(),
            stdin_at_end,
            earlier,
            std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default(),
        );
        std::fs::write(Path::new(&dir).join(format!("{letter}.txt")), text).expect("cannot write the process report");
    }
    println!("{letter}: reported its process");
}

#[test]
fn reports_its_process_a() {
    report_process("a");
}

#[test]
fn reports_its_process_b() {
    report_process("b");
}

#[test]
fn reports_its_process_c() {
    report_process("c");
}

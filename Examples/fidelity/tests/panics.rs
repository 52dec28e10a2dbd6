//! Failing tests whose panics name them: under `--nocapture` libtest prints `thread '<test>' panicked at ...` on
//! stderr, where crossrun credits the message to the test by the thread's name.

#[test]
fn passes_and_prints() {
    println!("a line from passes_and_prints");
}

#[test]
fn fails_with_assert_eq() {
    println!("fails_with_assert_eq printed this first");
    let answer = 6 * 7;
    assert_eq!(answer, 43, "the answer is off");
}

#[test]
fn fails_with_panic() {
    println!("fails_with_panic printed this first");
    eprintln!("fails_with_panic wrote this to stderr");
    panic!("boom in fails_with_panic");
}

#[test]
fn fails_with_unwrap() {
    let parsed: Result<i32, String> = Err("not a number".to_string());
    parsed.unwrap();
}

#[test]
fn also_passes() {
    assert_eq!(2 + 2, 4);
}

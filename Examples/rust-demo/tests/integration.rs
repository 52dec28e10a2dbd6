//! Integration tests for crossrun-demo: these are built into their own test binary.

use crossrun_demo::{add, divide, reverse_words};

#[test]
fn add_and_divide_round_trip() {
    assert_eq!(divide(add(40, 2) as i64, 2), 21);
}

#[test]
fn reverse_twice_is_identity() {
    let s = "one two three";
    assert_eq!(reverse_words(&reverse_words(s)), s);
}

#[test]
fn reports_target_arch() {
    println!("integration test running on {}", crossrun_demo::arch());
    assert!(!crossrun_demo::arch().is_empty());
}

//! A small library whose documentation examples are doctests.

/// Adds two numbers.
///
/// ```
/// assert_eq!(fidelity::add(2, 3), 5);
/// ```
pub fn add(a: i32, b: i32) -> i32 {
    a + b
}

/// Doubles a number. The example is wrong on purpose: this doctest fails.
///
/// ```
/// let doubled = fidelity::double(4);
/// assert!(doubled == 9, "double(4) gave {}", doubled);
/// ```
pub fn double(a: i32) -> i32 {
    a * 2
}

#[cfg(test)]
mod tests {
    #[test]
    fn adds() {
        assert_eq!(super::add(1, 1), 2);
    }
}

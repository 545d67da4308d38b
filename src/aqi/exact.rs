//! Exact integer arithmetic for breakpoint lookups.
//!
//! Published index values are integers obtained by rounding up (HJ 633) or to the nearest
//! integer (EPA) a linear interpolation. Done in floating point, an exact result such as 100
//! can come out as 100.00000000000001 and be rounded up to 101. Here concentrations are first
//! turned into integers of a fixed resolution and the interpolation is done on integers, so an
//! exact result stays exact.

/// Millionths: the resolution at which HJ 633 concentrations are taken.
pub(crate) const MICRO: i128 = 1_000_000;

/// The largest scaled value kept; larger values are clamped (they lie far above every table).
const CLAMP: f64 = 1e24;

/// `c` (finite, ≥ 0) in millionths, rounded to the nearest millionth. Decimal inputs such as
/// 0.8 (stored as 0.8000000000000000444) become exactly 800 000.
pub(crate) fn to_micro(c: f64) -> i128 {
    let scaled = (c * 1e6).round();
    if scaled >= CLAMP {
        CLAMP as i128
    } else if scaled <= 0.0 {
        0
    } else {
        scaled as i128
    }
}

/// ⌈n / d⌉ for n ≥ 0, d > 0.
pub(crate) fn ceil_div(n: i128, d: i128) -> i128 {
    (n + d - 1) / d
}

/// n / d rounded to the nearest integer, halves up, for n ≥ 0, d > 0.
pub(crate) fn round_half_up_div(n: i128, d: i128) -> i128 {
    (2 * n + d) / (2 * d)
}

/// Rounds `m` (in units of 1/`per_unit`) to a multiple of `step` units, halves to even
/// (GB/T 8170). Returns the rounded value in the same units.
pub(crate) fn round_half_even(m: i128, step: i128) -> i128 {
    let q = m / step;
    let r = m % step;
    let up = 2 * r > step || (2 * r == step && q % 2 == 1);
    (q + i128::from(up)) * step
}

/// Truncates `x` (finite, ≥ 0) to a multiple of `1/scale`, returned as an integer count of
/// `1/scale` steps. A tolerance of 10⁻⁶ step keeps values that are a step boundary up to
/// floating-point error (35.5 computed as 35.49999999999999) on that boundary.
pub(crate) fn truncate(x: f64, scale: f64) -> i128 {
    let y = (x * scale + 1e-6).floor();
    if y >= CLAMP {
        CLAMP as i128
    } else if y <= 0.0 {
        0
    } else {
        y as i128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micro_is_exact_for_decimals() {
        assert_eq!(to_micro(0.8), 800_000);
        assert_eq!(to_micro(0.1 + 0.2), 300_000);
        assert_eq!(to_micro(75.0), 75_000_000);
        assert_eq!(to_micro(1e300), CLAMP as i128);
    }

    #[test]
    fn divisions() {
        assert_eq!(ceil_div(0, 7), 0);
        assert_eq!(ceil_div(7, 7), 1);
        assert_eq!(ceil_div(8, 7), 2);
        assert_eq!(round_half_up_div(5, 10), 1);
        assert_eq!(round_half_up_div(4, 10), 0);
    }

    #[test]
    fn half_even() {
        let s = MICRO;
        assert_eq!(round_half_even(34_500_000, s), 34_000_000);
        assert_eq!(round_half_even(35_500_000, s), 36_000_000);
        assert_eq!(round_half_even(35_500_001, s), 36_000_000);
        assert_eq!(round_half_even(34_499_999, s), 34_000_000);
        assert_eq!(round_half_even(250_000, 100_000), 200_000);
        assert_eq!(round_half_even(350_000, 100_000), 400_000);
    }

    #[test]
    fn truncation_keeps_boundaries() {
        assert_eq!(truncate(35.5, 10.0), 355);
        assert_eq!(truncate(35.499_999_999_999_99, 10.0), 355);
        assert_eq!(truncate(35.49, 10.0), 354);
        assert_eq!(truncate(0.1 + 0.2, 10.0), 3);
        assert_eq!(truncate(0.070_999, 1000.0), 70);
        assert_eq!(truncate(f64::MAX, 10.0), CLAMP as i128);
    }
}

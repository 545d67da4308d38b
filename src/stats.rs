//! Order statistics shared by the analyses (`sources`, `forecast`): quantiles with linear
//! interpolation between order statistics (R's type 7).
//!
//! HJ 663's percentile of the assessment (`assess::stats::percentile`) is the same definition
//! computed with an exact integer position, as the published statistics require; it stays
//! with the assessment.

/// The `q`-quantile (0–1) of finite values, linear interpolation; `None` when empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(quantile_sorted(&v, q))
}

/// The `q`-quantile of sorted, non-empty values.
pub fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        assert_eq!(quantile(&[3.0, f64::NAN, 1.0, 2.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile(&[f64::NAN], 0.5), None);
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.25), 2.0);
        assert_eq!(quantile_sorted(&[10.0, 20.0], 0.9), 19.0);
        assert_eq!(quantile_sorted(&[7.0], 0.3), 7.0);
    }
}

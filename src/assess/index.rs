//! The comprehensive index (环境空气质量综合指数): I_sum = Σ C_i / S_i over the six pollutants,
//! and the rounding of reported figures.
//!
//! # Rounding (*unverified*)
//!
//! Each sub-index I_i = C_i / S_i is rounded to 2 decimals before summing, as the reference
//! implementation does; reported figures follow GB/T 8170, read here as *round half to even on
//! an exact 5*. "Exact" is taken on the binary value actually computed — [`round_half_even`]
//! rounds the double exactly (like Python's `round(x, 2)`), with no decimal pre-rounding. This is
//! what reproduces the reference's worked example: 0.7 / 4 is stored as 0.17499999999999998…, so
//! it rounds to 0.17, 15 / 40 = 0.375 is an exact tie and rounds to 0.38, and the example sums to
//! 3.06 (rounding the decimal 0.175 up would give 3.07). All rounding of the assessment goes
//! through [`round_half_even`], so a different reading is a one-function change.

use enum_map::EnumMap;

use super::Pollutant;

/// The denominators S_i of the comprehensive index (canonical units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexStandards {
    /// SO2 annual limit (60 µg/m³).
    pub so2: f64,
    /// NO2 annual limit (40 µg/m³).
    pub no2: f64,
    /// PM10 annual limit (70 µg/m³).
    pub pm10: f64,
    /// PM2.5 annual limit (35 µg/m³).
    pub pm25: f64,
    /// CO 24-h limit (4 mg/m³).
    pub co: f64,
    /// O3 8-h limit (160 µg/m³).
    pub o3: f64,
}

impl IndexStandards {
    /// GB 3095-2012 Grade II — the denominators of the official ranking. The 2026 limits are
    /// not settled in the reference (PM2.5 annual 30 from 2026-03-01 is reported, the others
    /// conflict), so no 2026 set is built in: configure one explicitly.
    pub const GB3095_2012: IndexStandards = IndexStandards {
        so2: 60.0,
        no2: 40.0,
        pm10: 70.0,
        pm25: 35.0,
        co: 4.0,
        o3: 160.0,
    };

    /// S_i of a pollutant.
    pub fn of(&self, p: Pollutant) -> f64 {
        match p {
            Pollutant::So2 => self.so2,
            Pollutant::No2 => self.no2,
            Pollutant::Pm10 => self.pm10,
            Pollutant::Pm25 => self.pm25,
            Pollutant::Co => self.co,
            Pollutant::O3 => self.o3,
        }
    }
}

impl Default for IndexStandards {
    fn default() -> Self {
        IndexStandards::GB3095_2012
    }
}

/// A comprehensive index with its sub-indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComprehensiveIndex {
    /// I_i, rounded to 2 decimals.
    pub sub: EnumMap<Pollutant, f64>,
    /// I_sum = Σ I_i (of the rounded sub-indices; the sum is itself rounded to 2 decimals to
    /// remove binary noise, which changes nothing else).
    pub total: f64,
}

impl ComprehensiveIndex {
    /// The index from the six period concentrations C_i (`None` when any is missing).
    pub fn compute(
        concentrations: &EnumMap<Pollutant, Option<f64>>,
        s: &IndexStandards,
    ) -> Option<Self> {
        let mut sub = EnumMap::default();
        let mut sum = 0.0;
        for (p, c) in concentrations {
            let i = round_half_even((*c)? / s.of(p), 2);
            sub[p] = i;
            sum += i;
        }
        Some(ComprehensiveIndex {
            sub,
            total: round_half_even(sum, 2),
        })
    }

    /// The sub-index of a pollutant.
    pub fn of(&self, p: Pollutant) -> f64 {
        self.sub[p]
    }

    /// I_sum in hundredths, for exact comparisons (ties in rankings).
    pub fn hundredths(&self) -> i64 {
        (self.total * 100.0).round() as i64
    }
}

/// Rounds `x` to `decimals` (0–15) decimal places, half to even on an exact tie of the binary
/// value (see the module docs). Non-finite values and values too large to have a fraction at
/// that precision are returned unchanged.
pub fn round_half_even(x: f64, decimals: u32) -> f64 {
    if !x.is_finite() || decimals > 15 {
        return x;
    }
    let scale = 10f64.powi(decimals as i32);
    let y = x * scale;
    if y.abs() >= 4_503_599_627_370_496.0 {
        return x;
    }
    // t = ⌊x·scale⌋ of the exact product; fused multiply-adds give the sign of the exact
    // differences (one rounding of the exact value never changes its sign).
    let mut t = y.floor();
    if x.mul_add(scale, -t) < 0.0 {
        t -= 1.0;
    } else if x.mul_add(scale, -(t + 1.0)) >= 0.0 {
        t += 1.0;
    }
    let d = x.mul_add(scale, -(t + 0.5));
    // Above the tie, or on an exact tie with an odd `t`: up; otherwise down.
    let up = d > 0.0 || (d == 0.0 && t % 2.0 != 0.0);
    let n = if up { t + 1.0 } else { t };
    n / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_is_3_06() {
        // A July: PM2.5 21, PM10 39, SO2 9, NO2 15, O3 P90 192, CO P95 0.7.
        let c = enum_map::enum_map! {
            Pollutant::So2 => Some(9.0),
            Pollutant::No2 => Some(15.0),
            Pollutant::Pm10 => Some(39.0),
            Pollutant::Pm25 => Some(21.0),
            Pollutant::Co => Some(0.7),
            Pollutant::O3 => Some(192.0),
        };
        let i = ComprehensiveIndex::compute(&c, &IndexStandards::GB3095_2012).expect("six values");
        assert_eq!(i.sub.into_array(), [0.15, 0.38, 0.56, 0.6, 0.17, 1.2]);
        assert_eq!(i.total, 3.06);
        assert_eq!(i.hundredths(), 306);
        let mut missing = c;
        missing[Pollutant::O3] = None;
        assert_eq!(
            ComprehensiveIndex::compute(&missing, &IndexStandards::GB3095_2012),
            None
        );
    }

    #[test]
    fn rounding_vectors() {
        assert_eq!(round_half_even(0.375, 2), 0.38);
        assert_eq!(round_half_even(0.125, 2), 0.12);
        assert_eq!(round_half_even(0.7 / 4.0, 2), 0.17);
        assert_eq!(round_half_even(0.005, 2), 0.01); // the double is just above 0.005
        assert_eq!(round_half_even(1.005, 2), 1.0); // … and this one just below
        assert_eq!(round_half_even(2.5, 0), 2.0);
        assert_eq!(round_half_even(3.5, 0), 4.0);
        assert_eq!(round_half_even(-0.375, 2), -0.38);
        assert_eq!(round_half_even(-2.5, 0), -2.0);
        assert_eq!(round_half_even(0.35, 1), 0.3); // 0.34999…
        assert_eq!(round_half_even(2.0, 2), 2.0);
        assert!(round_half_even(f64::NAN, 2).is_nan());
        assert_eq!(round_half_even(1e300, 2), 1e300);
    }

    #[test]
    fn rounding_agrees_with_exact_formatting() {
        // Rust's `{:.N}` formats the exact binary value, ties to even.
        let mut x = 0x1234_5678_9abc_def1u64;
        for i in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = match i % 3 {
                0 => (x % 100_000) as f64 / 1000.0,   // 3 decimals: many ties
                1 => (x % 1_000_000) as f64 / 8000.0, // binary-exact ties
                _ => (x >> 11) as f64 / (1u64 << 53) as f64 * 50.0 - 10.0,
            };
            for dec in [0u32, 1, 2] {
                let want: f64 = format!("{v:.*}", dec as usize).parse().expect("number");
                assert_eq!(round_half_even(v, dec), want, "{v} to {dec}");
            }
        }
    }
}

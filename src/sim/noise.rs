//! Stateless, hash-based smooth noise.
//!
//! Every random-looking quantity of the simulator is a pure function of
//! `(scenario seed, station, channel, time)`: a 64-bit hash (SplitMix64 finaliser) of the key
//! and an integer bucket index gives a value in `[-1, 1]` at each bucket boundary, and *value
//! noise* interpolates between consecutive boundaries with the smoothstep `f²(3 − 2f)`, so the
//! signal is continuous with a continuous derivative — consecutive seconds never jitter.

/// SplitMix64 finaliser: a fast, well-mixed 64-bit hash step.
#[inline]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hashes a sequence of words into one.
#[inline]
pub(crate) fn hash(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x6A09_E667_F3BC_C909, |acc, &p| mix(acc ^ p))
}

/// A hash mapped to `[0, 1)`.
#[inline]
pub(crate) fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A hash mapped to `[-1, 1)`.
#[inline]
pub(crate) fn signed(h: u64) -> f64 {
    unit(h) * 2.0 - 1.0
}

/// Smooth value noise in `[-1, 1]` for `key` at time `t_ms` (milliseconds since the epoch)
/// with knots every `period_ms`.
#[inline]
pub(crate) fn value(key: u64, t_ms: i64, period_ms: i64) -> f64 {
    let i = t_ms.div_euclid(period_ms);
    let f = t_ms.rem_euclid(period_ms) as f64 / period_ms as f64;
    let a = signed(mix(key ^ mix(i as u64)));
    let b = signed(mix(key ^ mix(i.wrapping_add(1) as u64)));
    let s = f * f * (3.0 - 2.0 * f);
    a + (b - a) * s
}

/// Names a noise channel as a stable 64-bit word (FNV-1a of the label).
pub(crate) const fn channel(label: &str) -> u64 {
    let bytes = label.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
        i += 1;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_noise_is_bounded_continuous_and_deterministic() {
        let key = hash(&[42, channel("test")]);
        let mut prev = value(key, 0, 600_000);
        for s in 1..20_000 {
            let v = value(key, s * 1000, 600_000);
            assert!((-1.0..=1.0).contains(&v));
            assert!((v - prev).abs() < 0.01, "jump at {s}: {prev} → {v}");
            assert_eq!(v, value(key, s * 1000, 600_000));
            prev = v;
        }
        assert_ne!(
            value(key, 5_000_000, 600_000),
            value(key ^ 1, 5_000_000, 600_000)
        );
    }
}

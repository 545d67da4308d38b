//! Poll latency distribution, cheap enough to record on every poll from many tasks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Sub-buckets per power of two: relative resolution 1/16 ≈ 6 %.
const SUB: usize = 16;
/// Powers of two covered, from 1 µs to ~2^36 µs (19 h).
const OCTAVES: usize = 36;

/// A lock-free log-linear histogram of durations (µs resolution, ~6 % relative error).
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    buckets: Arc<Vec<AtomicU64>>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            buckets: Arc::new((0..SUB * OCTAVES).map(|_| AtomicU64::new(0)).collect()),
        }
    }
}

fn bucket_of(micros: u64) -> usize {
    let v = micros.max(1);
    let octave = 63 - v.leading_zeros() as usize;
    let sub = if octave >= 4 {
        ((v >> (octave - 4)) & 0xF) as usize
    } else {
        ((v << (4 - octave)) & 0xF) as usize
    };
    (octave * SUB + sub).min(SUB * OCTAVES - 1)
}

fn bucket_floor(index: usize) -> u64 {
    let (octave, sub) = (index / SUB, (index % SUB) as u64);
    if octave >= 4 {
        (16 + sub) << (octave - 4)
    } else {
        (16 + sub) >> (4 - octave)
    }
}

impl LatencyHistogram {
    /// Records one duration.
    pub fn record(&self, d: Duration) {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.buckets[bucket_of(micros)].fetch_add(1, Ordering::Relaxed);
    }

    /// Number of recorded durations.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// The `q`-quantile (0 ≤ q ≤ 1), as the lower edge of its bucket; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(Duration::from_micros(bucket_floor(i)));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_within_resolution() {
        let h = LatencyHistogram::default();
        assert_eq!(h.quantile(0.5), None);
        for us in 1..=10_000u64 {
            h.record(Duration::from_micros(us));
        }
        assert_eq!(h.count(), 10_000);
        let p50 = h.quantile(0.5).unwrap().as_micros() as f64;
        let p99 = h.quantile(0.99).unwrap().as_micros() as f64;
        assert!((p50 - 5000.0).abs() / 5000.0 < 0.07, "{p50}");
        assert!((p99 - 9900.0).abs() / 9900.0 < 0.07, "{p99}");
        for v in (1..1_000_000u64).step_by(7) {
            let floor = bucket_floor(bucket_of(v));
            assert!(
                floor <= v && floor as f64 >= v as f64 * 0.93,
                "{v} -> {floor}"
            );
        }
    }
}

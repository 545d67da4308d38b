//! Training sets: for one target and horizon group, the feature rows of every station at issue
//! hours across a period with the observed value `h` hours later (on the √ scale). Samples with
//! a missing feature or target are dropped and counted, never filled.

use super::features::{FEATURE_NAMES, FeatureContext, Scale};
use super::{HORIZON_GROUPS, Target};

/// A row-major design matrix with its targets.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Row-major features, `FEATURE_NAMES.len()` per row.
    pub x: Vec<f64>,
    /// The observed target's change from the value at issue time, on the dataset's scale.
    pub y: Vec<f64>,
    /// Hour index of each row's issue time.
    pub issue: Vec<usize>,
    /// Samples dropped because a feature was missing.
    pub dropped_features: usize,
    /// Samples dropped because the target was missing.
    pub dropped_target: usize,
}

impl Dataset {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.y.len()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        let n = FEATURE_NAMES.len();
        &self.x[i * n..(i + 1) * n]
    }
}

/// Options of [`build`].
#[derive(Debug, Clone, Copy)]
pub struct DatasetOptions {
    /// First issue hour index.
    pub from: usize,
    /// End hour index (exclusive) for issue *and* target hours: targets stay in the period.
    pub to: usize,
    /// Hours between issue times.
    pub stride: usize,
}

/// The training set of `target` for horizon group `group` (index into [`HORIZON_GROUPS`]).
///
/// The horizons of the group are cycled through from one issue time to the next, so every
/// horizon of the group is represented equally.
pub fn build(
    ctx: &FeatureContext<'_>,
    target: Target,
    group: usize,
    scale: Scale,
    opt: DatasetOptions,
) -> Dataset {
    let (lo, hi) = HORIZON_GROUPS[group];
    let span = (hi - lo + 1) as usize;
    let mut ds = Dataset::default();
    let p = target.parameter();
    let to = opt.to.min(ctx.grid.len);
    let mut k = 0usize;
    for s in 0..ctx.grid.stations.len() {
        let mut t = opt.from;
        while t < to {
            let h = lo + ((k + s) % span) as u32;
            k += 1;
            let v = t + h as usize;
            if v >= to {
                break;
            }
            match ctx.grid.get(s, p, v) {
                None => ds.dropped_target += 1,
                Some(y) => {
                    let row = ctx.row(s, t, target, h, scale);
                    if row.missing.is_empty() {
                        ds.x.extend_from_slice(&row.values);
                        // The change from persistence (lag0 is feature 0, on the same scale).
                        ds.y.push(scale.apply(y) - row.values[0]);
                        ds.issue.push(t);
                    } else {
                        ds.dropped_features += 1;
                    }
                }
            }
            t += opt.stride;
        }
    }
    ds
}

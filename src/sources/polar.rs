//! The bivariate polar surface (openair's `polarPlot`) and the percentile rose.
//!
//! Hours are binned by wind direction (10° sectors centred on 0°, 10°, …) × wind speed
//! (1 m/s bins); calms (ws < [`CALM_MS`]) are left out. Each bin's mean concentration sits at
//! its centre in (u, v) = (ws·sin wd, ws·cos wd) — the direction the wind comes *from*, north
//! up, as openair draws it.
//!
//! # Smoothing (our choice vs openair's GAM)
//!
//! openair fits a GAM `sqrt(c) ~ s(u, v)` to the bin means. We use a Nadaraya–Watson Gaussian
//! kernel smoother on a regular u/v grid instead: the value at a grid point is the mean of the
//! bin means weighted by `n_bin · exp(−d²/2h²)` (bins of 1–3 hours get their small weight,
//! which plays the role of openair's down-weighting), with bandwidth `h` = 1 m/s by default.
//! Grid points whose total kernel weight is below [`PolarConfig::min_support`] hours are left
//! empty, as openair leaves the corners without data blank — the plot shows no surface where
//! there is no evidence. It is deterministic, has no fitting failure modes and costs
//! O(grid × bins), a few milliseconds per station-year.

use serde::Serialize;

use super::series::{CALM_MS, WindObs};
use crate::stats::quantile_sorted;

/// Settings of the polar analysis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PolarConfig {
    /// Width of a direction bin, degrees (10).
    pub dir_bin_deg: f64,
    /// Width of a wind-speed bin, m/s (1).
    pub ws_bin: f64,
    /// Grid cells across the plot (a `grid × grid` u/v grid).
    pub grid: usize,
    /// Kernel bandwidth in u/v space, m/s.
    pub bandwidth: f64,
    /// Minimum kernel-weighted hours for a grid point to be drawn.
    pub min_support: f64,
}

impl Default for PolarConfig {
    fn default() -> Self {
        PolarConfig {
            dir_bin_deg: 10.0,
            ws_bin: 1.0,
            grid: 51,
            bandwidth: 1.0,
            min_support: 3.0,
        }
    }
}

/// One direction × speed bin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PolarBin {
    /// Direction of the bin centre, degrees.
    pub wd: f64,
    /// Speed of the bin centre, m/s.
    pub ws: f64,
    /// Hours in the bin.
    pub n: usize,
    /// Mean concentration.
    pub mean: f64,
}

/// The smoothed surface.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolarSurface {
    /// Non-empty bins.
    pub bins: Vec<PolarBin>,
    /// The outer wind speed of the plot (m/s): the 99th percentile of non-calm speeds.
    pub ws_max: f64,
    /// Grid size (points per side).
    pub grid: usize,
    /// Smoothed mean concentration at grid point `(iy, ix)` → `values[iy * grid + ix]`
    /// (u = −ws_max..ws_max left→right, v = ws_max..−ws_max top→bottom); `None` = no support.
    pub values: Vec<Option<f64>>,
    /// Hours used (non-calm).
    pub hours: usize,
    /// Calm hours left out.
    pub calms: usize,
}

impl PolarSurface {
    /// The (u, v) of grid point `(iy, ix)`.
    pub fn uv(&self, iy: usize, ix: usize) -> (f64, f64) {
        let step = 2.0 * self.ws_max / (self.grid - 1) as f64;
        (
            -self.ws_max + ix as f64 * step,
            self.ws_max - iy as f64 * step,
        )
    }

    /// The highest smoothed value and where: (value, wd, ws).
    pub fn peak(&self) -> Option<(f64, f64, f64)> {
        let mut best: Option<(f64, f64, f64)> = None;
        for iy in 0..self.grid {
            for ix in 0..self.grid {
                if let Some(v) = self.values[iy * self.grid + ix]
                    && best.is_none_or(|b| v > b.0)
                {
                    let (u, w) = self.uv(iy, ix);
                    best = Some((v, u.atan2(w).to_degrees().rem_euclid(360.0), u.hypot(w)));
                }
            }
        }
        best
    }

    /// Lowest and highest smoothed values.
    pub fn range(&self) -> Option<(f64, f64)> {
        let vals = self.values.iter().flatten();
        let lo = vals.clone().copied().reduce(f64::min)?;
        let hi = vals.copied().reduce(f64::max)?;
        Some((lo, hi))
    }
}

/// Bins and smooths `obs` (calms dropped).
pub fn polar_surface(obs: &[WindObs], cfg: &PolarConfig) -> PolarSurface {
    let ndir = (360.0 / cfg.dir_bin_deg).round() as usize;
    let mut speeds: Vec<f64> = obs
        .iter()
        .filter(|o| o.ws >= CALM_MS)
        .map(|o| o.ws)
        .collect();
    speeds.sort_by(f64::total_cmp);
    let ws_max = if speeds.is_empty() {
        1.0
    } else {
        quantile_sorted(&speeds, 0.99).max(1.0)
    };
    let nws = (ws_max / cfg.ws_bin).ceil() as usize + 1;
    let mut sum = vec![0.0; ndir * nws];
    let mut cnt = vec![0usize; ndir * nws];
    let mut calms = 0;
    for o in obs {
        if o.ws < CALM_MS {
            calms += 1;
            continue;
        }
        let d = ((o.wd / cfg.dir_bin_deg).round() as usize) % ndir;
        let s = ((o.ws / cfg.ws_bin).floor() as usize).min(nws - 1);
        sum[d * nws + s] += o.c;
        cnt[d * nws + s] += 1;
    }
    let mut bins = Vec::new();
    for d in 0..ndir {
        for s in 0..nws {
            let n = cnt[d * nws + s];
            if n > 0 {
                bins.push(PolarBin {
                    wd: d as f64 * cfg.dir_bin_deg,
                    ws: (s as f64 + 0.5) * cfg.ws_bin,
                    n,
                    mean: sum[d * nws + s] / n as f64,
                });
            }
        }
    }
    let pts: Vec<(f64, f64, f64, f64)> = bins
        .iter()
        .map(|b| {
            let r = b.wd.to_radians();
            (b.ws * r.sin(), b.ws * r.cos(), b.n as f64, b.mean)
        })
        .collect();
    let mut surface = PolarSurface {
        bins,
        ws_max,
        grid: cfg.grid.max(3),
        values: Vec::new(),
        hours: speeds.len(),
        calms,
    };
    let g = surface.grid;
    let inv = 1.0 / (2.0 * cfg.bandwidth * cfg.bandwidth);
    let cutoff = (3.0 * cfg.bandwidth).powi(2);
    surface.values = (0..g * g)
        .map(|k| {
            let (u, v) = surface.uv(k / g, k % g);
            if u.hypot(v) > ws_max {
                return None;
            }
            let (mut w_sum, mut wc) = (0.0, 0.0);
            for &(bu, bv, n, m) in &pts {
                let d2 = (u - bu).powi(2) + (v - bv).powi(2);
                if d2 < cutoff {
                    let w = n * (-d2 * inv).exp();
                    w_sum += w;
                    wc += w * m;
                }
            }
            (w_sum >= cfg.min_support).then(|| wc / w_sum)
        })
        .collect();
    surface
}

/// Percentiles of concentration per direction sector (openair's `percentileRose`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PercentileRose {
    /// The percentiles (0–100) reported.
    pub percentiles: Vec<f64>,
    /// Per sector: centre (degrees), hours, and the value of each percentile (`None` when the
    /// sector has fewer than 3 hours).
    pub sectors: Vec<(f64, usize, Option<Vec<f64>>)>,
}

/// The percentile rose of `obs` over sectors of `sector_deg` (calms dropped).
pub fn percentile_rose(obs: &[WindObs], sector_deg: f64, percentiles: &[f64]) -> PercentileRose {
    let n = (360.0 / sector_deg).round() as usize;
    let mut by: Vec<Vec<f64>> = vec![Vec::new(); n];
    for o in obs.iter().filter(|o| o.ws >= CALM_MS) {
        by[((o.wd / sector_deg).round() as usize) % n].push(o.c);
    }
    let sectors = by
        .into_iter()
        .enumerate()
        .map(|(i, mut v)| {
            v.sort_by(f64::total_cmp);
            let q = (v.len() >= 3).then(|| {
                percentiles
                    .iter()
                    .map(|p| quantile_sorted(&v, p / 100.0))
                    .collect()
            });
            (i as f64 * sector_deg, v.len(), q)
        })
        .collect();
    PercentileRose {
        percentiles: percentiles.to_vec(),
        sectors,
    }
}

//! The conditional probability function (Ashbaugh 1985) and dominant source bearings.
//!
//! CPF_θ = m_θ / n_θ: of the `n_θ` non-calm hours with wind from sector θ, the share `m_θ`
//! whose concentration exceeds the `percentile`-th percentile of all non-calm hours.
//!
//! # Bearings and confidence
//!
//! The CPF is smoothed over three neighbouring sectors (counts pooled: `Σm / Σn` over θ−1,
//! θ, θ+1). A dominant bearing is a local maximum of the smoothed CPF. Without a source in a
//! direction, every hour exceeds the threshold with probability `p0 = 1 − percentile/100`,
//! so the pooled exceedances of a window are Binomial(`Σn`, `p0`); the z-score
//! `z = (Σm − Σn·p0) / sqrt(Σn·p0·(1−p0))` measures both the contrast of the peak over the
//! mean and how many hours stand behind it. The confidence is the one-sided normal
//! probability Φ(z) corrected for looking at every sector (Bonferroni over the sector count):
//! `confidence = 1 − min(1, sectors · (1 − Φ(z)))`. Peaks need `z ≥ min_z` (default 3) and are
//! at least 40° apart. The bearing is refined by the circular mean of the sectors of the peak
//! window, weighted by their excess exceedances `m − n·p0`.

use serde::Serialize;

use super::angle_diff;
use super::series::{CALM_MS, WindObs};
use crate::stats::quantile;

/// CPF settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CpfConfig {
    /// Percentile defining "high" (75 by default).
    pub percentile: f64,
    /// Sector width, degrees (10 or 30).
    pub sector_deg: f64,
    /// Minimum z-score of a reported bearing.
    pub min_z: f64,
    /// At most this many bearings per station and pollutant.
    pub max_peaks: usize,
}

impl Default for CpfConfig {
    fn default() -> Self {
        CpfConfig {
            percentile: 75.0,
            sector_deg: 10.0,
            min_z: 3.0,
            max_peaks: 3,
        }
    }
}

/// One sector of the CPF.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CpfSector {
    /// Sector centre, degrees.
    pub centre: f64,
    /// Non-calm hours from the sector.
    pub n: usize,
    /// Of those, hours above the threshold.
    pub m: usize,
    /// m / n (0 when n = 0).
    pub cpf: f64,
    /// Smoothed CPF (three sectors pooled).
    pub smoothed: f64,
}

/// The CPF of one station and pollutant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cpf {
    /// The concentration threshold (the percentile).
    pub threshold: f64,
    /// Settings used.
    pub config: CpfConfig,
    /// Sectors from north clockwise.
    pub sectors: Vec<CpfSector>,
}

/// A dominant source bearing with its evidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bearing {
    /// Direction towards the source from the station, degrees clockwise from north.
    pub bearing_deg: f64,
    /// 0–1, see the module documentation.
    pub confidence: f64,
    /// The binomial z-score of the peak window.
    pub z: f64,
    /// Smoothed CPF at the peak.
    pub cpf: f64,
    /// Hours in the peak window and hours above the threshold.
    pub n: usize,
    /// Hours above the threshold in the peak window.
    pub m: usize,
    /// Half-width of the peak (degrees): an angular uncertainty for triangulation.
    pub sigma_deg: f64,
}

/// Computes the CPF of `obs` (calms dropped).
pub fn cpf(obs: &[WindObs], cfg: &CpfConfig) -> Cpf {
    let windy: Vec<&WindObs> = obs.iter().filter(|o| o.ws >= CALM_MS).collect();
    let conc: Vec<f64> = windy.iter().map(|o| o.c).collect();
    let threshold = quantile(&conc, cfg.percentile / 100.0).unwrap_or(f64::NAN);
    let ns = (360.0 / cfg.sector_deg).round() as usize;
    let mut n = vec![0usize; ns];
    let mut m = vec![0usize; ns];
    for o in &windy {
        let s = ((o.wd / cfg.sector_deg).round() as usize) % ns;
        n[s] += 1;
        if o.c > threshold {
            m[s] += 1;
        }
    }
    let sectors = (0..ns)
        .map(|i| {
            let (pn, pm) = pooled(&n, &m, i);
            CpfSector {
                centre: i as f64 * cfg.sector_deg,
                n: n[i],
                m: m[i],
                cpf: if n[i] > 0 {
                    m[i] as f64 / n[i] as f64
                } else {
                    0.0
                },
                smoothed: if pn > 0 { pm as f64 / pn as f64 } else { 0.0 },
            }
        })
        .collect();
    Cpf {
        threshold,
        config: *cfg,
        sectors,
    }
}

fn pooled(n: &[usize], m: &[usize], i: usize) -> (usize, usize) {
    let ns = n.len();
    let idx = [(i + ns - 1) % ns, i, (i + 1) % ns];
    (
        idx.iter().map(|&j| n[j]).sum(),
        idx.iter().map(|&j| m[j]).sum(),
    )
}

impl Cpf {
    /// The dominant bearings, strongest first.
    pub fn bearings(&self) -> Vec<Bearing> {
        let ns = self.sectors.len();
        if ns < 3 || !self.threshold.is_finite() {
            return Vec::new();
        }
        let p0 = (1.0 - self.config.percentile / 100.0).clamp(0.01, 0.99);
        let n: Vec<usize> = self.sectors.iter().map(|s| s.n).collect();
        let m: Vec<usize> = self.sectors.iter().map(|s| s.m).collect();
        let mut cands = Vec::new();
        for i in 0..ns {
            let c = self.sectors[i].smoothed;
            let prev = self.sectors[(i + ns - 1) % ns].smoothed;
            let next = self.sectors[(i + 1) % ns].smoothed;
            if !(c >= prev && c >= next && c > p0) {
                continue;
            }
            let (pn, pm) = pooled(&n, &m, i);
            if pn == 0 {
                continue;
            }
            let z = (pm as f64 - pn as f64 * p0) / (pn as f64 * p0 * (1.0 - p0)).sqrt();
            if z < self.config.min_z {
                continue;
            }
            // Refine: excess-weighted circular mean over the window.
            let (mut sx, mut sy) = (0.0, 0.0);
            for j in [(i + ns - 1) % ns, i, (i + 1) % ns] {
                let w = (m[j] as f64 - n[j] as f64 * p0).max(0.0);
                let r = self.sectors[j].centre.to_radians();
                sx += w * r.sin();
                sy += w * r.cos();
            }
            let bearing = if sx == 0.0 && sy == 0.0 {
                self.sectors[i].centre
            } else {
                sx.atan2(sy).to_degrees().rem_euclid(360.0)
            };
            // Half-width: sectors either side still above half the peak's excess over p0.
            let half = p0 + (c - p0) / 2.0;
            let mut width = 0usize;
            while width < ns / 2 {
                let l = self.sectors[(i + ns - width - 1) % ns].smoothed;
                let r = self.sectors[(i + width + 1) % ns].smoothed;
                if l < half && r < half {
                    break;
                }
                width += 1;
            }
            let tail = 1.0 - normal_cdf(z);
            cands.push(Bearing {
                bearing_deg: bearing,
                confidence: 1.0 - (ns as f64 * tail).min(1.0),
                z,
                cpf: c,
                n: pn,
                m: pm,
                sigma_deg: (self.config.sector_deg * (width as f64 + 0.5)).max(5.0),
            });
        }
        cands.sort_by(|a, b| b.z.total_cmp(&a.z));
        let mut out: Vec<Bearing> = Vec::new();
        for c in cands {
            if out.len() < self.config.max_peaks
                && out
                    .iter()
                    .all(|b| angle_diff(b.bearing_deg, c.bearing_deg).abs() >= 40.0)
            {
                out.push(c);
            }
        }
        out
    }
}

/// The standard normal CDF (Abramowitz–Stegun 7.1.26 for erf, |error| < 1.5e-7).
pub fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + y)
    } else {
        0.5 * (1.0 - y)
    }
}

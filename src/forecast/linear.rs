//! The fitted linear model of one target and horizon (hourly group or daily lead), and how it
//! is fitted: ridge regression on standardised features, solved in closed form from the normal
//! equations. `XᵀX` and `Xᵀy` are accumulated once per scale (separately for the fitting and
//! the validation part of the training period), so every penalty of the sweep costs one small
//! Cholesky solve instead of a coordinate-descent run over all samples (see ARCHITECTURE.md).
//!
//! The scale (µg/m³ or √) and the penalty are chosen by the RMSE (µg/m³) on the last part of
//! the training period — a time split, never shuffled. On the same part a weight blending the
//! model with the climatology is fitted (`w·model + (1 − w)·climatology`, `w ∈ [0, 1]`), so
//! horizons beyond the model's skill lean on the climatology rather than losing to it.

use serde::{Deserialize, Serialize};

use super::ForecastError;
use super::dataset::{Dataset, unscale};
use super::features::{FEATURE_NAMES, Scale};

/// One feature's standardisation and coefficient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// Feature name.
    pub feature: String,
    /// Training mean (subtracted).
    pub mean: f64,
    /// Training standard deviation (divided by).
    pub sd: f64,
    /// Coefficient on the standardised feature (model scale per SD).
    pub coefficient: f64,
}

/// A fitted linear model predicting the change from a base feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearFit {
    /// Scale of the pollutant features and the target, chosen on the validation split.
    pub scale: Scale,
    /// Ridge penalty (on standardised features, per sample) chosen on the validation split.
    pub penalty: f64,
    /// Validation RMSE (µg/m³) of each scale and penalty tried.
    pub validation: Vec<(Scale, f64, f64)>,
    /// Feature index of the base the model predicts the change from.
    pub base: usize,
    /// Weight of the model in the blend with the climatology (1 = the model alone).
    pub blend: f64,
    /// Validation RMSE (µg/m³) of the blended forecast and of both baselines, on the same
    /// samples.
    pub validation_rmse: ValidationRmse,
    /// Intercept (model scale).
    pub intercept: f64,
    /// Residual variance on the model scale; on the √ scale it is added back when squaring
    /// (the mean of the back-transform).
    pub residual_variance: f64,
    /// Training samples used / dropped for a missing feature / dropped for a missing target.
    pub samples: (usize, usize, usize),
    /// The terms, in feature order.
    pub terms: Vec<Term>,
    /// Quantile map (forecast → observed, µg/m³, ascending) fitted on the training period:
    /// undoes the regression's shrinking toward the middle, so daily categories are not
    /// squeezed into the middle ones. Empty = none (hourly models).
    #[serde(default)]
    pub calibration: Vec<(f64, f64)>,
}

/// The least validation skill over climatology (1 − RMSE/RMSE_clim) a model needs to be
/// published (it must also beat persistence); beyond it forecasts abstain.
pub const MIN_SKILL: f64 = 0.02;

/// Validation RMSE (µg/m³) of a model and of the two baselines it must beat, on the same
/// samples of the validation part.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValidationRmse {
    /// The blended forecast.
    pub model: f64,
    /// The climatology (hour × month mean of the training period).
    pub climatology: f64,
    /// Persistence: the model's base — the value at issue time (hourly models), the last 24-h
    /// mean (daily models; for the O3 maximum 8-h mean a weaker stand-in for the last one).
    pub persistence: f64,
}

/// From the model scale back to µg/m³ (the mean, not the median, of the back-transform).
pub fn back(scale: Scale, s: f64, residual_variance: f64) -> f64 {
    match scale {
        Scale::Identity => s.max(0.0),
        Scale::Sqrt => s.max(0.0).powi(2) + residual_variance,
        Scale::Log => (s + residual_variance / 2.0).exp_m1().max(0.0),
    }
}

impl LinearFit {
    /// Whether the model beat the climatology by [`MIN_SKILL`], and persistence, on the
    /// validation part — a forecast that loses to either is not published.
    pub fn skilful(&self) -> bool {
        let v = &self.validation_rmse;
        1.0 - v.model / v.climatology >= MIN_SKILL && v.model < v.persistence
    }

    /// Predicts (µg/m³) from raw feature values (`NaN` → the training mean: a degraded
    /// forecast; callers report the missing inputs) and the climatology of the target.
    pub fn predict(&self, values: &[f64], climatology: f64) -> f64 {
        let mut s = self.intercept + values.get(self.base).copied().unwrap_or(f64::NAN);
        for (term, &x) in self.terms.iter().zip(values) {
            if x.is_finite() {
                s += term.coefficient * (x - term.mean) / term.sd;
            }
        }
        let m = back(self.scale, s, self.residual_variance);
        let blended = if self.blend < 1.0 && climatology.is_finite() {
            self.blend * m + (1.0 - self.blend) * climatology
        } else {
            m
        };
        calibrate(&self.calibration, blended)
    }
}

/// Applies a quantile map (linear between its points, shifted beyond its ends).
fn calibrate(map: &[(f64, f64)], v: f64) -> f64 {
    let (Some(first), Some(last)) = (map.first(), map.last()) else {
        return v;
    };
    if v <= first.0 {
        return (v - first.0 + first.1).max(0.0);
    }
    if v >= last.0 {
        return v - last.0 + last.1;
    }
    let k = map.partition_point(|p| p.0 <= v).clamp(1, map.len() - 1);
    let ((x0, y0), (x1, y1)) = (map[k - 1], map[k]);
    if x1 > x0 {
        y0 + (y1 - y0) * (v - x0) / (x1 - x0)
    } else {
        y0
    }
}

/// Points of a quantile map from forecasts to observations (every 2.5 %).
fn quantile_map(mut forecast: Vec<f64>, mut observed: Vec<f64>) -> Vec<(f64, f64)> {
    if forecast.len() < 100 {
        return Vec::new();
    }
    forecast.sort_by(f64::total_cmp);
    observed.sort_by(f64::total_cmp);
    let q = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    let mut map: Vec<(f64, f64)> = (0..=40)
        .map(|k| {
            let p = f64::from(k) / 40.0;
            (q(&forecast, p), q(&observed, p))
        })
        .collect();
    map.dedup_by(|b, a| b.0 <= a.0);
    map
}

/// `XᵀX`, `Xᵀy` of standardised rows with an intercept column (the last one).
#[derive(Debug, Clone)]
struct Gram {
    p: usize,
    xtx: Vec<f64>,
    xty: Vec<f64>,
}

impl Gram {
    fn new(p: usize) -> Gram {
        let q = p + 1;
        Gram {
            p,
            xtx: vec![0.0; q * q],
            xty: vec![0.0; q],
        }
    }

    fn add(&mut self, z: &[f64], y: f64) {
        let q = self.p + 1;
        for i in 0..q {
            let zi = if i < self.p { z[i] } else { 1.0 };
            self.xty[i] += zi * y;
            let row = &mut self.xtx[i * q..i * q + i + 1];
            for (j, r) in row.iter_mut().enumerate() {
                *r += zi * if j < self.p { z[j] } else { 1.0 };
            }
        }
    }

    fn plus(&self, o: &Gram) -> Gram {
        let mut g = self.clone();
        g.xtx.iter_mut().zip(&o.xtx).for_each(|(a, b)| *a += b);
        g.xty.iter_mut().zip(&o.xty).for_each(|(a, b)| *a += b);
        g
    }

    /// Solves `(XᵀX + α n I) β = Xᵀy` (intercept unpenalised) by Cholesky; `None` when not
    /// positive definite.
    fn solve(&self, alpha: f64) -> Option<(f64, Vec<f64>)> {
        let q = self.p + 1;
        let n = self.xtx[q * q - 1];
        let mut a = vec![0.0; q * q];
        for i in 0..q {
            for j in 0..=i {
                let v = self.xtx[i * q + j];
                a[i * q + j] = v;
                a[j * q + i] = v;
            }
            if i < self.p {
                a[i * q + i] += alpha * n;
            }
        }
        // In-place Cholesky: a = L Lᵀ (lower triangle).
        for j in 0..q {
            let mut d = a[j * q + j];
            for k in 0..j {
                d -= a[j * q + k] * a[j * q + k];
            }
            if d <= 1e-12 * n.max(1.0) {
                return None;
            }
            let d = d.sqrt();
            a[j * q + j] = d;
            for i in j + 1..q {
                let mut v = a[i * q + j];
                for k in 0..j {
                    v -= a[i * q + k] * a[j * q + k];
                }
                a[i * q + j] = v / d;
            }
        }
        let mut z = self.xty.clone();
        for i in 0..q {
            for k in 0..i {
                z[i] -= a[i * q + k] * z[k];
            }
            z[i] /= a[i * q + i];
        }
        for i in (0..q).rev() {
            for k in i + 1..q {
                z[i] -= a[k * q + i] * z[k];
            }
            z[i] /= a[i * q + i];
        }
        let intercept = z.pop()?;
        Some((intercept, z))
    }
}

/// Column means and standard deviations.
fn standardisation(ds: &Dataset) -> (Vec<f64>, Vec<f64>) {
    let n = ds.width;
    let rows = ds.rows().max(1) as f64;
    let mut mean = vec![0.0; n];
    let mut sq = vec![0.0; n];
    for i in 0..ds.rows() {
        for (j, x) in ds.row(i).iter().enumerate() {
            mean[j] += x;
            sq[j] += x * x;
        }
    }
    let sd = (0..n)
        .map(|j| {
            mean[j] /= rows;
            let v = (sq[j] / rows - mean[j] * mean[j]).max(0.0).sqrt();
            if v > 1e-9 { v } else { 1.0 }
        })
        .collect();
    (mean, sd)
}

fn standardise(row: &[f64], mean: &[f64], sd: &[f64], z: &mut [f64]) {
    for (j, x) in row.iter().enumerate() {
        z[j] = (x - mean[j]) / sd[j];
    }
}

fn predict_z(intercept: f64, beta: &[f64], z: &[f64]) -> f64 {
    intercept + beta.iter().zip(z).map(|(b, x)| b * x).sum::<f64>()
}

/// Fits a model on datasets of the same samples on each scale tried. Rows whose issue hour
/// satisfies `in_fit` form the fitting part, the others the validation part.
pub fn fit(
    sets: &[(Scale, Dataset)],
    in_fit: impl Fn(usize) -> bool,
    penalties: &[f64],
    base: usize,
    calibrated: bool,
    what: &str,
) -> Result<LinearFit, ForecastError> {
    let err = |reason: String| ForecastError::Fit {
        what: what.to_string(),
        reason,
    };
    // (set, penalty, validation RMSE, validation predictions)
    let mut best: Option<(usize, f64, f64, Vec<f64>)> = None;
    let mut validation = Vec::new();
    let mut grams = Vec::new();
    for (k, (scale, ds)) in sets.iter().enumerate() {
        let (mean, sd) = standardisation(ds);
        let p = ds.width;
        let (mut gf, mut gv) = (Gram::new(p), Gram::new(p));
        let mut z = vec![0.0; p];
        let mut valid_rows = Vec::new();
        let mut fit_rows = 0usize;
        for i in 0..ds.rows() {
            standardise(ds.row(i), &mean, &sd, &mut z);
            if in_fit(ds.issue[i]) {
                gf.add(&z, ds.y[i]);
                fit_rows += 1;
            } else {
                gv.add(&z, ds.y[i]);
                valid_rows.push(i);
            }
        }
        if fit_rows > 10 * p && !valid_rows.is_empty() {
            for &alpha in penalties {
                let Some((b0, beta)) = gf.solve(alpha) else {
                    continue;
                };
                let var = residual_variance(ds, &mean, &sd, b0, &beta, |i| in_fit(ds.issue[i]));
                let mut preds = Vec::with_capacity(valid_rows.len());
                let mut sse = 0.0;
                for &i in &valid_rows {
                    standardise(ds.row(i), &mean, &sd, &mut z);
                    let m = back(*scale, predict_z(b0, &beta, &z) + ds.base[i], var);
                    let o = unscale(*scale, ds.y[i] + ds.base[i]);
                    sse += (m - o).powi(2);
                    preds.push(m);
                }
                let r = (sse / valid_rows.len() as f64).sqrt();
                validation.push((*scale, alpha, r));
                if best.as_ref().is_none_or(|b| r < b.2) {
                    best = Some((k, alpha, r, preds));
                }
            }
        }
        grams.push((gf.plus(&gv), mean, sd, valid_rows));
    }
    let Some((k, alpha, _, preds)) = best else {
        return Err(err(
            "too few samples in the fitting or validation part".into()
        ));
    };
    let (scale, ds) = &sets[k];
    let (gram, mean, sd, valid_rows) = &grams[k];
    // Blend weight on the validation part: least squares of (obs − clim) on (model − clim).
    let (mut num, mut den, mut sse_b, mut sse_c) = (0.0, 0.0, 0.0, 0.0);
    for (&i, &m) in valid_rows.iter().zip(&preds) {
        let (c, o) = (ds.clim[i], unscale(*scale, ds.y[i] + ds.base[i]));
        num += (m - c) * (o - c);
        den += (m - c) * (m - c);
    }
    let blend = if den > 0.0 {
        (num / den).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let mut sse_p = 0.0;
    for (&i, &m) in valid_rows.iter().zip(&preds) {
        let (c, o) = (ds.clim[i], unscale(*scale, ds.y[i] + ds.base[i]));
        sse_b += (blend * m + (1.0 - blend) * c - o).powi(2);
        sse_c += (c - o).powi(2);
        sse_p += (unscale(*scale, ds.base[i]) - o).powi(2);
    }
    let nv = valid_rows.len().max(1) as f64;
    let (b0, beta) = gram
        .solve(alpha)
        .ok_or_else(|| err("the normal equations are singular".into()))?;
    let var = residual_variance(ds, mean, sd, b0, &beta, |_| true);
    let calibration = if calibrated {
        let mut z = vec![0.0; ds.width];
        let (mut fc, mut ob) = (Vec::new(), Vec::new());
        for i in 0..ds.rows() {
            standardise(ds.row(i), mean, sd, &mut z);
            let m = back(*scale, predict_z(b0, &beta, &z) + ds.base[i], var);
            fc.push(blend * m + (1.0 - blend) * ds.clim[i]);
            ob.push(unscale(*scale, ds.y[i] + ds.base[i]));
        }
        quantile_map(fc, ob)
    } else {
        Vec::new()
    };
    let terms = beta
        .iter()
        .enumerate()
        .map(|(j, &c)| Term {
            feature: FEATURE_NAMES[j].to_string(),
            mean: mean[j],
            sd: sd[j],
            coefficient: c,
        })
        .collect();
    Ok(LinearFit {
        scale: *scale,
        penalty: alpha,
        validation,
        base,
        blend,
        validation_rmse: ValidationRmse {
            model: (sse_b / nv).sqrt(),
            climatology: (sse_c / nv).sqrt(),
            persistence: (sse_p / nv).sqrt(),
        },
        intercept: b0,
        residual_variance: var,
        samples: (ds.rows(), ds.dropped_features, ds.dropped_target),
        terms,
        calibration,
    })
}

fn residual_variance(
    ds: &Dataset,
    mean: &[f64],
    sd: &[f64],
    b0: f64,
    beta: &[f64],
    keep: impl Fn(usize) -> bool,
) -> f64 {
    let mut z = vec![0.0; ds.width];
    let (mut sse, mut n) = (0.0, 0usize);
    for i in (0..ds.rows()).filter(|&i| keep(i)) {
        standardise(ds.row(i), mean, sd, &mut z);
        sse += (predict_z(b0, beta, &z) - ds.y[i]).powi(2);
        n += 1;
    }
    sse / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ridge_recovers_an_exact_linear_relation() {
        // y = 2 + 3·x0 − x1 (+ a constant column that must not break the solve).
        let mut g = Gram::new(3);
        let mut state = 1u64;
        let mut rnd = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for _ in 0..500 {
            let z = [rnd(), rnd(), 0.0];
            g.add(&z, 2.0 + 3.0 * z[0] - z[1]);
        }
        let (b0, beta) = g.solve(1e-9).expect("positive definite with a ridge");
        assert!((b0 - 2.0).abs() < 1e-6, "{b0}");
        assert!(
            (beta[0] - 3.0).abs() < 1e-6 && (beta[1] + 1.0).abs() < 1e-6,
            "{beta:?}"
        );
        assert!(beta[2].abs() < 1e-9);
        // A large penalty shrinks the slopes, never the intercept.
        let (b0, beta) = g.solve(10.0).unwrap();
        assert!(beta[0].abs() < 0.1 && (b0 - 2.0).abs() < 0.1);
    }

    #[test]
    fn quantile_map_spreads_a_shrunk_forecast_monotonically() {
        let observed: Vec<f64> = (0..1000).map(|i| f64::from(i) / 5.0).collect();
        let forecast: Vec<f64> = observed.iter().map(|o| 50.0 + 0.5 * (o - 100.0)).collect();
        let map = quantile_map(forecast, observed);
        assert!(map.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
        assert!((calibrate(&map, 50.0) - 100.0).abs() < 1.0);
        assert!((calibrate(&map, 75.0) - 150.0).abs() < 1.0);
        // Beyond the ends: shifted, never negative.
        assert!(calibrate(&map, -100.0) >= 0.0);
        assert!(calibrate(&map, 200.0) > calibrate(&map, 150.0));
        assert_eq!(calibrate(&[], 42.0), 42.0);
    }
}

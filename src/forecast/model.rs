//! Regularised linear models (linfa elastic net on standardised features, predicting the change
//! from persistence on a µg/m³ or √ scale chosen per model), one per
//! target and horizon group; the penalty of each is chosen on the last part of the training
//! period (a time split, never shuffled). A [`ModelSet`] is saved as readable JSON with its
//! training period, feature names, standardisation, coefficients, climatology and metrics.

use std::path::Path;

use chrono::{DateTime, Utc};
use linfa::prelude::*;
use linfa_elasticnet::ElasticNet;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::climatology::Climatology;
use super::dataset::{self, Dataset, DatasetOptions};
use super::features::{FEATURE_NAMES, FeatureContext, FeatureRow, Scale};
use super::series::Grid;
use super::{ForecastError, HORIZON_GROUPS, Target};

/// One feature's standardisation and coefficient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// Feature name.
    pub feature: String,
    /// Training mean (subtracted).
    pub mean: f64,
    /// Training standard deviation (divided by).
    pub sd: f64,
    /// Coefficient on the standardised feature (√ µg/m³ per SD).
    pub coefficient: f64,
}

/// The model of one target and horizon group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonModel {
    /// What it forecasts.
    pub target: Target,
    /// First and last horizon (hours) it serves.
    pub horizons: (u32, u32),
    /// Scale of the pollutant features and the target, chosen on the validation split.
    pub scale: Scale,
    /// Elastic-net penalty chosen on the validation split.
    pub penalty: f64,
    /// L1 share of the penalty.
    pub l1_ratio: f64,
    /// Validation RMSE (µg/m³) of each scale and penalty tried.
    pub validation: Vec<(Scale, f64, f64)>,
    /// Intercept (model scale).
    pub intercept: f64,
    /// Residual variance on the model scale; on the √ scale it is added back when squaring
    /// (the mean of the back-transform).
    pub residual_variance: f64,
    /// Training samples used / dropped for a missing feature / dropped for a missing target.
    pub samples: (usize, usize, usize),
    /// The terms, in feature order.
    pub terms: Vec<Term>,
}

/// A prediction with what it was made without.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Forecast concentration (µg/m³), `None` when the forecast abstains.
    pub value: Option<f64>,
    /// Features that were missing (replaced by their training mean when the forecast was
    /// still issued: a degraded forecast).
    pub missing: Vec<&'static str>,
}

impl HorizonModel {
    /// Predicts from a feature row: abstains when a required feature is missing, degrades
    /// (training mean, reported) when an optional one is.
    pub fn predict(&self, row: &FeatureRow) -> Prediction {
        if row.lacks_required() {
            return Prediction {
                value: None,
                missing: row.missing.clone(),
            };
        }
        Prediction {
            value: Some(self.predict_values(&row.values)),
            missing: row.missing.clone(),
        }
    }

    /// Predicts from raw feature values (`NaN` → the training mean).
    pub fn predict_values(&self, values: &[f64]) -> f64 {
        // The model predicts the change from persistence (feature 0, `lag0`).
        let mut s = self.intercept + values.first().copied().unwrap_or(f64::NAN);
        for (term, &x) in self.terms.iter().zip(values) {
            if x.is_finite() {
                s += term.coefficient * (x - term.mean) / term.sd;
            }
        }
        back(self.scale, s, self.residual_variance)
    }
}

/// From the model scale back to µg/m³ (the mean, not the median, of the back-transform).
fn back(scale: Scale, s: f64, residual_variance: f64) -> f64 {
    match scale {
        Scale::Identity => s.max(0.0),
        Scale::Sqrt => s.max(0.0).powi(2) + residual_variance,
    }
}

/// Training options.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Hours between issue times of training samples.
    pub stride: usize,
    /// Penalties tried, as multiples of the target's standard deviation on each scale.
    pub penalties: Vec<f64>,
    /// Scales tried.
    pub scales: Vec<Scale>,
    /// L1 share.
    pub l1_ratio: f64,
    /// Share of the training period (at its end) used to choose the penalty.
    pub validation_share: f64,
    /// Targets to train.
    pub targets: Vec<Target>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            stride: 4,
            penalties: vec![0.0003, 0.003],
            scales: vec![Scale::Identity, Scale::Sqrt],
            l1_ratio: 0.5,
            validation_share: 0.2,
            targets: Target::ALL.to_vec(),
        }
    }
}

/// Every model of a training run, with what they were trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSet {
    /// Format version.
    pub format: u32,
    /// Model family.
    pub method: String,
    /// Training period: first and last-exclusive label times.
    pub trained_from: DateTime<Utc>,
    /// End of the training period (exclusive).
    pub trained_to: DateTime<Utc>,
    /// Stations trained on.
    pub stations: Vec<String>,
    /// Feature names, in order.
    pub features: Vec<String>,
    /// Backtest metrics, when a backtest was run and attached.
    #[serde(default)]
    pub metrics: Option<serde_json::Value>,
    /// The models.
    pub models: Vec<HorizonModel>,
    /// The training period's climatology (baseline and feature).
    pub climatology: Climatology,
}

impl ModelSet {
    /// The model of `target` serving horizon `h`.
    pub fn model(&self, target: Target, h: u32) -> Option<&HorizonModel> {
        self.models
            .iter()
            .find(|m| m.target == target && (m.horizons.0..=m.horizons.1).contains(&h))
    }

    /// Writes pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), ForecastError> {
        let err = |reason: String| ForecastError::ModelFile {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| err(e.to_string()))?;
        std::fs::write(path, text + "\n").map_err(|e| err(e.to_string()))
    }

    /// Reads a saved set.
    pub fn load(path: &Path) -> Result<ModelSet, ForecastError> {
        let err = |reason: String| ForecastError::ModelFile {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let set: ModelSet = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        if set.features != FEATURE_NAMES {
            return Err(err(
                "its features differ from this build's: retrain (`lantian forecast train`)".into(),
            ));
        }
        Ok(set)
    }
}

/// Trains every target × horizon group on hours `[0, end)` of `grid`.
pub fn train(grid: &Grid, end: usize, opt: &TrainOptions) -> Result<ModelSet, ForecastError> {
    let climatology = Climatology::from_grid(grid, end);
    let ctx = FeatureContext::new(grid, &climatology);
    let mut models = Vec::new();
    for &target in &opt.targets {
        for (g, &(lo, hi)) in HORIZON_GROUPS.iter().enumerate() {
            let sets: Vec<(Scale, Dataset)> = opt
                .scales
                .iter()
                .map(|&scale| {
                    let ds = dataset::build(
                        &ctx,
                        target,
                        g,
                        scale,
                        DatasetOptions {
                            from: 0,
                            to: end,
                            stride: opt.stride,
                        },
                    );
                    (scale, ds)
                })
                .collect();
            models.push(fit_group(target, (lo, hi), &sets, end, opt)?);
        }
    }
    Ok(ModelSet {
        format: 1,
        method: "linfa-elasticnet on standardised features (scale and penalty chosen on the last part of the training period)".into(),
        trained_from: grid.start,
        trained_to: grid.time_of(end.min(grid.len)),
        stations: grid.stations.clone(),
        features: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
        metrics: None,
        models,
        climatology,
    })
}

/// Column means and standard deviations of rows selected by `keep`.
fn standardisation(ds: &Dataset) -> (Vec<f64>, Vec<f64>) {
    let n = FEATURE_NAMES.len();
    let rows = ds.rows().max(1) as f64;
    let mut mean = vec![0.0; n];
    for i in 0..ds.rows() {
        for (m, x) in mean.iter_mut().zip(ds.row(i)) {
            *m += x;
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows);
    let mut var = vec![0.0; n];
    for i in 0..ds.rows() {
        for ((v, x), m) in var.iter_mut().zip(ds.row(i)).zip(&mean) {
            *v += (x - m).powi(2);
        }
    }
    let sd = var
        .iter()
        .map(|v| {
            let s = (v / rows).sqrt();
            if s > 1e-9 { s } else { 1.0 }
        })
        .collect();
    (mean, sd)
}

fn matrix(ds: &Dataset, rows: &[usize], mean: &[f64], sd: &[f64]) -> (Array2<f64>, Array1<f64>) {
    let n = FEATURE_NAMES.len();
    let mut x = Array2::zeros((rows.len(), n));
    let mut y = Array1::zeros(rows.len());
    for (r, &i) in rows.iter().enumerate() {
        for (j, v) in ds.row(i).iter().enumerate() {
            x[[r, j]] = (v - mean[j]) / sd[j];
        }
        y[r] = ds.y[i];
    }
    (x, y)
}

fn fit(
    x: Array2<f64>,
    y: Array1<f64>,
    penalty: f64,
    l1: f64,
    what: &str,
) -> Result<ElasticNet<f64>, ForecastError> {
    ElasticNet::params()
        .penalty(penalty)
        .l1_ratio(l1)
        .max_iterations(300)
        .tolerance(1e-4)
        .fit(&linfa::Dataset::new(x, y))
        .map_err(|e| ForecastError::Fit {
            what: what.to_string(),
            reason: e.to_string(),
        })
}

fn rmse_of(model: &ElasticNet<f64>, x: &Array2<f64>, y: &Array1<f64>) -> f64 {
    let p = x.dot(model.hyperplane()) + model.intercept();
    ((&p - y).mapv(|e| e * e).mean().unwrap_or(f64::NAN)).sqrt()
}

fn fit_group(
    target: Target,
    horizons: (u32, u32),
    sets: &[(Scale, Dataset)],
    end: usize,
    opt: &TrainOptions,
) -> Result<HorizonModel, ForecastError> {
    let what = format!("{} {}–{} h", target.code(), horizons.0, horizons.1);
    let Some((_, first)) = sets.first() else {
        return Err(ForecastError::Fit {
            what,
            reason: "no scale to try".into(),
        });
    };
    if first.rows() < 10 * FEATURE_NAMES.len() {
        return Err(ForecastError::TooFewSamples {
            target: target.code(),
            horizon: format!("{}–{} h", horizons.0, horizons.1),
            samples: first.rows(),
        });
    }
    let split = ((1.0 - opt.validation_share) * end as f64) as usize;
    let mut validation = Vec::new();
    let mut best: Option<(usize, f64, f64)> = None;
    for (k, (scale, ds)) in sets.iter().enumerate() {
        let (mean, sd) = standardisation(ds);
        let y_sd = sd_of(&ds.y);
        let (train_rows, valid_rows): (Vec<usize>, Vec<usize>) =
            (0..ds.rows()).partition(|&i| ds.issue[i] + horizons.1 as usize <= split);
        if valid_rows.is_empty() || train_rows.len() < 100 {
            best.get_or_insert((
                k,
                opt.penalties.first().copied().unwrap_or(0.01) * y_sd,
                0.0,
            ));
            continue;
        }
        let (xt, yt) = matrix(ds, &train_rows, &mean, &sd);
        let (xv, yv) = matrix(ds, &valid_rows, &mean, &sd);
        for &factor in &opt.penalties {
            let penalty = factor * y_sd;
            let m = fit(xt.clone(), yt.clone(), penalty, opt.l1_ratio, &what)?;
            let var = rmse_of(&m, &xt, &yt).powi(2);
            let p = xv.dot(m.hyperplane()) + m.intercept();
            let r = (p
                .iter()
                .zip(&yv)
                .zip(&valid_rows)
                .map(|((&p, &y), &i)| {
                    let base = ds.row(i)[0];
                    (back(*scale, p + base, var) - back(*scale, y + base, 0.0)).powi(2)
                })
                .sum::<f64>()
                / yv.len() as f64)
                .sqrt();
            validation.push((*scale, penalty, r));
            if best.is_none_or(|b| r < b.2) {
                best = Some((k, penalty, r));
            }
        }
    }
    let (k, penalty, _) = best.unwrap_or((0, 0.01, 0.0));
    let (scale, ds) = &sets[k];
    let (mean, sd) = standardisation(ds);
    let all: Vec<usize> = (0..ds.rows()).collect();
    let (x, y) = matrix(ds, &all, &mean, &sd);
    let model = fit(x.clone(), y.clone(), penalty, opt.l1_ratio, &what)?;
    let residual_variance = rmse_of(&model, &x, &y).powi(2);
    let terms = FEATURE_NAMES
        .iter()
        .enumerate()
        .map(|(j, name)| Term {
            feature: name.to_string(),
            mean: mean[j],
            sd: sd[j],
            coefficient: model.hyperplane()[j],
        })
        .collect();
    Ok(HorizonModel {
        target,
        horizons,
        scale: *scale,
        penalty,
        l1_ratio: opt.l1_ratio,
        validation,
        intercept: model.intercept(),
        residual_variance,
        samples: (ds.rows(), ds.dropped_features, ds.dropped_target),
        terms,
    })
}

fn sd_of(y: &[f64]) -> f64 {
    let n = y.len().max(1) as f64;
    let m = y.iter().sum::<f64>() / n;
    (y.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n)
        .sqrt()
        .max(1e-9)
}

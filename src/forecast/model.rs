//! Regularised linear models (linfa elastic net on standardised features, √ scale), one per
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
use super::features::{FEATURE_NAMES, FeatureContext, FeatureRow};
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
    /// Elastic-net penalty chosen on the validation split.
    pub penalty: f64,
    /// L1 share of the penalty.
    pub l1_ratio: f64,
    /// Validation RMSE (√ scale) of each penalty tried: `(penalty, rmse)`.
    pub validation: Vec<(f64, f64)>,
    /// Intercept (√ scale).
    pub intercept: f64,
    /// Residual variance on the √ scale, added back when squaring (mean of the back-transform).
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
        let mut s = self.intercept;
        for (term, &x) in self.terms.iter().zip(values) {
            if x.is_finite() {
                s += term.coefficient * (x - term.mean) / term.sd;
            }
        }
        s.max(0.0).powi(2) + self.residual_variance
    }
}

/// Training options.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Hours between issue times of training samples.
    pub stride: usize,
    /// Penalties tried.
    pub penalties: Vec<f64>,
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
            stride: 3,
            penalties: vec![0.001, 0.01, 0.05],
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
            let ds = dataset::build(
                &ctx,
                target,
                g,
                DatasetOptions {
                    from: 0,
                    to: end,
                    stride: opt.stride,
                },
            );
            models.push(fit_group(target, (lo, hi), &ds, end, opt)?);
        }
    }
    Ok(ModelSet {
        format: 1,
        method: "linfa-elasticnet on standardised features, sqrt(concentration) scale".into(),
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
        .max_iterations(500)
        .tolerance(1e-5)
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
    ds: &Dataset,
    end: usize,
    opt: &TrainOptions,
) -> Result<HorizonModel, ForecastError> {
    let what = format!("{} {}–{} h", target.code(), horizons.0, horizons.1);
    if ds.rows() < 10 * FEATURE_NAMES.len() {
        return Err(ForecastError::TooFewSamples {
            target: target.code(),
            horizon: format!("{}–{} h", horizons.0, horizons.1),
            samples: ds.rows(),
        });
    }
    let (mean, sd) = standardisation(ds);
    let split = ((1.0 - opt.validation_share) * end as f64) as usize;
    let (train_rows, valid_rows): (Vec<usize>, Vec<usize>) =
        (0..ds.rows()).partition(|&i| ds.issue[i] + horizons.1 as usize <= split);
    let mut validation = Vec::new();
    let mut best = (
        opt.penalties.first().copied().unwrap_or(0.01),
        f64::INFINITY,
    );
    if opt.penalties.len() > 1 && !valid_rows.is_empty() && train_rows.len() > 100 {
        let (xt, yt) = matrix(ds, &train_rows, &mean, &sd);
        let (xv, yv) = matrix(ds, &valid_rows, &mean, &sd);
        for &penalty in &opt.penalties {
            let m = fit(xt.clone(), yt.clone(), penalty, opt.l1_ratio, &what)?;
            let r = rmse_of(&m, &xv, &yv);
            validation.push((penalty, r));
            if r < best.1 {
                best = (penalty, r);
            }
        }
    }
    let all: Vec<usize> = (0..ds.rows()).collect();
    let (x, y) = matrix(ds, &all, &mean, &sd);
    let model = fit(x.clone(), y.clone(), best.0, opt.l1_ratio, &what)?;
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
        penalty: best.0,
        l1_ratio: opt.l1_ratio,
        validation,
        intercept: model.intercept(),
        residual_variance,
        samples: (ds.rows(), ds.dropped_features, ds.dropped_target),
        terms,
    })
}

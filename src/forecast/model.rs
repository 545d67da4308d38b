//! The models of a forecast: per target, one hourly model per horizon group and one daily
//! model per lead day (next local day, the day after), each a [`LinearFit`]; saved as a
//! readable JSON [`ModelSet`] with its training period, variant (issue-time information only,
//! or with forecast weather), feature names, coefficients, climatology and metrics.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::climatology::Climatology;
use super::dataset::{self, DAILY_BASE, Dataset, DatasetOptions, HOURLY_BASE, unscale};
use super::features::{FEATURE_NAMES, FeatureContext, FeatureRow, Scale, feature_count};
use super::linear::{self, LinearFit};
use super::range::{self, RangeModel};
use super::series::Grid;
use super::weather::ForecastWeather;
use super::{ForecastError, HORIZON_GROUPS, Target};

/// The model-file format this build reads and writes (3: with the AQI range intervals; 4: with
/// the training options, so that a backtest can re-train the set as it was trained).
pub const FORMAT: u32 = 5;

/// The lead days of the daily models (1 = the next local day).
pub const DAILY_LEADS: [u32; 2] = [1, 2];

/// The hourly model of one target and horizon group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonModel {
    /// What it forecasts.
    pub target: Target,
    /// First and last horizon (hours) it serves.
    pub horizons: (u32, u32),
    /// The fitted model.
    #[serde(flatten)]
    pub fit: LinearFit,
}

/// The daily model of one target and lead day: the day's 24-h mean (O3: maximum 8-h mean).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyModel {
    /// What it forecasts.
    pub target: Target,
    /// Days after the issue day (1 = the next local day).
    pub lead: u32,
    /// The fitted model.
    #[serde(flatten)]
    pub fit: LinearFit,
}

/// A prediction with what it was made without.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Forecast concentration (µg/m³), `None` when the forecast abstains.
    pub value: Option<f64>,
    /// Inputs of the model that were missing (replaced by their training mean when the
    /// forecast was still issued: a degraded forecast).
    pub missing: Vec<&'static str>,
}

/// Predicts with `fit` from a feature row and the target's climatology (µg/m³): abstains when
/// a required feature is missing or the model has no skill over the baselines, degrades
/// (training mean, reported) when an optional feature is missing.
pub fn predict(fit: &LinearFit, row: &FeatureRow, climatology: f64) -> Prediction {
    let missing = row.missing_among(fit.terms.len());
    if row.lacks_required() || !fit.skilful() {
        return Prediction {
            value: None,
            missing,
        };
    }
    Prediction {
        value: Some(fit.predict(&row.values, climatology)),
        missing,
    }
}

impl HorizonModel {
    /// Predicts from an hourly feature row (the climatology is its `clim_target`).
    pub fn predict(&self, row: &FeatureRow) -> Prediction {
        let clim = unscale(self.fit.scale, row.values[dataset::CLIM_FEATURE]);
        predict(&self.fit, row, clim)
    }
}

/// Training options (saved with the model set: re-training on another period uses them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Hours between issue times of hourly training samples.
    pub stride: usize,
    /// Hours between issue times of daily training samples.
    pub daily_stride: usize,
    /// Ridge penalties tried (on standardised features).
    pub penalties: Vec<f64>,
    /// Scales tried by the hourly models.
    pub scales: Vec<Scale>,
    /// Scales tried by the daily models.
    pub daily_scales: Vec<Scale>,
    /// Fit a quantile map of the daily forecasts onto the observed distribution.
    pub calibrate_daily: bool,
    /// Share of the training period (at its end) used to choose the penalty and the blend.
    pub validation_share: f64,
    /// Targets to train.
    pub targets: Vec<Target>,
    /// Train the forecast-weather variant (on the observed weather: perfect prognosis).
    pub weather: bool,
    /// Coverage of the AQI range's central interval (see [`range`]).
    pub range_coverage: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            stride: 3,
            daily_stride: 3,
            penalties: vec![1e-4, 1e-3, 1e-2, 1e-1],
            scales: vec![Scale::Identity, Scale::Sqrt],
            daily_scales: vec![Scale::Identity, Scale::Sqrt, Scale::Log],
            calibrate_daily: true,
            validation_share: 0.2,
            targets: Target::ALL.to_vec(),
            weather: false,
            range_coverage: range::DEFAULT_COVERAGE,
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
    /// Whether the models need forecast weather (trained on observed weather at the valid
    /// time; run them with a weather forecast).
    #[serde(default)]
    pub weather: bool,
    /// Feature names, in order.
    pub features: Vec<String>,
    /// The options it was trained with.
    pub training: TrainOptions,
    /// Backtest metrics, when a backtest was run and attached.
    #[serde(default)]
    pub metrics: Option<serde_json::Value>,
    /// The hourly models.
    pub models: Vec<HorizonModel>,
    /// The daily models.
    #[serde(default)]
    pub daily: Vec<DailyModel>,
    /// The training period's climatology (baseline and feature).
    pub climatology: Climatology,
    /// The AQI range intervals of the daily AQI (model and persistence), measured on the
    /// validation part of the training period.
    pub aqi_range: RangeModel,
}

impl ModelSet {
    /// The model of `target` serving horizon `h`.
    pub fn model(&self, target: Target, h: u32) -> Option<&HorizonModel> {
        self.models
            .iter()
            .find(|m| m.target == target && (m.horizons.0..=m.horizons.1).contains(&h))
    }

    /// The daily model of `target` for lead day `lead`.
    pub fn daily_model(&self, target: Target, lead: u32) -> Option<&DailyModel> {
        self.daily
            .iter()
            .find(|m| m.target == target && m.lead == lead)
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
        #[derive(Deserialize)]
        struct Version {
            format: u32,
        }
        let version: Version = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        if version.format != FORMAT {
            return Err(err(format!(
                "format {} (this build reads format {FORMAT}, which adds the AQI range \
                 intervals (3), the training options (4) and the validation RMSE of persistence \
                 (5)): retrain (`lantian forecast train`)",
                version.format
            )));
        }
        let set: ModelSet = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        if set.features != FEATURE_NAMES[..feature_count(set.weather)] {
            return Err(err(
                "its features differ from this build's: retrain (`lantian forecast train`)".into(),
            ));
        }
        Ok(set)
    }
}

/// Trains every target × horizon group and every target × lead day on hours `[0, end)` of
/// `grid`; the weather variant uses the grid's observed weather as its forecast weather.
pub fn train(grid: &Grid, end: usize, opt: &TrainOptions) -> Result<ModelSet, ForecastError> {
    let climatology = Climatology::from_grid(grid, end);
    let observed;
    let mut ctx = FeatureContext::new(grid, &climatology);
    if opt.weather {
        observed = ForecastWeather::observed(grid);
        ctx = ctx.with_weather(&observed);
    }
    let width = feature_count(opt.weather);
    let split = ((1.0 - opt.validation_share) * end as f64) as usize;
    let ds_opt = |stride| DatasetOptions {
        from: 0,
        to: end,
        stride,
        width,
    };
    let mut models = Vec::new();
    let mut daily = Vec::new();
    for &target in &opt.targets {
        for (g, &(lo, hi)) in HORIZON_GROUPS.iter().enumerate() {
            let sets = per_scale(&opt.scales, |scale| {
                dataset::build(&ctx, target, g, scale, ds_opt(opt.stride))
            });
            let what = format!("{} {lo}–{hi} h", target.code());
            check_rows(&sets, target, &what)?;
            let fit = linear::fit(
                &sets,
                |t| t + hi as usize <= split,
                &opt.penalties,
                HOURLY_BASE,
                false,
                &what,
            )?;
            models.push(HorizonModel {
                target,
                horizons: (lo, hi),
                fit,
            });
        }
        for lead in DAILY_LEADS {
            let sets = per_scale(&opt.daily_scales, |scale| {
                dataset::build_daily(&ctx, target, lead, scale, ds_opt(opt.daily_stride))
            });
            let what = format!("{} day +{lead}", target.code());
            check_rows(&sets, target, &what)?;
            let fit = linear::fit(
                &sets,
                |t| t + 24 * (lead as usize + 1) <= split,
                &opt.penalties,
                DAILY_BASE,
                opt.calibrate_daily,
                &what,
            )?;
            daily.push(DailyModel { target, lead, fit });
        }
    }
    let mut set = ModelSet {
        format: FORMAT,
        method:
            "ridge regression (closed form) on standardised features predicting the change from \
                 the current value (hourly) or the last 24-h mean (daily), scale, penalty and \
                 climatology blend chosen on the last part of the training period"
                .into(),
        trained_from: grid.start,
        trained_to: grid.time_of(end.min(grid.len)),
        stations: grid.stations.clone(),
        weather: opt.weather,
        features: FEATURE_NAMES[..width]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        training: opt.clone(),
        metrics: None,
        models,
        daily,
        climatology: climatology.clone(),
        // Measured next, with the fitted daily models of this set.
        aqi_range: RangeModel {
            coverage: opt.range_coverage,
            rule: String::new(),
            model: Vec::new(),
            persistence: Vec::new(),
        },
    };
    set.aqi_range = range::fit(
        &ctx,
        &set,
        end,
        |t, lead| t + 24 * (lead as usize + 1) > split,
        opt.range_coverage,
    );
    Ok(set)
}

fn per_scale(scales: &[Scale], build: impl Fn(Scale) -> Dataset) -> Vec<(Scale, Dataset)> {
    scales.iter().map(|&s| (s, build(s))).collect()
}

fn check_rows(sets: &[(Scale, Dataset)], target: Target, what: &str) -> Result<(), ForecastError> {
    let rows = sets.first().map_or(0, |(_, d)| d.rows());
    let width = sets.first().map_or(1, |(_, d)| d.width);
    if rows < 10 * width {
        return Err(ForecastError::TooFewSamples {
            target: target.code(),
            horizon: what.to_string(),
            samples: rows,
        });
    }
    Ok(())
}

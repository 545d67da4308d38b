//! Source apportionment per station: the PMF-style [`nmf`] of the station's hourly species
//! matrix, reported as factor profiles and contributions.
//!
//! # Data and uncertainties
//!
//! Species: PM2.5, PM10, SO2, NOx (as NO2: the measured NOx, else NO2 + NO, else NO2) and CO,
//! each used when valid in at least half the hours; rows are the hours where all of them are
//! valid (negative readings count as 0). Uncertainties follow EPA PMF 5.0 (see
//! [`uncertainty`]): `c ≤ MDL → 5/6·MDL`, else `sqrt((EF·c)² + (MDL/2)²)`, with the error
//! fraction `EF` (default 10 %) and the detection limits of [`FactorConfig::mdl`] (typical of
//! the analysers of HJ 653/654 networks).
//!
//! # Number of factors
//!
//! Fixed by [`FactorConfig::factors`], or chosen from `Q/Qexp`, `Qexp = n·m − k·(n + m)` (the
//! degrees of freedom): fits with k = 1 … `max_factors` are made; the smallest k whose `Q/Qexp`
//! is ≤ 1 is taken (the model explains the data within its uncertainties), else the smallest k
//! after which one more factor lowers Q by less than `min_q_drop` (20 %) — the elbow EPA's
//! guide recommends looking for. Every `(k, Q, Qexp)` is reported.
//!
//! # What is reported
//!
//! Contributions are scaled to a mean of 1 (as EPA PMF does), so a factor's **profile** is the
//! mean concentration of each species it explains, in canonical units (CO mg/m³). Its
//! **species share** is the part of each species' modelled mean it explains, its **share** the
//! average of those over the species (each species counts alike: the species have different
//! units), and its **diurnal** profile the mean contribution by local hour. Each factor also
//! names the ratio rule its profile matches (see [`ratio_label`]): a hint, not a proof.

use std::collections::BTreeMap;

use chrono::Timelike;
use chrono_tz::Tz;
use ndarray::Array2;
use serde::Serialize;

use super::SourceError;
use super::nmf::{nmf, uncertainty};
use super::series::StationSeries;
use super::signature::{Ratios, SourceType, ratio_label};
use crate::units::Parameter;

/// Settings of the apportionment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactorConfig {
    /// Number of factors; `None` chooses it by Q/Qexp.
    pub factors: Option<usize>,
    /// Most factors tried when choosing.
    pub max_factors: usize,
    /// Smallest relative drop of Q that justifies one more factor.
    pub min_q_drop: f64,
    /// Error fraction EF of the uncertainties.
    pub error_fraction: f64,
    /// Method detection limits per species (canonical units).
    pub mdl: BTreeMap<Parameter, f64>,
    /// Iterations of the multiplicative updates per fit.
    pub max_iter: usize,
    /// Complete hours needed.
    pub min_hours: usize,
}

impl Default for FactorConfig {
    fn default() -> Self {
        FactorConfig {
            factors: None,
            max_factors: 4,
            min_q_drop: 0.2,
            error_fraction: 0.1,
            mdl: BTreeMap::from([
                (Parameter::Pm25, 2.0),
                (Parameter::Pm10, 3.0),
                (Parameter::So2, 3.0),
                (Parameter::Nox, 2.0),
                (Parameter::Co, 0.05),
            ]),
            max_iter: 300,
            min_hours: 48,
        }
    }
}

/// One factor of a station.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    /// Mean concentration of each species explained by the factor (canonical units).
    pub profile: BTreeMap<String, f64>,
    /// Share (0–1) of each species' modelled mean explained by the factor.
    pub species_share: BTreeMap<String, f64>,
    /// Average of the species shares.
    pub share: f64,
    /// Mean contribution by local hour 0–23 (hour-ending label − 1), overall mean 1.
    pub diurnal: Vec<f64>,
    /// The source type whose ratio rule the profile matches.
    pub resembles: SourceType,
    /// That rule.
    pub rule: String,
}

/// The apportionment of one station.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationFactors {
    /// Station id.
    pub station: String,
    /// Species used (codes; `nox` is NOx as NO2).
    pub species: Vec<String>,
    /// Complete hours used.
    pub hours: usize,
    /// The factors, largest share first.
    pub factors: Vec<Factor>,
    /// Q of the chosen fit.
    pub q: f64,
    /// Its expected Q (degrees of freedom).
    pub q_expected: f64,
    /// Every fit made: (factors, Q, Qexp).
    pub fits: Vec<(usize, f64, f64)>,
    /// How the number of factors was chosen.
    pub chosen_by: String,
}

/// Apportions `s`; local hours in `tz`.
pub fn station_factors(
    s: &StationSeries,
    cfg: &FactorConfig,
    tz: Tz,
) -> Result<StationFactors, SourceError> {
    let nox = s
        .nox()
        .or_else(|| s.get(Parameter::No2).map(<[f64]>::to_vec));
    let candidates: [(Parameter, Option<Vec<f64>>); 5] = [
        (Parameter::Pm25, s.get(Parameter::Pm25).map(<[f64]>::to_vec)),
        (Parameter::Pm10, s.get(Parameter::Pm10).map(<[f64]>::to_vec)),
        (Parameter::So2, s.get(Parameter::So2).map(<[f64]>::to_vec)),
        (Parameter::Nox, nox),
        (Parameter::Co, s.get(Parameter::Co).map(<[f64]>::to_vec)),
    ];
    let n = s.len();
    let cols: Vec<(Parameter, Vec<f64>)> = candidates
        .into_iter()
        .filter_map(|(p, v)| Some((p, v?)))
        .filter(|(_, v)| 2 * v.iter().filter(|x| x.is_finite()).count() >= n)
        .collect();
    if cols.len() < 3 {
        return Err(SourceError::TooLittleData {
            station: s.station.clone(),
            what: "factor analysis (species with data in half the hours)".into(),
            have: cols.len(),
            need: 3,
        });
    }
    let rows: Vec<usize> = (0..n)
        .filter(|&i| cols.iter().all(|(_, v)| v[i].is_finite()))
        .collect();
    if rows.len() < cfg.min_hours {
        return Err(SourceError::TooLittleData {
            station: s.station.clone(),
            what: "factor analysis (hours with every species)".into(),
            have: rows.len(),
            need: cfg.min_hours,
        });
    }
    let m = cols.len();
    let x = Array2::from_shape_fn((rows.len(), m), |(i, j)| cols[j].1[rows[i]].max(0.0));
    let u = Array2::from_shape_fn((rows.len(), m), |(i, j)| {
        let mdl = cfg.mdl.get(&cols[j].0).copied().unwrap_or(1.0);
        uncertainty(x[[i, j]], mdl, cfg.error_fraction)
    });
    let q_exp = |k: usize| (rows.len() * m) as f64 - (k * (rows.len() + m)) as f64;
    let max_k = cfg.max_factors.clamp(1, m - 1);
    let (fit, fits, chosen_by) = match cfg.factors {
        Some(k) => {
            let fit = nmf(&x, &u, k, cfg.max_iter, 1)?;
            let fits = vec![(k, fit.q, q_exp(k))];
            (fit, fits, "configured".to_string())
        }
        None => {
            let mut all = Vec::new();
            for k in 1..=max_k {
                all.push(nmf(&x, &u, k, cfg.max_iter, 1)?);
            }
            let fits: Vec<(usize, f64, f64)> = all
                .iter()
                .enumerate()
                .map(|(i, f)| (i + 1, f.q, q_exp(i + 1)))
                .collect();
            let (pick, why) = if let Some(i) = fits.iter().position(|f| f.1 <= f.2) {
                (i, "smallest k with Q/Qexp ≤ 1".to_string())
            } else {
                let i = (0..fits.len() - 1)
                    .find(|&i| fits[i + 1].1 > (1.0 - cfg.min_q_drop) * fits[i].1)
                    .unwrap_or(fits.len() - 1);
                (
                    i,
                    format!(
                        "Q/Qexp > 1 for every k ≤ {max_k}: one more factor lowers Q by < {:.0} %",
                        cfg.min_q_drop * 100.0
                    ),
                )
            };
            (all.swap_remove(pick), fits, why)
        }
    };
    let k = fit.f.nrows();
    let mean_g: Vec<f64> = (0..k)
        .map(|j| fit.g.column(j).mean().unwrap_or(0.0))
        .collect();
    // Profiles: mean concentration explained (F scaled by the mean contribution).
    let prof: Vec<Vec<f64>> = (0..k)
        .map(|j| (0..m).map(|c| fit.f[[j, c]] * mean_g[j]).collect())
        .collect();
    let totals: Vec<f64> = (0..m).map(|c| prof.iter().map(|p| p[c]).sum()).collect();
    let code = |c: usize| cols[c].0.code().to_string();
    let mut factors: Vec<Factor> = (0..k)
        .map(|j| {
            let species_share: BTreeMap<String, f64> = (0..m)
                .map(|c| {
                    let t = totals[c];
                    (code(c), if t > 0.0 { prof[j][c] / t } else { 0.0 })
                })
                .collect();
            let share = species_share.values().sum::<f64>() / m as f64;
            let mut sum = [0.0; 24];
            let mut cnt = [0usize; 24];
            for (r, &i) in rows.iter().enumerate() {
                let h = (s.time(i).with_timezone(&tz).hour() + 23) % 24;
                sum[h as usize] += fit.g[[r, j]];
                cnt[h as usize] += 1;
            }
            let diurnal = (0..24)
                .map(|h| {
                    if cnt[h] > 0 && mean_g[j] > 0.0 {
                        sum[h] / cnt[h] as f64 / mean_g[j]
                    } else {
                        0.0
                    }
                })
                .collect();
            let get = |p: Parameter| {
                cols.iter()
                    .position(|c| c.0 == p)
                    .map_or(0.0, |c| prof[j][c])
            };
            let ratios = Ratios::from_parts(
                get(Parameter::So2),
                get(Parameter::Nox),
                get(Parameter::Co),
                get(Parameter::Pm25),
                get(Parameter::Pm10),
                0.0,
            );
            let (label, rule) = ratio_label(&ratios);
            Factor {
                profile: (0..m).map(|c| (code(c), prof[j][c])).collect(),
                species_share,
                share,
                diurnal,
                resembles: label,
                rule: rule.into(),
            }
        })
        .collect();
    factors.sort_by(|a, b| b.share.total_cmp(&a.share));
    Ok(StationFactors {
        station: s.station.clone(),
        species: (0..m).map(code).collect(),
        hours: rows.len(),
        factors,
        q: fit.q,
        q_expected: q_exp(k),
        fits,
        chosen_by,
    })
}

//! Everything for a set of stations: bearings, located sources, the local/regional split,
//! episodes with source types, as one serialisable [`Analysis`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::cpf::{Bearing, Cpf, CpfConfig, cpf};
use super::excess::{Episode, ExcessConfig, Split, background, local_regional};
use super::factors::{FactorConfig, StationFactors, station_factors};
pub use super::locate::locate;
use super::locate::locate_checked;
use super::polar::{PercentileRose, PolarConfig, PolarSurface, percentile_rose, polar_surface};
use super::series::CALM_MS;
use super::series::{StationSeries, WindObs};
use super::signature::{Grouping, Ratios, SourceType, classify};
use super::{SourceError, angle_diff};
use crate::stats::quantile;
use crate::units::Parameter;

/// Percentiles of the percentile roses (openair's defaults).
pub const ROSE_PERCENTILES: [f64; 5] = [25.0, 50.0, 75.0, 90.0, 95.0];

/// Settings of the whole analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisConfig {
    /// Polar surface settings.
    pub polar: PolarConfig,
    /// CPF settings.
    pub cpf: CpfConfig,
    /// Excess and episode settings.
    pub excess: ExcessConfig,
    /// Pollutants analysed for bearings.
    pub pollutants: Vec<Parameter>,
    /// Hours with wind and concentration needed for a polar analysis.
    pub min_hours: usize,
    /// Bearings are used for triangulation only with at least this confidence.
    pub min_confidence: f64,
    /// Sources are searched up to this distance from the stations, m.
    pub max_range_m: f64,
    /// Smallest crossing angle of two bearings, degrees.
    pub min_angle_deg: f64,
    /// A bearing line supports a location when it passes this close, m.
    pub support_m: f64,
    /// Bearings are used for triangulation only when the mean excess of their peak window is
    /// at least this share of the pollutant's episode floor (`excess.min_excess`).
    pub min_bearing_excess: f64,
    /// Stations needed to support a location (two suffice when both bearings are strong).
    pub min_stations: usize,
    /// z-score of the CPF peak above which two bearings suffice for a location.
    pub strong_pair_z: f64,
    /// Largest RMS angular misfit of a location's bearings, in units of their σθ.
    pub max_misfit: f64,
    /// Locations farther than this from every station are dropped, m.
    pub max_outside_m: f64,
    /// Stations within this distance of a location (and no farther than its nearest
    /// supporting station) whose CPF towards it is not elevated count against it, m.
    pub check_range_m: f64,
    /// With at least `excess.min_stations` stations, run polar/CPF on each station's excess
    /// over the network background instead of the raw concentration: weather regimes and
    /// regional episodes raise every station at once, and would otherwise appear as a
    /// "source" in whatever direction the wind blew during them.
    pub on_excess: bool,
    /// Factor analysis (PMF-style NMF) settings; `None` skips it (the `sources` job, whose
    /// flags do not use factors).
    pub factors: Option<FactorConfig>,
    /// The network's time zone (local hours of the factors' diurnal profiles).
    pub time_zone: chrono_tz::Tz,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            polar: PolarConfig::default(),
            cpf: CpfConfig::default(),
            excess: ExcessConfig::default(),
            pollutants: vec![
                Parameter::So2,
                Parameter::No2,
                Parameter::Pm10,
                Parameter::Co,
            ],
            min_hours: 48,
            min_confidence: 0.95,
            max_range_m: 25_000.0,
            min_angle_deg: 20.0,
            support_m: 2_000.0,
            min_bearing_excess: 0.3,
            min_stations: 3,
            strong_pair_z: 10.0,
            max_misfit: 1.0,
            max_outside_m: 12_000.0,
            check_range_m: 10_000.0,
            on_excess: true,
            factors: Some(FactorConfig::default()),
            time_zone: chrono_tz::UTC,
        }
    }
}

/// A station's bearing towards a source of one pollutant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationBearing {
    /// Station id.
    pub station: String,
    /// Pollutant.
    pub pollutant: Parameter,
    /// Bearing and its evidence.
    #[serde(flatten)]
    pub bearing: Bearing,
    /// Mean concentration of the hours from the peak window (bearing ± 1.5 sectors) above
    /// the station's median (canonical units; of the excess over the network background
    /// when the analysis runs on it).
    pub excess: f64,
}

/// A triangulated source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Located {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Uncertainty radius, m.
    pub radius_m: f64,
    /// RMS perpendicular residual of the bearing lines, m.
    pub residual_rms_m: f64,
    /// Pollutants whose bearings meet here.
    pub pollutants: Vec<Parameter>,
    /// Stations whose bearings meet here.
    pub stations: Vec<String>,
    /// The bearings used (station, pollutant, bearing).
    pub evidence: Vec<(String, Parameter, f64)>,
    /// RMS angle between the bearings used and the directions to the location, degrees.
    pub misfit_deg: f64,
    /// Stations closer than the supporting ones whose CPF towards the location is not
    /// elevated (negative evidence; fewer than the supporting stations).
    pub contradicting: Vec<String>,
    /// Distance to the nearest station, m.
    pub nearest_station_m: f64,
}

/// An episode with its label and evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelledEpisode {
    /// The episode.
    #[serde(flatten)]
    pub episode: Episode,
    /// Source type.
    pub source_type: SourceType,
    /// The rule that gave it.
    pub rule: String,
    /// Ratios.
    pub ratios: Ratios,
    /// k-means group and that group's majority label.
    pub group: Option<(usize, SourceType)>,
}

/// One station × pollutant polar analysis (kept for charts; not serialised).
#[derive(Debug, Clone, PartialEq)]
pub struct PolarResult {
    /// Station id.
    pub station: String,
    /// Pollutant.
    pub pollutant: Parameter,
    /// Surface.
    pub surface: PolarSurface,
    /// CPF.
    pub cpf: Cpf,
    /// Percentile rose (25th, 50th, 75th, 90th, 95th per CPF sector).
    pub rose: PercentileRose,
    /// Whether the analysis ran on the excess over the network background.
    pub excess: bool,
}

/// The result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Dominant bearings.
    pub bearings: Vec<StationBearing>,
    /// Triangulated sources.
    pub located: Vec<Located>,
    /// Episodes, station by station then regional.
    pub episodes: Vec<LabelledEpisode>,
    /// Local/regional split of each station and pollutant.
    pub split: Vec<Split>,
    /// k-means groups of the episodes.
    pub groups: Grouping,
    /// Factor profiles and contributions of each station (PMF-style NMF).
    pub factors: Vec<StationFactors>,
    /// What could not be analysed and why.
    pub problems: Vec<String>,
    /// Polar analyses (for charts).
    #[serde(skip)]
    pub polar: Vec<PolarResult>,
}

/// Runs the analysis on `series`.
pub fn analyse(series: &[StationSeries], cfg: &AnalysisConfig) -> Analysis {
    let mut problems = Vec::new();
    let mut bearings = Vec::new();
    let mut polar = Vec::new();
    let bg = background(series, &cfg.excess);
    let excess_series: Vec<StationSeries>;
    let on_excess = cfg.on_excess && series.len() >= cfg.excess.min_stations;
    let polar_input = if on_excess {
        excess_series = series
            .iter()
            .map(|s| {
                let mut e = s.clone();
                for (p, v) in e.values.iter_mut() {
                    if let Some(b) = bg.get(p) {
                        v.iter_mut().zip(b).for_each(|(x, b)| *x -= b);
                    }
                }
                e
            })
            .collect();
        &excess_series
    } else {
        series
    };
    for s in polar_input {
        for &p in &cfg.pollutants {
            match s.wind_obs(p, cfg.min_hours) {
                Ok(obs) => {
                    let c = cpf(&obs, &cfg.cpf);
                    for b in c.bearings() {
                        bearings.push(StationBearing {
                            station: s.station.clone(),
                            pollutant: p,
                            excess: window_excess(&obs, b.bearing_deg, 1.5 * cfg.cpf.sector_deg),
                            bearing: b,
                        });
                    }
                    polar.push(PolarResult {
                        station: s.station.clone(),
                        pollutant: p,
                        surface: polar_surface(&obs, &cfg.polar),
                        rose: percentile_rose(&obs, cfg.cpf.sector_deg, &ROSE_PERCENTILES),
                        cpf: c,
                        excess: on_excess,
                    });
                }
                Err(SourceError::MissingPollutant { .. }) => {}
                Err(e) => {
                    let msg = e.to_string();
                    if !problems.contains(&msg) {
                        problems.push(msg);
                    }
                    if !matches!(e, SourceError::TooLittleData { .. }) {
                        break;
                    }
                }
            }
        }
    }
    let mut factors = Vec::new();
    if let Some(fc) = &cfg.factors {
        for s in series {
            match station_factors(s, fc, cfg.time_zone) {
                Ok(f) => factors.push(f),
                Err(e) => problems.push(e.to_string()),
            }
        }
    }
    let positions: BTreeMap<&str, (f64, f64)> = series
        .iter()
        .filter_map(|s| Some((s.station.as_str(), s.position?)))
        .collect();
    let located = locate_checked(&bearings, &polar, &positions, cfg);
    let (split, episodes) = local_regional(series, &bg, &cfg.excess);
    let (sigs, groups) = classify(&episodes);
    let episodes = episodes
        .into_iter()
        .zip(sigs)
        .map(|(e, s)| LabelledEpisode {
            group: s.group.and_then(|g| Some((g, groups.groups[g].label?))),
            episode: e,
            source_type: s.source_type,
            rule: s.rule,
            ratios: s.ratios,
        })
        .collect();
    Analysis {
        bearings,
        located,
        episodes,
        split,
        groups,
        factors,
        problems,
        polar,
    }
}

/// Mean concentration of the non-calm hours within `half_width` degrees of `bearing`, above
/// the median of all non-calm hours.
fn window_excess(obs: &[WindObs], bearing: f64, half_width: f64) -> f64 {
    let windy: Vec<f64> = obs
        .iter()
        .filter(|o| o.ws >= CALM_MS)
        .map(|o| o.c)
        .collect();
    let inside: Vec<f64> = obs
        .iter()
        .filter(|o| o.ws >= CALM_MS && angle_diff(o.wd, bearing).abs() <= half_width)
        .map(|o| o.c)
        .collect();
    match quantile(&windy, 0.5) {
        Some(med) if !inside.is_empty() => inside.iter().sum::<f64>() / inside.len() as f64 - med,
        _ => 0.0,
    }
}

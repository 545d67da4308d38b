//! Everything for a set of stations: bearings, located sources, the local/regional split,
//! episodes with source types, as one serialisable [`Analysis`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::cpf::{Bearing, Cpf, CpfConfig, cpf};
use super::excess::{Episode, ExcessConfig, Split, background, local_regional};
use super::polar::{PolarConfig, PolarSurface, polar_surface};
use super::series::StationSeries;
use super::signature::{Grouping, Ratios, classify};
use super::triangulate::{BearingLine, Projection, distance_m, triangulate};
use super::{SourceError, angle_diff};
use crate::units::Parameter;

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
    /// With at least `excess.min_stations` stations, run polar/CPF on each station's excess
    /// over the network background instead of the raw concentration: weather regimes and
    /// regional episodes raise every station at once, and would otherwise appear as a
    /// "source" in whatever direction the wind blew during them.
    pub on_excess: bool,
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
            on_excess: true,
        }
    }
}

/// A station's bearing towards a source of one pollutant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationBearing {
    /// Station id.
    pub station: String,
    /// Pollutant code.
    pub pollutant: String,
    /// Bearing and its evidence.
    #[serde(flatten)]
    pub bearing: Bearing,
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
    pub pollutants: Vec<String>,
    /// Stations whose bearings meet here.
    pub stations: Vec<String>,
    /// The bearings used (station, pollutant, bearing).
    pub evidence: Vec<(String, String, f64)>,
}

/// An episode with its label and evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelledEpisode {
    /// The episode.
    #[serde(flatten)]
    pub episode: Episode,
    /// Source type.
    pub source_type: String,
    /// The rule that gave it.
    pub rule: String,
    /// Ratios.
    pub ratios: Ratios,
    /// k-means group and that group's majority label.
    pub group: Option<(usize, String)>,
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
    let polar_input = if cfg.on_excess && series.len() >= cfg.excess.min_stations {
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
                            pollutant: p.code().into(),
                            bearing: b,
                        });
                    }
                    polar.push(PolarResult {
                        station: s.station.clone(),
                        pollutant: p,
                        surface: polar_surface(&obs, &cfg.polar),
                        cpf: c,
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
    let positions: BTreeMap<&str, (f64, f64)> = series
        .iter()
        .filter_map(|s| Some((s.station.as_str(), s.position?)))
        .collect();
    let located = locate(&bearings, &positions, cfg);
    let (split, episodes) = local_regional(series, &bg, &cfg.excess);
    let (sigs, groups) = classify(&episodes);
    let episodes = episodes
        .into_iter()
        .zip(sigs)
        .map(|(e, s)| LabelledEpisode {
            group: s.group.map(|g| (g, groups.groups[g].label.clone())),
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
        problems,
        polar,
    }
}

/// Triangulates sources from the bearings, pollutant by pollutant, then merges locations
/// of different pollutants that agree.
pub fn locate(
    bearings: &[StationBearing],
    positions: &BTreeMap<&str, (f64, f64)>,
    cfg: &AnalysisConfig,
) -> Vec<Located> {
    let line = |b: &StationBearing| -> Option<BearingLine> {
        let (lat, lon) = *positions.get(b.station.as_str())?;
        Some(BearingLine {
            station: b.station.clone(),
            lat,
            lon,
            bearing_deg: b.bearing.bearing_deg,
            sigma_deg: b.bearing.sigma_deg,
        })
    };
    let mut found: Vec<Located> = Vec::new();
    let mut pollutants: Vec<&str> = bearings.iter().map(|b| b.pollutant.as_str()).collect();
    pollutants.sort_unstable();
    pollutants.dedup();
    for pol in pollutants {
        let set: Vec<(&StationBearing, BearingLine)> = bearings
            .iter()
            .filter(|b| b.pollutant == pol && b.bearing.confidence >= cfg.min_confidence)
            .filter_map(|b| Some((b, line(b)?)))
            .collect();
        // Candidate points from pairs, strongest pairs first.
        let mut cands: Vec<(f64, (f64, f64))> = Vec::new();
        for i in 0..set.len() {
            for j in i + 1..set.len() {
                let (a, b) = (&set[i].1, &set[j].1);
                if a.station == b.station
                    || distance_m((a.lat, a.lon), (b.lat, b.lon)) > 2.0 * cfg.max_range_m
                {
                    continue;
                }
                if let Ok(loc) = triangulate(&[a.clone(), b.clone()], cfg.min_angle_deg) {
                    let p = (loc.lat, loc.lon);
                    if distance_m(p, (a.lat, a.lon)) <= cfg.max_range_m
                        && distance_m(p, (b.lat, b.lon)) <= cfg.max_range_m
                    {
                        cands.push((set[i].0.bearing.z.min(set[j].0.bearing.z), p));
                    }
                }
            }
        }
        cands.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut here: Vec<Located> = Vec::new();
        for (_, p) in cands {
            if here
                .iter()
                .any(|l| distance_m(p, (l.lat, l.lon)) < l.radius_m.max(cfg.support_m))
            {
                continue;
            }
            // Supporting bearings: the best-aligned line of each station passing close by.
            let mut best: BTreeMap<&str, (f64, &BearingLine, &StationBearing)> = BTreeMap::new();
            for (sb, l) in &set {
                let proj = Projection::new(l.lat, l.lon);
                let (x, y) = proj.xy(p.0, p.1);
                let r = x.hypot(y);
                if r > cfg.max_range_m || r < 1.0 {
                    continue;
                }
                let to = x.atan2(y).to_degrees();
                let off = angle_diff(to, l.bearing_deg).abs();
                let lateral = r * off.to_radians().sin();
                if off < 90.0
                    && lateral <= cfg.support_m.max(r * l.sigma_deg.to_radians())
                    && best.get(l.station.as_str()).is_none_or(|b| off < b.0)
                {
                    best.insert(l.station.as_str(), (off, l, sb));
                }
            }
            if best.len() < 2 {
                continue;
            }
            let lines: Vec<BearingLine> = best.values().map(|(_, l, _)| (*l).clone()).collect();
            let Ok(loc) = triangulate(&lines, cfg.min_angle_deg) else {
                continue;
            };
            here.push(Located {
                lat: loc.lat,
                lon: loc.lon,
                radius_m: loc.radius_m,
                residual_rms_m: loc.residual_rms_m,
                pollutants: vec![pol.to_string()],
                stations: best.keys().map(|s| s.to_string()).collect(),
                evidence: best
                    .values()
                    .map(|(_, l, sb)| (l.station.clone(), sb.pollutant.clone(), l.bearing_deg))
                    .collect(),
            });
        }
        found.extend(here);
    }
    // Merge across pollutants.
    found.sort_by_key(|l| std::cmp::Reverse(l.stations.len()));
    let mut merged: Vec<Located> = Vec::new();
    for l in found {
        if let Some(m) = merged.iter_mut().find(|m| {
            distance_m((m.lat, m.lon), (l.lat, l.lon))
                < m.radius_m.max(l.radius_m).max(cfg.support_m)
        }) {
            for p in l.pollutants {
                if !m.pollutants.contains(&p) {
                    m.pollutants.push(p);
                }
            }
            for s in l.stations {
                if !m.stations.contains(&s) {
                    m.stations.push(s);
                }
            }
            m.evidence.extend(l.evidence);
        } else {
            merged.push(l);
        }
    }
    merged
}

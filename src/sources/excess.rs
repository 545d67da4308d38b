//! Local vs regional: each station's excess over the network background, and episodes.
//!
//! The **network background** of a pollutant at an hour is a low-to-middle quantile of all
//! assessment stations reporting it at that hour ([`StationSeries::in_background`]: micro
//! stations and background sites are left out; default the median, `background_quantile = 0.5`;
//! 0.25 is more conservative in a network dominated by local sources); it needs
//! `min_stations` stations. A station's **excess** is its value minus the background. The
//! mean background over the mean concentration is the station's **regional share**.
//!
//! An **episode** is a run of contiguous hours in which the excess of at least one pollutant
//! exceeds its threshold, `max(min_excess[p], k_mad · 1.4826 · MAD)` of that station's excess
//! series (robust: a few large plumes do not raise their own bar); gaps of up to
//! `merge_gap_h` hours are bridged; runs shorter than `min_hours` are dropped. A **regional
//! episode** (station `network`) is a run of hours in which the background PM2.5 itself is
//! above `regional_pm25` (75 µg/m³, the 24-h Grade II limit of GB 3095).
//!
//! Each station's split also gives the share of its hours above its local episode threshold
//! and the share inside regional episodes (counted over hours with the pollutant and a
//! background PM2.5).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::series::StationSeries;
use crate::stats::{quantile, quantile_sorted};
use crate::store::StationId;
use crate::units::{AirPollutant, Parameter};

/// Excess and episode settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExcessConfig {
    /// Quantile of the stations taken as background (0.5 = median).
    pub background_quantile: f64,
    /// Stations needed at an hour for a background.
    pub min_stations: usize,
    /// Robust-sigma multiplier of the episode threshold.
    pub k_mad: f64,
    /// Absolute floor of the threshold per pollutant (canonical units).
    pub min_excess: BTreeMap<Parameter, f64>,
    /// Shortest episode, hours.
    pub min_hours: usize,
    /// Gaps bridged inside an episode, hours.
    pub merge_gap_h: usize,
    /// Background PM2.5 above which the hour is part of a regional episode, µg/m³.
    pub regional_pm25: f64,
}

impl Default for ExcessConfig {
    fn default() -> Self {
        let min_excess = BTreeMap::from([
            (Parameter::Pm25, 15.0),
            (Parameter::Pm10, 25.0),
            (Parameter::So2, 10.0),
            (Parameter::No2, 15.0),
            (Parameter::Co, 0.3),
        ]);
        ExcessConfig {
            background_quantile: 0.5,
            min_stations: 3,
            k_mad: 4.0,
            min_excess,
            min_hours: 2,
            merge_gap_h: 1,
            regional_pm25: 75.0,
        }
    }
}

/// The network background of every pollutant, hour by hour (`NaN` where too few stations).
pub fn background(series: &[StationSeries], cfg: &ExcessConfig) -> BTreeMap<Parameter, Vec<f64>> {
    let hours = series.iter().map(StationSeries::len).max().unwrap_or(0);
    let mut out = BTreeMap::new();
    let mut buf = Vec::with_capacity(series.len());
    for p in AirPollutant::ALL.map(Parameter::from) {
        if !series.iter().any(|s| s.get(p).is_some()) {
            continue;
        }
        let bg: Vec<f64> = (0..hours)
            .map(|i| {
                buf.clear();
                buf.extend(
                    series
                        .iter()
                        .filter(|s| s.in_background)
                        .filter_map(|s| s.get(p)?.get(i).copied())
                        .filter(|v| v.is_finite()),
                );
                if buf.len() < cfg.min_stations {
                    return f64::NAN;
                }
                buf.sort_by(f64::total_cmp);
                quantile_sorted(&buf, cfg.background_quantile)
            })
            .collect();
        out.insert(p, bg);
    }
    out
}

/// A station's local/regional split for one pollutant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Split {
    /// Station id.
    pub station: String,
    /// Pollutant.
    pub pollutant: Parameter,
    /// Mean concentration over hours with a background.
    pub mean: f64,
    /// Mean background over the same hours.
    pub background: f64,
    /// background / mean (clamped to 0–1).
    pub regional_share: f64,
    /// Share of the hours whose excess is above the pollutant's episode threshold (local).
    pub local_hours_share: f64,
    /// Share of the hours inside a regional (network) episode.
    pub regional_hours_share: f64,
    /// Hours used.
    pub hours: usize,
}

/// Where an episode happened: at one station (a local episode: its excess over the network
/// background stood out), or across the network (a regional episode: the background itself was
/// high). Serialised as the station id, or `network`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EpisodeScope {
    /// Across the network.
    Network,
    /// At this station.
    Station(StationId),
}

impl EpisodeScope {
    /// The station of a local episode; `None` for a network-wide one.
    pub fn station(&self) -> Option<&str> {
        match self {
            EpisodeScope::Network => None,
            EpisodeScope::Station(id) => Some(id),
        }
    }
}

impl fmt::Display for EpisodeScope {
    /// The station id, or `network`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.station().unwrap_or("network"))
    }
}

impl Serialize for EpisodeScope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// An episode: contiguous hours of high excess (or of high regional background).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Episode {
    /// Where it happened (serialised as `station`: the station id, or `network`).
    #[serde(rename = "station")]
    pub scope: EpisodeScope,
    /// First hour (hour-ending label).
    pub start: DateTime<Utc>,
    /// Last hour.
    pub end: DateTime<Utc>,
    /// Hours.
    pub hours: usize,
    /// Time of the peak.
    pub peak_time: DateTime<Utc>,
    /// The pollutant with the highest excess relative to its threshold at the peak.
    pub peak_pollutant: Parameter,
    /// Its excess (regional: background) at the peak.
    pub peak: f64,
    /// Pollutants above their thresholds in at least one hour.
    pub pollutants: Vec<Parameter>,
    /// Mean excess per pollutant over the episode (regional: mean background).
    #[serde(serialize_with = "in_code_order")]
    pub mean_excess: BTreeMap<Parameter, f64>,
    /// Mean concentration per pollutant over the episode.
    #[serde(serialize_with = "in_code_order")]
    pub mean_conc: BTreeMap<Parameter, f64>,
    /// Circular mean wind direction (from) over the episode, if any.
    pub wind_from_deg: Option<f64>,
    /// First and last hour index (internal).
    #[serde(skip)]
    pub range: (usize, usize),
}

/// A per-pollutant map serialised with its keys in code order (the order of the JSON output
/// since it was keyed by the code).
fn in_code_order<S: serde::Serializer>(
    m: &BTreeMap<Parameter, f64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut entries: Vec<(&Parameter, &f64)> = m.iter().collect();
    entries.sort_by_key(|(p, _)| p.code());
    s.collect_map(entries)
}

/// Splits and episodes of every station.
pub fn local_regional(
    series: &[StationSeries],
    bg: &BTreeMap<Parameter, Vec<f64>>,
    cfg: &ExcessConfig,
) -> (Vec<Split>, Vec<Episode>) {
    let mut splits = Vec::new();
    let mut episodes = Vec::new();
    for s in series {
        let mut excess: BTreeMap<Parameter, Vec<f64>> = BTreeMap::new();
        let mut thresholds: BTreeMap<Parameter, f64> = BTreeMap::new();
        for (&p, b) in bg {
            let Some(v) = s.get(p) else { continue };
            let ex: Vec<f64> = v.iter().zip(b).map(|(x, b)| x - b).collect();
            let ok: Vec<usize> = (0..ex.len()).filter(|&i| ex[i].is_finite()).collect();
            if ok.is_empty() {
                continue;
            }
            let mean = ok.iter().map(|&i| v[i]).sum::<f64>() / ok.len() as f64;
            let mb = ok.iter().map(|&i| b[i]).sum::<f64>() / ok.len() as f64;
            let threshold = cfg.min_excess.get(&p).map(|&floor| {
                let med = quantile(&ex, 0.5).unwrap_or(0.0);
                let dev: Vec<f64> = ex.iter().map(|x| (x - med).abs()).collect();
                let mad = quantile(&dev, 0.5).unwrap_or(0.0) * 1.4826;
                floor.max(med + cfg.k_mad * mad)
            });
            let above = threshold.map_or(0, |t| ok.iter().filter(|&&i| ex[i] > t).count());
            splits.push(Split {
                station: s.station.clone(),
                pollutant: p,
                mean,
                background: mb,
                regional_share: if mean > 0.0 {
                    (mb / mean).clamp(0.0, 1.0)
                } else {
                    1.0
                },
                local_hours_share: above as f64 / ok.len() as f64,
                regional_hours_share: 0.0,
                hours: ok.len(),
            });
            if let Some(t) = threshold {
                thresholds.insert(p, t);
            }
            excess.insert(p, ex);
        }
        let hot: Vec<bool> = (0..s.len())
            .map(|i| thresholds.iter().any(|(p, t)| excess[p][i] > *t))
            .collect();
        for (a, b) in runs(&hot, cfg.merge_gap_h, cfg.min_hours) {
            episodes.push(describe(
                s,
                EpisodeScope::Station(s.station.as_str().into()),
                a,
                b,
                &excess,
                &thresholds,
                s.values.iter().map(|(p, v)| (*p, v.as_slice())),
            ));
        }
    }
    // Regional episodes from the background itself.
    if let Some(pm) = bg.get(&Parameter::Pm25)
        && let Some(first) = series.first()
    {
        let hot: Vec<bool> = pm.iter().map(|v| *v > cfg.regional_pm25).collect();
        let thresholds = BTreeMap::from([(Parameter::Pm25, cfg.regional_pm25)]);
        let mut net = StationSeries::new("network", None, first.start, pm.len());
        // Network wind: circular mean over stations.
        for i in 0..pm.len() {
            let (mut x, mut y, mut n) = (0.0, 0.0, 0);
            for s in series {
                if let (Some(ws), Some(wd)) = (s.ws.get(i), s.wd.get(i))
                    && ws.is_finite()
                    && wd.is_finite()
                {
                    x += wd.to_radians().sin();
                    y += wd.to_radians().cos();
                    n += 1;
                }
            }
            if n > 0 {
                net.wd[i] = x.atan2(y).to_degrees().rem_euclid(360.0);
                net.ws[i] = 1.0;
            }
        }
        let regional = runs(&hot, cfg.merge_gap_h, cfg.min_hours.max(3));
        let mut in_regional = vec![false; pm.len()];
        for &(a, b) in &regional {
            in_regional[a..=b].iter_mut().for_each(|x| *x = true);
        }
        for sp in &mut splits {
            let Some(s) = series.iter().find(|s| s.station == sp.station) else {
                continue;
            };
            let Some(v) = s.values.get_key_value(&sp.pollutant) else {
                continue;
            };
            let ok: Vec<usize> = (0..pm.len().min(v.1.len()))
                .filter(|&i| v.1[i].is_finite() && pm[i].is_finite())
                .collect();
            if !ok.is_empty() {
                sp.regional_hours_share =
                    ok.iter().filter(|&&i| in_regional[i]).count() as f64 / ok.len() as f64;
            }
        }
        for (a, b) in regional {
            episodes.push(describe(
                &net,
                EpisodeScope::Network,
                a,
                b,
                bg,
                &thresholds,
                bg.iter().map(|(p, v)| (*p, v.as_slice())),
            ));
        }
    }
    (splits, episodes)
}

/// Runs of `true` with gaps ≤ `gap` bridged and length ≥ `min_len`: (first, last) indices.
pub fn runs(hot: &[bool], gap: usize, min_len: usize) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, &h) in hot.iter().enumerate() {
        if !h {
            continue;
        }
        match out.last_mut() {
            Some(last) if i - last.1 <= gap + 1 => last.1 = i,
            _ => out.push((i, i)),
        }
    }
    out.retain(|(a, b)| b - a + 1 >= min_len);
    out
}

fn describe<'a>(
    s: &StationSeries,
    scope: EpisodeScope,
    a: usize,
    b: usize,
    excess: &BTreeMap<Parameter, Vec<f64>>,
    thresholds: &BTreeMap<Parameter, f64>,
    conc: impl Iterator<Item = (Parameter, &'a [f64])>,
) -> Episode {
    let mut peak = (a, Parameter::Pm25, f64::NEG_INFINITY, 0.0);
    let mut pollutants = Vec::new();
    for (p, t) in thresholds {
        let ex = &excess[p];
        let mut any = false;
        for (i, &e) in ex.iter().enumerate().take(b + 1).skip(a) {
            if e > *t {
                any = true;
            }
            if e.is_finite() && e / t > peak.2 {
                peak = (i, *p, e / t, e);
            }
        }
        if any {
            pollutants.push(*p);
        }
    }
    let mean = |v: &[f64]| {
        let w: Vec<f64> = v[a..=b].iter().copied().filter(|x| x.is_finite()).collect();
        (!w.is_empty()).then(|| w.iter().sum::<f64>() / w.len() as f64)
    };
    let mean_excess = excess
        .iter()
        .filter_map(|(&p, v)| Some((p, mean(v)?)))
        .collect();
    let mean_conc = conc.filter_map(|(p, v)| Some((p, mean(v)?))).collect();
    let (mut x, mut y) = (0.0, 0.0);
    for i in a..=b {
        if s.wd[i].is_finite() && s.ws[i].is_finite() {
            x += s.wd[i].to_radians().sin();
            y += s.wd[i].to_radians().cos();
        }
    }
    Episode {
        scope,
        start: s.time(a),
        end: s.time(b),
        hours: b - a + 1,
        peak_time: s.time(peak.0),
        peak_pollutant: peak.1,
        peak: peak.3,
        pollutants,
        mean_excess,
        mean_conc,
        wind_from_deg: (x != 0.0 || y != 0.0).then(|| x.atan2(y).to_degrees().rem_euclid(360.0)),
        range: (a, b),
    }
}

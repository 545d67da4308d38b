//! Signatures: pollutant ratios of episodes, rule labels, and k-means groups.
//!
//! Ratios use the episode's mean **excess** over the network background (a station episode)
//! or the mean background itself (a regional episode), so that the regional mix does not
//! mask the local source. Units: SO2, NO2, NOx, PM in µg/m³; CO in mg/m³ is converted to
//! µg/m³ (× 1000) before CO/NOx. NOx is the measured NOx, or NO2 + NO × 46/30 (NO2 mass).
//!
//! # Rules (first match wins; the rule text is kept with the label)
//!
//! | label | rule |
//! |---|---|
//! | `secondary_regional` | a network episode (background PM2.5 above the regional limit) |
//! | `coal_industrial` | SO2/NOx ≥ 0.3 and SO2 excess ≥ 5 µg/m³ (sulphur-bearing fuel) |
//! | `dust` | PM2.5/PM10 < 0.4 and PM10 excess ≥ 15 µg/m³ and PM10 excess > NOx excess |
//! | `biomass_burning` | CO/NOx ≥ 25 and PM2.5/PM10 ≥ 0.6 and PM2.5 excess ≥ 10 µg/m³ |
//! | `traffic` | NOx excess ≥ 10 µg/m³ and SO2/NOx < 0.3 (fresh NO/NO2, CO, O3 titration) |
//! | `secondary_regional` | PM2.5/PM10 ≥ 0.6 with no combustion marker above |
//! | `unclassified` | none of the above |
//!
//! CO/NOx is a mass ratio: crop-residue burning emits ≈ 100 g CO per ≈ 4 g NOx (as NO2) per kg
//! burnt (Andreae 2019), ≈ 25; road traffic ≈ 1–5. (The threshold was 40 until the simulator's
//! evaluation showed biomass episodes diluted by traffic NOx falling below it.)
//!
//! Then episodes are grouped by k-means (linfa-clustering, seed fixed by linfa's
//! `KMeans::params`, k = min(5, episodes)) on standardised features
//! `[ln(0.01 + SO2/NOx), ln(1 + CO/NOx), PM2.5/PM10, ln(1 + NOx excess), ln(1 + PM10 excess)]`;
//! each group is named by the majority rule label of its members and reported with its
//! centroid in feature units.

use std::collections::BTreeMap;

use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::Array2;
use serde::{Serialize, Serializer};

pub use crate::units::SourceType;
use crate::units::{NO_AS_NO2, Parameter, UG_PER_MG};

use super::excess::{Episode, EpisodeScope};

/// Ratios of one episode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ratios {
    /// SO2 / NOx (mass).
    pub so2_nox: f64,
    /// CO (µg/m³) / NOx (µg/m³).
    pub co_nox: f64,
    /// PM2.5 / PM10.
    pub pm25_pm10: f64,
    /// O3 excess over the O3 background (negative: depression / titration).
    pub o3_depression: f64,
    /// NOx excess, µg/m³.
    pub nox: f64,
    /// SO2 excess.
    pub so2: f64,
    /// PM2.5 excess.
    pub pm25: f64,
    /// PM10 excess.
    pub pm10: f64,
}

/// The label of an episode with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signature {
    /// Ratios.
    pub ratios: Ratios,
    /// Rule label.
    pub source_type: SourceType,
    /// The rule that matched.
    pub rule: String,
    /// k-means group (index into [`Grouping::groups`]).
    pub group: Option<usize>,
}

/// A k-means group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// Majority rule label of the members (`None`, printed `empty`, for a group without any).
    #[serde(serialize_with = "label_or_empty")]
    pub label: Option<SourceType>,
    /// Members.
    pub size: usize,
    /// Centroid in feature units (see [`FEATURES`]).
    pub centroid: Vec<f64>,
}

/// Feature names of the clustering.
pub const FEATURES: [&str; 5] = [
    "ln(0.01+SO2/NOx)",
    "ln(1+CO/NOx)",
    "PM2.5/PM10",
    "ln(1+NOx excess)",
    "ln(1+PM10 excess)",
];

/// The groups.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Grouping {
    /// Groups.
    pub groups: Vec<Group>,
}

fn label_or_empty<S: Serializer>(label: &Option<SourceType>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(label.map_or("empty", SourceType::code))
}

/// The ratios of `e`.
pub fn ratios(e: &Episode) -> Ratios {
    use Parameter::{Co, No, No2, Nox, O3, Pm10, Pm25, So2};
    let g = |p| e.mean_excess.get(&p).copied().unwrap_or(0.0).max(0.0);
    let nox = match e.mean_excess.get(&Nox) {
        Some(v) => v.max(0.0),
        None => g(No2) + g(No) * NO_AS_NO2,
    };
    let o3_ex = e.mean_excess.get(&O3).copied().unwrap_or(0.0);
    let o3_bg = e.mean_conc.get(&O3).copied().unwrap_or(0.0) - o3_ex;
    let o3_depression = if o3_bg > 1.0 { o3_ex / o3_bg } else { 0.0 };
    Ratios::from_parts(g(So2), nox, g(Co), g(Pm25), g(Pm10), o3_depression)
}

impl Ratios {
    /// Ratios of amounts (≥ 0) of SO2, NOx (as NO2), CO (mg/m³), PM2.5 and PM10 in µg/m³.
    pub fn from_parts(
        so2: f64,
        nox: f64,
        co_mg: f64,
        pm25: f64,
        pm10: f64,
        o3_depression: f64,
    ) -> Ratios {
        let nox_d = nox.max(1.0);
        Ratios {
            so2_nox: so2 / nox_d,
            co_nox: co_mg * UG_PER_MG / nox_d,
            pm25_pm10: if pm10 > 1.0 {
                (pm25 / pm10).min(1.5)
            } else {
                f64::NAN
            },
            o3_depression,
            nox,
            so2,
            pm25,
            pm10,
        }
    }
}

/// The rule label of an episode.
pub fn rule_label(e: &Episode, r: &Ratios) -> (SourceType, &'static str) {
    if e.scope == EpisodeScope::Network {
        return (
            SourceType::SecondaryRegional,
            "network episode: background PM2.5 above the regional limit",
        );
    }
    ratio_label(r)
}

/// The label of a set of ratios by the rules of the table above (all but the network rule):
/// used for station episodes and for the profiles of NMF factors.
pub fn ratio_label(r: &Ratios) -> (SourceType, &'static str) {
    let pm = r.pm25_pm10;
    if r.so2_nox >= 0.3 && r.so2 >= 5.0 {
        return (
            SourceType::CoalIndustrial,
            "SO2/NOx ≥ 0.3 and SO2 excess ≥ 5",
        );
    }
    if pm < 0.4 && r.pm10 >= 15.0 && r.pm10 > r.nox {
        return (
            SourceType::Dust,
            "PM2.5/PM10 < 0.4 and PM10 excess ≥ 15 and > NOx excess",
        );
    }
    if r.co_nox >= 25.0 && pm >= 0.6 && r.pm25 >= 10.0 {
        return (
            SourceType::BiomassBurning,
            "CO/NOx ≥ 25 and PM2.5/PM10 ≥ 0.6 and PM2.5 excess ≥ 10",
        );
    }
    if r.nox >= 10.0 && r.so2_nox < 0.3 {
        return (SourceType::Traffic, "NOx excess ≥ 10 and SO2/NOx < 0.3");
    }
    if pm >= 0.6 {
        return (
            SourceType::SecondaryRegional,
            "PM2.5/PM10 ≥ 0.6 without a combustion marker",
        );
    }
    (SourceType::Unclassified, "no rule matched")
}

/// Labels every episode by rule and groups them by k-means.
pub fn classify(episodes: &[Episode]) -> (Vec<Signature>, Grouping) {
    let mut sigs: Vec<Signature> = episodes
        .iter()
        .map(|e| {
            let r = ratios(e);
            let (label, rule) = rule_label(e, &r);
            Signature {
                ratios: r,
                source_type: label,
                rule: rule.into(),
                group: None,
            }
        })
        .collect();
    let n = sigs.len();
    if n < 2 {
        return (sigs, Grouping::default());
    }
    let feats: Vec<[f64; 5]> = sigs
        .iter()
        .map(|s| {
            let r = s.ratios;
            [
                (0.01 + r.so2_nox).ln(),
                (1.0 + r.co_nox).ln(),
                if r.pm25_pm10.is_finite() {
                    r.pm25_pm10
                } else {
                    0.6
                },
                (1.0 + r.nox).ln(),
                (1.0 + r.pm10).ln(),
            ]
        })
        .collect();
    let mut mean = [0.0; 5];
    let mut sd = [0.0; 5];
    for j in 0..5 {
        mean[j] = feats.iter().map(|f| f[j]).sum::<f64>() / n as f64;
        sd[j] = (feats.iter().map(|f| (f[j] - mean[j]).powi(2)).sum::<f64>() / n as f64).sqrt();
        if sd[j] < 1e-9 {
            sd[j] = 1.0;
        }
    }
    let x = Array2::from_shape_fn((n, 5), |(i, j)| (feats[i][j] - mean[j]) / sd[j]);
    let k = n.min(5);
    let ds = DatasetBase::from(x.clone());
    let Ok(model) = KMeans::params(k)
        .max_n_iterations(200)
        .tolerance(1e-6)
        .fit(&ds)
    else {
        return (sigs, Grouping::default());
    };
    let assign = model.predict(&x);
    let mut groups = Vec::with_capacity(k);
    for g in 0..k {
        let members: Vec<usize> = (0..n).filter(|&i| assign[i] == g).collect();
        // Votes in code order: a tie goes to the last code.
        let mut votes: BTreeMap<&str, (usize, SourceType)> = BTreeMap::new();
        for &i in &members {
            let t = sigs[i].source_type;
            votes.entry(t.code()).or_insert((0, t)).0 += 1;
        }
        let label = votes.values().max_by_key(|(n, _)| *n).map(|&(_, t)| t);
        let c = model.centroids().row(g);
        groups.push(Group {
            label,
            size: members.len(),
            centroid: (0..5).map(|j| c[j] * sd[j] + mean[j]).collect(),
        });
    }
    for (i, s) in sigs.iter_mut().enumerate() {
        s.group = Some(assign[i]);
    }
    (sigs, Grouping { groups })
}

//! Source locations from the bearings of a network: candidate crossings, consistency checks,
//! merging across pollutants.
//!
//! Pollutant by pollutant:
//!
//! 1. **Bearings used**: confidence ≥ `min_confidence` (the CPF z-score, Bonferroni-corrected)
//!    and a peak window whose mean excess over the station's median is at least
//!    `min_bearing_excess` × the pollutant's episode floor (`excess.min_excess`): a
//!    "significant" CPF peak of a few µg/m³ is the spatial texture of the background, not a
//!    plume.
//! 2. **Candidates**: the crossings of every pair of those bearings from different stations
//!    (crossing angle ≥ `min_angle_deg`, in front of both, within `max_range_m`), strongest
//!    pairs first (the smaller z of the two).
//! 3. **Support**: around a candidate, each station's best-aligned bearing passing within
//!    `max(support_m, r·σθ)` supports it; the supporting lines are intersected by weighted
//!    least squares ([`triangulate`]), and the support is gathered again around that solution
//!    (once) and re-solved.
//! 4. **Checks** — a solution is kept only if
//!    - at least `min_stations` (3) stations support it, or two whose bearings both have
//!      z ≥ `strong_pair_z` (any two bearings cross somewhere: two weak ones are no evidence);
//!    - the RMS angular misfit of its lines, in units of their σθ, is ≤ `max_misfit`;
//!    - it lies within `max_outside_m` of the nearest station (beyond that the network cannot
//!      tell a source from a crossing of two distant views);
//!    - **negative evidence**: stations at least as close as the nearest supporting station
//!      (within `check_range_m`) whose CPF towards the solution is *not* elevated (pooled
//!      3-sector CPF ≤ the no-source level `1 − percentile/100`, with ≥ 24 hours from that
//!      direction) contradict it; it is dropped when they are as many as its supporters.
//!      A plume that passes a closer station without raising it is not there.
//!
//!    The best-scoring solution (Σ z of its bearings, lowered by its misfit and its
//!    contradicting stations) is accepted first; its bearings, and any other bearing pointing
//!    at it from farther away, are then used up, and the search repeats on the rest: one
//!    bearing explains one source, so the crossings of a plant's bearings with those of
//!    another source no longer make sources of their own.
//! 5. **Merging**: solutions (of any pollutant) closer than the smaller of their radii (at
//!    least `support_m`) are one source, kept at the better-supported solution.
//!
//! The **uncertainty radius** is the triangulation's (covariance of the bearing spread plus
//! the RMS line residual), never less than the lateral σ of the best line at its range.

use std::collections::BTreeMap;

use super::analysis::{AnalysisConfig, Located, PolarResult, StationBearing};
use super::angle_diff;
use super::triangulate::{BearingLine, Location, Projection, distance_m, triangulate};
use crate::units::Parameter;

/// Pooled hours needed from a direction for a station's CPF to count as negative evidence.
const MIN_CHECK_HOURS: usize = 24;

/// Triangulates sources from the bearings alone (no negative evidence): see the module
/// documentation; [`locate_checked`] is what the analysis runs.
pub fn locate(
    bearings: &[StationBearing],
    positions: &BTreeMap<&str, (f64, f64)>,
    cfg: &AnalysisConfig,
) -> Vec<Located> {
    locate_checked(bearings, &[], positions, cfg)
}

/// Triangulates sources from the bearings, checked against the CPFs of every station and
/// pollutant in `polar` (negative evidence), then merges locations of different pollutants.
pub fn locate_checked(
    bearings: &[StationBearing],
    polar: &[PolarResult],
    positions: &BTreeMap<&str, (f64, f64)>,
    cfg: &AnalysisConfig,
) -> Vec<Located> {
    // Pollutants in code order: the order their locations are merged in.
    let mut pollutants: Vec<Parameter> = bearings.iter().map(|b| b.pollutant).collect();
    pollutants.sort_unstable_by_key(|p| p.code());
    pollutants.dedup();
    let mut found = Vec::new();
    for pol in pollutants {
        found.extend(locate_pollutant(pol, bearings, polar, positions, cfg));
    }
    merge(found, cfg)
}

/// A usable bearing with its line.
struct Usable<'a> {
    index: usize,
    b: &'a StationBearing,
    line: BearingLine,
}

fn locate_pollutant(
    pol: Parameter,
    bearings: &[StationBearing],
    polar: &[PolarResult],
    positions: &BTreeMap<&str, (f64, f64)>,
    cfg: &AnalysisConfig,
) -> Vec<Located> {
    let floor = cfg
        .excess
        .min_excess
        .get(&pol)
        .map_or(0.0, |v| *v * cfg.min_bearing_excess);
    let set: Vec<Usable> = bearings
        .iter()
        .filter(|b| {
            b.pollutant == pol && b.bearing.confidence >= cfg.min_confidence && b.excess >= floor
        })
        .filter_map(|b| Some((b, *positions.get(b.station.as_str())?)))
        .enumerate()
        .map(|(index, (b, (lat, lon)))| Usable {
            index,
            b,
            line: BearingLine {
                station: b.station.clone(),
                lat,
                lon,
                bearing_deg: b.bearing.bearing_deg,
                sigma_deg: b.bearing.sigma_deg,
            },
        })
        .collect();
    let checks: Vec<(&str, (f64, f64), &PolarResult)> = polar
        .iter()
        .filter(|p| p.pollutant == pol)
        .filter_map(|p| Some((p.station.as_str(), *positions.get(p.station.as_str())?, p)))
        .collect();
    let mut free = vec![true; set.len()];
    let mut here: Vec<Located> = Vec::new();
    loop {
        let avail: Vec<&Usable> = set
            .iter()
            .zip(&free)
            .filter(|x| *x.1)
            .map(|x| x.0)
            .collect();
        let mut best: Option<(f64, Located, Vec<usize>)> = None;
        for i in 0..avail.len() {
            for j in i + 1..avail.len() {
                let Some(p) = crossing(&avail[i].line, &avail[j].line, cfg) else {
                    continue;
                };
                let Some(found) = assess(p, &avail, &checks, positions, cfg) else {
                    continue;
                };
                if best.as_ref().is_none_or(|b| found.0 > b.0) {
                    best = Some(found);
                }
            }
        }
        let Some((_, loc, used)) = best else { break };
        for k in used {
            free[k] = false;
        }
        // Bearings pointing at the new source from farther away are explained by it too.
        for (u, f) in set.iter().zip(free.iter_mut()) {
            let (off, r) = offset(&u.line, (loc.lat, loc.lon));
            if off < 90.0
                && r * off.to_radians().sin()
                    <= cfg.support_m.max(r * u.line.sigma_deg.to_radians())
            {
                *f = false;
            }
        }
        here.push(loc);
    }
    here
}

/// Where two bearings cross, if they do at a usable angle, in front of both and in range.
fn crossing(a: &BearingLine, b: &BearingLine, cfg: &AnalysisConfig) -> Option<(f64, f64)> {
    if a.station == b.station || distance_m((a.lat, a.lon), (b.lat, b.lon)) > 2.0 * cfg.max_range_m
    {
        return None;
    }
    let loc = triangulate(&[a.clone(), b.clone()], cfg.min_angle_deg).ok()?;
    let p = (loc.lat, loc.lon);
    (distance_m(p, (a.lat, a.lon)) <= cfg.max_range_m
        && distance_m(p, (b.lat, b.lon)) <= cfg.max_range_m)
        .then_some(p)
}

/// The solution around candidate `p` with its score (Σ z of the supporting bearings, lowered
/// by the angular misfit and by contradicting stations) and the indices of the bearings it
/// uses, if it passes the checks.
fn assess(
    p: (f64, f64),
    avail: &[&Usable],
    checks: &[(&str, (f64, f64), &PolarResult)],
    positions: &BTreeMap<&str, (f64, f64)>,
    cfg: &AnalysisConfig,
) -> Option<(f64, Located, Vec<usize>)> {
    let (loc, support) = solve(p, avail, cfg).and_then(|(loc, s)| {
        let again = solve((loc.lat, loc.lon), avail, cfg)?;
        Some(if again.1.len() >= s.len() {
            again
        } else {
            (loc, s)
        })
    })?;
    let at = (loc.lat, loc.lon);
    // Angular misfit in units of the bearings' σ.
    let (mut misfit, mut misfit_deg) = (0.0, 0.0);
    let mut ranges = Vec::new();
    for u in &support {
        let (off, r) = offset(&u.line, at);
        misfit += (off / u.line.sigma_deg.max(1.0)).powi(2);
        misfit_deg += off * off;
        ranges.push(r);
    }
    let k = support.len() as f64;
    if support.len() < cfg.min_stations && support.iter().any(|u| u.b.bearing.z < cfg.strong_pair_z)
    {
        return None;
    }
    let (misfit, misfit_deg) = ((misfit / k).sqrt(), (misfit_deg / k).sqrt());
    let nearest = positions
        .values()
        .map(|s| distance_m(*s, at))
        .fold(f64::INFINITY, f64::min);
    if misfit > cfg.max_misfit || nearest > cfg.max_outside_m {
        return None;
    }
    let closest_support = ranges.iter().copied().fold(f64::INFINITY, f64::min);
    let check_r = closest_support.min(cfg.check_range_m);
    let contradicting: Vec<String> = checks
        .iter()
        .filter(|(st, pos, _)| {
            !support.iter().any(|u| u.line.station == *st) && distance_m(*pos, at) <= check_r
        })
        .filter(|(_, pos, pr)| {
            let proj = Projection::new(pos.0, pos.1);
            let (x, y) = proj.xy(at.0, at.1);
            not_elevated(pr, x.atan2(y).to_degrees().rem_euclid(360.0))
        })
        .map(|(st, _, _)| st.to_string())
        .collect();
    if contradicting.len() >= support.len() {
        return None;
    }
    let best_lateral = support
        .iter()
        .zip(&ranges)
        .map(|(u, r)| r * u.line.sigma_deg.to_radians())
        .fold(f64::INFINITY, f64::min);
    let z: f64 = support.iter().map(|u| u.b.bearing.z).sum();
    let score = z / (1.0 + (misfit / 0.5).powi(2)) * (k - contradicting.len() as f64) / k;
    let located = Located {
        lat: loc.lat,
        lon: loc.lon,
        radius_m: loc.radius_m.max(best_lateral),
        residual_rms_m: loc.residual_rms_m,
        pollutants: vec![support[0].b.pollutant],
        stations: support.iter().map(|u| u.line.station.clone()).collect(),
        evidence: support
            .iter()
            .map(|u| (u.line.station.clone(), u.b.pollutant, u.line.bearing_deg))
            .collect(),
        misfit_deg,
        contradicting,
        nearest_station_m: nearest,
    };
    Some((score, located, support.iter().map(|u| u.index).collect()))
}

/// Angle (degrees, ≥ 0) between a line's bearing and the direction to `p`, and the range.
fn offset(l: &BearingLine, p: (f64, f64)) -> (f64, f64) {
    let proj = Projection::new(l.lat, l.lon);
    let (x, y) = proj.xy(p.0, p.1);
    let to = x.atan2(y).to_degrees();
    (angle_diff(to, l.bearing_deg).abs(), x.hypot(y))
}

/// The supporting lines around `p` (best-aligned bearing of each station passing close by)
/// and their least-squares intersection.
fn solve<'a>(
    p: (f64, f64),
    set: &[&'a Usable<'a>],
    cfg: &AnalysisConfig,
) -> Option<(Location, Vec<&'a Usable<'a>>)> {
    let mut best: BTreeMap<&str, (f64, &Usable)> = BTreeMap::new();
    for &u in set {
        let (off, r) = offset(&u.line, p);
        if r > cfg.max_range_m || r < 1.0 || off >= 90.0 {
            continue;
        }
        let lateral = r * off.to_radians().sin();
        if lateral <= cfg.support_m.max(r * u.line.sigma_deg.to_radians())
            && best.get(u.line.station.as_str()).is_none_or(|b| off < b.0)
        {
            best.insert(u.line.station.as_str(), (off, u));
        }
    }
    if best.len() < 2 {
        return None;
    }
    let support: Vec<&Usable> = best.into_values().map(|(_, u)| u).collect();
    let lines: Vec<BearingLine> = support.iter().map(|u| u.line.clone()).collect();
    let loc = triangulate(&lines, cfg.min_angle_deg).ok()?;
    Some((loc, support))
}

/// Whether the CPF of `pr` towards `bearing` stays at or below the no-source level, with
/// enough hours from there to say so.
fn not_elevated(pr: &PolarResult, bearing: f64) -> bool {
    let c = &pr.cpf;
    let ns = c.sectors.len();
    if ns == 0 {
        return false;
    }
    let w = c.config.sector_deg;
    let i = ((bearing / w).round() as usize) % ns;
    let (mut n, mut m) = (0, 0);
    for j in [(i + ns - 1) % ns, i, (i + 1) % ns] {
        n += c.sectors[j].n;
        m += c.sectors[j].m;
    }
    let p0 = 1.0 - c.config.percentile / 100.0;
    n >= MIN_CHECK_HOURS && (m as f64) <= p0 * n as f64
}

/// Merges solutions that coincide (of any pollutant), best-supported first.
fn merge(mut found: Vec<Located>, cfg: &AnalysisConfig) -> Vec<Located> {
    found.sort_by_key(|l| std::cmp::Reverse(l.stations.len()));
    let mut merged: Vec<Located> = Vec::new();
    for l in found {
        if let Some(m) = merged.iter_mut().find(|m| {
            distance_m((m.lat, m.lon), (l.lat, l.lon))
                < m.radius_m.min(l.radius_m).max(cfg.support_m)
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

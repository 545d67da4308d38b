//! Source locations from the bearings of several stations (least squares).
//!
//! Positions are projected to a local metric plane (equirectangular around the mean of the
//! stations involved; errors < 0.1 % over tens of km). A bearing from station `s` is the
//! half-line `s + t·d`, `d = (sin θ, cos θ)`. The point `p` minimising
//! `Σ w_i · dist(p, line_i)²` solves the 2×2 system `A p = b` with
//! `A = Σ w_i (I − d_i d_iᵀ)` and `b = Σ w_i (I − d_i d_iᵀ) s_i`.
//!
//! Weights `w_i = 1 / σ_i²` with `σ_i = r_i · σθ_i` the lateral uncertainty of bearing `i` at
//! the distance `r_i` of the estimate (two passes: unit weights, then these). The
//! **uncertainty radius** combines the propagated covariance `A⁻¹` (its largest standard
//! deviation, i.e. from the bearing spread) with the RMS perpendicular residual of the lines
//! (how badly they disagree): `radius = sqrt(λ_max(A⁻¹) + rms²)`.
//!
//! **Near-parallel bearings are rejected**: when no two lines cross at `min_angle` or more,
//! the intersection is ill-conditioned (a 5° bearing error moves it by many km) and no
//! location is returned. A location behind any station (opposite to its bearing) is
//! rejected too.

use serde::Serialize;

use super::SourceError;

/// A projected line: station (x, y), unit direction, angular sigma (rad).
type Line = ((f64, f64), (f64, f64), f64);

/// Mean Earth radius, m.
const R: f64 = 6_371_000.0;

/// A bearing from a known position.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BearingLine {
    /// Station id.
    pub station: String,
    /// Station latitude.
    pub lat: f64,
    /// Station longitude.
    pub lon: f64,
    /// Bearing towards the source, degrees.
    pub bearing_deg: f64,
    /// Angular uncertainty, degrees.
    pub sigma_deg: f64,
}

/// A triangulated location.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Location {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Uncertainty radius, m.
    pub radius_m: f64,
    /// RMS perpendicular distance of the bearing lines from the point, m.
    pub residual_rms_m: f64,
    /// Smallest angle between the lines used, degrees.
    pub min_crossing_deg: f64,
}

/// A local equirectangular projection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    lat0: f64,
    lon0: f64,
    coslat: f64,
}

impl Projection {
    /// Centred on `(lat0, lon0)`.
    pub fn new(lat0: f64, lon0: f64) -> Self {
        Projection {
            lat0,
            lon0,
            coslat: lat0.to_radians().cos(),
        }
    }
    /// (x east, y north) in metres.
    pub fn xy(&self, lat: f64, lon: f64) -> (f64, f64) {
        (
            (lon - self.lon0).to_radians() * R * self.coslat,
            (lat - self.lat0).to_radians() * R,
        )
    }
    /// Back to (lat, lon).
    pub fn latlon(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.lat0 + (y / R).to_degrees(),
            self.lon0 + (x / (R * self.coslat)).to_degrees(),
        )
    }
}

/// Distance between two positions, m (haversine).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

/// Intersects `lines` (≥ 2, from different positions); `min_angle_deg` rejects near-parallel
/// sets (default used by the analysis: 15°).
pub fn triangulate(lines: &[BearingLine], min_angle_deg: f64) -> Result<Location, SourceError> {
    if lines.len() < 2 {
        return Err(SourceError::Geometry(format!(
            "{} bearing(s); need at least 2",
            lines.len()
        )));
    }
    let n = lines.len() as f64;
    let proj = Projection::new(
        lines.iter().map(|l| l.lat).sum::<f64>() / n,
        lines.iter().map(|l| l.lon).sum::<f64>() / n,
    );
    let geo: Vec<Line> = lines
        .iter()
        .map(|l| {
            let r = l.bearing_deg.to_radians();
            (
                proj.xy(l.lat, l.lon),
                (r.sin(), r.cos()),
                l.sigma_deg.max(0.5).to_radians(),
            )
        })
        .collect();
    let solve = |w: &[f64]| -> Option<((f64, f64), [f64; 3])> {
        let (mut a11, mut a12, mut a22, mut b1, mut b2) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (((sx, sy), (dx, dy), _), wi) in geo.iter().zip(w) {
            let (p11, p12, p22) = (1.0 - dx * dx, -dx * dy, 1.0 - dy * dy);
            a11 += wi * p11;
            a12 += wi * p12;
            a22 += wi * p22;
            b1 += wi * (p11 * sx + p12 * sy);
            b2 += wi * (p12 * sx + p22 * sy);
        }
        let det = a11 * a22 - a12 * a12;
        if det.abs() < 1e-300 {
            return None;
        }
        Some((
            ((a22 * b1 - a12 * b2) / det, (a11 * b2 - a12 * b1) / det),
            [a11, a12, a22],
        ))
    };
    let unit = vec![1.0; geo.len()];
    let Some((p0, a)) = solve(&unit) else {
        return Err(SourceError::Geometry("the bearings are parallel".into()));
    };
    let (min_cross, max_cross) = crossing_angles(&geo);
    if max_cross < min_angle_deg {
        return Err(SourceError::Geometry(format!(
            "near-parallel bearings (widest crossing angle {max_cross:.1}°, need {min_angle_deg:.0}°)"
        )));
    }
    // Second pass: lateral uncertainties at the estimated range.
    let w: Vec<f64> = geo
        .iter()
        .map(|((sx, sy), _, sig)| {
            let r = (p0.0 - sx).hypot(p0.1 - sy).max(100.0);
            1.0 / (r * sig).powi(2)
        })
        .collect();
    let (p, aw) = solve(&w).unwrap_or((p0, a));
    let mut ss = 0.0;
    for ((sx, sy), (dx, dy), _) in &geo {
        let (vx, vy) = (p.0 - sx, p.1 - sy);
        if vx * dx + vy * dy <= 0.0 {
            return Err(SourceError::Geometry(
                "the lines cross behind a station (bearings diverge)".into(),
            ));
        }
        ss += (vx * dy - vy * dx).powi(2);
    }
    let rms = (ss / geo.len() as f64).sqrt();
    let (_, lmin_w) = eig2(aw);
    let var = if lmin_w > 0.0 {
        1.0 / lmin_w
    } else {
        f64::INFINITY
    };
    let (lat, lon) = proj.latlon(p.0, p.1);
    Ok(Location {
        lat,
        lon,
        radius_m: (var + rms * rms).sqrt(),
        residual_rms_m: rms,
        min_crossing_deg: min_cross,
    })
}

/// Smallest and largest crossing angle (0–90°) between any two lines.
fn crossing_angles(geo: &[Line]) -> (f64, f64) {
    let (mut lo, mut hi) = (90.0f64, 0.0f64);
    for i in 0..geo.len() {
        for j in i + 1..geo.len() {
            let (d1, d2) = (geo[i].1, geo[j].1);
            let s = (d1.0 * d2.1 - d1.1 * d2.0)
                .abs()
                .min(1.0)
                .asin()
                .to_degrees();
            lo = lo.min(s);
            hi = hi.max(s);
        }
    }
    (lo, hi)
}

/// Eigenvalues (max, min) of the symmetric 2×2 matrix [a11 a12; a12 a22].
fn eig2(a: [f64; 3]) -> (f64, f64) {
    let tr = a[0] + a[2];
    let det = a[0] * a[2] - a[1] * a[1];
    let disc = (tr * tr / 4.0 - det).max(0.0).sqrt();
    (tr / 2.0 + disc, tr / 2.0 - disc)
}

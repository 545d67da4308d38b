//! Gaussian plume dispersion.
//!
//! The concentration (per unit emission rate, s/m³) at a receptor `x` m downwind and `y` m
//! crosswind of a release at effective height `H`, receptor height `z` (3 m), is the reflected
//! Gaussian plume
//!
//! ```text
//! C/Q = 1 / (2π u σy σz) · exp(−y²/2σy²) · [exp(−(z−H)²/2σz²) + exp(−(z+H)²/2σz²)]
//! ```
//!
//! with `u` the wind at release height (power law `u(H) = u10 (H/10)^p`, `p` by stability),
//! floored at 0.5 m/s so calms never divide by zero; in light winds the plume meanders, which
//! adds `(x σθ)²` to `σy²`. It is zero at and upwind of the source (`x ≤ 0`).
//!
//! Dispersion coefficients are Briggs' open-country (rural) fits, x in metres:
//!
//! | class | σy                     | σz                     |
//! |-------|------------------------|------------------------|
//! | A     | 0.22x (1+0.0001x)^−½   | 0.20x                  |
//! | B     | 0.16x (1+0.0001x)^−½   | 0.12x                  |
//! | C     | 0.11x (1+0.0001x)^−½   | 0.08x (1+0.0002x)^−½   |
//! | D     | 0.08x (1+0.0001x)^−½   | 0.06x (1+0.0015x)^−½   |
//! | E     | 0.06x (1+0.0001x)^−½   | 0.03x (1+0.0003x)^−1   |
//! | F     | 0.04x (1+0.0001x)^−½   | 0.016x (1+0.0003x)^−1  |
//!
//! The Pasquill–Gifford class is a continuous index (A = 0 … F = 5) derived from wind speed,
//! insolation and cloud (see `weather`), and coefficients are interpolated between the two
//! neighbouring classes. σz is capped at 0.8 × the mixing height `L`: with reflection at the
//! lid, a fully mixed plume has ground concentration `Q / (√(2π) u σy L)`, which the reflected
//! formula reaches at `σz = 0.8 L`.
//!
//! Plume rise for buoyant stacks uses Briggs' final rise: neutral/unstable
//! `Δh = 21.425 F^¾ / u` (F < 55 m⁴/s³) or `38.71 F^⅗ / u` (F ≥ 55), stable
//! `Δh = 2.6 (F / (u s))^⅓` with `s = g/T · dθ/dz`, capped at 400 m.
//!
//! Line sources are cut into segments of ≈ 1.5 km, each a point at its middle whose initial
//! crosswind spread is its crosswind extent / 4.3; an area source is a virtual point source
//! upwind, placed so that σy there equals the area's initial spread `2r / 4.3`, while σz grows
//! from the upwind edge of the area.

use std::f64::consts::PI;

const SY: [f64; 6] = [0.22, 0.16, 0.11, 0.08, 0.06, 0.04];
const WIND_EXPONENT: [f64; 6] = [0.07, 0.07, 0.10, 0.15, 0.35, 0.55];
/// Receptor (inlet) height, m.
pub(crate) const RECEPTOR_Z: f64 = 3.0;
/// Floor of the transport wind speed, m/s.
pub(crate) const MIN_WIND: f64 = 0.5;

fn sigma_z_class(class: usize, x: f64) -> f64 {
    match class {
        0 => 0.20 * x,
        1 => 0.12 * x,
        2 => 0.08 * x / (1.0 + 0.0002 * x).sqrt(),
        3 => 0.06 * x / (1.0 + 0.0015 * x).sqrt(),
        4 => 0.03 * x / (1.0 + 0.0003 * x),
        _ => 0.016 * x / (1.0 + 0.0003 * x),
    }
}

/// Per-instant dispersion state, shared by every release point.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlumeMet {
    /// Unit vector of the flow (towards which the wind blows): east, north.
    pub down: (f64, f64),
    /// 10-m wind speed, m/s.
    pub u10: f64,
    lo: usize,
    frac: f64,
    sy_coef: f64,
    p: f64,
    /// Mixing height, m.
    pub mixing_height: f64,
    meander: f64,
    /// Stability index, A = 0 … F = 5.
    pub stability: f64,
    temp_k: f64,
}

impl PlumeMet {
    /// Builds the state for a wind blowing *from* `wd_deg` at `ws` m/s.
    pub(super) fn new(
        ws: f64,
        wd_deg: f64,
        stability: f64,
        mixing_height: f64,
        temp_c: f64,
    ) -> Self {
        let th = wd_deg.to_radians();
        let s = stability.clamp(0.0, 5.0);
        let lo = (s.floor() as usize).min(4);
        let frac = s - lo as f64;
        let lerp = |a: &[f64; 6]| a[lo] + (a[lo + 1] - a[lo]) * frac;
        PlumeMet {
            down: (-th.sin(), -th.cos()),
            u10: ws,
            lo,
            frac,
            sy_coef: lerp(&SY),
            p: lerp(&WIND_EXPONENT),
            mixing_height: mixing_height.max(50.0),
            meander: 0.5 * (1.0 - ws / 1.5).max(0.0),
            stability: s,
            temp_k: temp_c + 273.15,
        }
    }

    /// Wind speed at height `h` m (power law), floored at [`MIN_WIND`].
    pub(super) fn wind_at(&self, h: f64) -> f64 {
        (self.u10 * (h.max(10.0) / 10.0).powf(self.p)).max(MIN_WIND)
    }

    /// σy at `x` m.
    pub(super) fn sigma_y(&self, x: f64) -> f64 {
        self.sy_coef * x / (1.0 + 0.0001 * x).sqrt()
    }

    /// σz at `x` m (capped by the mixing height).
    pub(super) fn sigma_z(&self, x: f64) -> f64 {
        let a = sigma_z_class(self.lo, x);
        let b = sigma_z_class(self.lo + 1, x);
        (a + (b - a) * self.frac).min(0.8 * self.mixing_height)
    }

    /// Briggs final plume rise, m, for buoyancy flux `f` m⁴/s³ and stack-top wind `u`.
    pub(super) fn plume_rise(&self, f: f64, u: f64) -> f64 {
        if f <= 0.0 {
            return 0.0;
        }
        let neutral = if f < 55.0 {
            21.425 * f.powf(0.75) / u
        } else {
            38.71 * f.powf(0.6) / u
        };
        let rise = if self.stability >= 4.0 {
            let dtheta_dz = 0.02 + 0.015 * (self.stability - 4.0);
            let s = 9.81 / self.temp_k * dtheta_dz;
            (2.6 * (f / (u * s)).cbrt()).min(neutral)
        } else {
            neutral
        };
        rise.min(400.0)
    }

    /// Downwind and crosswind distance of a receptor offset `(dx, dy)` m (east, north) from a
    /// release.
    #[inline]
    pub(super) fn along_cross(&self, dx: f64, dy: f64) -> (f64, f64) {
        let (ex, ey) = self.down;
        (dx * ex + dy * ey, dx * ey - dy * ex)
    }

    /// Concentration per unit emission (s/m³) of a point release.
    ///
    /// `x` is the downwind distance used for σz, `x_y` the one used for σy (they differ for
    /// virtual sources), `sy0`/`sz0` initial spreads added in quadrature, `h` the effective
    /// release height and `u` the transport speed.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(super) fn unit_concentration(
        &self,
        x: f64,
        x_y: f64,
        y: f64,
        h: f64,
        u: f64,
        sy0: f64,
        sz0: f64,
    ) -> f64 {
        if x <= 0.0 || x_y <= 0.0 {
            return 0.0;
        }
        let sy = self.sigma_y(x_y);
        let m = x_y * self.meander;
        let sy2 = sy * sy + sy0 * sy0 + m * m;
        let y2 = y * y;
        if y2 > 25.0 * sy2 {
            return 0.0; // beyond 5 σy: negligible
        }
        let sz = self.sigma_z(x);
        let sz2 = sz * sz + sz0 * sz0;
        let zm = RECEPTOR_Z - h;
        let zp = RECEPTOR_Z + h;
        let vertical = (-zm * zm / (2.0 * sz2)).exp() + (-zp * zp / (2.0 * sz2)).exp();
        (-y2 / (2.0 * sy2)).exp() * vertical / (2.0 * PI * u * (sy2 * sz2).sqrt())
    }

    /// Virtual upwind distance at which σy equals `sy0`.
    pub(super) fn virtual_distance(&self, sy0: f64) -> f64 {
        let x = sy0 / self.sy_coef;
        sy0 * (1.0 + 0.0001 * x).sqrt() / self.sy_coef
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centreline_falls_off_crosswind() {
        let met = PlumeMet::new(3.0, 0.0, 3.0, 800.0, 25.0);
        let x = 3000.0;
        let u = met.wind_at(50.0);
        let c = |y: f64| met.unit_concentration(x, x, y, 50.0, u, 0.0, 0.0);
        let centre = c(0.0);
        assert!(centre > 0.0);
        let mut prev = centre;
        for y in [50.0, 150.0, 300.0, 600.0, 1200.0] {
            let v = c(y);
            assert!(v < prev, "not decreasing at y = {y}");
            prev = v;
        }
        // One σy off axis: exp(−½).
        let sy = met.sigma_y(x);
        assert!((c(sy) / centre - (-0.5f64).exp()).abs() < 1e-9);
        assert_eq!(
            met.unit_concentration(-10.0, -10.0, 0.0, 50.0, u, 0.0, 0.0),
            0.0
        );
    }

    #[test]
    fn calm_wind_is_finite() {
        let met = PlumeMet::new(0.0, 123.0, 5.0, 100.0, 18.0);
        let u = met.wind_at(2.0);
        assert_eq!(u, MIN_WIND);
        let v = met.unit_concentration(500.0, 500.0, 10.0, 2.0, u, 5.0, 1.0);
        assert!(v.is_finite() && v > 0.0);
        assert!(met.plume_rise(100.0, u).is_finite());
    }

    #[test]
    fn unstable_spreads_more_than_stable() {
        let a = PlumeMet::new(2.0, 0.0, 0.0, 1500.0, 28.0);
        let f = PlumeMet::new(2.0, 0.0, 5.0, 1500.0, 28.0);
        assert!(a.sigma_y(1000.0) > 3.0 * f.sigma_y(1000.0));
        assert!(a.sigma_z(1000.0) > 5.0 * f.sigma_z(1000.0));
        // Interpolated class between C and D.
        let cd = PlumeMet::new(2.0, 0.0, 2.5, 1500.0, 28.0);
        assert!((cd.sigma_y(0.0 + 1000.0) - (0.095 * 1000.0 / 1.1f64.sqrt())).abs() < 1e-9);
    }
}

//! Regional background levels, their diurnal/weekly cycles, and NO–O3 titration.
//!
//! With `h` the local hour and `g(h; c, w) = exp(−½ (Δh/w)²)` a Gaussian bump on the 24-h
//! circle:
//!
//! * traffic `T(h) = k_week · (0.5 + 0.5 · day(h)) · (1 + A (g(h; morning, 1.1) + g(h; evening,
//!   1.4)))`, `day(h)` a plateau 06:00–23:00, `k_week` = `weekend_traffic` on Sat/Sun;
//! * boundary-layer accumulation `B(h) = 1 + a cos(2π (h − 2)/24)` — highest before dawn,
//!   lowest in the well-mixed afternoon;
//! * NO2 = no2 · T · B(0.25); NO = no · T^1.5 · B(0.25); CO = co · (0.75 + 0.25 T) · B(0.2);
//! * SO2 = so2 · (1 + 0.25 sin(2π (h − 8)/24)) (elevated plumes mixed down around midday);
//! * PM2.5 = pm25 · B(pm_night_amplitude); PM10 the same plus 10 % of the traffic excess
//!   (road dust);
//! * O3 = o3 · (0.35 + o3_amplitude · P(h) · (1 − 0.6 cloud)), with the photochemical shape
//!   `P(h) = max(0, sin(π (h − peak + 7.5)/15))²`, zero at night.
//!
//! Titration `NO + O3 → NO2 + O2` then converts a fraction `f = 0.5 − 0.3 sun` of
//! `min([NO], [O3])` (in ppb, 25 °C) — the whole conversion at night is what makes O3 low where
//! NO is high — keeping Ox = O3 + NO2 (in ppb) constant.

use std::f64::consts::PI;

use enum_map::{EnumMap, enum_map};

use super::scenario::Background;
use super::weather::smoothstep;
use crate::units::{AirPollutant, Parameter, ReferenceState};

/// A value per air pollutant (concentrations, increments, emission rates, factors).
pub(crate) type Levels = EnumMap<AirPollutant, f64>;

/// Mass concentration of 1 ppb (µg/m³) at 25 °C, 1013.25 hPa.
fn per_ppb(p: AirPollutant) -> f64 {
    Parameter::from(p)
        .ug_per_ppb(&ReferenceState::default())
        .unwrap_or(f64::NAN)
}

fn bump(h: f64, centre: f64, width: f64) -> f64 {
    let d = (h - centre + 12.0).rem_euclid(24.0) - 12.0;
    (-0.5 * (d / width).powi(2)).exp()
}

/// Relative traffic intensity at local hour `h`.
pub(crate) fn traffic(b: &Background, h: f64, weekend: bool) -> f64 {
    let day = smoothstep(5.0, 7.0, h) * (1.0 - smoothstep(22.0, 24.0, h));
    let rush =
        1.0 + b.rush_amplitude * (bump(h, b.morning_rush, 1.1) + bump(h, b.evening_rush, 1.4));
    let week = if weekend { b.weekend_traffic } else { 1.0 };
    week * (0.5 + 0.5 * day) * rush
}

fn boundary_layer(h: f64, amplitude: f64) -> f64 {
    1.0 + amplitude * (2.0 * PI * (h - 2.0) / 24.0).cos()
}

/// Photochemical shape, 0 at night, 1 at the O3 peak hour.
pub(crate) fn photo(b: &Background, h: f64) -> f64 {
    let s = (PI * (h - b.o3_peak_hour + 7.5) / 15.0).sin();
    let d = (h - b.o3_peak_hour).abs();
    if d < 7.5 { s * s } else { 0.0 }
}

/// Background concentrations of every air pollutant; `nox` is left 0 and derived later.
pub(crate) fn levels(b: &Background, h: f64, weekend: bool, cloud: f64) -> Levels {
    let t = traffic(b, h, weekend);
    let pm = boundary_layer(h, b.pm_night_amplitude);
    let bl = boundary_layer(h, 0.25);
    enum_map! {
        AirPollutant::Pm25 => b.pm25 * pm,
        AirPollutant::Pm10 => b.pm10 * pm * (1.0 + 0.1 * (t - 1.0)),
        AirPollutant::So2 => b.so2 * (1.0 + 0.25 * (2.0 * PI * (h - 8.0) / 24.0).sin()),
        AirPollutant::No2 => b.no2 * t * bl,
        AirPollutant::No => b.no * t.powf(1.5) * bl,
        AirPollutant::Nox => 0.0,
        AirPollutant::Co => b.co * (0.75 + 0.25 * t) * boundary_layer(h, 0.2),
        AirPollutant::O3 => b.o3 * (0.35 + b.o3_amplitude * photo(b, h) * (1.0 - 0.6 * cloud)),
    }
}

/// Titrates O3 with NO in place.
pub(crate) fn titrate(c: &mut Levels, sun: f64) {
    use AirPollutant::{No, No2, O3};
    let f = 0.5 - 0.3 * sun;
    let x = f * (c[No] / per_ppb(No)).min(c[O3] / per_ppb(O3)).max(0.0);
    c[No] -= x * per_ppb(No);
    c[O3] -= x * per_ppb(O3);
    c[No2] += x * per_ppb(No2);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_have_their_peaks() {
        let b = Background::default();
        let t = |h| traffic(&b, h, false);
        assert!(t(8.0) > t(3.0) && t(8.0) > t(13.0));
        assert!(t(18.5) > t(13.0) && t(18.5) > t(23.0));
        assert!(t(8.0) * 0.8 > traffic(&b, 8.0, true) * 0.99);
        assert!(photo(&b, 15.0) > 0.99 && photo(&b, 3.0) == 0.0);
        let l = |h| levels(&b, h, false, 0.3);
        assert!(l(15.0)[AirPollutant::O3] > 2.0 * l(4.0)[AirPollutant::O3]);
        assert!(l(4.0)[AirPollutant::Pm25] > l(15.0)[AirPollutant::Pm25]);
    }

    #[test]
    fn titration_keeps_ox() {
        use AirPollutant::{No, No2, O3};
        let mut c = Levels::default();
        c[No2] = 30.0;
        c[No] = 60.0;
        c[AirPollutant::Co] = 0.5;
        c[O3] = 40.0;
        let ox = c[No2] / per_ppb(No2) + c[O3] / per_ppb(O3);
        titrate(&mut c, 0.0);
        assert!(c[O3] < 40.0 && c[No] < 60.0 && c[No2] > 30.0);
        assert!(c.values().all(|v| *v >= 0.0));
        assert!((c[No2] / per_ppb(No2) + c[O3] / per_ppb(O3) - ox).abs() < 1e-9);
    }
}

//! Surface weather at a station.
//!
//! * **Wind** = synoptic wind + sea/land breeze + turbulence. The synoptic (gradient) wind
//!   blows from `wind_from + wind_veer · sin(2π t / 4.5 d) + 25° · n(t)` at
//!   `wind_speed · (1 + 0.35 n(t))`, and reaches the surface through the diurnal mixing factor
//!   `m(h) = 0.25 + 1.0 · max(0, sin(π (h − 8) / 12))` (calm nights, well-mixed afternoons).
//!   The Pearl River estuary lies SW of Dongguan: an onshore breeze from 215° blows
//!   `sea_breeze · sin(π (h − 10.5) / 9)` between 10:30 and 19:30 local, and a land breeze from
//!   45° of 30 % of it between 21:00 and 07:00. Turbulence adds 10-min smooth noise to both
//!   components. Vectors are added as flow components `(u, v) = −s (sin θ, cos θ)`.
//! * **Rain** comes in 3-hour blocks: each block rains with probability
//!   `rain_events_per_week / 56`, for 30–80 % of the block, with a `sin` intensity profile and
//!   a per-station factor. Washout divides PM by `1 + 0.35 R` (R in mm/h, including the decaying
//!   effect of rain that just ended) and the cooling is `4 (1 − e^{−R/1.5})` °C.
//! * **Temperature**: mean + synoptic noise + half the diurnal range (reduced by cloud) times an
//!   asymmetric cycle (minimum 06:00, maximum 14:30), minus 6.5 °C/km of elevation.
//! * **Humidity**: the dew point varies slowly around the one implied by the mean humidity at the
//!   mean temperature (rain drives it to saturation); `RH = 100 e_s(Td)/e_s(T)` with Magnus'
//!   `e_s(T) = 6.112 exp(17.62 T / (243.12 + T))`, so RH is anticorrelated with temperature.
//! * **Pressure**: mean + 3-day noise + semidiurnal tide, reduced to station level by the
//!   hypsometric equation `p = p0 exp(−z / (29.27 T))`.
//! * **Stability** (Pasquill–Gifford index A = 0 … F = 5): by day
//!   `3 − 3 I + 0.55 max(ws − 1.5, 0)` with insolation `I = sun · (1 − 0.75 cloud)`; by night
//!   `5 − 1.2 cloud − 0.6 max(ws − 2.5, 0)` (within E–F … D), blended across twilight; rain
//!   pushes it to D. The mixing height is `200 + 1000 · sun · (1 − 0.5 cloud)` m.

use std::f64::consts::PI;

use super::noise::{channel, hash, signed, unit, value};
use super::scenario::Climate;
use crate::units::Meteorological;

const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const RAIN_BLOCK: i64 = 3 * HOUR;

/// Station-specific, time-independent weather offsets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SiteWeather {
    pub key: u64,
    pub elevation_m: f64,
    pub speed_factor: f64,
    pub dir_offset: f64,
    pub temp_offset: f64,
}

/// The weather at one station and instant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Weather {
    pub ws: f64,
    pub wd: f64,
    pub temp: f64,
    pub dewp: f64,
    pub rh: f64,
    pub pres: f64,
    pub rain: f64,
    /// Factor applied to PM for washout (≤ 1).
    pub washout: f64,
    pub cloud: f64,
    /// Sun height proxy 0…1.
    pub sun: f64,
    pub stability: f64,
    pub mixing_height: f64,
}

impl Weather {
    /// The value of a meteorological parameter, in its canonical unit.
    pub(super) fn value(&self, p: Meteorological) -> f64 {
        match p {
            Meteorological::WindSpeed => self.ws,
            Meteorological::WindDirection => self.wd,
            Meteorological::Temperature => self.temp,
            Meteorological::DewPoint => self.dewp,
            Meteorological::Humidity => self.rh,
            Meteorological::Pressure => self.pres,
            Meteorological::Rain => self.rain,
        }
    }
}

/// Smoothstep of `x` between `a` and `b`.
pub(crate) fn smoothstep(a: f64, b: f64, x: f64) -> f64 {
    let t = ((x - a) / (b - a)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Sun height proxy for a local hour (sunrise ≈ 06:20, sunset ≈ 18:00 in autumn).
pub(crate) fn sun(h: f64) -> f64 {
    (PI * (h - 6.3) / 11.7).sin().max(0.0)
}

fn magnus(t: f64) -> f64 {
    6.112 * (17.62 * t / (243.12 + t)).exp()
}

fn dew_point(t: f64, rh: f64) -> f64 {
    let g = (rh / 100.0).ln() + 17.62 * t / (243.12 + t);
    243.12 * g / (17.62 - g)
}

/// One rain event in a 3-hour block: (start ms, end ms, peak intensity mm/h).
fn rain_event(seed: u64, climate: &Climate, block: i64) -> Option<(i64, i64, f64)> {
    let p = climate.rain_events_per_week / 56.0;
    let h = hash(&[seed, channel("rain"), block as u64]);
    if unit(h) >= p {
        return None;
    }
    let s0 = 0.5 * unit(hash(&[h, 1]));
    let d = (0.3 + 0.5 * unit(hash(&[h, 2]))).min(1.0 - s0);
    let peak = climate.rain_intensity * (0.4 + 1.2 * unit(hash(&[h, 3])));
    let base = block * RAIN_BLOCK;
    let start = base + (s0 * RAIN_BLOCK as f64) as i64;
    let end = start + (d * RAIN_BLOCK as f64) as i64;
    Some((start, end, peak))
}

/// Rain intensity now, effective intensity for washout, and cloud boost near events.
fn rain(seed: u64, climate: &Climate, site: &SiteWeather, t_ms: i64) -> (f64, f64, f64) {
    let block = t_ms.div_euclid(RAIN_BLOCK);
    let (mut now, mut effective, mut cloud) = (0.0f64, 0.0f64, 0.0f64);
    for b in block - 1..=block + 1 {
        let Some((s, e, peak)) = rain_event(seed, climate, b) else {
            continue;
        };
        let local = peak * (0.6 + 0.8 * unit(hash(&[site.key, channel("rain-site"), b as u64])));
        let dist = if t_ms < s {
            (s - t_ms) as f64
        } else if t_ms >= e {
            (t_ms - e) as f64
        } else {
            let phase = (t_ms - s) as f64 / (e - s) as f64;
            now = now.max(local * (PI * phase).sin());
            effective = effective.max(now);
            0.0
        };
        if t_ms >= e {
            // Rain that ended keeps the air clean for a while.
            effective = effective.max(0.5 * local * (-dist / (1.5 * HOUR as f64)).exp());
        }
        cloud = cloud.max(0.95 * (-dist / HOUR as f64).exp());
    }
    (now, effective, cloud)
}

/// Computes the weather at `site` for `t_ms` (ms since the epoch) and local hour `h`.
pub(crate) fn weather(
    seed: u64,
    climate: &Climate,
    site: &SiteWeather,
    t_ms: i64,
    h: f64,
) -> Weather {
    let regional = |label: &str, period: i64| value(hash(&[seed, channel(label)]), t_ms, period);
    let days = t_ms as f64 / (24 * HOUR) as f64;

    // Synoptic wind brought down by the diurnal mixing.
    let veer = climate.wind_veer * (2.0 * PI * days / 4.5 + unit(seed) * 2.0 * PI).sin();
    let syn_dir = climate.wind_from + veer + 25.0 * regional("wd", 12 * HOUR) + site.dir_offset;
    let syn_speed = climate.wind_speed * (1.0 + 0.35 * regional("ws", 18 * HOUR));
    let mixing = 0.25 + 1.0 * (PI * (h - 8.0) / 12.0).sin().max(0.0);
    let s = syn_speed * mixing * site.speed_factor;
    let th = syn_dir.to_radians();
    let (mut u, mut v) = (-s * th.sin(), -s * th.cos());

    // Sea breeze (onshore from the estuary, SW) and land breeze (NE).
    let sea =
        climate.sea_breeze * (PI * (h - 10.5) / 9.0).sin().max(0.0) * smoothstep(10.5, 11.0, h);
    let night = (h - 21.0).rem_euclid(24.0);
    let land = if night < 10.0 {
        0.3 * climate.sea_breeze * (PI * night / 10.0).sin()
    } else {
        0.0
    };
    for (speed, from) in [(sea, 215.0f64), (land, 45.0)] {
        let r = from.to_radians();
        u -= speed * site.speed_factor * r.sin();
        v -= speed * site.speed_factor * r.cos();
    }

    // Turbulence, stronger when mixing is.
    let turb = 0.3 * (0.4 + mixing);
    u += turb * value(hash(&[site.key, channel("u")]), t_ms, 10 * MIN);
    v += turb * value(hash(&[site.key, channel("v")]), t_ms, 10 * MIN);
    let ws = (u * u + v * v).sqrt();
    let wd = if ws > 1e-9 {
        (-u).atan2(-v).to_degrees().rem_euclid(360.0)
    } else {
        0.0
    };
    let wd = if wd >= 360.0 { 0.0 } else { wd };

    // Clouds and rain.
    let (rain_now, rain_eff, cloud_boost) = rain(seed, climate, site, t_ms);
    let cloud = (0.3 + 0.35 * regional("cloud", 6 * HOUR))
        .max(cloud_boost)
        .clamp(0.0, 1.0);
    let sunh = sun(h);

    // Temperature: asymmetric diurnal cycle, min 06:00, max 14:30.
    let cycle = if (6.0..14.5).contains(&h) {
        -(PI * (h - 6.0) / 8.5).cos()
    } else {
        (PI * (h - 14.5).rem_euclid(24.0) / 15.5).cos()
    };
    let temp = climate.temperature
        + 1.5 * regional("temp", 36 * HOUR)
        + 0.5 * climate.diurnal_range * (1.0 - 0.6 * cloud) * cycle
        - 0.0065 * site.elevation_m
        - 4.0 * (1.0 - (-rain_eff / 1.5).exp())
        + site.temp_offset;

    // Humidity through the dew point.
    let td_mean = dew_point(climate.temperature, climate.humidity);
    let mut dewp = td_mean + 1.5 * regional("dewp", 30 * HOUR) - 0.004 * site.elevation_m;
    let wet = 1.0 - (-rain_eff).exp();
    dewp += (temp - 0.3 - dewp).max(0.0) * wet;
    let dewp = dewp.min(temp);
    let rh = (100.0 * magnus(dewp) / magnus(temp)).clamp(0.0, 100.0);

    // Pressure: slow synoptic change and the semidiurnal tide, reduced to station level.
    let p0 = climate.pressure
        + 4.0 * regional("pres", 72 * HOUR)
        + 0.8 * (2.0 * PI * (h - 10.0) / 12.0).cos();
    let pres = p0 * (-site.elevation_m / (29.27 * (temp + 273.15))).exp();

    // Stability and mixing height.
    let insolation = sunh * (1.0 - 0.75 * cloud);
    let day = (3.0 - 3.0 * insolation + 0.55 * (ws - 1.5).max(0.0)).clamp(0.0, 3.0);
    let nighttime = (5.0 - 1.2 * cloud - 0.6 * (ws - 2.5).max(0.0)).clamp(3.0, 5.0);
    let w = smoothstep(0.0, 0.2, sunh);
    let mut stability = w * day + (1.0 - w) * nighttime;
    stability += (3.0 - stability) * rain_eff.min(1.0);
    let mixing_height = 200.0 + 1000.0 * sunh * (1.0 - 0.5 * cloud);

    Weather {
        ws,
        wd,
        temp,
        dewp,
        rh,
        pres,
        rain: rain_now,
        washout: 1.0 / (1.0 + 0.35 * rain_eff),
        cloud,
        sun: sunh,
        stability,
        mixing_height,
    }
}

/// Time-independent offsets of a station at `(x_km, y_km)` from the network centre.
pub(crate) fn site(seed: u64, key: u64, x_km: f64, y_km: f64, elevation_m: f64) -> SiteWeather {
    let phase = |label: &str| 2.0 * PI * unit(hash(&[seed, channel(label)]));
    let smooth =
        |label: &str| (x_km / 23.0 + phase(label)).sin() * (y_km / 17.0 + phase(label) * 0.7).cos();
    SiteWeather {
        key,
        elevation_m,
        speed_factor: 1.0 + 0.12 * smooth("site-ws") + 0.05 * signed(hash(&[key, 1])),
        dir_offset: 8.0 * smooth("site-wd"),
        temp_offset: 0.4 * smooth("site-temp"),
    }
}

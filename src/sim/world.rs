//! The simulated world: the true value of every parameter at every station and instant.
//!
//! `conditions(station, t)` is a pure function of (scenario, station list, simulation start,
//! station, t). It combines, in canonical units:
//!
//! 1. weather (`weather` module) → wind, temperature, humidity, pressure, rain, stability;
//! 2. background levels with diurnal/weekly cycles (`background` module), times a fixed
//!    per-station factor `1 ± spatial_variation` and smooth noise
//!    `1 + noise · (½ n₁₀ₘᵢₙ + n₂ₕ)` (per station) `· (1 + 0.25 n₂₀ₕ)` (regional);
//! 3. plumes of every active source (`plume` module): `C = Q · (C/Q) · 10⁶` µg/m³ (10³ for CO
//!    in mg/m³), Q in g/s, traffic sources modulated by the traffic cycle, scheduled sources off
//!    outside their window or on the local days they do not operate (`active_days`); `nox`
//!    emissions split into NO2 and NO (NO mass = NO2-equivalent × 30/46);
//! 4. regional episodes: increment × smoothstep ramps × (1 + gradient · d/20 km) where d is the
//!    distance of the station from the network centre towards the episode's `from_direction`;
//!    O3 increments scale with photochemistry `0.3 + 0.7 P(h)`;
//! 5. washout of PM by rain (SO2 mildly), then NO–O3 titration, then
//!    `NOx = NO2 + NO · 46.0055/30.006` (as NO2 mass).

use std::sync::Arc;

use chrono::{DateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use enum_map::EnumMap;

use super::background::{Levels, levels, photo, titrate, traffic};
pub use super::conditions::{Conditions, Contribution, ContributionKind, StationSite};
use super::noise::{channel, hash, signed, unit, value};
use super::plume::PlumeMet;
use super::scenario::{Background, Climate, Scenario, SourceKind, SourceType};
use super::weather::{SiteWeather, site, smoothstep, weather};
use crate::registry::Station;
use crate::units::{AirPollutant, NO_AS_NO2, Parameter, ParameterKind};

const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// Sources farther than this from a station are ignored, m.
const MAX_RANGE: f64 = 60_000.0;

/// The noise channel of a pollutant: it seeds the pollutant's spatial factor and its local and
/// regional noise, so a pollutant added later gets a new number and every other pollutant keeps
/// its values.
const fn noise_channel(p: AirPollutant) -> u64 {
    match p {
        AirPollutant::Pm25 => 0,
        AirPollutant::Pm10 => 1,
        AirPollutant::So2 => 2,
        AirPollutant::No2 => 3,
        AirPollutant::No => 4,
        AirPollutant::Nox => 5,
        AirPollutant::Co => 6,
        AirPollutant::O3 => 7,
    }
}

#[derive(Debug, Clone)]
struct Site {
    id: Arc<str>,
    x: f64,
    y: f64,
    key: u64,
    weather: SiteWeather,
    factor: Levels,
}

#[derive(Debug, Clone, Copy)]
struct Release {
    x: f64,
    y: f64,
    h: f64,
    weight: f64,
    /// Line segment direction (unit) and length, m.
    seg: (f64, f64, f64),
}

#[derive(Debug, Clone)]
struct SourceModel {
    name: String,
    source_type: SourceType,
    kind: SourceKind,
    releases: Vec<Release>,
    radius: f64,
    buoyancy: f64,
    /// Per unit of C/Q: µg/m³ (mg/m³ for CO) per (s/m³).
    rates: Levels,
    schedule: Option<(u32, u32)>,
    /// Share of days the source operates and the key drawing them.
    active_days: Option<(f64, u64)>,
    traffic: bool,
}

#[derive(Debug, Clone)]
struct EpisodeModel {
    name: String,
    source_type: SourceType,
    start: i64,
    end: i64,
    up: i64,
    down: i64,
    gradient: f64,
    toward_from: (f64, f64),
    inc: Levels,
}

/// The physical model of the simulated network.
#[derive(Debug, Clone)]
pub struct World {
    seed: u64,
    tz: Tz,
    background: Background,
    climate: Climate,
    origin: (f64, f64),
    sites: Vec<Site>,
    sources: Vec<SourceModel>,
    episodes: Vec<EpisodeModel>,
}

impl World {
    /// Builds the world of `scenario` for `stations`, simulated from `sim_start` (relative
    /// episode times count from it).
    pub fn new(scenario: &Scenario, stations: &[Station], sim_start: DateTime<Utc>) -> World {
        let sites: Vec<StationSite> = stations
            .iter()
            .map(|s| StationSite {
                id: s.id.clone(),
                lat: s.lat,
                lon: s.lon,
                elevation_m: s.elevation_m,
            })
            .collect();
        World::from_sites(scenario, &sites, sim_start)
    }

    /// Builds the world from bare station positions.
    pub fn from_sites(
        scenario: &Scenario,
        stations: &[StationSite],
        sim_start: DateTime<Utc>,
    ) -> World {
        let seed = scenario.seed;
        let n = stations.len().max(1) as f64;
        let origin = if stations.is_empty() {
            (23.0, 113.8)
        } else {
            (
                stations.iter().map(|s| s.lat).sum::<f64>() / n,
                stations.iter().map(|s| s.lon).sum::<f64>() / n,
            )
        };
        let mut world = World {
            seed,
            tz: scenario.time_zone,
            background: scenario.background.clone(),
            climate: scenario.climate.clone(),
            origin,
            sites: Vec::new(),
            sources: Vec::new(),
            episodes: Vec::new(),
        };
        world.sites = stations.iter().map(|s| world.site(s)).collect();
        world.sources = scenario.sources.iter().map(|s| world.source(s)).collect();
        world.episodes = scenario
            .episodes
            .iter()
            .map(|e| {
                let (start, end) = e.window(sim_start, scenario.time_zone);
                let fd = e.from_direction.to_radians();
                let mut inc = Levels::default();
                for (&p, &v) in &e.increments {
                    // Aged regional NOx is essentially NO2.
                    let p = if p == AirPollutant::Nox {
                        AirPollutant::No2
                    } else {
                        p
                    };
                    inc[p] += v;
                }
                EpisodeModel {
                    name: e.name.clone(),
                    source_type: e.source_type,
                    start: start.timestamp_millis(),
                    end: end.timestamp_millis(),
                    up: e.ramp_up.0.num_milliseconds().max(1),
                    down: e.ramp_down.0.num_milliseconds().max(1),
                    gradient: e.gradient,
                    toward_from: (fd.sin(), fd.cos()),
                    inc,
                }
            })
            .collect();
        world
    }

    /// Local projection, metres east and north of the network centre.
    pub fn local_xy(&self, lat: f64, lon: f64) -> (f64, f64) {
        let (lat0, lon0) = self.origin;
        (
            (lon - lon0) * lat0.to_radians().cos() * 111_320.0,
            (lat - lat0) * 110_574.0,
        )
    }

    fn site(&self, s: &StationSite) -> Site {
        let (x, y) = self.local_xy(s.lat, s.lon);
        let key = hash(&[self.seed, channel(&s.id)]);
        let sv = self.background.spatial_variation;
        let mut factor = Levels::default();
        for (p, f) in &mut factor {
            let i = noise_channel(p);
            let smooth =
                ((x / 19_000.0) + i as f64).sin() * ((y / 15_000.0) + 2.0 * i as f64).cos();
            *f = (1.0 + sv * (0.6 * smooth + 0.4 * signed(hash(&[key, 100 + i])))).max(0.2);
        }
        Site {
            id: s.id.clone(),
            x,
            y,
            key,
            weather: site(self.seed, key, x / 1000.0, y / 1000.0, s.elevation_m),
            factor,
        }
    }

    fn source(&self, s: &super::scenario::Source) -> SourceModel {
        let is_traffic = s.source_type == SourceType::Traffic;
        let no2_fraction = s
            .no2_fraction
            .unwrap_or(if is_traffic { 0.25 } else { 0.1 });
        let mut rates = Levels::default();
        for (&p, &q) in &s.emissions {
            if p == AirPollutant::Nox {
                rates[AirPollutant::No2] += q * no2_fraction;
                rates[AirPollutant::No] += q * (1.0 - no2_fraction) / NO_AS_NO2;
            } else {
                rates[p] += q;
            }
        }
        for (p, r) in &mut rates {
            *r *= if p == AirPollutant::Co { 1e3 } else { 1e6 };
        }
        let mut releases = Vec::new();
        let (default_h, radius) = match s.kind {
            SourceKind::Point => (10.0, 0.0),
            SourceKind::Line => (1.0, 0.0),
            SourceKind::Area => (2.0, s.radius_m.unwrap_or(100.0)),
        };
        let h = s.stack_height_m.unwrap_or(default_h);
        if let (Some([la, lo]), Some([lb, lob])) = (s.from, s.to) {
            let (ax, ay) = self.local_xy(la, lo);
            let (bx, by) = self.local_xy(lb, lob);
            let len = (bx - ax).hypot(by - ay);
            let n = ((len / 1500.0).ceil() as usize).clamp(1, 60);
            let (ex, ey) = ((bx - ax) / len, (by - ay) / len);
            for k in 0..n {
                let f = (k as f64 + 0.5) / n as f64;
                releases.push(Release {
                    x: ax + (bx - ax) * f,
                    y: ay + (by - ay) * f,
                    h,
                    weight: 1.0 / n as f64,
                    seg: (ex, ey, len / n as f64),
                });
            }
        } else {
            let (x, y) = self.local_xy(s.lat.unwrap_or(0.0), s.lon.unwrap_or(0.0));
            releases.push(Release {
                x,
                y,
                h,
                weight: 1.0,
                seg: (0.0, 0.0, 0.0),
            });
        }
        SourceModel {
            name: s.name.clone(),
            source_type: s.source_type,
            kind: s.kind,
            releases,
            radius,
            buoyancy: s.buoyancy_flux.unwrap_or(0.0),
            rates,
            schedule: s.schedule.map(|w| {
                (
                    w.start.num_seconds_from_midnight(),
                    w.end.num_seconds_from_midnight(),
                )
            }),
            active_days: s
                .active_days
                .map(|f| (f, hash(&[self.seed, channel(&s.name)]))),
            traffic: s.traffic_profile.unwrap_or(is_traffic),
        }
    }

    /// Number of stations.
    pub fn station_count(&self) -> usize {
        self.sites.len()
    }

    /// Index of the station with this id.
    pub fn station_index(&self, id: &str) -> Option<usize> {
        self.sites.iter().position(|s| &*s.id == id)
    }

    /// The id of station `station`.
    pub fn station_id(&self, station: usize) -> &str {
        &self.sites[station].id
    }

    /// The true conditions at `station` (index in the list given to [`World::new`]) at `t`.
    ///
    /// # Panics
    /// If `station` is out of range.
    pub fn conditions(&self, station: usize, t: DateTime<Utc>) -> Conditions {
        self.evaluate(station, t, None)
    }

    /// The increment of every source and episode at `station` and `t` (zero entries included),
    /// in scenario order, sources first.
    pub fn source_contributions(&self, station: usize, t: DateTime<Utc>) -> Vec<Contribution> {
        let mut out = Vec::with_capacity(self.sources.len() + self.episodes.len());
        self.evaluate(station, t, Some(&mut out));
        out
    }

    fn evaluate(
        &self,
        station: usize,
        t: DateTime<Utc>,
        mut sink: Option<&mut Vec<Contribution>>,
    ) -> Conditions {
        let site = &self.sites[station];
        let t_ms = t.timestamp_millis();
        let offset = self.tz.offset_from_utc_datetime(&t.naive_utc()).fix();
        let local_ms = t_ms + i64::from(offset.local_minus_utc()) * 1000;
        let tod_ms = local_ms.rem_euclid(DAY);
        let h = tod_ms as f64 / HOUR as f64;
        let weekend = (local_ms.div_euclid(DAY) + 3).rem_euclid(7) >= 5;

        let w = weather(self.seed, &self.climate, &site.weather, t_ms, h);
        let met = PlumeMet::new(w.ws, w.wd, w.stability, w.mixing_height, w.temp);
        let so2_washout = w.washout.powf(0.3);
        let washout = |c: &mut Levels| {
            c[AirPollutant::Pm25] *= w.washout;
            c[AirPollutant::Pm10] *= w.washout;
            c[AirPollutant::So2] *= so2_washout;
        };

        let b = &self.background;
        let mut c = levels(b, h, weekend, w.cloud);
        let regional_key = hash(&[self.seed, channel("regional")]);
        for (p, v) in &mut c {
            let i = noise_channel(p);
            let k = hash(&[site.key, i]);
            let local =
                1.0 + b.noise * (0.5 * value(k, t_ms, 10 * MIN) + value(k ^ 1, t_ms, 2 * HOUR));
            let regional = 1.0 + 0.25 * value(regional_key ^ i, t_ms, 20 * HOUR);
            *v *= site.factor[p] * (local * regional).max(0.1);
        }
        washout(&mut c);

        let traffic_now = traffic(b, h, weekend);
        let tod_s = (tod_ms / 1000) as u32;
        let local_day = local_ms.div_euclid(DAY) as u64;
        for src in &self.sources {
            let active = src.schedule.is_none_or(|(s, e)| {
                if s < e {
                    (s..e).contains(&tod_s)
                } else {
                    tod_s >= s || tod_s < e
                }
            }) && src
                .active_days
                .is_none_or(|(f, key)| unit(hash(&[key, local_day])) < f);
            let mut inc = Levels::default();
            if active {
                let k = self.plume(src, site, &met) * if src.traffic { traffic_now } else { 1.0 };
                for (p, v) in &mut inc {
                    *v = src.rates[p] * k;
                }
                washout(&mut inc);
            }
            add(&mut c, &inc);
            if let Some(out) = sink.as_deref_mut() {
                out.push(contribution(
                    &src.name,
                    src.source_type,
                    ContributionKind::Source,
                    inc,
                ));
            }
        }

        for (n, ep) in self.episodes.iter().enumerate() {
            let mut inc = Levels::default();
            if t_ms >= ep.start && t_ms < ep.end {
                let ramp = ((t_ms - ep.start) as f64 / ep.up as f64)
                    .min((ep.end - t_ms) as f64 / ep.down as f64);
                let d = (site.x * ep.toward_from.0 + site.y * ep.toward_from.1) / 20_000.0;
                let k = smoothstep(0.0, 1.0, ramp)
                    * (1.0 + ep.gradient * d).clamp(0.5, 1.5)
                    * (1.0 + 0.05 * value(hash(&[site.key, 7000 + n as u64]), t_ms, 30 * MIN));
                for (p, v) in &mut inc {
                    *v = ep.inc[p] * k;
                }
                inc[AirPollutant::O3] *= 0.3 + 0.7 * photo(b, h);
                washout(&mut inc);
            }
            add(&mut c, &inc);
            if let Some(out) = sink.as_deref_mut() {
                out.push(contribution(
                    &ep.name,
                    ep.source_type,
                    ContributionKind::Episode,
                    inc,
                ));
            }
        }

        titrate(&mut c, w.sun);
        derive_nox(&mut c);
        Conditions {
            values: EnumMap::from_fn(|p: Parameter| match p.kind() {
                ParameterKind::Pollutant(p) if c[p].is_finite() => c[p].max(0.0),
                ParameterKind::Pollutant(_) => 0.0,
                ParameterKind::Meteorological(m) => w.value(m),
            }),
        }
    }

    /// Sum of C/Q (s/m³) over the release points of `src` at `site`, weighted.
    fn plume(&self, src: &SourceModel, site: &Site, met: &PlumeMet) -> f64 {
        let mut k = 0.0;
        for r in &src.releases {
            let (dx, dy) = (site.x - r.x, site.y - r.y);
            if dx * dx + dy * dy > MAX_RANGE * MAX_RANGE {
                continue;
            }
            let (x, y) = met.along_cross(dx, dy);
            let u = met.wind_at(r.h);
            k += r.weight
                * match src.kind {
                    SourceKind::Point => {
                        let h = r.h + met.plume_rise(src.buoyancy, u);
                        met.unit_concentration(x, x, y, h, u, 0.0, 0.0)
                    }
                    SourceKind::Line => {
                        let (ex, ey, len) = r.seg;
                        let cross = len * (ex * met.down.1 - ey * met.down.0).abs();
                        met.unit_concentration(x, x, y, r.h, u, cross / 4.3 + 5.0, 1.5)
                    }
                    SourceKind::Area => {
                        let sy0 = 2.0 * src.radius / 4.3;
                        let xv = met.virtual_distance(sy0);
                        met.unit_concentration(x + src.radius, x + xv, y, r.h, u, 0.0, 3.0)
                    }
                };
        }
        k
    }
}

fn add(c: &mut Levels, inc: &Levels) {
    for (p, a) in c {
        *a += inc[p];
    }
}

/// NOx = NO2 + NO as NO2 mass.
fn derive_nox(c: &mut Levels) {
    c[AirPollutant::Nox] = c[AirPollutant::No2] + c[AirPollutant::No] * NO_AS_NO2;
}

fn contribution(
    name: &str,
    source_type: SourceType,
    kind: ContributionKind,
    mut inc: Levels,
) -> Contribution {
    derive_nox(&mut inc);
    Contribution {
        name: name.to_string(),
        source_type,
        kind,
        values: inc,
    }
}

//! Scenario files: the seed, background climate and pollution, named emission sources,
//! regional episodes and device faults of a simulation.
//!
//! ```toml
//! seed = 20251015
//! time_zone = "Asia/Shanghai"           # optional, this is the default
//!
//! [background]                           # all optional; defaults = Dongguan in autumn
//! pm25 = 35.0                            # µg/m³ (co in mg/m³)
//!
//! [climate]                              # all optional
//! temperature = 25.5                     # °C daily mean
//!
//! [[source]]
//! name = "Shajiao power plant"
//! kind = "point"                         # point | line | area
//! source_type = "coal_combustion"
//! lat = 22.77
//! lon = 113.66
//! stack_height_m = 210.0
//! buoyancy_flux = 150.0                  # m⁴/s³, optional (Briggs plume rise)
//! emissions = { so2 = 250.0, nox = 300.0, pm10 = 30.0, pm25 = 20.0 }   # g/s
//! schedule = "08:00-18:00"               # optional, local time
//! active_days = 0.3                      # optional: operates on ≈ 30 % of days (seeded)
//!
//! [[episode]]
//! name = "regional haze"
//! source_type = "secondary_regional"
//! after = "6h"                           # or start/end: RFC 3339 or "YYYY-MM-DD HH:MM"
//! duration = "18h"
//! increments = { pm25 = 60.0, pm10 = 75.0, o3 = 30.0 }
//!
//! [[fault]]
//! device = "DG-GC-SO2"
//! kind = "calibration"
//! daily = "02:00-02:20"                  # or after/duration, or start/end
//!
//! [hj212]                                # HJ 212 loggers of the registry upload to …
//! platform = "127.0.0.1:9212"
//! realtime_interval = "30s"              # 2011; 2051/2061/2031 at the ends of their periods
//! ```
//!
//! Line sources give `from`/`to` as `[lat, lon]` and their emissions as the total of the whole
//! line; area sources give a centre and `radius_m`. Emissions are in g/s for every pollutant
//! (CO included); `nox` (as NO2 mass) is split into NO2 and NO by `no2_fraction`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

pub use super::fault::{ActiveFault, Fault, FaultKind};
pub use super::logger::LoggerSettings;
pub use super::timespec::{DailyWindow, Dur, TimeSpec};
use crate::units::AirPollutant;

/// A scenario that failed to load.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{}: cannot read scenario: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// TOML syntax or type error (the TOML error shows line, column and the offending text).
    #[error("{}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: toml::de::Error,
    },
    /// A value that parses but makes no sense.
    #[error("{}:{line}: {field}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// Field path, e.g. `source[2].emissions.so2`.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// A whole simulation scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Seed of every pseudo-random quantity.
    pub seed: u64,
    /// Zone of local times (schedules, daily windows, diurnal cycles).
    #[serde(default = "default_tz")]
    pub time_zone: Tz,
    /// Background pollution and its cycles.
    #[serde(default)]
    pub background: Background,
    /// Climate of the period.
    #[serde(default)]
    pub climate: Climate,
    /// Emission sources.
    #[serde(default, rename = "source")]
    pub sources: Vec<Source>,
    /// Regional episodes.
    #[serde(default, rename = "episode")]
    pub episodes: Vec<Episode>,
    /// Device faults.
    #[serde(default, rename = "fault")]
    pub faults: Vec<Fault>,
    /// How the simulated HJ 212 data loggers upload (none are simulated without it).
    pub hj212: Option<LoggerSettings>,
    /// The file it was loaded from.
    #[serde(skip)]
    pub path: PathBuf,
}

fn default_tz() -> Tz {
    chrono_tz::Asia::Shanghai
}

/// Regional background concentrations (µg/m³; CO mg/m³) and the shape of their cycles.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Background {
    /// PM2.5 daily mean.
    pub pm25: f64,
    /// PM10 daily mean.
    pub pm10: f64,
    /// SO2 daily mean.
    pub so2: f64,
    /// NO2 level at midday traffic (before rush-hour and boundary-layer factors).
    pub no2: f64,
    /// NO level at midday traffic.
    pub no: f64,
    /// CO (mg/m³).
    pub co: f64,
    /// O3 reference level; the afternoon peak is about `o3 × (0.35 + o3_amplitude)`.
    pub o3: f64,
    /// Relative increase of traffic at the rush-hour peaks.
    pub rush_amplitude: f64,
    /// Local hour of the morning rush.
    pub morning_rush: f64,
    /// Local hour of the evening rush.
    pub evening_rush: f64,
    /// Traffic on Saturdays and Sundays relative to weekdays.
    pub weekend_traffic: f64,
    /// Local hour of the photochemical O3 maximum.
    pub o3_peak_hour: f64,
    /// Relative O3 amplitude of the photochemical cycle.
    pub o3_amplitude: f64,
    /// Relative night-time excess of PM (stable boundary layer).
    pub pm_night_amplitude: f64,
    /// Relative spread of levels between stations.
    pub spatial_variation: f64,
    /// Relative amplitude of the smooth noise.
    pub noise: f64,
}

impl Default for Background {
    fn default() -> Self {
        Background {
            pm25: 33.0,
            pm10: 55.0,
            so2: 8.0,
            no2: 28.0,
            no: 5.0,
            co: 0.7,
            o3: 70.0,
            rush_amplitude: 0.7,
            morning_rush: 8.0,
            evening_rush: 18.5,
            weekend_traffic: 0.8,
            o3_peak_hour: 15.0,
            o3_amplitude: 1.3,
            pm_night_amplitude: 0.25,
            spatial_variation: 0.15,
            noise: 0.12,
        }
    }
}

/// Climate of the simulated period (defaults: Dongguan in October).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Climate {
    /// Daily mean temperature, °C.
    pub temperature: f64,
    /// Mean daily temperature range (max − min), °C, under clear skies.
    pub diurnal_range: f64,
    /// Mean relative humidity at the mean temperature, %.
    pub humidity: f64,
    /// Mean sea-level pressure, hPa.
    pub pressure: f64,
    /// Mean synoptic (gradient) wind speed, m/s.
    pub wind_speed: f64,
    /// Mean synoptic wind direction (from), degrees.
    pub wind_from: f64,
    /// Amplitude of the slow veering of the synoptic wind over days, degrees.
    pub wind_veer: f64,
    /// Speed of the afternoon sea breeze (from the SW, the estuary), m/s; the night land breeze
    /// from the NE is 40 % of it.
    pub sea_breeze: f64,
    /// Expected number of rain events per week.
    pub rain_events_per_week: f64,
    /// Typical peak rain intensity, mm/h.
    pub rain_intensity: f64,
}

impl Default for Climate {
    fn default() -> Self {
        Climate {
            temperature: 25.5,
            diurnal_range: 8.0,
            humidity: 70.0,
            pressure: 1013.0,
            wind_speed: 2.8,
            wind_from: 20.0,
            wind_veer: 50.0,
            sea_breeze: 1.6,
            rain_events_per_week: 1.0,
            rain_intensity: 5.0,
        }
    }
}

/// Geometry of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A stack.
    Point,
    /// A road, `from` → `to`.
    Line,
    /// A disc (construction site, industrial park).
    Area,
}

/// What kind of activity a source or episode stands for (ground truth for source
/// identification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceType {
    /// Coal-fired power plants and boilers.
    CoalCombustion,
    /// Industry other than coal combustion.
    Industrial,
    /// Road traffic.
    Traffic,
    /// Construction, road and soil dust.
    Dust,
    /// Open burning of biomass.
    BiomassBurning,
    /// Regionally transported, largely secondary pollution.
    SecondaryRegional,
    /// Ships and port activity.
    Shipping,
}

impl SourceType {
    /// The label used in files.
    pub const fn label(self) -> &'static str {
        match self {
            SourceType::CoalCombustion => "coal_combustion",
            SourceType::Industrial => "industrial",
            SourceType::Traffic => "traffic",
            SourceType::Dust => "dust",
            SourceType::BiomassBurning => "biomass_burning",
            SourceType::SecondaryRegional => "secondary_regional",
            SourceType::Shipping => "shipping",
        }
    }
}

/// A named emission source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Unique name.
    pub name: String,
    /// Geometry.
    pub kind: SourceKind,
    /// Activity label.
    pub source_type: SourceType,
    /// Latitude (point: the stack; area: the centre).
    pub lat: Option<f64>,
    /// Longitude (point: the stack; area: the centre).
    pub lon: Option<f64>,
    /// Line start `[lat, lon]`.
    pub from: Option<[f64; 2]>,
    /// Line end `[lat, lon]`.
    pub to: Option<[f64; 2]>,
    /// Area radius, m.
    pub radius_m: Option<f64>,
    /// Release height, m (default: 10 for points, 2 for areas, 1 for lines).
    pub stack_height_m: Option<f64>,
    /// Buoyancy flux F, m⁴/s³, for Briggs plume rise (points only; default 0).
    pub buoyancy_flux: Option<f64>,
    /// Fraction of `nox` emitted as NO2 (default 0.25 for traffic, 0.1 otherwise).
    pub no2_fraction: Option<f64>,
    /// Local daily window when the source emits (always when absent).
    pub schedule: Option<DailyWindow>,
    /// Share of local days (0–1) on which the source operates at all, the days drawn
    /// pseudo-randomly from the seed and the source's name (every day when absent): open
    /// burning of crop residues, intermittent works.
    pub active_days: Option<f64>,
    /// Modulate emissions by the traffic cycle (default: true for `traffic`).
    pub traffic_profile: Option<bool>,
    #[serde(rename = "emissions")]
    emissions_raw: BTreeMap<String, f64>,
    /// Emission rates, g/s per pollutant (validated from the `emissions` table).
    #[serde(skip)]
    pub emissions: BTreeMap<AirPollutant, f64>,
}

/// A regional episode adding increments at every station.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Episode {
    /// Name.
    pub name: String,
    /// Activity label.
    pub source_type: SourceType,
    /// Absolute start.
    pub start: Option<TimeSpec>,
    /// Absolute end.
    pub end: Option<TimeSpec>,
    /// Start relative to the simulation start.
    pub after: Option<Dur>,
    /// Length (with `after`).
    pub duration: Option<Dur>,
    /// Ramp from zero to the full increment, from the start.
    #[serde(default = "three_hours")]
    pub ramp_up: Dur,
    /// Ramp back to zero, ending at the end.
    #[serde(default = "three_hours")]
    pub ramp_down: Dur,
    /// Relative change of the increment per 20 km along the transport direction.
    #[serde(default = "default_gradient")]
    pub gradient: f64,
    /// Direction the polluted air comes from, degrees (stations on that side get more).
    #[serde(default)]
    pub from_direction: f64,
    #[serde(rename = "increments")]
    increments_raw: BTreeMap<String, f64>,
    /// Full increments (µg/m³; CO mg/m³), validated from the `increments` table.
    #[serde(skip)]
    pub increments: BTreeMap<AirPollutant, f64>,
}

fn three_hours() -> Dur {
    Dur(TimeDelta::hours(3))
}

fn default_gradient() -> f64 {
    0.1
}

impl Episode {
    /// `[start, end)` in UTC for a simulation starting at `sim_start`.
    pub fn window(&self, sim_start: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        window(
            self.start,
            self.end,
            self.after,
            self.duration,
            sim_start,
            tz,
        )
    }
}

pub(crate) fn window(
    start: Option<TimeSpec>,
    end: Option<TimeSpec>,
    after: Option<Dur>,
    duration: Option<Dur>,
    sim_start: DateTime<Utc>,
    tz: Tz,
) -> (DateTime<Utc>, DateTime<Utc>) {
    // Validation guarantees one complete pair.
    match (start, end, after, duration) {
        (Some(s), Some(e), _, _) => (s.resolve(tz), e.resolve(tz)),
        (_, _, Some(a), Some(d)) => (sim_start + a.0, sim_start + a.0 + d.0),
        _ => (sim_start, sim_start),
    }
}

impl Scenario {
    /// Reads and validates the scenario file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Scenario::from_toml(&text, path)
    }

    /// Parses and validates scenario text; `path` only names it in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        let mut s: Scenario = toml::from_str(text).map_err(|source| ScenarioError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        s.path = path.to_path_buf();
        super::validate::validate(&mut s, text)?;
        Ok(s)
    }

    /// The faults of `device` in effect at `t`, for a simulation started at `sim_start`, with
    /// local windows read in `tz` (normally [`Scenario::time_zone`]).
    pub fn active_faults<'a>(
        &'a self,
        device: &'a str,
        t: DateTime<Utc>,
        sim_start: DateTime<Utc>,
        tz: Tz,
    ) -> impl Iterator<Item = ActiveFault<'a>> + 'a {
        self.faults
            .iter()
            .filter(move |f| f.device == device)
            .filter_map(move |fault| {
                let (since, until) = fault.occurrence(t, sim_start, tz)?;
                Some(ActiveFault {
                    fault,
                    since,
                    until,
                })
            })
    }

    /// The source named `name`.
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

impl Source {
    pub(crate) fn raw_emissions(&self) -> &BTreeMap<String, f64> {
        &self.emissions_raw
    }
}

impl Episode {
    pub(crate) fn raw_increments(&self) -> &BTreeMap<String, f64> {
        &self.increments_raw
    }
}

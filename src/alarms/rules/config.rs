//! The alarm rules as configured: `[alarms]` (the evaluation's settings) and the `[[alarm]]`
//! entries of `lantian.toml` (read in [`super::read`]), and the rules a network gets when none
//! are configured ([`default_rules`]).
//!
//! ```toml
//! [alarms]
//! interval = "1m"          # timer rules (no data, devices, system) are evaluated this often
//! collection_lag = "5m"    # how late data normally arrive (the stale-data policy)
//!
//! [[alarm]]
//! id = "o3-1h-limit"
//! kind = "threshold"
//! parameter = "o3"         # a parameter code, or "aqi"
//! window = "1h"            # 1h, or the running 8h / 24h mean
//! above = 200.0            # raise above this (canonical unit: µg/m³, CO mg/m³) …
//! clear_below = 180.0      # … clear at or below this (default: the raise level) …
//! clear_after = "1h"       # … once it has stayed there this long
//! severity = "minor"
//! districts = ["莞城街道"]  # scope: stations, districts, classes (all given must match)
//! ```
//!
//! Every value is in its parameter's canonical unit ([`Parameter::canonical_unit`]).

use std::path::PathBuf;

use chrono::TimeDelta;

use super::warning::WarningThresholds;
use crate::alarms::EscalationPolicy;
use crate::aqi::Category;
use crate::registry::StationKind;
use crate::store::{AlarmKind, Severity};
use crate::units::Parameter;

/// `[alarms]`: how the rules are evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSettings {
    /// How often the timer evaluates the rules that do not wait for data (no data, devices,
    /// system, the forecast warning, the network comparison), in monitoring time (default
    /// 1 min).
    pub interval: TimeDelta,
    /// How late data normally arrive after the end of their period (default 5 min). Data
    /// labelled more than 2 intervals + this before the evaluation are *stale*: their alarms
    /// are recorded but not notified.
    pub collection_lag: TimeDelta,
    /// When open alarms nobody acknowledged are escalated (`escalate_after`,
    /// `escalate_levels`; default: never), checked by the timer every interval.
    pub escalation: EscalationPolicy,
}

impl Default for AlarmSettings {
    fn default() -> Self {
        AlarmSettings {
            interval: TimeDelta::minutes(1),
            collection_lag: TimeDelta::minutes(5),
            escalation: EscalationPolicy::default(),
        }
    }
}

impl AlarmSettings {
    /// How old (label time before the evaluation) data may be for their alarms to be
    /// notified: 2 intervals + the collection lag.
    pub fn stale_after(&self) -> TimeDelta {
        self.interval * 2 + self.collection_lag
    }
}

/// The rules of a configuration: the `[[alarm]]` entries, or [`default_rules`] without any.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmRules {
    /// The file they were read from (errors found later, e.g. an unknown station, name it).
    pub file: PathBuf,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// Whether they were configured (`false`: the defaults).
    pub configured: bool,
}

impl Default for AlarmRules {
    fn default() -> Self {
        AlarmRules {
            file: PathBuf::from("lantian.toml"),
            rules: default_rules(),
            configured: false,
        }
    }
}

/// Where something was written: 1-based line and column (0, 0 for the built-in defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    /// Line.
    pub line: usize,
    /// Column.
    pub column: usize,
}

/// A value with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where.
    pub at: Location,
}

/// One `[[alarm]]` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Its id: unique, part of every alarm's key.
    pub id: String,
    /// The severity of its alarms.
    pub severity: Severity,
    /// The stations it applies to (network and system rules ignore it).
    pub scope: Scope,
    /// How long the condition must have stayed cleared before the alarm clears (hysteresis).
    pub clear_after: TimeDelta,
    /// What it checks.
    pub check: Check,
    /// Where its table starts.
    pub at: Location,
}

impl Rule {
    /// The family of its alarms.
    pub fn kind(&self) -> AlarmKind {
        self.check.kind()
    }
}

/// The stations a rule applies to: those matching every list given (none given: all).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scope {
    /// Station ids.
    pub stations: Vec<Located<String>>,
    /// Districts (as stations name theirs).
    pub districts: Vec<Located<String>>,
    /// Station classes (national, provincial, town, micro).
    pub classes: Vec<StationKind>,
}

impl Scope {
    /// Whether the scope is the whole network.
    pub fn is_network(&self) -> bool {
        self.stations.is_empty() && self.districts.is_empty() && self.classes.is_empty()
    }
}

/// What a threshold rule compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measured {
    /// The hourly AQI (HJ 633 real-time rules) as the index stage computes it.
    Aqi,
    /// A parameter's value.
    Parameter(Parameter),
}

/// A threshold with hysteresis: raise above `above`, clear at or below `clear_below`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// What is compared.
    pub measured: Measured,
    /// Hours of the running mean: 1 (hourly values), 8 or 24.
    pub window_hours: u32,
    /// The raise level (exclusive: the value must be above it).
    pub above: f64,
    /// The clear level (at or below it counts as cleared); at most `above`.
    pub clear_below: f64,
    /// The AQI category the level was given by, if it was (`category = "heavy"`).
    pub category: Option<Category>,
}

/// A sudden rise (陡升) of hourly values.
#[derive(Debug, Clone, PartialEq)]
pub struct Rise {
    /// The parameter.
    pub parameter: Parameter,
    /// Over how many hours (the value now against the value this many hours before).
    pub hours: u32,
    /// The least absolute increase.
    pub rise: f64,
    /// The least increase relative to the earlier value (0.5 = +50 %).
    pub relative: f64,
}

/// What a station is compared with in an [`Outlier`] rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reference {
    /// The median of the network's stations (in the rule's scope).
    Network,
    /// The median of the stations within this many kilometres.
    Neighbours {
        /// Radius, km.
        radius_km: f64,
    },
}

/// A station far above the median of the others at the same hour.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlier {
    /// The parameter.
    pub parameter: Parameter,
    /// Which stations give the median.
    pub reference: Reference,
    /// The value must be at least this many times the median …
    pub factor: f64,
    /// … and at least this much above it.
    pub excess: f64,
    /// Fewer other stations with a value than this: no comparison.
    pub min_stations: u32,
}

/// What a rule checks, with its options.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// `threshold`: an hourly value or running mean, or the hourly AQI, above a level.
    Threshold(Threshold),
    /// `sudden-rise`: an increase over N hours above an absolute and a relative amount.
    SuddenRise(Rise),
    /// `outlier`: a station far above its network's or neighbours' median at the same hour.
    Outlier(Outlier),
    /// `stuck`: the same minute value for `duration`.
    Stuck {
        /// The parameters checked.
        parameters: Vec<Parameter>,
        /// How long the value must repeat.
        duration: TimeDelta,
    },
    /// `negative`: an hourly value below −`noise`.
    Negative {
        /// The parameters checked.
        parameters: Vec<Parameter>,
        /// The tolerated noise below zero, in each parameter's unit (`None`: the
        /// parameter's own, [`negative_noise`]).
        noise: Option<f64>,
    },
    /// `pm25-above-pm10`: hourly PM2.5 above PM10 by more than `margin` µg/m³.
    Pm25AbovePm10 {
        /// Tolerance, µg/m³.
        margin: f64,
    },
    /// `no2-above-nox`: hourly NO2 above NOx (as NO2) by more than `margin` µg/m³.
    No2AboveNox {
        /// Tolerance, µg/m³.
        margin: f64,
    },
    /// `over-range`: minutes outside the instrument's range (the `T` flag).
    OverRange {
        /// The parameters checked.
        parameters: Vec<Parameter>,
    },
    /// `low-capture`: an hour not valid for want of minutes (45 of 60).
    LowCapture {
        /// The parameters checked.
        parameters: Vec<Parameter>,
    },
    /// `offline`: a device whose last `polls` polls failed.
    Offline {
        /// Failed polls in a row.
        polls: u32,
    },
    /// `device-fault`: a fault or alarm status bit (`D`) set for `duration`.
    DeviceFault {
        /// How long (0: at once).
        duration: TimeDelta,
    },
    /// `calibration`: a calibration status bit (`C`) set longer than `duration`.
    Calibration {
        /// Allowed duration.
        duration: TimeDelta,
    },
    /// `maintenance`: a maintenance status bit (`M`) set longer than `duration`.
    Maintenance {
        /// Allowed duration.
        duration: TimeDelta,
    },
    /// `store-failing`: store writes failing (the spool growing) for longer than `duration`.
    StoreFailing {
        /// Allowed duration.
        duration: TimeDelta,
    },
    /// `spool-age`: the oldest spooled reading older than `duration`.
    SpoolAge {
        /// Allowed age.
        duration: TimeDelta,
    },
    /// `job-failed`: a scheduled job's run failed after all its retries.
    JobFailed,
    /// `disk-space`: less than `min_free_percent` free on the store's or spool's filesystem.
    DiskSpace {
        /// Free space below this share raises.
        min_free_percent: f64,
    },
    /// `no-data`: nothing stored for a station × parameter its devices measure for
    /// `duration`.
    NoData {
        /// The parameters checked (empty: all the station's devices measure).
        parameters: Vec<Parameter>,
        /// How long without data.
        duration: TimeDelta,
    },
    /// `heavy-pollution-warning`: the warning level of the latest forecast run.
    HeavyPollutionWarning(WarningThresholds),
}

impl Check {
    /// The family of its alarms.
    pub fn kind(&self) -> AlarmKind {
        match self {
            Check::Threshold(_) => AlarmKind::Threshold,
            Check::SuddenRise(_) | Check::Outlier(_) => AlarmKind::SuddenRise,
            Check::Stuck { .. }
            | Check::Negative { .. }
            | Check::Pm25AbovePm10 { .. }
            | Check::No2AboveNox { .. }
            | Check::OverRange { .. }
            | Check::LowCapture { .. } => AlarmKind::DataAnomaly,
            Check::Offline { .. }
            | Check::DeviceFault { .. }
            | Check::Calibration { .. }
            | Check::Maintenance { .. } => AlarmKind::DeviceState,
            Check::StoreFailing { .. }
            | Check::SpoolAge { .. }
            | Check::JobFailed
            | Check::DiskSpace { .. } => AlarmKind::System,
            Check::NoData { .. } => AlarmKind::NoData,
            Check::HeavyPollutionWarning(_) => AlarmKind::HeavyPollution,
        }
    }
}

/// The six pollutants HJ 663 assesses ([`crate::assess::Pollutant`]), the default of the
/// anomaly rules.
pub fn assessed() -> Vec<Parameter> {
    crate::assess::Pollutant::ALL
        .map(|p| p.parameter())
        .to_vec()
}
/// The noise tolerated below zero before an hourly value counts as negative: about twice
/// the zero drift HJ 654 / HJ 653 allow the analysers (PM ±5 µg/m³ … CO ±0.1 mg/m³).
pub fn negative_noise(p: Parameter) -> f64 {
    match p {
        Parameter::Pm25 | Parameter::Pm10 => 10.0,
        Parameter::Co => 0.2,
        Parameter::So2 | Parameter::No2 | Parameter::No | Parameter::Nox | Parameter::O3 => 6.0,
        _ => 0.0,
    }
}

/// The rules a network gets when none are configured (`lantian alarms rules` prints them):
///
/// - **Thresholds** — the GB 3095-2012 grade II limits on their averaging times (O3 1-h 200
///   and 8-h 160 µg/m³, NO2 1-h 200, SO2 1-h 500, CO 1-h 10 mg/m³, PM2.5 24-h 75, PM10 24-h
///   150; minor), PM2.5 1-h above 150 (the heavy-pollution concentration; minor), and the
///   hourly AQI in 重度污染 (> 200; major) or 严重污染 (> 300; critical). Each clears after
///   an hour at or below 90 % of its level (the AQI: at or below the category boundary).
/// - **Sudden rise** — PM2.5 up ≥ 40 µg/m³ and ≥ 50 % within 2 hours; a station's PM2.5 or
///   PM10 at least twice the network median and ≥ 40 / 60 µg/m³ above it (minor).
/// - **Data anomalies** (info, for the maintainers) — a minute value repeated for 2 hours,
///   negative beyond the noise, PM2.5 > PM10 + 10, NO2 > NOx + 10, a minute over range, an
///   hour short of 45 valid minutes.
/// - **Devices** — offline for 5 polls, a fault bit (minor); calibration over 1 h,
///   maintenance over 4 h (info).
/// - **System** — store writes failing for 5 min (major), the oldest spooled reading over
///   15 min old (minor), a job failed after its retries (minor), under 10 % disk free (major).
/// - **No data** — a parameter a station's devices measure with nothing stored for 15 min
///   (minor).
/// - **Heavy-pollution warning** — the network's forecast (severity by colour).
pub fn default_rules() -> Vec<Rule> {
    let rule = |id: &str, severity, clear_after: TimeDelta, check| Rule {
        id: id.to_string(),
        severity,
        scope: Scope::default(),
        clear_after,
        check,
        at: Location::default(),
    };
    let hour = TimeDelta::hours(1);
    let limit = |id: &str, p: Parameter, window_hours: u32, above: f64| {
        let check = Check::Threshold(Threshold {
            measured: Measured::Parameter(p),
            window_hours,
            above,
            clear_below: above * 0.9,
            category: None,
        });
        rule(id, Severity::Minor, hour, check)
    };
    let aqi = |id: &str, severity, category: Category| {
        let above = f64::from(category.aqi_range().0 - 1);
        let check = Check::Threshold(Threshold {
            measured: Measured::Aqi,
            window_hours: 1,
            above,
            clear_below: above,
            category: Some(category),
        });
        rule(id, severity, hour, check)
    };
    let outlier = |id: &str, parameter, excess| {
        let check = Check::Outlier(Outlier {
            parameter,
            reference: Reference::Network,
            factor: 2.0,
            excess,
            min_stations: 5,
        });
        rule(id, Severity::Minor, hour, check)
    };
    let minutes = TimeDelta::minutes;
    vec![
        limit("o3-1h-limit", Parameter::O3, 1, 200.0),
        limit("o3-8h-limit", Parameter::O3, 8, 160.0),
        limit("no2-1h-limit", Parameter::No2, 1, 200.0),
        limit("so2-1h-limit", Parameter::So2, 1, 500.0),
        limit("co-1h-limit", Parameter::Co, 1, 10.0),
        limit("pm25-24h-limit", Parameter::Pm25, 24, 75.0),
        limit("pm10-24h-limit", Parameter::Pm10, 24, 150.0),
        limit("pm25-1h-high", Parameter::Pm25, 1, 150.0),
        aqi("aqi-heavy", Severity::Major, Category::Heavy),
        aqi("aqi-severe", Severity::Critical, Category::Severe),
        rule(
            "pm25-sudden-rise",
            Severity::Minor,
            hour,
            Check::SuddenRise(Rise {
                parameter: Parameter::Pm25,
                hours: 2,
                rise: 40.0,
                relative: 0.5,
            }),
        ),
        outlier("pm25-outlier", Parameter::Pm25, 40.0),
        outlier("pm10-outlier", Parameter::Pm10, 60.0),
        rule(
            "stuck",
            Severity::Info,
            TimeDelta::zero(),
            Check::Stuck {
                parameters: assessed(),
                duration: TimeDelta::hours(2),
            },
        ),
        rule(
            "negative",
            Severity::Info,
            hour,
            Check::Negative {
                parameters: assessed(),
                noise: None,
            },
        ),
        rule(
            "pm25-above-pm10",
            Severity::Info,
            hour,
            Check::Pm25AbovePm10 { margin: 10.0 },
        ),
        rule(
            "no2-above-nox",
            Severity::Info,
            hour,
            Check::No2AboveNox { margin: 10.0 },
        ),
        rule(
            "over-range",
            Severity::Info,
            minutes(10),
            Check::OverRange {
                parameters: assessed(),
            },
        ),
        rule(
            "low-capture",
            Severity::Info,
            TimeDelta::zero(),
            Check::LowCapture {
                parameters: assessed(),
            },
        ),
        rule(
            "offline",
            Severity::Minor,
            TimeDelta::zero(),
            Check::Offline { polls: 5 },
        ),
        rule(
            "device-fault",
            Severity::Minor,
            TimeDelta::zero(),
            Check::DeviceFault {
                duration: TimeDelta::zero(),
            },
        ),
        rule(
            "calibration-long",
            Severity::Info,
            TimeDelta::zero(),
            Check::Calibration { duration: hour },
        ),
        rule(
            "maintenance-long",
            Severity::Info,
            TimeDelta::zero(),
            Check::Maintenance {
                duration: TimeDelta::hours(4),
            },
        ),
        rule(
            "store-failing",
            Severity::Major,
            TimeDelta::zero(),
            Check::StoreFailing {
                duration: minutes(5),
            },
        ),
        rule(
            "spool-age",
            Severity::Minor,
            TimeDelta::zero(),
            Check::SpoolAge {
                duration: minutes(15),
            },
        ),
        rule(
            "job-failed",
            Severity::Minor,
            TimeDelta::zero(),
            Check::JobFailed,
        ),
        rule(
            "disk-space",
            Severity::Major,
            minutes(10),
            Check::DiskSpace {
                min_free_percent: 10.0,
            },
        ),
        rule(
            "no-data",
            Severity::Minor,
            TimeDelta::zero(),
            Check::NoData {
                parameters: Vec::new(),
                duration: minutes(15),
            },
        ),
        rule(
            "heavy-pollution-warning",
            Severity::Minor,
            TimeDelta::zero(),
            Check::HeavyPollutionWarning(WarningThresholds::default()),
        ),
    ]
}

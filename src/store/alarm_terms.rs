//! The vocabulary of alarms: how serious ([`Severity`], and the heavy-pollution warning's
//! colours, [`WarningLevel`]), what kind of condition ([`AlarmKind`]), about what
//! ([`AlarmSubject`]) and what its values measure ([`Measure`], in which [`MeasureUnit`]).
//! Every term has one stored code (`code()`, parsed back with `FromStr`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::StationId;
use crate::units::{Parameter, Unit};

/// An unknown code of an alarm term: which term, and the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {term} `{text}`")]
pub struct UnknownAlarmTerm {
    /// The term (`severity`, `alarm kind`, `alarm subject`…).
    pub term: &'static str,
    /// The text that is not one of its codes.
    pub text: String,
}

/// Declares a fieldless term with its codes, `ALL`, `code()`, `FromStr` and `Display`.
macro_rules! alarm_term {
    ($(#[$meta:meta])* $name:ident, $term:literal { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored code.
            pub const fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownAlarmTerm;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.code().eq_ignore_ascii_case(s))
                    .ok_or_else(|| UnknownAlarmTerm {
                        term: $term,
                        text: s.to_string(),
                    })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

alarm_term! {
    /// How serious an alarm is, in the four levels Chinese monitoring centres grade
    /// alarms in: 提示 (info: recorded, shown, nobody paged), 一般 (minor: the duty officer),
    /// 较重 (major: the officer and the station's maintainer or district), 严重 (critical:
    /// leadership too). Ordered: `Info < Minor < Major < Critical`; notifications route by it.
    Severity, "severity" {
        /// 提示: recorded and shown, nobody paged.
        Info = "info",
        /// 一般.
        Minor = "minor",
        /// 较重.
        Major = "major",
        /// 严重.
        Critical = "critical",
    }
}

alarm_term! {
    /// The colour of a heavy-pollution weather warning (重污染天气预警), blue to red as the
    /// national guidance grades them by how many consecutive days the forecast daily AQI
    /// stays above 200, 300 or 500 (the thresholds are the rules' configuration).
    WarningLevel, "warning level" {
        /// 蓝色预警.
        Blue = "blue",
        /// 黄色预警.
        Yellow = "yellow",
        /// 橙色预警.
        Orange = "orange",
        /// 红色预警.
        Red = "red",
    }
}

impl WarningLevel {
    /// The severity of an alarm of this colour. A warning is published and starts measures, so
    /// none is merely informational: blue (health advice and voluntary measures) is minor,
    /// yellow (the first mandatory emission cuts) major, orange and red (the strongest cuts,
    /// every authority involved) critical. The alarm keeps its colour
    /// ([`AlarmEvidence::warning`](super::AlarmEvidence::warning)) for reports and messages.
    pub const fn severity(self) -> Severity {
        match self {
            WarningLevel::Blue => Severity::Minor,
            WarningLevel::Yellow => Severity::Major,
            WarningLevel::Orange | WarningLevel::Red => Severity::Critical,
        }
    }
}

alarm_term! {
    /// The family of the rule that raised an alarm.
    AlarmKind, "alarm kind" {
        /// A concentration or AQI above (or below) a threshold (超标).
        Threshold = "threshold",
        /// A sudden rise (陡升): over N hours, or far above the network's median.
        SuddenRise = "sudden_rise",
        /// Data that cannot be right: stuck, negative, PM2.5 > PM10, NO2 > NOx, out of range,
        /// too few valid minutes (数据异常).
        DataAnomaly = "data_anomaly",
        /// A device offline, in fault, or in calibration or maintenance too long (设备状态).
        DeviceState = "device_state",
        /// The platform itself: store unreachable, spool backlog, a failed job, disk full.
        System = "system",
        /// A station or parameter that should report and has not (无数据).
        NoData = "no_data",
        /// A heavy-pollution weather warning from the latest forecast (重污染天气预警).
        HeavyPollution = "heavy_pollution",
    }
}

alarm_term! {
    /// Where an alarm is in its life. Derived from the alarm's record
    /// ([`Alarm::state`](super::Alarm::state)), kept beside it for queries.
    AlarmState, "alarm state" {
        /// Raised, nobody has acknowledged it.
        Open = "open",
        /// Someone has taken it on.
        Acknowledged = "acknowledged",
        /// Over: cleared for the hysteresis time, or closed by hand.
        Closed = "closed",
    }
}

alarm_term! {
    /// Whether a condition holds above or below its threshold.
    Direction, "direction" {
        /// The condition holds when the value is above the threshold.
        Above = "above",
        /// The condition holds when the value is below it (valid minutes, negative values).
        Below = "below",
    }
}

alarm_term! {
    /// The period a value is averaged over.
    Averaging, "averaging" {
        /// One sample.
        Sample = "sample",
        /// A minute mean.
        Minute = "1m",
        /// An hourly mean (hour-ending label).
        Hour = "1h",
        /// The running 8-hour mean (O3, CO).
        Running8h = "8h",
        /// The running 24-hour mean (PM).
        Running24h = "24h",
        /// A local day.
        Day = "1d",
    }
}

alarm_term! {
    /// What has lasted, in [`Measure::Lasting`].
    Lasting, "duration" {
        /// No data arrived.
        NoData = "no_data",
        /// A device was offline (its polls failing).
        Offline = "offline",
        /// A device was in calibration.
        Calibration = "calibration",
        /// A device was in maintenance.
        Maintenance = "maintenance",
        /// A device reported a fault.
        Fault = "fault",
        /// The oldest reading waited in the spool for the store.
        SpoolBacklog = "spool_backlog",
    }
}

/// What an alarm's values ([`AlarmEvidence`](super::AlarmEvidence)) measure; with
/// [`Measure::unit`] the unit they are in. Parameters' values are in their canonical unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// A parameter's value averaged over a period.
    Value {
        /// The parameter.
        parameter: Parameter,
        /// The period.
        averaging: Averaging,
    },
    /// The AQI of a period (hourly, or daily / 24-h).
    Aqi {
        /// The period.
        averaging: Averaging,
    },
    /// How much a parameter's hourly value rose over a number of hours.
    Rise {
        /// The parameter.
        parameter: Parameter,
        /// Over how many hours.
        hours: u32,
    },
    /// How far a station's value is above its network's (or neighbours') median at the same
    /// time.
    AboveMedian {
        /// The parameter.
        parameter: Parameter,
        /// The period of both values.
        averaging: Averaging,
    },
    /// The ratio of two parameters' values (PM2.5 / PM10, NO2 / NOx).
    Ratio {
        /// The numerator.
        numerator: Parameter,
        /// The denominator.
        denominator: Parameter,
    },
    /// Valid minutes in an hour of a parameter (the 45-of-60 capture rule).
    ValidMinutes {
        /// The parameter.
        parameter: Parameter,
    },
    /// The same value repeated, samples in a row (a stuck analyser).
    Repeats {
        /// The parameter.
        parameter: Parameter,
    },
    /// Polls of a device that failed in a row.
    FailedPolls,
    /// Failed attempts of a job's run.
    FailedAttempts,
    /// Minutes something has lasted.
    Lasting {
        /// What.
        what: Lasting,
    },
    /// The share of the disk in use.
    DiskUsed,
    /// Consecutive forecast days with a daily AQI above a level.
    ForecastDays {
        /// The level (200, 300, 500).
        above: u32,
    },
}

/// The unit of a [`Measure`]'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasureUnit {
    /// A parameter's canonical unit.
    Of(Unit),
    /// An index (the AQI): no unit.
    Index,
    /// A ratio: no unit.
    Ratio,
    /// A count.
    Count,
    /// Minutes.
    Minutes,
    /// Percent.
    Percent,
    /// Days.
    Days,
}

impl MeasureUnit {
    /// The symbol for display (`µg/m³`, `min`, `%`); empty for numbers without a unit.
    pub const fn display(self) -> &'static str {
        match self {
            MeasureUnit::Of(unit) => unit.display(),
            MeasureUnit::Index | MeasureUnit::Ratio | MeasureUnit::Count => "",
            MeasureUnit::Minutes => "min",
            MeasureUnit::Percent => "%",
            MeasureUnit::Days => "d",
        }
    }
}

impl Measure {
    /// The unit of the values.
    pub const fn unit(&self) -> MeasureUnit {
        match self {
            Measure::Value { parameter, .. }
            | Measure::Rise { parameter, .. }
            | Measure::AboveMedian { parameter, .. } => MeasureUnit::Of(parameter.canonical_unit()),
            Measure::Aqi { .. } => MeasureUnit::Index,
            Measure::Ratio { .. } => MeasureUnit::Ratio,
            Measure::ValidMinutes { .. } | Measure::Lasting { .. } => MeasureUnit::Minutes,
            Measure::Repeats { .. } | Measure::FailedPolls | Measure::FailedAttempts => {
                MeasureUnit::Count
            }
            Measure::DiskUsed => MeasureUnit::Percent,
            Measure::ForecastDays { .. } => MeasureUnit::Days,
        }
    }

    /// The measure in a few words (`pm25 1h`, `AQI 1d`, `pm25 rise over 3 h`).
    pub fn label(&self) -> String {
        match self {
            Measure::Value {
                parameter,
                averaging,
            } => format!("{} {averaging}", parameter.code()),
            Measure::Aqi { averaging } => format!("AQI {averaging}"),
            Measure::Rise { parameter, hours } => {
                format!("{} rise over {hours} h", parameter.code())
            }
            Measure::AboveMedian {
                parameter,
                averaging,
            } => format!("{} {averaging} above the median", parameter.code()),
            Measure::Ratio {
                numerator,
                denominator,
            } => format!("{}/{}", numerator.code(), denominator.code()),
            Measure::ValidMinutes { parameter } => {
                format!("{} valid minutes", parameter.code())
            }
            Measure::Repeats { parameter } => format!("{} repeated values", parameter.code()),
            Measure::FailedPolls => "failed polls".to_string(),
            Measure::FailedAttempts => "failed attempts".to_string(),
            Measure::Lasting { what } => format!("{what} for"),
            Measure::DiskUsed => "disk used".to_string(),
            Measure::ForecastDays { above } => format!("forecast days above AQI {above}"),
        }
    }
}

/// A part of the platform itself that a system alarm is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SystemComponent {
    /// The store (unreachable, refusing writes).
    Store,
    /// The collectors' spool (growing, its oldest reading too old).
    Spool,
    /// The disk the store and spool are on.
    Disk,
    /// A scheduled job (by its name).
    Job(String),
    /// An uplink target (by its name).
    Uplink(String),
}

/// What an alarm is about. Its code (the stored form, [`AlarmSubject::code`]) names the
/// variant and its parts separated by `/`, each part with `%` and `/` escaped (`%25`,
/// `%2F`): `network`, `district/莞城`, `station/DG-GC`, `station/DG-GC/pm25`,
/// `device/DG-GC/DG-GC-PM`, `system/store`, `system/job/daily`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlarmSubject {
    /// The whole network (a heavy-pollution warning, a network-wide rise).
    Network,
    /// A district (by name, as stations name theirs).
    District(String),
    /// A station.
    Station(StationId),
    /// One parameter of a station.
    StationParameter(StationId, Parameter),
    /// A device of a station.
    Device {
        /// Its station.
        station: StationId,
        /// The device's id.
        device: String,
    },
    /// A part of the platform.
    System(SystemComponent),
}

/// `part` with `%` and `/` escaped.
fn escape(part: &str) -> String {
    part.replace('%', "%25").replace('/', "%2F")
}

/// `part` with `%2F` and `%25` read back.
fn unescape(part: &str) -> Option<String> {
    let mut out = String::with_capacity(part.len());
    let mut rest = part;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i..i + 3)?;
        out.push(match code {
            "%25" => '%',
            "%2F" => '/',
            _ => return None,
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

impl AlarmSubject {
    /// The stored code (see the [type](AlarmSubject)).
    pub fn code(&self) -> String {
        match self {
            AlarmSubject::Network => "network".to_string(),
            AlarmSubject::District(d) => format!("district/{}", escape(d)),
            AlarmSubject::Station(s) => format!("station/{}", escape(s)),
            AlarmSubject::StationParameter(s, p) => {
                format!("station/{}/{}", escape(s), p.code())
            }
            AlarmSubject::Device { station, device } => {
                format!("device/{}/{}", escape(station), escape(device))
            }
            AlarmSubject::System(c) => match c {
                SystemComponent::Store => "system/store".to_string(),
                SystemComponent::Spool => "system/spool".to_string(),
                SystemComponent::Disk => "system/disk".to_string(),
                SystemComponent::Job(name) => format!("system/job/{}", escape(name)),
                SystemComponent::Uplink(name) => format!("system/uplink/{}", escape(name)),
            },
        }
    }

    /// The station the subject belongs to (a station, one of its parameters, one of its
    /// devices); `None` for the network, a district and the system.
    pub fn station(&self) -> Option<&StationId> {
        match self {
            AlarmSubject::Station(s)
            | AlarmSubject::StationParameter(s, _)
            | AlarmSubject::Device { station: s, .. } => Some(s),
            _ => None,
        }
    }

    /// The names in the subject (district, station, device, job, uplink), which must not be
    /// empty nor hold control characters (line breaks have no InfluxDB tag form).
    fn names(&self) -> Vec<&str> {
        match self {
            AlarmSubject::Network => vec![],
            AlarmSubject::District(d) => vec![d],
            AlarmSubject::Station(s) | AlarmSubject::StationParameter(s, _) => vec![s],
            AlarmSubject::Device { station, device } => vec![station, device],
            AlarmSubject::System(SystemComponent::Job(n) | SystemComponent::Uplink(n)) => {
                vec![n]
            }
            AlarmSubject::System(_) => vec![],
        }
    }

    /// Why the subject cannot be stored, if it cannot: an empty name, or one with control
    /// characters.
    pub fn check(&self) -> Result<(), String> {
        match self.names().into_iter().find(|n| !valid_name(n)) {
            Some(n) => Err(format!(
                "subject {}: name {n:?} is empty or has control characters",
                self.code()
            )),
            None => Ok(()),
        }
    }
}

/// A name an alarm may carry (subject parts, rule ids, people): not empty, no control
/// characters.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.trim().is_empty() && !name.chars().any(char::is_control)
}

impl fmt::Display for AlarmSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl FromStr for AlarmSubject {
    type Err = UnknownAlarmTerm;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownAlarmTerm {
            term: "alarm subject",
            text: s.to_string(),
        };
        let parts = s
            .split('/')
            .map(unescape)
            .collect::<Option<Vec<String>>>()
            .ok_or_else(unknown)?;
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let subject = match parts.as_slice() {
            ["network"] => AlarmSubject::Network,
            ["district", d] => AlarmSubject::District(d.to_string()),
            ["station", st] => AlarmSubject::Station((*st).into()),
            ["station", st, p] => {
                AlarmSubject::StationParameter((*st).into(), p.parse().map_err(|_| unknown())?)
            }
            ["device", st, d] => AlarmSubject::Device {
                station: (*st).into(),
                device: d.to_string(),
            },
            ["system", "store"] => AlarmSubject::System(SystemComponent::Store),
            ["system", "spool"] => AlarmSubject::System(SystemComponent::Spool),
            ["system", "disk"] => AlarmSubject::System(SystemComponent::Disk),
            ["system", "job", n] => AlarmSubject::System(SystemComponent::Job(n.to_string())),
            ["system", "uplink", n] => AlarmSubject::System(SystemComponent::Uplink(n.to_string())),
            _ => return Err(unknown()),
        };
        Ok(subject)
    }
}

impl Serialize for AlarmSubject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

impl<'de> Deserialize<'de> for AlarmSubject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_round_trip_through_their_codes() {
        let subjects = [
            AlarmSubject::Network,
            AlarmSubject::District("莞城 / east %".into()),
            AlarmSubject::Station("DG-GC".into()),
            AlarmSubject::StationParameter("a/b:c".into(), Parameter::Pm25),
            AlarmSubject::Device {
                station: "DG-GC".into(),
                device: "PM%2F".into(),
            },
            AlarmSubject::System(SystemComponent::Store),
            AlarmSubject::System(SystemComponent::Spool),
            AlarmSubject::System(SystemComponent::Disk),
            AlarmSubject::System(SystemComponent::Job("daily/report".into())),
            AlarmSubject::System(SystemComponent::Uplink("city".into())),
        ];
        for s in subjects {
            let code = s.code();
            assert_eq!(code.parse::<AlarmSubject>(), Ok(s.clone()), "{code}");
        }
        assert_eq!(
            AlarmSubject::StationParameter("a/b".into(), Parameter::No2).code(),
            "station/a%2Fb/no2"
        );
        for bad in [
            "",
            "station",
            "station/A/xx",
            "system/cpu",
            "district/a%2",
            "x/y",
        ] {
            assert!(bad.parse::<AlarmSubject>().is_err(), "{bad}");
        }
        assert!(AlarmSubject::Station("A\nB".into()).check().is_err());
        assert!(AlarmSubject::District(" ".into()).check().is_err());
    }

    #[test]
    fn terms_parse_their_codes_and_are_ordered() {
        for s in Severity::ALL {
            assert_eq!(s.code().parse::<Severity>(), Ok(*s));
        }
        assert!(Severity::Info < Severity::Minor && Severity::Major < Severity::Critical);
        assert_eq!("MAJOR".parse::<Severity>(), Ok(Severity::Major));
        let err = "urgent".parse::<Severity>().unwrap_err();
        assert_eq!(err.to_string(), "unknown severity `urgent`");
        let levels: Vec<Severity> = WarningLevel::ALL.iter().map(|w| w.severity()).collect();
        assert!(levels.windows(2).all(|w| w[0] <= w[1]), "{levels:?}");
        assert_eq!(WarningLevel::Blue.severity(), Severity::Minor);
        assert_eq!(WarningLevel::Red.severity(), Severity::Critical);
        for k in AlarmKind::ALL {
            assert_eq!(k.code().parse::<AlarmKind>(), Ok(*k));
        }
        assert_eq!(
            Measure::Value {
                parameter: Parameter::Co,
                averaging: Averaging::Hour
            }
            .unit()
            .display(),
            "mg/m³"
        );
    }
}

//! Reading `[alarms]` and the `[[alarm]]` tables: every key is read with its span, so that a
//! wrong value, an option of another kind or an impossible threshold (a clear level above
//! the raise level) is reported at its own line and column, with the rule's id and the key.
//! Names of stations and districts are checked later, against the network
//! ([`super::scope::NetworkScope::check`]), and located the same way.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use chrono::TimeDelta;
use serde::Deserialize;
use toml::Spanned;

use super::config::{
    ASSESSED, AlarmRules, AlarmSettings, Check, Located, Location, Measured, Outlier, Reference,
    Rise, Rule, Scope, Threshold, default_rules,
};
use super::warning::WarningThresholds;
use crate::aqi::Category;
use crate::registry::{ConfigError, StationKind, line_column, parse_interval};
use crate::store::Severity;
use crate::units::Parameter;

/// `[alarms]` as written.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    interval: Option<Spanned<String>>,
    collection_lag: Option<Spanned<String>>,
}

/// One `[[alarm]]` table as written: every key optional here, checked against its kind.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    id: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    severity: Option<Spanned<String>>,
    stations: Option<Vec<Spanned<String>>>,
    districts: Option<Vec<Spanned<String>>>,
    classes: Option<Spanned<Vec<StationKind>>>,
    clear_after: Option<Spanned<String>>,
    parameter: Option<Spanned<String>>,
    parameters: Option<Spanned<Vec<Spanned<String>>>>,
    window: Option<Spanned<String>>,
    above: Option<Spanned<f64>>,
    category: Option<Spanned<String>>,
    clear_below: Option<Spanned<f64>>,
    hours: Option<Spanned<u32>>,
    rise: Option<Spanned<f64>>,
    relative: Option<Spanned<f64>>,
    reference: Option<Spanned<String>>,
    radius_km: Option<Spanned<f64>>,
    factor: Option<Spanned<f64>>,
    excess: Option<Spanned<f64>>,
    min_stations: Option<Spanned<u32>>,
    duration: Option<Spanned<String>>,
    noise: Option<Spanned<f64>>,
    margin: Option<Spanned<f64>>,
    polls: Option<Spanned<u32>>,
    min_free_percent: Option<Spanned<f64>>,
    heavy_aqi: Option<Spanned<u32>>,
    severe_aqi: Option<Spanned<u32>>,
    extreme_aqi: Option<Spanned<u32>>,
    days: Option<Spanned<[u32; 4]>>,
    severe_days: Option<Spanned<[u32; 4]>>,
}

/// The kinds of rule and the options each takes (besides id, kind, severity, the scope and
/// `clear_after`, which every kind takes).
const KINDS: &[(&str, &[&str])] = &[
    (
        "threshold",
        &["parameter", "window", "above", "category", "clear_below"],
    ),
    ("sudden-rise", &["parameter", "hours", "rise", "relative"]),
    (
        "outlier",
        &[
            "parameter",
            "reference",
            "radius_km",
            "factor",
            "excess",
            "min_stations",
        ],
    ),
    ("stuck", &["parameters", "duration"]),
    ("negative", &["parameters", "noise"]),
    ("pm25-above-pm10", &["margin"]),
    ("no2-above-nox", &["margin"]),
    ("over-range", &["parameters"]),
    ("low-capture", &["parameters"]),
    ("offline", &["polls"]),
    ("device-fault", &["duration"]),
    ("calibration", &["duration"]),
    ("maintenance", &["duration"]),
    ("store-failing", &["duration"]),
    ("spool-age", &["duration"]),
    ("job-failed", &[]),
    ("disk-space", &["min_free_percent"]),
    ("no-data", &["parameters", "duration"]),
    (
        "heavy-pollution-warning",
        &[
            "heavy_aqi",
            "severe_aqi",
            "extreme_aqi",
            "days",
            "severe_days",
        ],
    ),
];

/// Locates spans of one file's text.
struct Text<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Text<'_> {
    fn at(&self, span: &Range<usize>) -> Location {
        let (line, column) = line_column(self.text, span.start);
        Location { line, column }
    }

    fn error(&self, span: &Range<usize>, field: &str, message: impl Into<String>) -> ConfigError {
        let at = self.at(span);
        ConfigError {
            file: self.file.to_path_buf(),
            line: at.line,
            column: at.column,
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn duration(&self, v: &Spanned<String>, field: &str) -> Result<TimeDelta, ConfigError> {
        let text = v.get_ref().trim();
        let digits = text.trim_end_matches(char::is_alphabetic);
        if !digits.is_empty() && digits.bytes().all(|b| b == b'0') {
            return Ok(TimeDelta::zero());
        }
        parse_interval(text).map_err(|m| self.error(&v.span(), field, m))
    }
}

/// Reads `[alarms]`.
pub(crate) fn read_settings(
    raw: &RawSettings,
    file: &Path,
    text: &str,
) -> Result<AlarmSettings, ConfigError> {
    let t = Text { file, text };
    let mut settings = AlarmSettings::default();
    if let Some(v) = &raw.interval {
        settings.interval = t.duration(v, "alarms.interval")?;
        if settings.interval <= TimeDelta::zero() {
            return Err(t.error(
                &v.span(),
                "alarms.interval",
                "the interval must be positive",
            ));
        }
    }
    if let Some(v) = &raw.collection_lag {
        settings.collection_lag = t.duration(v, "alarms.collection_lag")?;
    }
    Ok(settings)
}

/// Reads the `[[alarm]]` tables of `file` (whose text is `text`); none gives the defaults.
pub(crate) fn read_rules(
    raw: &[Spanned<RawRule>],
    file: &Path,
    text: &str,
) -> Result<AlarmRules, ConfigError> {
    let t = Text { file, text };
    let mut rules = Vec::with_capacity(raw.len());
    let mut ids = BTreeSet::new();
    for (i, r) in raw.iter().enumerate() {
        let rule = read_rule(&t, r, i)?;
        if !ids.insert(rule.id.clone()) {
            let span = r.get_ref().id.as_ref().map_or(r.span(), Spanned::span);
            return Err(t.error(
                &span,
                &format!("alarm[{i}].id"),
                format!(
                    "a second rule with the id `{}` (ids must be unique)",
                    rule.id
                ),
            ));
        }
        rules.push(rule);
    }
    let configured = !rules.is_empty();
    Ok(AlarmRules {
        file: file.to_path_buf(),
        rules: if configured { rules } else { default_rules() },
        configured,
    })
}

/// One table.
fn read_rule(t: &Text<'_>, raw: &Spanned<RawRule>, i: usize) -> Result<Rule, ConfigError> {
    let r = raw.get_ref();
    let field = |key: &str| format!("alarm[{i}].{key}");
    let id =
        r.id.as_ref()
            .ok_or_else(|| t.error(&raw.span(), &field("id"), "every [[alarm]] needs an `id`"))?;
    let id_text = id.get_ref().trim();
    if id_text.is_empty() || id_text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(t.error(
            &id.span(),
            &field("id"),
            format!("`{id_text}` is not an id (a word without spaces, e.g. \"pm25-1h-high\")"),
        ));
    }
    let named = |key: &str| format!("alarm[{i}].{key} (rule `{id_text}`)");
    let kind = r.kind.as_ref().ok_or_else(|| {
        t.error(
            &raw.span(),
            &named("kind"),
            "every [[alarm]] needs a `kind`",
        )
    })?;
    let Some((kind_name, options)) = KINDS.iter().find(|(k, _)| *k == kind.get_ref()) else {
        let known: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
        return Err(t.error(
            &kind.span(),
            &named("kind"),
            format!(
                "unknown kind `{}` (expected one of {})",
                kind.get_ref(),
                known.join(", ")
            ),
        ));
    };
    for (key, span) in r.options() {
        if !options.contains(&key) {
            let takes = if options.is_empty() {
                "no options".to_string()
            } else {
                options.join(", ")
            };
            return Err(t.error(
                &span,
                &named(key),
                format!("`{key}` is not an option of `{kind_name}` rules (they take {takes})"),
            ));
        }
    }
    let ctx = RuleText {
        t,
        r,
        named: &named,
        table: raw.span(),
    };
    let check = ctx.check(kind_name)?;
    let severity = match &r.severity {
        Some(s) if matches!(check, Check::HeavyPollutionWarning(_)) => {
            return Err(t.error(
                &s.span(),
                &named("severity"),
                "a heavy-pollution warning's severity is its colour's (blue minor, yellow \
                 major, orange and red critical)",
            ));
        }
        Some(s) => s.get_ref().parse::<Severity>().map_err(|e| {
            t.error(
                &s.span(),
                &named("severity"),
                format!("{e} (expected info, minor, major or critical)"),
            )
        })?,
        None => default_severity(&check),
    };
    let clear_after = match &r.clear_after {
        Some(v) => t.duration(v, &named("clear_after"))?,
        None => default_rules()
            .into_iter()
            .find(|d| std::mem::discriminant(&d.check) == std::mem::discriminant(&check))
            .map_or(TimeDelta::hours(1), |d| d.clear_after),
    };
    let located = |list: &Option<Vec<Spanned<String>>>| {
        list.iter()
            .flatten()
            .map(|s| Located {
                value: s.get_ref().clone(),
                at: t.at(&s.span()),
            })
            .collect()
    };
    Ok(Rule {
        id: id_text.to_string(),
        severity,
        scope: Scope {
            stations: located(&r.stations),
            districts: located(&r.districts),
            classes: r
                .classes
                .as_ref()
                .map(|c| c.get_ref().clone())
                .unwrap_or_default(),
        },
        clear_after,
        check,
        at: t.at(&raw.span()),
    })
}

/// The severity of a kind's default rule (minor when the defaults have none of the kind).
fn default_severity(check: &Check) -> Severity {
    default_rules()
        .into_iter()
        .find(|d| std::mem::discriminant(&d.check) == std::mem::discriminant(check))
        .map_or(Severity::Minor, |d| d.severity)
}

impl RawRule {
    /// The kind-specific keys that are set, with their spans.
    fn options(&self) -> Vec<(&'static str, Range<usize>)> {
        fn s<T>(v: &Option<Spanned<T>>) -> Option<Range<usize>> {
            v.as_ref().map(Spanned::span)
        }
        [
            ("parameter", s(&self.parameter)),
            ("parameters", s(&self.parameters)),
            ("window", s(&self.window)),
            ("above", s(&self.above)),
            ("category", s(&self.category)),
            ("clear_below", s(&self.clear_below)),
            ("hours", s(&self.hours)),
            ("rise", s(&self.rise)),
            ("relative", s(&self.relative)),
            ("reference", s(&self.reference)),
            ("radius_km", s(&self.radius_km)),
            ("factor", s(&self.factor)),
            ("excess", s(&self.excess)),
            ("min_stations", s(&self.min_stations)),
            ("duration", s(&self.duration)),
            ("noise", s(&self.noise)),
            ("margin", s(&self.margin)),
            ("polls", s(&self.polls)),
            ("min_free_percent", s(&self.min_free_percent)),
            ("heavy_aqi", s(&self.heavy_aqi)),
            ("severe_aqi", s(&self.severe_aqi)),
            ("extreme_aqi", s(&self.extreme_aqi)),
            ("days", s(&self.days)),
            ("severe_days", s(&self.severe_days)),
        ]
        .into_iter()
        .filter_map(|(k, span)| span.map(|s| (k, s)))
        .collect()
    }
}

/// One rule's table being read.
struct RuleText<'a> {
    t: &'a Text<'a>,
    r: &'a RawRule,
    named: &'a dyn Fn(&str) -> String,
    table: Range<usize>,
}

impl RuleText<'_> {
    fn error(&self, span: &Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        self.t.error(span, &(self.named)(key), message)
    }

    fn required<'v, T>(
        &self,
        v: &'v Option<Spanned<T>>,
        key: &str,
    ) -> Result<&'v Spanned<T>, ConfigError> {
        v.as_ref()
            .ok_or_else(|| self.error(&self.table, key, format!("this kind of rule needs `{key}`")))
    }

    fn parameter(&self, v: &Spanned<String>, key: &str) -> Result<Parameter, ConfigError> {
        v.get_ref()
            .parse::<Parameter>()
            .map_err(|e| self.error(&v.span(), key, e.to_string()))
    }

    /// A pollutant (`parameter`, required).
    fn pollutant(&self) -> Result<Parameter, ConfigError> {
        let v = self.required(&self.r.parameter, "parameter")?;
        let p = self.parameter(v, "parameter")?;
        if !p.is_pollutant() {
            return Err(self.error(&v.span(), "parameter", format!("`{p}` is not a pollutant")));
        }
        Ok(p)
    }

    fn parameters(&self, default: &[Parameter]) -> Result<Vec<Parameter>, ConfigError> {
        let Some(list) = &self.r.parameters else {
            return Ok(default.to_vec());
        };
        list.get_ref()
            .iter()
            .map(|v| self.parameter(v, "parameters"))
            .collect()
    }

    fn positive(
        &self,
        v: &Option<Spanned<f64>>,
        key: &str,
        default: f64,
    ) -> Result<f64, ConfigError> {
        match v {
            Some(x) if !(x.get_ref().is_finite() && *x.get_ref() > 0.0) => Err(self.error(
                &x.span(),
                key,
                format!("must be a positive number, not {}", x.get_ref()),
            )),
            Some(x) => Ok(*x.get_ref()),
            None => Ok(default),
        }
    }

    fn duration(&self, default: TimeDelta) -> Result<TimeDelta, ConfigError> {
        match &self.r.duration {
            Some(v) => self.t.duration(v, &(self.named)("duration")),
            None => Ok(default),
        }
    }

    fn check(&self, kind: &str) -> Result<Check, ConfigError> {
        let r = self.r;
        let default = default_rules()
            .into_iter()
            .find(|d| kind_name(&d.check) == kind)
            .map(|d| d.check);
        let default_duration = match default {
            Some(
                Check::Stuck { duration, .. }
                | Check::DeviceFault { duration }
                | Check::Calibration { duration }
                | Check::Maintenance { duration }
                | Check::StoreFailing { duration }
                | Check::SpoolAge { duration }
                | Check::NoData { duration, .. },
            ) => duration,
            _ => TimeDelta::zero(),
        };
        Ok(match kind {
            "threshold" => Check::Threshold(self.threshold()?),
            "sudden-rise" => {
                let hours = r.hours.as_ref().map_or(2, |h| *h.get_ref());
                if !(1..=24).contains(&hours) {
                    let span = r.hours.as_ref().map_or(self.table.clone(), Spanned::span);
                    return Err(self.error(&span, "hours", "must be 1 to 24"));
                }
                Check::SuddenRise(Rise {
                    parameter: self.pollutant()?,
                    hours,
                    rise: *self.required(&r.rise, "rise")?.get_ref(),
                    relative: self.positive(&r.relative, "relative", 0.5)?,
                })
            }
            "outlier" => Check::Outlier(self.outlier()?),
            "stuck" => Check::Stuck {
                parameters: self.parameters(&ASSESSED)?,
                duration: self.duration(default_duration)?,
            },
            "negative" => Check::Negative {
                parameters: self.parameters(&ASSESSED)?,
                noise: r.noise.as_ref().map(|n| n.get_ref().abs()),
            },
            "pm25-above-pm10" => Check::Pm25AbovePm10 {
                margin: r.margin.as_ref().map_or(10.0, |m| *m.get_ref()),
            },
            "no2-above-nox" => Check::No2AboveNox {
                margin: r.margin.as_ref().map_or(10.0, |m| *m.get_ref()),
            },
            "over-range" => Check::OverRange {
                parameters: self.parameters(&ASSESSED)?,
            },
            "low-capture" => Check::LowCapture {
                parameters: self.parameters(&ASSESSED)?,
            },
            "offline" => Check::Offline {
                polls: r.polls.as_ref().map_or(5, |p| (*p.get_ref()).max(1)),
            },
            "device-fault" => Check::DeviceFault {
                duration: self.duration(default_duration)?,
            },
            "calibration" => Check::Calibration {
                duration: self.duration(default_duration)?,
            },
            "maintenance" => Check::Maintenance {
                duration: self.duration(default_duration)?,
            },
            "store-failing" => Check::StoreFailing {
                duration: self.duration(default_duration)?,
            },
            "spool-age" => Check::SpoolAge {
                duration: self.duration(default_duration)?,
            },
            "job-failed" => Check::JobFailed,
            "disk-space" => {
                let p = self.positive(&r.min_free_percent, "min_free_percent", 10.0)?;
                if p >= 100.0 {
                    let span = r
                        .min_free_percent
                        .as_ref()
                        .map_or(self.table.clone(), Spanned::span);
                    return Err(self.error(&span, "min_free_percent", "must be below 100"));
                }
                Check::DiskSpace {
                    min_free_percent: p,
                }
            }
            "no-data" => Check::NoData {
                parameters: self.parameters(&[])?,
                duration: self.duration(default_duration)?,
            },
            _ => Check::HeavyPollutionWarning(self.warning()?),
        })
    }

    fn threshold(&self) -> Result<Threshold, ConfigError> {
        let r = self.r;
        let p = self.required(&r.parameter, "parameter")?;
        let measured = if p.get_ref() == "aqi" {
            Measured::Aqi
        } else {
            Measured::Parameter(self.parameter(p, "parameter")?)
        };
        let window_hours = match r.window.as_ref().map(|w| (w.get_ref().as_str(), w.span())) {
            None | Some(("1h", _)) => 1,
            Some(("8h", _)) => 8,
            Some(("24h", _)) => 24,
            Some((other, span)) => {
                return Err(self.error(
                    &span,
                    "window",
                    format!("`{other}` is not a window (expected \"1h\", \"8h\" or \"24h\")"),
                ));
            }
        };
        if measured == Measured::Aqi && window_hours != 1 {
            let span = r.window.as_ref().map_or(self.table.clone(), Spanned::span);
            return Err(self.error(
                &span,
                "window",
                "the AQI rules compare the hourly AQI: window = \"1h\"",
            ));
        }
        let (above, category) = match (&r.above, &r.category) {
            (Some(a), None) => (*a.get_ref(), None),
            (None, Some(c)) if measured == Measured::Aqi => {
                let category = category_named(c.get_ref()).ok_or_else(|| {
                    self.error(
                        &c.span(),
                        "category",
                        format!(
                            "unknown category `{}` (expected good, light, moderate, heavy or severe)",
                            c.get_ref()
                        ),
                    )
                })?;
                if category == Category::Excellent {
                    return Err(self.error(
                        &c.span(),
                        "category",
                        "every AQI is in `excellent` or above",
                    ));
                }
                (f64::from(category.aqi_range().0 - 1), Some(category))
            }
            (None, Some(c)) => {
                return Err(self.error(
                    &c.span(),
                    "category",
                    "a category applies to the AQI (parameter = \"aqi\"); give a concentration with `above`",
                ));
            }
            (Some(_), Some(c)) => {
                return Err(self.error(
                    &c.span(),
                    "category",
                    "give `above` or `category`, not both",
                ));
            }
            (None, None) => {
                return Err(self.error(
                    &self.table,
                    "above",
                    "a threshold rule needs `above` (or `category` for the AQI)",
                ));
            }
        };
        if !above.is_finite() {
            let span = r.above.as_ref().map_or(self.table.clone(), Spanned::span);
            return Err(self.error(&span, "above", "must be a number"));
        }
        let clear_below = match &r.clear_below {
            Some(c) if *c.get_ref() > above || !c.get_ref().is_finite() => {
                return Err(self.error(
                    &c.span(),
                    "clear_below",
                    format!(
                        "the clear level {} is above the raise level {above}: the alarm could \
                         never clear while raised (clear_below must be at most `above`)",
                        c.get_ref()
                    ),
                ));
            }
            Some(c) => *c.get_ref(),
            None => above,
        };
        Ok(Threshold {
            measured,
            window_hours,
            above,
            clear_below,
            category,
        })
    }

    fn outlier(&self) -> Result<Outlier, ConfigError> {
        let r = self.r;
        let reference = match r
            .reference
            .as_ref()
            .map(|v| (v.get_ref().as_str(), v.span()))
        {
            None | Some(("network", _)) => {
                if let Some(v) = &r.radius_km {
                    return Err(self.error(
                        &v.span(),
                        "radius_km",
                        "a radius applies to reference = \"neighbours\"",
                    ));
                }
                Reference::Network
            }
            Some(("neighbours", _)) => Reference::Neighbours {
                radius_km: self.positive(&r.radius_km, "radius_km", 15.0)?,
            },
            Some((other, span)) => {
                return Err(self.error(
                    &span,
                    "reference",
                    format!(
                        "`{other}` is not a reference (expected \"network\" or \"neighbours\")"
                    ),
                ));
            }
        };
        let factor = self.positive(&r.factor, "factor", 2.0)?;
        if factor < 1.0 {
            let span = r.factor.as_ref().map_or(self.table.clone(), Spanned::span);
            return Err(self.error(
                &span,
                "factor",
                "a station above the median is at least 1 times it",
            ));
        }
        Ok(Outlier {
            parameter: self.pollutant()?,
            reference,
            factor,
            excess: *self.required(&r.excess, "excess")?.get_ref(),
            min_stations: r.min_stations.as_ref().map_or(5, |m| (*m.get_ref()).max(2)),
        })
    }

    fn warning(&self) -> Result<WarningThresholds, ConfigError> {
        let r = self.r;
        let d = WarningThresholds::default();
        let get = |v: &Option<Spanned<u32>>, default| v.as_ref().map_or(default, |v| *v.get_ref());
        let t = WarningThresholds {
            heavy_aqi: get(&r.heavy_aqi, d.heavy_aqi),
            severe_aqi: get(&r.severe_aqi, d.severe_aqi),
            extreme_aqi: get(&r.extreme_aqi, d.extreme_aqi),
            days: r.days.as_ref().map_or(d.days, |v| *v.get_ref()),
            severe_days: r
                .severe_days
                .as_ref()
                .map_or(d.severe_days, |v| *v.get_ref()),
        };
        match t.problem() {
            Some(problem) => {
                let (key, span) = self
                    .r
                    .options()
                    .into_iter()
                    .next()
                    .unwrap_or(("heavy_aqi", self.table.clone()));
                Err(self.error(&span, key, problem))
            }
            None => Ok(t),
        }
    }
}

/// The kind name of a check (the `kind` key).
pub(crate) fn kind_name(check: &Check) -> &'static str {
    match check {
        Check::Threshold(_) => "threshold",
        Check::SuddenRise(_) => "sudden-rise",
        Check::Outlier(_) => "outlier",
        Check::Stuck { .. } => "stuck",
        Check::Negative { .. } => "negative",
        Check::Pm25AbovePm10 { .. } => "pm25-above-pm10",
        Check::No2AboveNox { .. } => "no2-above-nox",
        Check::OverRange { .. } => "over-range",
        Check::LowCapture { .. } => "low-capture",
        Check::Offline { .. } => "offline",
        Check::DeviceFault { .. } => "device-fault",
        Check::Calibration { .. } => "calibration",
        Check::Maintenance { .. } => "maintenance",
        Check::StoreFailing { .. } => "store-failing",
        Check::SpoolAge { .. } => "spool-age",
        Check::JobFailed => "job-failed",
        Check::DiskSpace { .. } => "disk-space",
        Check::NoData { .. } => "no-data",
        Check::HeavyPollutionWarning(_) => "heavy-pollution-warning",
    }
}

/// An AQI category by its English name (`good`, `light`, `moderate`, `heavy`, `severe`) or
/// its Chinese one (良, 轻度污染 …).
fn category_named(name: &str) -> Option<Category> {
    let english = ["excellent", "good", "light", "moderate", "heavy", "severe"];
    Category::ALL
        .into_iter()
        .zip(english)
        .find(|(c, en)| *en == name || c.name_zh() == name)
        .map(|(c, _)| c)
}

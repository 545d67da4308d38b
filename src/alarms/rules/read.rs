//! Reading `[alarms]` and the `[[alarm]]` tables: every key is read with its span, so that a
//! wrong value, an option of another kind or an impossible threshold (a clear level above
//! the raise level) is reported at its own line and column, with the rule's id and the key.
//! Names of stations and districts are checked later, against the network
//! ([`super::scope::NetworkModel::check`]), and located the same way.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use chrono::TimeDelta;
use serde::Deserialize;
use toml::Spanned;

use super::config::{
    AlarmRules, AlarmSettings, Check, Located, Location, Rule, Scope, default_rules,
};
use super::read_check::RuleText;
pub(crate) use super::read_check::kind_name;
use crate::registry::{ConfigError, StationKind, line_column, parse_interval};
use crate::store::Severity;

/// `[alarms]` as written.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    interval: Option<Spanned<String>>,
    collection_lag: Option<Spanned<String>>,
    escalate_after: Option<Spanned<toml::Value>>,
    escalate_levels: Option<Spanned<u32>>,
}

/// One `[[alarm]]` table as written: every key optional here, checked against its kind.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub(super) id: Option<Spanned<String>>,
    pub(super) kind: Option<Spanned<String>>,
    pub(super) severity: Option<Spanned<String>>,
    pub(super) stations: Option<Vec<Spanned<String>>>,
    pub(super) districts: Option<Vec<Spanned<String>>>,
    pub(super) classes: Option<Spanned<Vec<StationKind>>>,
    pub(super) clear_after: Option<Spanned<String>>,
    pub(super) parameter: Option<Spanned<String>>,
    pub(super) parameters: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) window: Option<Spanned<String>>,
    pub(super) above: Option<Spanned<f64>>,
    pub(super) category: Option<Spanned<String>>,
    pub(super) clear_below: Option<Spanned<f64>>,
    pub(super) hours: Option<Spanned<u32>>,
    pub(super) rise: Option<Spanned<f64>>,
    pub(super) relative: Option<Spanned<f64>>,
    pub(super) reference: Option<Spanned<String>>,
    pub(super) radius_km: Option<Spanned<f64>>,
    pub(super) factor: Option<Spanned<f64>>,
    pub(super) excess: Option<Spanned<f64>>,
    pub(super) min_stations: Option<Spanned<u32>>,
    pub(super) duration: Option<Spanned<String>>,
    pub(super) noise: Option<Spanned<f64>>,
    pub(super) margin: Option<Spanned<f64>>,
    pub(super) polls: Option<Spanned<u32>>,
    pub(super) min_free_percent: Option<Spanned<f64>>,
    pub(super) heavy_aqi: Option<Spanned<u32>>,
    pub(super) severe_aqi: Option<Spanned<u32>>,
    pub(super) extreme_aqi: Option<Spanned<u32>>,
    pub(super) days: Option<Spanned<[u32; 4]>>,
    pub(super) severe_days: Option<Spanned<[u32; 4]>>,
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
pub(super) struct Text<'a> {
    pub(super) file: &'a Path,
    pub(super) text: &'a str,
}

impl Text<'_> {
    fn at(&self, span: &Range<usize>) -> Location {
        let (line, column) = line_column(self.text, span.start);
        Location { line, column }
    }

    pub(super) fn error(
        &self,
        span: &Range<usize>,
        field: &str,
        message: impl Into<String>,
    ) -> ConfigError {
        let at = self.at(span);
        ConfigError {
            file: self.file.to_path_buf(),
            line: at.line,
            column: at.column,
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub(super) fn duration(
        &self,
        v: &Spanned<String>,
        field: &str,
    ) -> Result<TimeDelta, ConfigError> {
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
    if let Some(v) = &raw.escalate_after {
        settings.escalation.after = escalate_after(&t, v)?;
    }
    if let Some(v) = &raw.escalate_levels {
        settings.escalation.levels = *v.get_ref();
        if settings.escalation.levels == 0 {
            return Err(t.error(
                &v.span(),
                "alarms.escalate_levels",
                "at least 1 (leave `escalate_after` out to escalate nothing)",
            ));
        }
    }
    Ok(settings)
}

/// `escalate_after`: one time for every severity (`"30m"`), or a table of times by severity
/// (`{ critical = "15m", major = "30m" }`; the others are not escalated). Each time positive.
fn escalate_after(
    t: &Text<'_>,
    v: &Spanned<toml::Value>,
) -> Result<std::collections::BTreeMap<Severity, TimeDelta>, ConfigError> {
    const FIELD: &str = "alarms.escalate_after";
    let time = |text: &str, field: &str| -> Result<TimeDelta, ConfigError> {
        let d = t.duration(&Spanned::new(v.span(), text.to_string()), field)?;
        if d <= TimeDelta::zero() {
            return Err(t.error(&v.span(), field, "the time must be positive"));
        }
        Ok(d)
    };
    match v.get_ref() {
        toml::Value::String(text) => {
            let d = time(text, FIELD)?;
            Ok(Severity::ALL.iter().map(|s| (*s, d)).collect())
        }
        toml::Value::Table(table) => {
            let mut out = std::collections::BTreeMap::new();
            for (name, value) in table {
                let field = format!("{FIELD}.{name}");
                let severity: Severity = name.parse().map_err(|_| {
                    t.error(
                        &v.span(),
                        &field,
                        format!("`{name}` is not a severity (info, minor, major, critical)"),
                    )
                })?;
                let toml::Value::String(text) = value else {
                    return Err(t.error(&v.span(), &field, "a time such as \"30m\""));
                };
                out.insert(severity, time(text, &field)?);
            }
            Ok(out)
        }
        _ => Err(t.error(
            &v.span(),
            FIELD,
            "a time such as \"30m\", or times by severity: { critical = \"15m\", major = \"30m\" }",
        )),
    }
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
    pub(super) fn options(&self) -> Vec<(&'static str, Range<usize>)> {
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

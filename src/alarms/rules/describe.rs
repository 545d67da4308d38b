//! The effective rules in words, for `lantian alarms rules`: what each checks, on what, when
//! it raises and when it clears.

use chrono::TimeDelta;

use super::config::{Check, Measured, Reference, Rule, Scope};
use super::read::kind_name;
use crate::units::Parameter;

/// One rule described: id, kind, severity, scope, condition, clearing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleLine {
    /// The rule's id.
    pub id: String,
    /// Its `kind`.
    pub kind: &'static str,
    /// Its severity (a warning's: by colour).
    pub severity: String,
    /// The stations it applies to.
    pub scope: String,
    /// When it raises.
    pub raises: String,
    /// When its alarm clears.
    pub clears: String,
}

/// A duration as people write it in the configuration (`90m`, `2h`, `0s`).
pub fn duration(d: TimeDelta) -> String {
    let s = d.num_seconds();
    match s {
        0 => "0s".to_string(),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn parameters(ps: &[Parameter], none: &str) -> String {
    if ps.is_empty() {
        return none.to_string();
    }
    ps.iter().map(|p| p.label()).collect::<Vec<_>>().join(", ")
}

fn scope(s: &Scope) -> String {
    if s.is_network() {
        return "network".to_string();
    }
    let mut parts = Vec::new();
    let names = |l: &[super::config::Located<String>]| {
        l.iter()
            .map(|x| x.value.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !s.stations.is_empty() {
        parts.push(format!("stations {}", names(&s.stations)));
    }
    if !s.districts.is_empty() {
        parts.push(format!("districts {}", names(&s.districts)));
    }
    if !s.classes.is_empty() {
        let classes: Vec<String> = s
            .classes
            .iter()
            .map(|c| format!("{c:?}").to_lowercase())
            .collect();
        parts.push(format!("classes {}", classes.join(", ")));
    }
    parts.join("; ")
}

/// ` unit`, or nothing without a unit.
fn spaced(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

/// The rule in words.
pub fn describe(rule: &Rule) -> RuleLine {
    let hold = duration(rule.clear_after);
    let after = |what: &str| {
        if rule.clear_after.is_zero() {
            what.to_string()
        } else {
            format!("{what} for {hold}")
        }
    };
    let unit = |p: Parameter| p.canonical_unit().display();
    let (raises, clears) = match &rule.check {
        Check::Threshold(t) => {
            let (what, unit) = match t.measured {
                Measured::Aqi => ("hourly AQI".to_string(), ""),
                Measured::Parameter(p) if t.window_hours == 1 => {
                    (format!("{} 1-h", p.label()), unit(p))
                }
                Measured::Parameter(p) => (
                    format!("{} running {}-h mean", p.label(), t.window_hours),
                    unit(p),
                ),
            };
            let category = t
                .category
                .map_or(String::new(), |c| format!(" ({} or worse)", c.name_zh()));
            (
                format!("{what} > {}{}{category}", t.above, spaced(unit)),
                after(&format!("≤ {}{}", t.clear_below, spaced(unit))),
            )
        }
        Check::SuddenRise(r) => (
            format!(
                "{} up ≥ {} {} and ≥ {:.0} % within {} h",
                r.parameter.label(),
                r.rise,
                unit(r.parameter),
                r.relative * 100.0,
                r.hours
            ),
            after("no such rise"),
        ),
        Check::Outlier(o) => {
            let reference = match o.reference {
                Reference::Network => "the network's median".to_string(),
                Reference::Neighbours { radius_km } => format!("the median within {radius_km} km"),
            };
            (
                format!(
                    "{} 1-h ≥ {}× and ≥ {} {} above {reference} (≥ {} stations)",
                    o.parameter.label(),
                    o.factor,
                    o.excess,
                    unit(o.parameter),
                    o.min_stations
                ),
                after("back within"),
            )
        }
        Check::Stuck {
            parameters: ps,
            duration: d,
        } => (
            format!(
                "the same minute value of {} for {}",
                parameters(ps, "any"),
                duration(*d)
            ),
            after("the value changes"),
        ),
        Check::Negative {
            parameters: ps,
            noise,
        } => (
            match noise {
                Some(n) => format!("{} 1-h below −{n}", parameters(ps, "any")),
                None => format!(
                    "{} 1-h below minus the noise (PM 10, gases 6 µg/m³, CO 0.2 mg/m³)",
                    parameters(ps, "any")
                ),
            },
            after("not below"),
        ),
        Check::Pm25AbovePm10 { margin } => (
            format!("PM2.5 1-h > PM10 + {margin} µg/m³"),
            after("not above"),
        ),
        Check::No2AboveNox { margin } => (
            format!("NO2 1-h > NOx + {margin} µg/m³"),
            after("not above"),
        ),
        Check::OverRange { parameters: ps } => (
            format!(
                "a minute of {} outside the instrument's range (T)",
                parameters(ps, "any")
            ),
            after("minutes in range"),
        ),
        Check::LowCapture { parameters: ps } => (
            format!(
                "an hour of {} not valid for want of minutes (< 45 of 60)",
                parameters(ps, "any")
            ),
            after("a valid hour"),
        ),
        Check::Offline { polls } => (
            format!("{polls} failed polls in a row"),
            after("a poll succeeds"),
        ),
        Check::DeviceFault { duration: d } if d.is_zero() => {
            ("a fault or alarm bit (D)".into(), after("the bit is gone"))
        }
        Check::DeviceFault { duration: d } => (
            format!("a fault or alarm bit (D) for {}", duration(*d)),
            after("the bit is gone"),
        ),
        Check::Calibration { duration: d } => (
            format!("calibration (C) longer than {}", duration(*d)),
            after("it ends"),
        ),
        Check::Maintenance { duration: d } => (
            format!("maintenance (M) longer than {}", duration(*d)),
            after("it ends"),
        ),
        Check::StoreFailing { duration: d } => (
            format!("store writes failing for {}", duration(*d)),
            after("a write succeeds"),
        ),
        Check::SpoolAge { duration: d } => (
            format!("the oldest spooled reading older than {}", duration(*d)),
            after("the spool catches up"),
        ),
        Check::JobFailed => (
            "a job's run failed after all its retries".into(),
            after("a later run succeeds"),
        ),
        Check::DiskSpace { min_free_percent } => (
            format!("under {min_free_percent} % free on the store's or spool's filesystem"),
            after("enough free"),
        ),
        Check::NoData {
            parameters: ps,
            duration: d,
        } => (
            format!(
                "nothing stored for {} of {} its devices measure",
                duration(*d),
                parameters(ps, "every parameter")
            ),
            "data arrive".to_string(),
        ),
        Check::HeavyPollutionWarning(t) => (
            format!(
                "the latest forecast's daily AQI > {} for {}/{}/{}/{} days (> {} on {}/{}/{}/{}), or ≥ {} once: blue/yellow/orange/red",
                t.heavy_aqi,
                t.days[0],
                t.days[1],
                t.days[2],
                t.days[3],
                t.severe_aqi,
                t.severe_days[0],
                t.severe_days[1],
                t.severe_days[2],
                t.severe_days[3],
                t.extreme_aqi
            ),
            after("a later run forecasts none"),
        ),
    };
    RuleLine {
        id: rule.id.clone(),
        kind: kind_name(&rule.check),
        severity: match rule.check {
            Check::HeavyPollutionWarning(_) => "by colour".to_string(),
            _ => rule.severity.code().to_string(),
        },
        scope: scope(&rule.scope),
        raises,
        clears,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarms::rules::config::default_rules;

    #[test]
    fn every_default_rule_is_described() {
        let lines: Vec<RuleLine> = default_rules().iter().map(describe).collect();
        let o3 = &lines[0];
        assert_eq!(
            (o3.id.as_str(), o3.kind, o3.scope.as_str()),
            ("o3-1h-limit", "threshold", "network")
        );
        assert_eq!(o3.raises, "O3 1-h > 200 µg/m³");
        assert_eq!(o3.clears, "≤ 180 µg/m³ for 1h");
        let aqi = lines.iter().find(|l| l.id == "aqi-heavy").unwrap();
        assert_eq!(aqi.raises, "hourly AQI > 200 (重度污染 or worse)");
        assert!(
            lines
                .iter()
                .all(|l| !l.raises.is_empty() && !l.clears.is_empty())
        );
        assert_eq!(duration(TimeDelta::minutes(90)), "90m");
    }
}

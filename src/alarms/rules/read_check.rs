//! Reading one `[[alarm]]` table's kind-specific options into its [`Check`], each problem at
//! the option's own line and column.

use std::ops::Range;

use chrono::TimeDelta;
use toml::Spanned;

use super::config::{
    Check, Measured, Outlier, Reference, Rise, Threshold, assessed, default_rules,
};
use super::read::{RawRule, Text};
use super::warning::WarningThresholds;
use crate::aqi::Category;
use crate::registry::ConfigError;
use crate::units::Parameter;

/// One rule's table being read.
pub(super) struct RuleText<'a> {
    pub(super) t: &'a Text<'a>,
    pub(super) r: &'a RawRule,
    pub(super) named: &'a dyn Fn(&str) -> String,
    pub(super) table: Range<usize>,
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

    pub(super) fn check(&self, kind: &str) -> Result<Check, ConfigError> {
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
                parameters: self.parameters(&assessed())?,
                duration: self.duration(default_duration)?,
            },
            "negative" => Check::Negative {
                parameters: self.parameters(&assessed())?,
                noise: r.noise.as_ref().map(|n| n.get_ref().abs()),
            },
            "pm25-above-pm10" => Check::Pm25AbovePm10 {
                margin: r.margin.as_ref().map_or(10.0, |m| *m.get_ref()),
            },
            "no2-above-nox" => Check::No2AboveNox {
                margin: r.margin.as_ref().map_or(10.0, |m| *m.get_ref()),
            },
            "over-range" => Check::OverRange {
                parameters: self.parameters(&assessed())?,
            },
            "low-capture" => Check::LowCapture {
                parameters: self.parameters(&assessed())?,
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

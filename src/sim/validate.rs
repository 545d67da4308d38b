//! Semantic checks of a parsed scenario, with errors located by field path and line.

use std::collections::{BTreeMap, BTreeSet};

use super::scenario::{FaultKind, Scenario, ScenarioError, SourceKind, SourceType};
use crate::units::{AirPollutant, Parameter};

/// Finds the line of `key` inside the `index`-th `[[section]]` (or `[section]` when `index` is
/// `None`) of `text`; falls back to the header line, then 0.
fn locate(text: &str, section: &str, index: Option<usize>, key: &str) -> usize {
    let header = match index {
        Some(_) => format!("[[{section}]]"),
        None => format!("[{section}]"),
    };
    let mut seen = 0;
    let mut in_section = false;
    let mut header_line = 0;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            if in_section {
                break;
            }
            if trimmed.starts_with(&header) {
                if index.is_none_or(|i| i == seen) {
                    in_section = true;
                    header_line = n + 1;
                }
                seen += 1;
            }
            continue;
        }
        if in_section && !key.is_empty() && has_key(trimmed, key) {
            return n + 1;
        }
    }
    header_line
}

fn has_key(line: &str, key: &str) -> bool {
    let code = line.split('#').next().unwrap_or("");
    let mut from = 0;
    while let Some(pos) = code[from..].find(key) {
        let at = from + pos;
        let before = code[..at].chars().next_back();
        let after = code[at + key.len()..].trim_start();
        let clean_before = before.is_none_or(|c| c == '{' || c == ',' || c.is_whitespace());
        if clean_before && after.starts_with('=') {
            return true;
        }
        from = at + key.len();
    }
    false
}

struct Ctx<'a> {
    s: &'a Scenario,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(
        &self,
        section: &str,
        index: Option<usize>,
        key: &str,
        message: impl Into<String>,
    ) -> ScenarioError {
        let field = match index {
            Some(i) => format!("{section}[{i}]"),
            None => section.to_string(),
        };
        let field = if key.is_empty() {
            field
        } else {
            format!("{field}.{key}")
        };
        // Sub-keys (`emissions.so2`) are located by their last component.
        let last = key.rsplit('.').next().unwrap_or(key);
        ScenarioError::Invalid {
            path: self.s.path.clone(),
            line: locate(self.text, section, index, last),
            field,
            message: message.into(),
        }
    }

    /// Resolves a pollutant table (emissions, increments).
    fn pollutants(
        &self,
        section: &str,
        i: usize,
        table: &str,
        raw: &BTreeMap<String, f64>,
        allow_o3: bool,
    ) -> Result<BTreeMap<AirPollutant, f64>, ScenarioError> {
        let mut out = BTreeMap::new();
        for (code, &v) in raw {
            let key = format!("{table}.{code}");
            let p = code
                .parse::<Parameter>()
                .ok()
                .and_then(|p| AirPollutant::try_from(p).ok())
                .ok_or_else(|| {
                    let expected: Vec<&str> = AirPollutant::ALL
                        .into_iter()
                        .filter(|&p| allow_o3 || p != AirPollutant::O3)
                        .map(AirPollutant::code)
                        .collect();
                    self.err(
                        section,
                        Some(i),
                        &key,
                        format!(
                            "unknown pollutant `{code}` (expected one of: {})",
                            expected.join(", ")
                        ),
                    )
                })?;
            if p == AirPollutant::O3 && !allow_o3 {
                return Err(self.err(
                    section,
                    Some(i),
                    &key,
                    "ozone is secondary and cannot be emitted",
                ));
            }
            if !v.is_finite() || v < 0.0 {
                return Err(self.err(
                    section,
                    Some(i),
                    &key,
                    format!("must be a finite non-negative number, got {v}"),
                ));
            }
            out.insert(p, v);
        }
        Ok(out)
    }
}

fn check_lat_lon(c: &Ctx, i: usize, key: &str, lat: f64, lon: f64) -> Result<(), ScenarioError> {
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(c.err(
            "source",
            Some(i),
            key,
            format!("coordinates ({lat}, {lon}) out of range"),
        ));
    }
    Ok(())
}

/// Validates `s` (parsed from `text`) and fills the resolved pollutant tables.
pub(crate) fn validate(s: &mut Scenario, text: &str) -> Result<(), ScenarioError> {
    let mut emissions = Vec::new();
    let mut increments = Vec::new();
    {
        let c = Ctx { s, text };
        background(&c)?;
        let mut names = BTreeSet::new();
        for (i, src) in s.sources.iter().enumerate() {
            if src.name.trim().is_empty() || !names.insert(src.name.as_str()) {
                return Err(c.err("source", Some(i), "name", "name empty or duplicated"));
            }
            let needs = |key: &str, present: bool, wanted: bool| {
                if present == wanted {
                    Ok(())
                } else if wanted {
                    Err(c.err(
                        "source",
                        Some(i),
                        key,
                        format!("required for a {:?} source", src.kind),
                    ))
                } else {
                    Err(c.err(
                        "source",
                        Some(i),
                        key,
                        format!("does not apply to a {:?} source", src.kind),
                    ))
                }
            };
            let (centre, line, area) = match src.kind {
                SourceKind::Point => (true, false, false),
                SourceKind::Line => (false, true, false),
                SourceKind::Area => (true, false, true),
            };
            needs("lat", src.lat.is_some(), centre)?;
            needs("lon", src.lon.is_some(), centre)?;
            needs("from", src.from.is_some(), line)?;
            needs("to", src.to.is_some(), line)?;
            needs("radius_m", src.radius_m.is_some(), area)?;
            if src.buoyancy_flux.is_some() && src.kind != SourceKind::Point {
                needs("buoyancy_flux", true, false)?;
            }
            if let (Some(lat), Some(lon)) = (src.lat, src.lon) {
                check_lat_lon(&c, i, "lat", lat, lon)?;
            }
            for (key, p) in [("from", src.from), ("to", src.to)] {
                if let Some([lat, lon]) = p {
                    check_lat_lon(&c, i, key, lat, lon)?;
                }
            }
            if src.from.is_some() && src.from == src.to {
                return Err(c.err("source", Some(i), "to", "line has zero length"));
            }
            let positive = [
                ("radius_m", src.radius_m, true),
                ("stack_height_m", src.stack_height_m, false),
                ("buoyancy_flux", src.buoyancy_flux, false),
            ];
            for (key, v, strict) in positive {
                if let Some(v) = v
                    && (!v.is_finite() || v < 0.0 || (strict && v == 0.0))
                {
                    return Err(c.err("source", Some(i), key, format!("bad value {v}")));
                }
            }
            if let Some(f) = src.no2_fraction
                && !(0.0..=1.0).contains(&f)
            {
                return Err(c.err("source", Some(i), "no2_fraction", "must lie in [0, 1]"));
            }
            if let Some(f) = src.active_days
                && !(0.0..=1.0).contains(&f)
            {
                return Err(c.err("source", Some(i), "active_days", "must lie in [0, 1]"));
            }
            emissions.push(c.pollutants("source", i, "emissions", src.raw_emissions(), false)?);
        }
        for (i, ep) in s.episodes.iter().enumerate() {
            timing(
                &c,
                "episode",
                i,
                ep.start,
                ep.end,
                ep.after,
                ep.duration,
                false,
            )?;
            if !ep.gradient.is_finite() || ep.gradient.abs() > 1.0 {
                return Err(c.err("episode", Some(i), "gradient", "must lie in [-1, 1]"));
            }
            if ep.source_type == SourceType::Traffic {
                return Err(c.err(
                    "episode",
                    Some(i),
                    "source_type",
                    "traffic is local; use a line source",
                ));
            }
            let (a, b) = ep.window(chrono::DateTime::UNIX_EPOCH, s.time_zone);
            if b <= a {
                return Err(c.err("episode", Some(i), "end", "episode ends before it starts"));
            }
            increments.push(c.pollutants("episode", i, "increments", ep.raw_increments(), true)?);
        }
        for (i, f) in s.faults.iter().enumerate() {
            if f.device.trim().is_empty() {
                return Err(c.err("fault", Some(i), "device", "empty device id"));
            }
            timing(
                &c,
                "fault",
                i,
                f.start,
                f.end,
                f.after,
                f.duration,
                f.daily.is_some(),
            )?;
            match (f.kind, f.delay_ms) {
                (FaultKind::Slow, None) => {
                    return Err(c.err("fault", Some(i), "delay_ms", "required for `slow`"));
                }
                (FaultKind::Slow, Some(_)) | (_, None) => {}
                (_, Some(_)) => {
                    return Err(c.err("fault", Some(i), "delay_ms", "only applies to `slow`"));
                }
            }
        }
    }
    if let Some(settings) = &s.hj212 {
        let c = Ctx { s, text };
        settings
            .check()
            .map_err(|(key, message)| c.err("hj212", None, key, message))?;
    }
    for (src, e) in s.sources.iter_mut().zip(emissions) {
        src.emissions = e;
    }
    for (ep, inc) in s.episodes.iter_mut().zip(increments) {
        ep.increments = inc;
    }
    Ok(())
}

fn background(c: &Ctx) -> Result<(), ScenarioError> {
    let b = &c.s.background;
    let levels = [
        ("pm25", b.pm25),
        ("pm10", b.pm10),
        ("so2", b.so2),
        ("no2", b.no2),
        ("no", b.no),
        ("co", b.co),
        ("o3", b.o3),
        ("rush_amplitude", b.rush_amplitude),
        ("weekend_traffic", b.weekend_traffic),
        ("o3_amplitude", b.o3_amplitude),
        ("pm_night_amplitude", b.pm_night_amplitude),
        ("spatial_variation", b.spatial_variation),
        ("noise", b.noise),
    ];
    for (key, v) in levels {
        if !v.is_finite() || v < 0.0 {
            return Err(c.err("background", None, key, format!("must be ≥ 0, got {v}")));
        }
    }
    for (key, v) in [
        ("morning_rush", b.morning_rush),
        ("evening_rush", b.evening_rush),
        ("o3_peak_hour", b.o3_peak_hour),
    ] {
        if !(0.0..24.0).contains(&v) {
            return Err(c.err("background", None, key, "hour must lie in [0, 24)"));
        }
    }
    let k = &c.s.climate;
    let checks = [
        ("temperature", (-40.0..=50.0).contains(&k.temperature)),
        ("diurnal_range", (0.0..=30.0).contains(&k.diurnal_range)),
        ("humidity", k.humidity > 0.0 && k.humidity <= 100.0),
        ("pressure", (850.0..=1100.0).contains(&k.pressure)),
        ("wind_speed", (0.0..=30.0).contains(&k.wind_speed)),
        ("wind_from", k.wind_from.is_finite()),
        ("wind_veer", (0.0..=180.0).contains(&k.wind_veer)),
        ("sea_breeze", (0.0..=15.0).contains(&k.sea_breeze)),
        (
            "rain_events_per_week",
            (0.0..=56.0).contains(&k.rain_events_per_week),
        ),
        ("rain_intensity", (0.0..=200.0).contains(&k.rain_intensity)),
    ];
    for (key, ok) in checks {
        if !ok {
            return Err(c.err("climate", None, key, "value out of range"));
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn timing(
    c: &Ctx,
    section: &str,
    i: usize,
    start: Option<super::TimeSpec>,
    end: Option<super::TimeSpec>,
    after: Option<super::Dur>,
    duration: Option<super::Dur>,
    daily: bool,
) -> Result<(), ScenarioError> {
    let absolute = start.is_some() || end.is_some();
    let relative = after.is_some() || duration.is_some();
    let forms = usize::from(absolute) + usize::from(relative) + usize::from(daily);
    let expected = if section == "fault" {
        "`daily`, `after` + `duration`, or `start` + `end`"
    } else {
        "`after` + `duration`, or `start` + `end`"
    };
    if forms != 1 {
        return Err(c.err(
            section,
            Some(i),
            "",
            format!("give exactly one of {expected}"),
        ));
    }
    if absolute && (start.is_none() || end.is_none()) {
        let key = if start.is_none() { "start" } else { "end" };
        return Err(c.err(section, Some(i), key, "`start` and `end` go together"));
    }
    if relative {
        let (Some(a), Some(d)) = (after, duration) else {
            let key = if after.is_none() { "after" } else { "duration" };
            return Err(c.err(section, Some(i), key, "`after` and `duration` go together"));
        };
        if a.0 < chrono::TimeDelta::zero() || d.0 <= chrono::TimeDelta::zero() {
            return Err(c.err(section, Some(i), "duration", "must be positive"));
        }
    }
    if let (Some(s), Some(e)) = (start, end) {
        let tz = c.s.time_zone;
        if e.resolve(tz) <= s.resolve(tz) {
            return Err(c.err(section, Some(i), "end", "ends before it starts"));
        }
    }
    Ok(())
}

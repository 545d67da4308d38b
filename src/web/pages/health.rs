//! The device-health page for maintainers: every device online or offline and since when, its
//! success ratio, latency, status bits and last error (the collectors' [`DeviceHealth`]), the
//! day's priority score with its reasons and the day's states as a timeline — the device-health
//! report's [`health_findings`] of the latest day, so the page and the morning report agree.

use askama::Template;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use super::view::Frame;
use crate::assess::daily::hour_slot;
use crate::assess::local_midnight;
use crate::lang::Lang;
use crate::registry::Registry;
use crate::report::charts::state_colour;
use crate::report::health::{DeviceDay, DeviceSpec, HealthRules, health_findings};
use crate::report::health_charts::state_name;
use crate::report::health_timeline::DeviceState;
use crate::report::{HealthFindings, ReportError, health_reason as reason};
use crate::store::{Resolution, Store, network_zone};

/// Which devices the page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum DeviceFilter {
    /// Every device.
    #[default]
    All,
    /// Devices with a problem now (offline, failures, status bits) or a score for the day.
    Problems,
}

/// One band of a device's day, placed on the timeline (percent of the day).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Band {
    /// Start, percent of the day.
    pub(crate) x: f64,
    /// Width, percent of the day.
    pub(crate) width: f64,
    /// Fill colour (the health report's colour of the state).
    pub(crate) fill: String,
    /// The state's name and local times.
    pub(crate) title: String,
}

/// One device's row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeviceRow {
    /// The device's day (its health inside).
    pub(crate) day: DeviceDay,
    /// Its station's name in the page's language.
    pub(crate) station_name: String,
    /// The day's reasons in words.
    pub(crate) reasons: Vec<String>,
    /// The day's timeline.
    pub(crate) bands: Vec<Band>,
}

/// The page's template.
#[derive(Template)]
#[template(path = "health.html")]
pub(crate) struct HealthPage {
    /// The frame.
    pub(crate) frame: Frame,
    /// The local day.
    pub(crate) date: Option<NaiveDate>,
    /// The filter in force.
    pub(crate) filter: DeviceFilter,
    /// The devices listed, highest score first.
    pub(crate) rows: Vec<DeviceRow>,
    /// Devices in all.
    pub(crate) total: usize,
    /// The network's zone.
    pub(crate) tz: Tz,
    /// The states' legend: class-free colour and name.
    pub(crate) legend: Vec<(String, String)>,
}

/// The local day the page shows: that of the latest hourly reading, else today's.
fn latest_day(store: &dyn Store, tz: Tz) -> Result<NaiveDate, ReportError> {
    let latest = store.readings_span(Resolution::Hour)?.map(|s| s.last);
    Ok(match latest {
        Some(label) => hour_slot(label.with_timezone(&tz).naive_local()).0,
        None => Utc::now().with_timezone(&tz).date_naive(),
    })
}

/// A colour as `#RRGGBB`.
fn hex(state: DeviceState) -> String {
    let c = state_colour(state);
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// The device-health page's figures.
pub(crate) fn health_page(
    store: &dyn Store,
    registry: Option<&Registry>,
    filter: DeviceFilter,
    frame: Frame,
) -> Result<HealthPage, ReportError> {
    let lang = frame.lang;
    let tz = network_zone(&store.stations()?);
    let date = latest_day(store, tz)?;
    let specs = registry.map(DeviceSpec::from_registry).unwrap_or_default();
    let findings = health_findings(store, date, &specs, &HealthRules::default())?;
    let total = findings.devices.len();
    let rows = findings
        .devices
        .iter()
        .filter(|d| match filter {
            DeviceFilter::All => true,
            DeviceFilter::Problems => {
                d.score > 0 || d.health.as_ref().is_some_and(|h| h.has_problem())
            }
        })
        .map(|d| device_row(&findings, d, lang))
        .collect();
    Ok(HealthPage {
        legend: DeviceState::ALL
            .iter()
            .map(|s| (hex(*s), state_name(*s).get(lang).to_string()))
            .collect(),
        frame,
        date: Some(date),
        filter,
        rows,
        total,
        tz,
    })
}

/// One device's row: its reasons in words and its day as bands.
fn device_row(findings: &HealthFindings, d: &DeviceDay, lang: Lang) -> DeviceRow {
    let start = local_midnight(findings.date, findings.tz);
    let end = local_midnight(findings.date + TimeDelta::days(1), findings.tz);
    let day = (end - start).num_seconds().max(1) as f64;
    let at = |t: DateTime<Utc>| ((t - start).num_seconds() as f64 / day * 100.0).clamp(0.0, 100.0);
    let local = |t: DateTime<Utc>| t.with_timezone(&findings.tz).format("%H:%M").to_string();
    DeviceRow {
        station_name: findings.names.get(&d.spec.station).map_or_else(
            || d.spec.station.clone(),
            |(zh, en)| lang.pick(zh, en).to_string(),
        ),
        reasons: d.reasons.iter().map(|r| reason(lang, r)).collect(),
        bands: d
            .states
            .iter()
            .map(|b| Band {
                x: at(b.from),
                width: at(b.to) - at(b.from),
                fill: hex(b.state),
                title: format!(
                    "{} {}–{}",
                    state_name(b.state).get(lang),
                    local(b.from),
                    local(b.to)
                ),
            })
            .collect(),
        day: d.clone(),
    }
}

impl HealthPage {
    fn time(&self, t: &Option<DateTime<Utc>>) -> String {
        t.map_or_else(
            || self.frame.t.never.to_string(),
            |t| t.with_timezone(&self.tz).format("%m-%d %H:%M").to_string(),
        )
    }

    fn problems_only(&self) -> bool {
        self.filter == DeviceFilter::Problems
    }

    fn ratio(&self, row: &DeviceRow) -> String {
        row.day.health.as_ref().map_or_else(
            || "—".to_string(),
            |h| crate::report::figures::percent(Some(h.success_ratio())),
        )
    }

    fn latency(&self, row: &DeviceRow) -> String {
        row.day
            .health
            .as_ref()
            .and_then(|h| h.last_latency_ms)
            .map_or_else(|| "—".to_string(), |ms| format!("{ms:.0} ms"))
    }

    fn day_label(&self) -> String {
        self.date
            .map_or_else(String::new, |d| self.frame.lang.date(d))
    }
}

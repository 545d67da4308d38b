//! The daily report's notable events: the day's source flags ([`SourceFlag`]) — new local
//! pollution episodes with their source type and evidence — most severe first.
//!
//! A day without flags is reported as such only when the `sources` job analysed it (the store
//! holds its [`AnalysedDay`](crate::store::AnalysedDay)); otherwise the report says the flags
//! are not available, instead of implying a quiet day.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use super::html::{Cell, Html, Table};
use super::i18n::{Words, fill};
use crate::assess::daily::hour_slot;
use crate::lang::Lang;
use crate::store::{
    SourceFlag, SourceFlagQuery, SourceFlagStore, StationInfo, Stations, StoreError,
};
use crate::units::SourceType;

/// The day's flags and whether the `sources` job analysed the day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayEvents {
    /// Flags of episodes that began on the day, most severe first.
    pub flags: Vec<SourceFlag>,
    /// The `sources` job analysed the day (no flags then means none were found).
    pub analysed: bool,
}

/// The flags of the episodes that began on the local days `first` to `last` (zone `tz`), of
/// the selected stations, in the store's order (by start).
pub fn flags_of_days(
    store: &(impl SourceFlagStore + ?Sized),
    first: NaiveDate,
    last: NaiveDate,
    tz: Tz,
    stations: &Stations,
) -> Result<Vec<SourceFlag>, StoreError> {
    let (from, to) = super::figures::utc_span(crate::assess::DateRange { first, last });
    let query = SourceFlagQuery::new(from, to).for_stations(stations.clone());
    let mut flags = store.source_flags(&query)?;
    flags.retain(|f| {
        let day = hour_slot(f.start.with_timezone(&tz).naive_local()).0;
        (first..=last).contains(&day)
    });
    Ok(flags)
}

/// Reads the flags of the local day `date` (network zone `tz`) and whether it was analysed.
pub fn day_events(
    store: &(impl SourceFlagStore + ?Sized),
    date: NaiveDate,
    tz: Tz,
) -> Result<DayEvents, StoreError> {
    let mut flags = flags_of_days(store, date, date, tz, &Stations::All)?;
    flags.sort_by(|a, b| {
        b.severity
            .total_cmp(&a.severity)
            .then(a.start.cmp(&b.start))
            .then_with(|| a.station.cmp(&b.station))
    });
    let analysed = !store.analysed_days(date, date)?.is_empty();
    Ok(DayEvents { flags, analysed })
}

/// `HH:MM` of an hour-ending label on the local day `date`: the label that ends the day is
/// `24:00`.
fn clock(label: DateTime<Utc>, date: NaiveDate, tz: Tz) -> String {
    let t = label.with_timezone(&tz).naive_local();
    if t.date() > date && t.time() == Default::default() {
        "24:00".to_string()
    } else {
        t.format("%H:%M").to_string()
    }
}

/// `HH:MM–HH:MM` local time of an episode: from the start of its first hour to the end of its
/// last (hour-ending labels).
fn span(f: &SourceFlag, date: NaiveDate, tz: Tz, lang: Lang) -> String {
    let start = (f.start - TimeDelta::hours(1))
        .with_timezone(&tz)
        .format("%H:%M");
    let ongoing = if f.evidence.ongoing {
        lang.pick("（持续）", " (ongoing)")
    } else {
        ""
    };
    format!("{start}–{}{ongoing}", clock(f.end, date, tz))
}

/// The peak: `SO2 182 µg/m³ (+151) 11:00`.
fn peak(f: &SourceFlag, date: NaiveDate, tz: Tz, lang: Lang) -> String {
    let p = f.peak.parameter;
    let digits = usize::from(p.canonical_unit() == crate::units::Unit::MilligramPerCubicMetre);
    format!(
        "{} {:.*} {} (+{:.*}) {}",
        lang.parameter(p),
        digits,
        f.peak.value,
        p.canonical_unit().display(),
        digits,
        f.peak.excess,
        clock(f.peak.time, date, tz)
    )
}

/// The one-line evidence: the ratio behind the label, the CPF bearing, the located source and
/// the wind during the episode, e.g. `SO2/NOx 0.92 → coal/industrial; CPF SO2 235° (z 4.1);
/// located 2.3 km ± 1.1 km (240°)`.
pub fn evidence_line(f: &SourceFlag, lang: Lang) -> String {
    let e = &f.evidence;
    let r = &e.ratios;
    let ratio = |name: &str, v: Option<f64>| v.map(|v| format!("{name} {v:.2}"));
    let ratios: Vec<String> = match f.source_type {
        SourceType::CoalIndustrial | SourceType::Traffic => {
            vec![ratio("SO2/NOx", r.so2_nox)]
        }
        SourceType::Dust | SourceType::SecondaryRegional => {
            vec![ratio("PM2.5/PM10", r.pm25_pm10)]
        }
        SourceType::BiomassBurning => {
            vec![ratio("CO/NOx", r.co_nox), ratio("PM2.5/PM10", r.pm25_pm10)]
        }
        SourceType::Unclassified => vec![
            ratio("SO2/NOx", r.so2_nox),
            ratio("PM2.5/PM10", r.pm25_pm10),
        ],
    }
    .into_iter()
    .flatten()
    .collect();
    let mut parts = vec![format!(
        "{} → {}",
        ratios.join(", "),
        lang.source_type(f.source_type)
    )];
    if let Some(b) = &e.bearing {
        parts.push(format!(
            "CPF {} {:.0}° (z {:.1})",
            lang.parameter(b.pollutant),
            b.bearing_deg,
            b.z
        ));
    }
    if let Some(l) = &e.located {
        parts.push(format!(
            "{} {:.1} km ± {:.1} km ({:.0}°)",
            lang.pick("定位", "located"),
            l.distance_m / 1000.0,
            l.radius_m / 1000.0,
            l.bearing_deg
        ));
    }
    if let Some(w) = e.wind_from_deg {
        parts.push(format!("{} {w:.0}°", lang.pick("风向", "wind from")));
    }
    parts.join(lang.pick("；", "; "))
}

/// Writes the notable-events section's content (the caller opens and closes the section).
pub(super) fn write(
    h: &mut Html,
    events: &DayEvents,
    stations: &[&StationInfo],
    date: NaiveDate,
    tz: Tz,
    lang: Lang,
) {
    let t = lang.text();
    let n = events.flags.len();
    if n == 0 {
        h.p(if events.analysed {
            t.events_none
        } else {
            t.events_not_run
        });
        return;
    }
    let p = lang.prose();
    let flagged = if n == 1 { p.events_one } else { p.events_many };
    h.p(&fill(flagged, &[("n", &n.to_string())]));
    let mut table = Table::new(&[
        t.event_time,
        t.station,
        t.event_pollutants,
        t.event_peak,
        t.event_severity,
        t.event_source,
        t.event_evidence,
    ]);
    for f in &events.flags {
        let name = stations
            .iter()
            .find(|s| s.id == f.station)
            .map_or(f.station.as_str(), |s| lang.pick(&s.name, &s.name_en));
        let pollutants: Vec<&str> = f.pollutants.iter().map(|p| lang.parameter(*p)).collect();
        table.push(vec![
            Cell::centre(span(f, date, tz, lang)),
            Cell::text(name),
            Cell::text(pollutants.join(lang.pick("、", ", "))).class("narrow"),
            Cell::text(peak(f, date, tz, lang)).class("narrow"),
            Cell::num(format!("{:.1}", f.severity)),
            Cell::text(lang.source_type(f.source_type)),
            Cell::text(evidence_line(f, lang)).class("wrap"),
        ]);
    }
    table.caption = Some(t.events_note.to_string());
    h.table(&table);
}

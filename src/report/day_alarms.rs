//! The alarms of a local day, as the reports show them: the daily report's counts by kind and
//! severity with the longest and the most severe alarms, and the health report's device
//! alarms.
//!
//! An alarm belongs to a day when it was active in it: opened before the day's end, and not
//! closed before its start (still open, or closed during or after the day). Alarms are read
//! from the store ([`AlarmStore`]): those opened in the [`LOOKBACK`] days before the day and in
//! it, and those still open from before that.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::html::{Cell, Html, Table};
use super::i18n::{Words, fill};
use crate::alarms::words;
use crate::lang::Lang;
use crate::store::{
    Alarm, AlarmKind, AlarmQuery, AlarmState, AlarmStore, Filter, Severity, StationId, StoreError,
};

/// Days before the report's day whose closed alarms are read (an alarm opened earlier and
/// closed during the day is left out; one still open is not).
pub const LOOKBACK: i64 = 31;

/// How many alarms the daily report lists as the longest and as the most severe.
pub const LISTED: usize = 5;

/// The alarms active during `[start, end)`, by opening time.
pub(super) fn active_alarms(
    store: &(impl AlarmStore + ?Sized),
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Alarm>, StoreError> {
    let recent = start - TimeDelta::days(LOOKBACK);
    let mut alarms = store.alarms(&AlarmQuery::new(recent, end))?;
    let mut older = AlarmQuery::new(DateTime::<Utc>::MIN_UTC, recent);
    older.states = Filter::only([AlarmState::Open, AlarmState::Acknowledged]);
    alarms.splice(0..0, store.alarms(&older)?);
    alarms.retain(|a| a.closed.as_ref().is_none_or(|c| c.at >= start));
    Ok(alarms)
}

/// The daily report's alarms.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmFigures {
    /// The alarms active on the day, by opening time.
    pub alarms: Vec<Alarm>,
    /// Of them, opened on the day.
    pub opened: usize,
    /// Of them, not closed (when the report was made).
    pub open: usize,
    /// Per kind (those with alarms), how many of each severity (in [`Severity::ALL`]'s order).
    pub counts: Vec<(AlarmKind, [usize; 4])>,
    /// The [`LISTED`] longest, longest first.
    pub longest: Vec<Alarm>,
    /// The [`LISTED`] most severe: by severity, then how far the peak went beyond the
    /// threshold (relative), then duration.
    pub most_severe: Vec<Alarm>,
}

/// The figures of the alarms active during `[start, end)`.
pub(super) fn alarm_figures(
    store: &(impl AlarmStore + ?Sized),
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<AlarmFigures, StoreError> {
    let alarms = active_alarms(store, start, end)?;
    let mut counts: BTreeMap<AlarmKind, [usize; 4]> = BTreeMap::new();
    for a in &alarms {
        let column = Severity::ALL.iter().position(|s| *s == a.severity);
        counts.entry(a.kind).or_default()[column.unwrap_or_default()] += 1;
    }
    let mut longest = alarms.clone();
    longest.sort_by_key(|a| std::cmp::Reverse(a.duration()));
    longest.truncate(LISTED);
    let mut most_severe = alarms.clone();
    most_severe.sort_by(|a, b| {
        (b.severity.cmp(&a.severity))
            .then(excess(b).total_cmp(&excess(a)))
            .then(b.duration().cmp(&a.duration()))
    });
    most_severe.truncate(LISTED);
    Ok(AlarmFigures {
        opened: alarms.iter().filter(|a| a.opened >= start).count(),
        open: alarms.iter().filter(|a| a.closed.is_none()).count(),
        counts: counts.into_iter().collect(),
        longest,
        most_severe,
        alarms,
    })
}

/// How far an alarm's peak went beyond its threshold, relative to it (0 at the threshold).
fn excess(a: &Alarm) -> f64 {
    let e = &a.evidence;
    let beyond = (e.peak.value - e.threshold).abs();
    if e.threshold.abs() > f64::EPSILON {
        beyond / e.threshold.abs()
    } else {
        beyond
    }
}

/// How alarms are written in a report: in a language, in a time zone, with stations by name.
pub(super) struct AlarmWriter<'a> {
    /// The language.
    pub lang: Lang,
    /// The network's zone.
    pub tz: Tz,
    /// The report's day starts here (times before it are written with their date).
    pub day_start: DateTime<Utc>,
    /// A station's name for people (`南城（DG01）`).
    pub station: &'a dyn Fn(&StationId) -> String,
}

impl AlarmWriter<'_> {
    /// `HH:MM` on the day, `MM-DD HH:MM` on another.
    fn time(&self, t: DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.tz);
        let day = self.day_start.with_timezone(&self.tz).date_naive();
        if local.date_naive() == day {
            local.format("%H:%M").to_string()
        } else {
            local.format("%m-%d %H:%M").to_string()
        }
    }

    /// `3 h 05 min`, `3小时05分`.
    fn duration(&self, d: TimeDelta) -> String {
        let m = d.num_minutes().max(0);
        match self.lang {
            Lang::Zh => format!("{}小时{:02}分", m / 60, m % 60),
            Lang::En => format!("{} h {:02} min", m / 60, m % 60),
        }
    }

    /// The peak with its unit.
    fn peak(&self, a: &Alarm) -> String {
        let e = &a.evidence;
        format!("{:.1} {}", e.peak.value, e.measure.unit().display())
            .trim_end()
            .to_string()
    }

    /// Until when: the closing time, or the state of an alarm not closed.
    fn until(&self, a: &Alarm) -> String {
        match &a.closed {
            Some(c) => self.time(c.at),
            None => words::state(self.lang, a.state()).to_string(),
        }
    }

    /// A table of `alarms`: severity, kind, subject, rule, since, until, duration, peak.
    pub(super) fn table(&self, alarms: &[Alarm]) -> Table {
        let t = self.lang.text();
        let mut table = Table::new(&[
            t.level,
            t.kind,
            t.alarm_subject,
            t.alarm_rule,
            t.from,
            t.to,
            t.alarm_duration,
            t.event_peak,
        ]);
        for a in alarms {
            table.push(vec![
                Cell::centre(words::severity(self.lang, a.severity)).class(match a.severity {
                    Severity::Major | Severity::Critical => "bad",
                    _ => "c",
                }),
                Cell::text(words::kind(self.lang, a.kind)),
                Cell::text(words::subject(self.lang, &a.subject, self.station)).class("wrap"),
                Cell::text(&a.rule),
                Cell::centre(self.time(a.opened)),
                Cell::centre(self.until(a)),
                Cell::num(self.duration(a.duration())),
                Cell::num(self.peak(a)),
            ]);
        }
        table
    }

    /// The daily report's section: a sentence, counts by kind and severity, the longest and
    /// the most severe alarms.
    pub(super) fn daily(&self, h: &mut Html, f: &AlarmFigures) {
        let (lang, t) = (self.lang, self.lang.text());
        if f.alarms.is_empty() {
            h.p(t.alarms_none);
            return;
        }
        h.p(&fill(
            lang.prose().daily_alarms,
            &[
                ("n", &f.alarms.len().to_string()),
                ("opened", &f.opened.to_string()),
                ("open", &f.open.to_string()),
            ],
        ));
        let mut head = vec![t.kind];
        head.extend(Severity::ALL.iter().map(|s| words::severity(lang, *s)));
        head.push(t.alarms_total);
        let mut counts = Table::new(&head);
        let mut totals = [0usize; 4];
        for (kind, n) in &f.counts {
            let mut row = vec![Cell::text(words::kind(lang, *kind))];
            row.extend(n.iter().map(|n| Cell::num(n.to_string())));
            row.push(Cell::num(n.iter().sum::<usize>().to_string()));
            counts.push(row);
            for (t, n) in totals.iter_mut().zip(n) {
                *t += n;
            }
        }
        let mut row = vec![Cell::text(t.alarms_total)];
        row.extend(totals.iter().map(|n| Cell::num(n.to_string())));
        row.push(Cell::num(f.alarms.len().to_string()));
        counts.push(row);
        h.table(&counts);
        h.element("h3", &[], t.alarms_most_severe);
        h.table(&self.table(&f.most_severe));
        h.element("h3", &[], t.alarms_longest);
        let mut longest = self.table(&f.longest);
        longest.caption = Some(t.alarms_note.to_string());
        h.table(&longest);
    }
}

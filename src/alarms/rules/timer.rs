//! The stage's timer evaluations: devices, no data, system, the forecast warning, and the
//! network comparison (outliers) of complete hours.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};

use super::config::{Check, Reference};
use super::finding::Finding;
use super::stage::AlarmStage;
use super::system::SpoolFacts;
use super::warning::{WarningThresholds, area_daily_aqi, assess, describe};
use super::{device, nodata, rise, system};
use crate::store::{
    AlarmSubject, Direction, ForecastAxis, ForecastDay, ForecastQuery, HealthStore, Jobs, Lasting,
    Measure, Observation, SourceFlagQuery, Stations,
};
use crate::units::Parameter;

/// Days of source flags an outlier looks back for its station's sources.
const FLAG_DAYS: i64 = 60;

impl AlarmStage {
    /// The findings of the timer rules at `now`.
    pub(super) fn timer_findings<S: HealthStore + ?Sized>(
        &mut self,
        store: &S,
        spool: SpoolFacts,
        now: DateTime<Utc>,
        out: &mut Vec<Finding>,
    ) {
        let wants = |f: fn(&Check) -> bool| self.rules.iter().any(|r| f(&r.check));
        if wants(|c| {
            matches!(
                c,
                Check::Offline { .. }
                    | Check::DeviceFault { .. }
                    | Check::Calibration { .. }
                    | Check::Maintenance { .. }
            )
        }) {
            match store.health() {
                Ok(health) => self.device_findings(&health, now, out),
                Err(e) => tracing::warn!("alarm stage: device health not readable: {e}"),
            }
        }
        self.no_data_findings(spool, now, out);
        self.system_findings(spool, now, out);
        self.warning_findings(now, out);
    }

    fn device_findings(
        &mut self,
        health: &[crate::store::DeviceHealth],
        now: DateTime<Utc>,
        out: &mut Vec<Finding>,
    ) {
        for h in health {
            let Some(&s) = self.index.get(h.station.as_str()) else {
                continue;
            };
            let model = self.network.stations[s]
                .devices
                .iter()
                .find(|d| d.id == h.device);
            let states = self.devices.entry(h.device.clone()).or_default();
            states.observe(h, |name| model.and_then(|m| m.meaning(name)), now);
            let states = *states;
            for (i, rule) in self.rules_for(s) {
                let (what, allowed, since) = match &rule.check {
                    Check::Offline { polls } => {
                        out.push(device::offline(i, *polls, h, now));
                        continue;
                    }
                    Check::DeviceFault { duration } => (Lasting::Fault, *duration, states.fault),
                    Check::Calibration { duration } => {
                        (Lasting::Calibration, *duration, states.calibration)
                    }
                    Check::Maintenance { duration } => {
                        (Lasting::Maintenance, *duration, states.maintenance)
                    }
                    _ => continue,
                };
                out.push(device::lasting(i, what, allowed, since, h, now));
            }
        }
    }

    fn no_data_findings(&self, spool: SpoolFacts, now: DateTime<Utc>, out: &mut Vec<Finding>) {
        // Watched: what a station's devices measure, and what has reported since the stage
        // began watching (an HJ 212 logger's code map names more than it sends, so its
        // parameters are known from its data).
        let mut reported: HashMap<usize, Vec<Parameter>> = HashMap::new();
        for (&(s, p), series) in &self.series {
            if series.last_seen.is_some() {
                reported.entry(s).or_default().push(p);
            }
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let Check::NoData {
                parameters,
                duration,
            } = &rule.check
            else {
                continue;
            };
            // Data waiting in the spool are not missing: while the backlog is older than the
            // rule's duration, the store and spool rules speak instead.
            if spool.oldest.is_some_and(|t| now - t >= *duration) {
                continue;
            }
            for (s, station) in self.network.stations.iter().enumerate() {
                if !self.scoped[i][s] {
                    continue;
                }
                let mut watched = station.measured();
                watched.extend(reported.get(&s).into_iter().flatten());
                for p in watched {
                    if !parameters.is_empty() && !parameters.contains(&p) {
                        continue;
                    }
                    let last = self.series.get(&(s, p)).and_then(|x| x.last_seen);
                    out.push(nodata::no_data(
                        i,
                        *duration,
                        &station.id,
                        p,
                        last,
                        self.watching_since,
                        now,
                    ));
                }
            }
        }
    }

    fn system_findings(&self, spool: SpoolFacts, now: DateTime<Utc>, out: &mut Vec<Finding>) {
        let mut runs = None;
        for (i, rule) in self.rules.iter().enumerate() {
            match &rule.check {
                Check::StoreFailing { duration } => {
                    out.push(system::store_failing(i, *duration, &spool, Utc::now()))
                }
                Check::SpoolAge { duration } => {
                    out.push(system::spool_age(i, *duration, &spool, now))
                }
                Check::DiskSpace { min_free_percent } => {
                    let fullest = self
                        .disks
                        .iter()
                        .filter_map(|p| system::disk_used_percent(p).ok().map(|u| (u, p)))
                        .max_by(|a, b| a.0.total_cmp(&b.0));
                    if let Some((used, path)) = fullest {
                        out.push(system::disk_space(i, *min_free_percent, used, path, now));
                    }
                }
                Check::JobFailed => {
                    let Some(reader) = &self.reader else { continue };
                    if runs.is_none() {
                        let limit = 8 * self.job_attempts.len().max(1) * 4;
                        match reader.latest_job_runs(&Jobs::All, limit) {
                            Ok(r) => runs = Some(r),
                            Err(e) => {
                                tracing::warn!("alarm stage: job runs not readable: {e}");
                                continue;
                            }
                        }
                    }
                    let runs = runs.as_deref().unwrap_or_default();
                    for (job, attempts) in &self.job_attempts {
                        let mine: Vec<_> = runs.iter().filter(|r| &r.job == job).cloned().collect();
                        out.extend(system::job_failed(i, job, &mine, *attempts));
                    }
                }
                _ => {}
            }
        }
    }

    /// The heavy-pollution warning of the latest forecast run, once per new run.
    fn warning_findings(&mut self, now: DateTime<Utc>, out: &mut Vec<Finding>) {
        let rules: Vec<(usize, WarningThresholds)> = self
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match &r.check {
                Check::HeavyPollutionWarning(t) => Some((i, *t)),
                _ => None,
            })
            .collect();
        let Some(reader) = self.reader.as_ref().filter(|_| !rules.is_empty()) else {
            return;
        };
        let latest = match reader.forecasts_span() {
            Ok(span) => span.map(|s| s.last).filter(|t| *t <= now),
            Err(e) => {
                tracing::warn!("alarm stage: forecasts not readable: {e}");
                return;
            }
        };
        let Some(issued) = latest.filter(|t| Some(*t) != self.forecast_seen) else {
            return;
        };
        let query = ForecastQuery::new(
            ForecastAxis::Issued,
            issued,
            issued + TimeDelta::milliseconds(1),
        );
        let days = match reader.forecast_days(&query) {
            Ok(days) => days,
            Err(e) => {
                tracing::warn!("alarm stage: forecasts not readable: {e}");
                return;
            }
        };
        self.forecast_seen = Some(issued);
        for (i, t) in rules {
            for (subject, members) in self.warning_areas(i) {
                let f = self.warning(i, &t, subject, &members, &days, issued);
                out.extend(f);
            }
        }
    }

    /// The areas a warning rule speaks for: each district it lists, or else the network (the
    /// stations in its scope).
    fn warning_areas(&self, i: usize) -> Vec<(AlarmSubject, Vec<usize>)> {
        let scope = &self.rules[i].scope;
        let in_scope = |s: &usize| self.scoped[i][*s];
        if scope.districts.is_empty() {
            let all = (0..self.network.stations.len()).filter(in_scope).collect();
            return vec![(AlarmSubject::Network, all)];
        }
        scope
            .districts
            .iter()
            .map(|d| {
                let members = (0..self.network.stations.len())
                    .filter(in_scope)
                    .filter(|s| self.network.stations[*s].district == d.value)
                    .collect();
                (AlarmSubject::District(d.value.clone()), members)
            })
            .collect()
    }

    fn warning(
        &self,
        i: usize,
        t: &WarningThresholds,
        subject: AlarmSubject,
        members: &[usize],
        days: &[ForecastDay],
        issued: DateTime<Utc>,
    ) -> Option<Finding> {
        let ids: Vec<&str> = members
            .iter()
            .map(|s| &*self.network.stations[*s].id)
            .collect();
        let mut by_date: BTreeMap<chrono::NaiveDate, Vec<&ForecastDay>> = BTreeMap::new();
        for d in days
            .iter()
            .filter(|d| ids.contains(&&*d.station) && d.time > issued)
        {
            by_date.entry(d.date).or_default().push(d);
        }
        let aqis: Vec<Option<u32>> = by_date
            .iter()
            .map(|(date, ds)| area_daily_aqi(ds, members.len(), *date))
            .collect();
        if aqis.is_empty() {
            return None;
        }
        let a = assess(&aqis, t);
        let condition = if a.level.is_some() {
            super::finding::Condition::Holds
        } else {
            super::finding::Condition::Clear
        };
        Some(Finding {
            rule: i,
            subject,
            measure: Measure::ForecastDays { above: t.heavy_aqi },
            direction: Direction::Above,
            threshold: f64::from(t.days[0]),
            clear_level: f64::from(t.days[0]),
            value: Observation {
                time: issued,
                value: f64::from(a.heavy_days.max(u32::from(a.level.is_some()))),
            },
            since: issued,
            condition,
            warning: a.level,
            note: a.level.map(|_| {
                let peak = a
                    .peak_aqi
                    .map_or(String::new(), |p| format!(", peak daily AQI {p}"));
                format!(
                    "{} (forecast issued {}{peak})",
                    describe(&a),
                    issued.format("%Y-%m-%d %H:%M UTC")
                )
            }),
        })
    }

    /// Compares each station with its reference at every pending hour labelled up to
    /// `until` (outlier rules).
    pub(super) fn outliers_through(&mut self, until: DateTime<Utc>, out: &mut Vec<Finding>) {
        while let Some(label) = self.pending_hours.first().copied().filter(|l| *l <= until) {
            self.pending_hours.remove(&label);
            for (i, rule) in self.rules.iter().enumerate() {
                let Check::Outlier(o) = &rule.check else {
                    continue;
                };
                let values: Vec<(usize, f64)> = (0..self.network.stations.len())
                    .filter(|s| self.scoped[i][*s])
                    .filter_map(|s| {
                        self.series
                            .get(&(s, o.parameter))
                            .and_then(|x| x.hours.get(label))
                            .map(|v| (s, v))
                    })
                    .collect();
                let mut network: Vec<f64> = values.iter().map(|(_, v)| *v).collect();
                let median = rise::median(&mut network);
                for (s, v) in &values {
                    let station = &self.network.stations[*s];
                    let (median, n) = match o.reference {
                        Reference::Network => (median, values.len()),
                        Reference::Neighbours { radius_km } => {
                            let mut near: Vec<f64> = values
                                .iter()
                                .filter(|(t, _)| t != s)
                                .filter(|(t, _)| {
                                    match (station.position, self.network.stations[*t].position) {
                                        (Some(a), Some(b)) => rise::distance_km(a, b) <= radius_km,
                                        _ => false,
                                    }
                                })
                                .map(|(_, v)| *v)
                                .collect();
                            (rise::median(&mut near), near.len())
                        }
                    };
                    let Some(median) = median else { continue };
                    let mut f = match rise::outlier(i, o, &station.id, label, *v, median, n) {
                        Some(f) => f,
                        None => continue,
                    };
                    if f.condition == super::finding::Condition::Holds {
                        f.note = self.source_note(&station.id, label);
                    }
                    out.push(f);
                }
            }
        }
    }

    /// What the station's latest source flag says about its sources.
    fn source_note(&self, station: &str, before: DateTime<Utc>) -> Option<String> {
        let reader = self.reader.as_ref()?;
        let query = SourceFlagQuery::new(before - TimeDelta::days(FLAG_DAYS), before)
            .for_stations(Stations::one(station));
        let flags = reader.source_flags(&query).ok()?;
        flags.iter().rev().find_map(rise::source_note)
    }
}

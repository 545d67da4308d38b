//! The alarm stage: the rules evaluated as data arrive, beside the index stage.
//!
//! The collectors' forwarder runs [`AlarmStage::written`] after each store write (live data
//! and replays alike, a batch's records in time order) and [`AlarmStage::tick`] every
//! evaluation interval on the shared clock for the rules that do not wait for data (no data,
//! devices, system, the forecast warning, the network comparison of a complete hour).
//!
//! **Incremental.** The stage keeps, per station × parameter, the last day of hourly values,
//! the run of repeated minute values and when data last arrived ([`super::series`]); per
//! device the states it has seen; and which rule × subject has an open alarm. It is built
//! from the store when first used (the open alarms, the last 25 hours of hourly values, the
//! latest minute of each series) and never rescans the store per write.
//!
//! **Stale data.** Data whose label is older than [`AlarmSettings::stale_after`] (2 intervals
//! \+ the collection lag) when they are evaluated — a backlog replayed after an outage — raise
//! their alarms marked `stale`: recorded, not notified. A live value of the same condition
//! makes the alarm fresh (see [`crate::alarms`]).
//!
//! **Transitions.** Every change the stage makes to an alarm goes through
//! [`AlarmBook`] (one store write each, audited) and is handed to
//! the hook ([`AlarmStage::with_hook`]) and returned: the notifications' input. When the
//! store cannot be written, findings wait in order (up to [`QUEUE_MAX`]) and are applied when
//! it answers.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, Utc};

use super::config::{AlarmRules, AlarmSettings, Check, Measured, Rule};
use super::device::DeviceStates;
use super::finding::{Condition, Finding};
use super::scope::NetworkModel;
use super::series::{Repeat, Series};
use super::{anomaly, rise, threshold};
use crate::alarms::{AlarmBook, AlarmError, Change, Raise, Raised};
use crate::clock::{Clock, next_aligned};
use crate::quality::Flag;
use crate::registry::ConfigError;
use crate::store::{
    AlarmKind, AlarmStore, AlarmSubject, HealthStore, IndexRecord, ReadingStore, Record,
    Resolution, StationId, Store,
};
use crate::units::Parameter;

/// Called with every batch of changes the stage made (opened, updated, cleared alarms).
pub type Hook = Box<dyn FnMut(&[Change]) + Send>;

/// Most findings kept waiting while the store cannot be written; older ones are dropped
/// (with a warning): their conditions are found again by later evaluations.
pub const QUEUE_MAX: usize = 50_000;

/// The stage; see the module documentation.
pub struct AlarmStage {
    pub(super) settings: AlarmSettings,
    pub(super) rules: Vec<Rule>,
    pub(super) network: NetworkModel,
    pub(super) index: HashMap<StationId, usize>,
    /// Per rule, per station: in the rule's scope.
    pub(super) scoped: Vec<Vec<bool>>,
    pub(super) series: HashMap<(usize, Parameter), Series>,
    pub(super) devices: HashMap<String, DeviceStates>,
    pub(super) open: HashSet<(usize, AlarmSubject)>,
    /// Hours written whose network comparison (outlier rules) is still to be made.
    pub(super) pending_hours: BTreeSet<DateTime<Utc>>,
    queue: VecDeque<(Finding, bool)>,
    pub(super) clock: Clock,
    pub(super) watching_since: DateTime<Utc>,
    next_tick: DateTime<Utc>,
    pub(super) loaded: bool,
    pub(super) reader: Option<Box<dyn Store>>,
    pub(super) job_attempts: BTreeMap<String, u32>,
    pub(super) disks: Vec<PathBuf>,
    pub(super) forecast_seen: Option<DateTime<Utc>>,
    min_valid_minutes: u32,
    hook: Option<Hook>,
}

impl AlarmStage {
    /// A stage evaluating `rules` over `network` on `clock`. Fails when a rule's scope names a
    /// station or district the network does not have (located in the configuration file).
    pub fn new(
        settings: AlarmSettings,
        rules: &AlarmRules,
        network: NetworkModel,
        clock: Clock,
    ) -> Result<AlarmStage, ConfigError> {
        network.check(rules)?;
        let scoped = rules
            .rules
            .iter()
            .map(|r| {
                (0..network.stations.len())
                    .map(|i| network.in_scope(i, &r.scope))
                    .collect()
            })
            .collect();
        let now = clock.now();
        Ok(AlarmStage {
            next_tick: next_aligned(now, settings.interval),
            settings,
            rules: rules.rules.clone(),
            index: network.index(),
            network,
            scoped,
            series: HashMap::new(),
            devices: HashMap::new(),
            open: HashSet::new(),
            pending_hours: BTreeSet::new(),
            queue: VecDeque::new(),
            clock,
            watching_since: now,
            loaded: false,
            reader: None,
            job_attempts: BTreeMap::new(),
            disks: Vec::new(),
            forecast_seen: None,
            min_valid_minutes: 45,
            hook: None,
        })
    }

    /// Reads what the pipeline's store does not carry — job runs, forecasts and source flags —
    /// through `reader`, a second handle of the same store (the job-failed and
    /// heavy-pollution-warning rules, and the sources an outlier names, need it).
    pub fn with_reader(mut self, reader: Box<dyn Store>) -> Self {
        self.reader = Some(reader);
        self
    }

    /// The attempts each scheduled job has for a scheduled time (its retries + 1), by name.
    pub fn with_jobs(mut self, attempts: BTreeMap<String, u32>) -> Self {
        self.job_attempts = attempts;
        self
    }

    /// The paths whose filesystems the disk-space rules watch (the store's, the spool's).
    pub fn with_disks(mut self, paths: Vec<PathBuf>) -> Self {
        self.disks = paths;
        self
    }

    /// The valid minutes a valid hour needs (the collectors' `min_valid_minutes`, 45).
    pub fn with_min_valid_minutes(mut self, minutes: u32) -> Self {
        self.min_valid_minutes = minutes;
        self
    }

    /// Calls `hook` with the changes of every evaluation that changed alarms (where the lead
    /// wires notifications; stale changes are marked so on their alarm).
    pub fn with_hook(mut self, hook: impl FnMut(&[Change]) + Send + 'static) -> Self {
        self.hook = Some(Box::new(hook));
        self
    }

    /// The evaluation settings.
    pub fn settings(&self) -> &AlarmSettings {
        &self.settings
    }

    /// When the next timer evaluation is due (clock time).
    pub fn next_tick(&self) -> DateTime<Utc> {
        self.next_tick
    }

    /// The real time until the next timer evaluation (zero when it is due).
    pub fn until_next_tick(&self) -> std::time::Duration {
        self.clock.real_duration(self.next_tick - self.clock.now())
    }

    /// Findings waiting for the store.
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// Rule indices of `check`'s variant whose scope holds station `s`.
    pub(super) fn rules_for(&self, s: usize) -> impl Iterator<Item = (usize, &Rule)> {
        self.rules
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.scoped[*i][s])
    }

    /// After `records` were stored (and `hourly_aqi` computed from them by the index stage):
    /// evaluates the data rules in the records' time order. Returns the changes made.
    pub fn written<S: ReadingStore + AlarmStore + ?Sized>(
        &mut self,
        store: &mut S,
        records: &[Record],
        hourly_aqi: &[IndexRecord],
    ) -> Vec<Change> {
        self.load(store);
        let mut order: Vec<&Record> = records.iter().collect();
        order.sort_by_key(|r| r.time);
        let mut findings = Vec::new();
        let mut hours = HashSet::new();
        let mut newest_hour = None;
        for r in order {
            let Some(&s) = self.index.get(&r.station) else {
                continue;
            };
            let series = self.series.entry((s, r.parameter)).or_default();
            series.last_seen = series.last_seen.max(Some(r.time));
            let valid = r.flag.is_valid().then_some(r.value);
            match r.resolution {
                Resolution::Minute => {
                    series.repeat = Repeat::next(series.repeat, r.time, valid);
                    self.device_flag(s, r);
                    self.on_minute(s, r, &mut findings);
                }
                Resolution::Hour => {
                    series.hours.put(r.time, valid);
                    self.on_hour(s, r, &mut findings);
                    hours.insert((s, r.time));
                    newest_hour = newest_hour.max(Some(r.time));
                }
                _ => {}
            }
        }
        let mut aqi: Vec<&IndexRecord> = hourly_aqi.iter().collect();
        aqi.sort_by_key(|r| r.time);
        for rec in aqi {
            let Some(&s) = self.index.get(&*rec.station) else {
                continue;
            };
            let (Some(value), true) = (rec.aqi, hours.contains(&(s, rec.time))) else {
                continue;
            };
            for (i, rule) in self.rules_for(s) {
                if let Check::Threshold(t) = &rule.check
                    && t.measured == Measured::Aqi
                {
                    findings.push(threshold::on_aqi(i, t, &rec.station, rec.time, value));
                }
            }
        }
        if let Some(newest) = newest_hour {
            self.outliers_through(newest - TimeDelta::hours(2), &mut findings);
        }
        findings.sort_by_key(|f| f.value.time);
        let changes = self.apply(store, findings);
        self.announce(&changes);
        changes
    }

    /// A minute flagged for a device state (`D`, `C`, `M`) dates the state of the device that
    /// measures it from the minute's start: more precise than the evaluation that first sees
    /// the status bit in the device's health (which clears the state when the bit is gone).
    fn device_flag(&mut self, s: usize, r: &Record) {
        let start = r.time - TimeDelta::minutes(1);
        let Some(device) = self.network.stations[s]
            .devices
            .iter()
            .find(|d| d.parameters.iter().any(|(p, _)| *p == r.parameter))
        else {
            return;
        };
        let states = self.devices.entry(device.id.clone()).or_default();
        let state = match r.flag {
            Flag::Fault => &mut states.fault,
            Flag::Calibration => &mut states.calibration,
            Flag::Maintenance => &mut states.maintenance,
            _ => return,
        };
        *state = Some(state.map_or(start, |t| t.min(start)));
    }

    fn on_minute(&self, s: usize, r: &Record, out: &mut Vec<Finding>) {
        let station = &self.network.stations[s].id;
        let series = &self.series[&(s, r.parameter)];
        for (i, rule) in self.rules_for(s) {
            match &rule.check {
                // Data are back: an open no-data alarm clears at once, not at the next tick —
                // when they are recent: late data (a logger's backlog after a reconnect) keep
                // the gap open until they come within the duration of the clock's time, so a
                // backlog arriving in bursts does not close and reopen the alarm each time.
                Check::NoData { duration, .. }
                    if self.open.contains(&(
                        i,
                        AlarmSubject::StationParameter(station.clone(), r.parameter),
                    )) =>
                {
                    let since = self.watching_since;
                    let f = super::nodata::no_data(
                        i,
                        *duration,
                        station,
                        r.parameter,
                        Some(r.time),
                        since,
                        self.clock.now().max(r.time),
                    );
                    out.push(f);
                }
                Check::Stuck {
                    parameters,
                    duration,
                } if parameters.contains(&r.parameter) => out.push(anomaly::stuck(
                    i,
                    station,
                    r.parameter,
                    *duration,
                    series.repeat.as_ref(),
                    r.time,
                )),
                Check::OverRange { parameters } if parameters.contains(&r.parameter) => {
                    let range = self.network.stations[s].range(r.parameter);
                    out.push(anomaly::over_range(
                        i,
                        station,
                        r.parameter,
                        r.time,
                        r.flag,
                        r.value,
                        range,
                    ));
                }
                _ => {}
            }
        }
    }

    fn on_hour(&mut self, s: usize, r: &Record, out: &mut Vec<Finding>) {
        let station = self.network.stations[s].id.clone();
        let p = r.parameter;
        let hours = &self.series[&(s, p)].hours;
        let value_of = |q: Parameter| self.series.get(&(s, q)).and_then(|x| x.hours.get(r.time));
        let mut outlier = false;
        for (i, rule) in self.rules_for(s) {
            match &rule.check {
                Check::Threshold(t) if t.measured == Measured::Parameter(p) => {
                    out.extend(threshold::on_hours(i, t, p, &station, hours, r.time));
                }
                Check::SuddenRise(x) if x.parameter == p => {
                    out.extend(rise::sudden_rise(i, x, &station, hours, r.time));
                }
                Check::Outlier(o) if o.parameter == p => outlier = true,
                Check::Negative { parameters, noise } if parameters.contains(&p) => {
                    if let Some(v) = hours.get(r.time) {
                        let noise = noise.unwrap_or_else(|| super::config::negative_noise(p));
                        out.push(anomaly::negative(i, &station, p, noise, r.time, v));
                    }
                }
                Check::Pm25AbovePm10 { margin }
                    if matches!(p, Parameter::Pm25 | Parameter::Pm10) =>
                {
                    if let (Some(a), Some(b)) =
                        (value_of(Parameter::Pm25), value_of(Parameter::Pm10))
                    {
                        let pair = (Parameter::Pm25, Parameter::Pm10);
                        out.extend(anomaly::part_above_whole(
                            i, &station, pair, *margin, r.time, a, b,
                        ));
                    }
                }
                Check::No2AboveNox { margin } if matches!(p, Parameter::No2 | Parameter::Nox) => {
                    if let (Some(a), Some(b)) = (value_of(Parameter::No2), value_of(Parameter::Nox))
                    {
                        let pair = (Parameter::No2, Parameter::Nox);
                        out.extend(anomaly::part_above_whole(
                            i, &station, pair, *margin, r.time, a, b,
                        ));
                    }
                }
                Check::LowCapture { parameters } if parameters.contains(&p) => {
                    out.extend(anomaly::low_capture(
                        i,
                        &station,
                        p,
                        self.min_valid_minutes,
                        r.time,
                        r.flag,
                        r.count,
                    ));
                }
                _ => {}
            }
        }
        if outlier {
            self.pending_hours.insert(r.time);
        }
    }

    /// Evaluates the timer rules at the clock's time, and the network comparison of the hours
    /// complete by then; retries findings that waited for the store; escalates the open alarms
    /// nobody acknowledged in time ([`AlarmSettings::escalation`]). Returns the changes.
    pub fn tick<S: ReadingStore + HealthStore + AlarmStore + ?Sized>(
        &mut self,
        store: &mut S,
        spool: super::system::SpoolFacts,
    ) -> Vec<Change> {
        self.load(store);
        let now = self.clock.now();
        self.next_tick = next_aligned(now, self.settings.interval);
        let mut findings = Vec::new();
        self.timer_findings(&*store, spool, now, &mut findings);
        self.outliers_through(now - self.settings.collection_lag, &mut findings);
        let mut changes = self.apply(store, findings);
        match AlarmBook::new(store).escalate_overdue(now, &self.settings.escalation) {
            Ok(escalated) => changes.extend(escalated),
            Err(e) => tracing::warn!("alarm stage: escalation waits for the store: {e}"),
        }
        self.announce(&changes);
        changes
    }

    /// Hands `changes` to the hook (when there are any).
    fn announce(&mut self, changes: &[Change]) {
        if !changes.is_empty()
            && let Some(hook) = &mut self.hook
        {
            hook(changes);
        }
    }

    /// Applies findings in order through the alarm book: waiting ones first. Stops at the
    /// first store failure, keeping the rest waiting.
    fn apply<S: AlarmStore + ?Sized>(
        &mut self,
        store: &mut S,
        findings: Vec<Finding>,
    ) -> Vec<Change> {
        let now = self.clock.now();
        let stale_after = self.settings.stale_after();
        // A clear or in-between value matters only to an open alarm: open now, or raised by a
        // finding before it (the queue keeps the order; relevance is checked again below).
        let mut raised = HashSet::new();
        for f in findings {
            let key = (f.rule, f.subject.clone());
            let relevant = if f.condition == Condition::Holds {
                raised.insert(key);
                true
            } else {
                self.open.contains(&key) || raised.contains(&key)
            };
            if relevant {
                let stale = now - f.value.time > stale_after
                    && self.rules[f.rule].kind() != AlarmKind::HeavyPollution;
                self.queue.push_back((f, stale));
            }
        }
        if self.queue.len() > QUEUE_MAX {
            let dropped = self.queue.len() - QUEUE_MAX;
            self.queue.drain(..dropped);
            tracing::warn!(
                dropped,
                "alarm findings dropped while the store could not be written"
            );
        }
        let mut changes = Vec::new();
        let mut book = AlarmBook::new(store);
        while let Some((f, stale)) = self.queue.pop_front() {
            if f.condition != Condition::Holds && !self.open.contains(&(f.rule, f.subject.clone()))
            {
                continue;
            }
            match step(&mut book, &self.rules[f.rule], &f, stale, now) {
                Ok(made) => {
                    let key = (f.rule, f.subject.clone());
                    for c in &made {
                        if c.alarm.closed.is_some() {
                            self.open.remove(&key);
                        } else {
                            self.open.insert(key.clone());
                        }
                    }
                    changes.extend(made.into_iter().filter(|c| c.action.is_some()));
                }
                Err(AlarmError::Store(e)) => {
                    tracing::warn!(
                        "alarm stage: the store failed, {} findings wait: {e}",
                        self.queue.len() + 1
                    );
                    self.queue.push_front((f, stale));
                    break;
                }
                Err(e) => tracing::warn!("alarm stage: rule {}: {e}", self.rules[f.rule].id),
            }
        }
        changes
    }
}

/// One finding's step in the lifecycle: raise (open or update), clear (the hysteresis from
/// the start of the finding's period), or interrupt the clearing. The changes made, in order.
fn step<S: AlarmStore + ?Sized>(
    book: &mut AlarmBook<'_, S>,
    rule: &Rule,
    f: &Finding,
    stale: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Change>, AlarmError> {
    match f.condition {
        Condition::Holds => {
            let raise = Raise {
                rule: rule.id.clone(),
                subject: f.subject.clone(),
                kind: rule.kind(),
                severity: f.warning.map_or(rule.severity, |w| w.severity()),
                measure: f.measure,
                direction: f.direction,
                threshold: f.threshold,
                clear_level: f.clear_level,
                value: f.value,
                warning: f.warning,
                stale,
            };
            Ok(match book.raise(&raise, now)? {
                Raised::Opened(c) => {
                    let note = match &f.note {
                        Some(text) => Some(book.note(&c.alarm.key(), text, now)?),
                        None => None,
                    };
                    std::iter::once(c).chain(note).collect()
                }
                Raised::Updated(c) => vec![c],
                Raised::Seen(_) => Vec::new(),
            })
        }
        Condition::Clear => {
            let hold = rule.clear_after;
            let mut made: Vec<Change> = book
                .clear(&rule.id, &f.subject, f.since, hold)?
                .into_iter()
                .collect();
            if f.value.time > f.since && made.last().is_none_or(|c| c.alarm.closed.is_none()) {
                made.extend(book.clear(&rule.id, &f.subject, f.value.time, hold)?);
            }
            Ok(made)
        }
        Condition::Between => Ok(book
            .interrupt_clearing(&rule.id, &f.subject, f.value.time)?
            .into_iter()
            .collect()),
    }
}

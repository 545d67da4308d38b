//! Building the stage's memory from the store when it is first used: the open alarms (and the
//! durations they record), the last 25 hours of hourly values, the latest minute of every
//! series.

use std::collections::HashMap;

use chrono::TimeDelta;

use super::series::Repeat;
use super::stage::AlarmStage;
use crate::quality::Flag;
use crate::store::{
    Alarm, AlarmQuery, AlarmState, AlarmStore, AlarmSubject, Filter, Lasting, Measure,
    ReadingQuery, ReadingStore, Record, Resolution, Stations, StoreError,
};

impl AlarmStage {
    /// Builds the stage's memory from the store once: open alarms, the last 25 hours of
    /// hourly values, the latest minute of every series. Tried again at the next evaluation
    /// when the store fails.
    pub(super) fn load<S: ReadingStore + AlarmStore + ?Sized>(&mut self, store: &S) {
        if self.loaded {
            return;
        }
        match self.try_load(store) {
            Ok(()) => self.loaded = true,
            Err(e) => tracing::warn!("alarm stage: cannot read its state from the store yet: {e}"),
        }
    }

    fn try_load<S: ReadingStore + AlarmStore + ?Sized>(
        &mut self,
        store: &S,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let rule_index: HashMap<String, usize> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        let mut open = Vec::new();
        if let Some(span) = store.alarms_span()? {
            let mut query = AlarmQuery::new(span.first, span.end());
            query.states = Filter::only([AlarmState::Open, AlarmState::Acknowledged]);
            open = store.alarms(&query)?;
        }
        let mut hours = ReadingQuery::new(
            Resolution::Hour,
            now - TimeDelta::hours(26),
            now + TimeDelta::hours(1),
        );
        hours.stations = Stations::All;
        store.readings_paged(&hours, crate::store::PAGE_SIZE, &mut |page| {
            for r in page {
                if let Some(&s) = self.index.get(&r.station) {
                    let series = self.series.entry((s, r.parameter)).or_default();
                    series
                        .hours
                        .put(r.time, r.flag.is_valid().then_some(r.value));
                    series.last_seen = series.last_seen.max(Some(r.time));
                }
            }
            Ok(())
        })?;
        let latest = store.latest_readings(Resolution::Minute, &Stations::All)?;
        for r in &latest {
            if let Some(&s) = self.index.get(&r.station) {
                let series = self.series.entry((s, r.parameter)).or_default();
                series.last_seen = series.last_seen.max(Some(r.time));
            }
        }
        for alarm in open {
            let Some(&i) = rule_index.get(&alarm.rule) else {
                tracing::info!(rule = %alarm.rule, "open alarm of a rule no longer configured: left as it is");
                continue;
            };
            self.resume(&alarm, &latest);
            self.open.insert((i, alarm.subject.clone()));
        }
        tracing::info!(
            open = self.open.len(),
            series = self.series.len(),
            "alarm stage loaded its state"
        );
        Ok(())
    }

    /// Restores what an open alarm says about ongoing conditions that the stage counts itself:
    /// how long a device state has lasted, how long a value has repeated.
    fn resume(&mut self, alarm: &Alarm, latest: &[Record]) {
        let first = alarm.evidence.first;
        let began = first.time - TimeDelta::seconds((first.value * 60.0) as i64);
        match (&alarm.subject, alarm.evidence.measure) {
            (AlarmSubject::Device { device, .. }, Measure::Lasting { what }) => {
                let states = self.devices.entry(device.clone()).or_default();
                match what {
                    Lasting::Fault => states.fault = Some(began),
                    Lasting::Calibration => states.calibration = Some(began),
                    Lasting::Maintenance => states.maintenance = Some(began),
                    _ => {}
                }
            }
            (AlarmSubject::StationParameter(station, p), Measure::Repeats { .. }) => {
                let Some(&s) = self.index.get(station) else {
                    return;
                };
                let last = latest
                    .iter()
                    .find(|r| r.station == *station && r.parameter == *p);
                if let Some(r) = last.filter(|r| r.flag == Flag::Normal) {
                    self.series.entry((s, *p)).or_default().repeat = Some(Repeat {
                        value: r.value,
                        since: began,
                        last: r.time,
                        count: (r.time - began).num_minutes() as u32,
                    });
                }
            }
            _ => {}
        }
    }
}

//! What is to be sent: one station's uploads of one window, read from the store in pages.
//!
//! A window is the intervals of one station that end in `[mark.through, until]` (at most an
//! hour: the memory of one station-hour), every stream the target receives; each upload
//! gathers the station's values of one stream and one interval, in the order of
//! [`Key`](super::cursor::Key). Values stay in lantian's canonical units and flags here; the
//! packet (codes, units, text) is made in [`super::packet`].

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::cursor::{Key, Mark};
use super::daily::{day_before, day_statistics, midnights};
use super::stream::Stream;
use crate::quality::Flag;
use crate::store::{
    PAGE_SIZE, Parameters, ReadingQuery, ReadingStore, Record, Resolution, StationId, Stations,
    StoreError,
};
use crate::units::Parameter;

/// One stored value as a platform receives it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Value {
    /// The parameter.
    pub(crate) parameter: Parameter,
    /// The value (`-Rtd` or `-Avg`), canonical unit.
    pub(crate) value: f64,
    /// A day's lowest and highest hourly mean (`-Min`, `-Max`), canonical unit.
    pub(crate) range: Option<(f64, f64)>,
    /// Its flag.
    pub(crate) flag: Flag,
}

/// One station's values of one stream and interval.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Upload {
    /// The stream.
    pub(crate) stream: Stream,
    /// The end of the interval (a sample's time).
    pub(crate) ends: DateTime<Utc>,
    /// `DataTime`: the start of the interval (a sample's time).
    pub(crate) data_time: DateTime<Utc>,
    /// The values, in [`Parameter`] order.
    pub(crate) values: Vec<Value>,
}

impl Upload {
    /// The key of its part `part`.
    pub(crate) fn key(&self, part: u16) -> Key {
        Key {
            ends: self.ends,
            stream: self.stream,
            part,
        }
    }
}

/// What a window reads: which station, streams and parameters.
#[derive(Debug, Clone)]
pub(crate) struct WindowQuery<'a> {
    /// The station.
    pub(crate) station: &'a StationId,
    /// Its time zone (local days).
    pub(crate) tz: Tz,
    /// The streams, any order.
    pub(crate) streams: &'a [Stream],
    /// The parameters that have a code.
    pub(crate) parameters: &'a Parameters,
}

/// The station's uploads that end in `[mark.through, until]` and are still pending after
/// `mark` (an upload partly sent is included whole: the caller skips its sent parts), in
/// sending order.
pub(crate) fn window(
    store: &(impl ReadingStore + ?Sized),
    q: &WindowQuery<'_>,
    mark: Mark,
    until: DateTime<Utc>,
) -> Result<Vec<Upload>, StoreError> {
    let mut out = Vec::new();
    if until < mark.through {
        return Ok(out);
    }
    let from = mark.through;
    let end = until + TimeDelta::milliseconds(1);
    for &stream in q.streams {
        match stream {
            Stream::RealTime | Stream::Minute | Stream::Hour => {
                let groups = read_grouped(store, q, stream.resolution(), from, end)?;
                out.extend(groups.into_iter().map(|(ends, records)| {
                    Upload {
                        stream,
                        ends,
                        data_time: stream.data_time(ends, q.tz),
                        values: records
                            .into_iter()
                            .map(|r| Value {
                                parameter: r.parameter,
                                value: r.value,
                                range: None,
                                flag: r.flag,
                            })
                            .collect(),
                    }
                }));
            }
            Stream::Day => {
                for day_end in midnights(q.tz, from - TimeDelta::milliseconds(1), until) {
                    let start = day_before(day_end, q.tz);
                    let hours: Vec<Record> = read_grouped(
                        store,
                        q,
                        Resolution::Hour,
                        start + TimeDelta::milliseconds(1),
                        day_end + TimeDelta::milliseconds(1),
                    )?
                    .into_values()
                    .flatten()
                    .collect();
                    let values: Vec<Value> = day_statistics(start, day_end, &hours)
                        .into_iter()
                        .map(|d| Value {
                            parameter: d.parameter,
                            value: d.avg,
                            range: d.range,
                            flag: d.flag,
                        })
                        .collect();
                    if !values.is_empty() {
                        out.push(Upload {
                            stream,
                            ends: day_end,
                            data_time: start,
                            values,
                        });
                    }
                }
            }
        }
    }
    out.retain(|u| mark.is_pending(&u.key(u16::MAX)));
    out.sort_by_key(|u| u.key(0));
    Ok(out)
}

/// The station's records of `resolution` labelled in `[from, to)`, grouped by label, each
/// group in [`Parameter`] order.
fn read_grouped(
    store: &(impl ReadingStore + ?Sized),
    q: &WindowQuery<'_>,
    resolution: Resolution,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<BTreeMap<DateTime<Utc>, Vec<Record>>, StoreError> {
    let query = ReadingQuery::new(resolution, from, to)
        .for_stations(Stations::one(q.station.clone()))
        .for_parameters(q.parameters.clone());
    let mut groups: BTreeMap<DateTime<Utc>, Vec<Record>> = BTreeMap::new();
    if query.is_empty() {
        return Ok(groups);
    }
    store.readings_paged(&query, PAGE_SIZE, &mut |page| {
        for r in page {
            groups.entry(r.time).or_default().push(r);
        }
        Ok(())
    })?;
    for records in groups.values_mut() {
        records.sort_by_key(|r| r.parameter);
    }
    Ok(groups)
}

#[cfg(test)]
mod tests;

//! The task of one target: read what is due, send it in order, wait for each
//! acknowledgement, move the cursor; reconnect with back-off when the link fails.
//!
//! A *round* visits the stations in turn and sends each one window — the packets of one
//! hour at most — so that a long backfill goes hour by hour, every station together.
//! What is due is what ended `delay` (monitoring time, the shared [`Clock`]) ago and is
//! older than any reading still waiting in the spool ([`Pending`]), so that a replayed
//! spool is waited for rather than skipped. Acknowledgement timeouts, retries and back-off
//! are real time.
//!
//! States: *idle* (nothing due; the open connection is watched until the next interval is
//! due), *sending* (connected, one packet at a time, each acknowledged before the next),
//! *backing off* (after a failed connection, a missing acknowledgement after the retries,
//! a refusal or a store error: the cursor stays where the last acknowledgement put it, and
//! sending resumes from there).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::{StartPoint, StationChoice, StationCredentials, UplinkTarget};
use super::cursor::{Cursor, Mark};
use super::daily::midnights;
use super::link::{Answer, Link, LinkError};
use super::outbox::{Upload, WindowQuery, window};
use super::packet::{Part, Wire};
use super::status::{self, REFRESH, UplinkStatus};
use super::stream::Stream;
use super::{Pending, UplinkError};
use crate::assess::local_midnight;
use crate::clock::{Clock, next_aligned};
use crate::collect::backoff::Backoff;
use crate::hj212::QnRtn;
use crate::hj212::time::format_qn;
use crate::store::{Parameters, Resolution, StationId, Stations, Store, StoreError};

/// The longest a window spans.
const WINDOW: TimeDelta = TimeDelta::hours(1);

/// Real time a record may take from its interval's end to the store — the aggregator's
/// close, the sink's batch (≤ 250 ms), the spool, the forwarder's write — before it is in
/// neither the spool nor the store: the least `delay` on a clock running faster than real
/// time (at speed 1 the configured `delay`, 120 s by default, is far more).
const PIPELINE_LATENCY: Duration = Duration::from_secs(2);

/// How often a target sending every station looks for stations new in the store.
const STATIONS_REFRESH: Duration = Duration::from_secs(10);

/// A store shared by the targets' tasks, read on tokio's blocking pool.
pub(crate) type SharedStore = Arc<Mutex<Box<dyn Store>>>;

/// One station of a target.
#[derive(Debug, Clone)]
pub(crate) struct Station {
    pub(crate) id: StationId,
    pub(crate) credentials: StationCredentials,
    pub(crate) tz: Tz,
}

/// Why a round stopped.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error("no acknowledgement of {what} after {tries} tries")]
    NoAnswer { what: String, tries: u32 },
    #[error("the platform refused {what}: QnRtn {code} ({rtn:?})")]
    Refused { what: String, code: u16, rtn: QnRtn },
    #[error("reading the store: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Local(#[from] UplinkError),
}

/// A target's sending task.
pub(crate) struct Sender {
    target: UplinkTarget,
    wire: Wire,
    stations: Vec<Station>,
    parameters: Parameters,
    cursor: Cursor,
    status: UplinkStatus,
    dir: PathBuf,
    store: SharedStore,
    clock: Clock,
    pending: Pending,
    backoff: Backoff,
    link: Option<Link>,
    last_qn: DateTime<Utc>,
    published: Option<Instant>,
    /// When the store's stations were last looked at ([`Sender::add_new_stations`]).
    stations_read: Option<Instant>,
    /// Stations of the store that cannot be sent (no MN or PW), said once.
    refused: Vec<String>,
}

impl Sender {
    /// A sender of `target` for `stations`, with its cursor (already open).
    pub(crate) fn new(
        target: UplinkTarget,
        stations: Vec<Station>,
        cursor: Cursor,
        dir: PathBuf,
        store: SharedStore,
        clock: Clock,
        pending: Pending,
    ) -> Sender {
        let wire = Wire {
            st: target.system_code(),
            ack: target.ack,
            codes: target.code_map(),
            reference: Default::default(),
        };
        let parameters = Parameters::Only(wire.parameters());
        let status = UplinkStatus::new(target.name.as_str(), target.address.as_str());
        let backoff = Backoff::new(
            Duration::from_millis(target.backoff_initial_ms),
            Duration::from_millis(target.backoff_max_ms),
        );
        Sender {
            target,
            wire,
            stations,
            parameters,
            cursor,
            status,
            dir,
            store,
            clock,
            pending,
            backoff,
            link: None,
            last_qn: DateTime::<Utc>::MIN_UTC,
            published: None,
            stations_read: None,
            refused: Vec::new(),
        }
    }

    /// Sends until `stop` is cancelled; returns only then (every failure is retried).
    pub(crate) async fn run(mut self, stop: CancellationToken) {
        tracing::info!(
            "uplink `{}`: sending {} of {} stations to {} (cursor {})",
            self.target.name,
            self.target
                .data
                .iter()
                .map(Stream::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            self.stations.len(),
            self.target.address,
            self.cursor.path().display()
        );
        while !stop.is_cancelled() {
            let result = tokio::select! {
                r = self.round() => r,
                () = stop.cancelled() => break,
            };
            match result {
                Ok(true) => {}
                Ok(false) => self.idle(&stop).await,
                Err(failure) => {
                    self.failed(&failure);
                    let until = Instant::now() + self.backoff.next_delay();
                    // The state stays fresh through a long back-off.
                    while Instant::now() < until && !stop.is_cancelled() {
                        let step = until.min(Instant::now() + REFRESH);
                        tokio::select! {
                            () = tokio::time::sleep_until(step) => {}
                            () = stop.cancelled() => {}
                        }
                        self.publish(false);
                    }
                }
            }
        }
        if let Err(e) = self.cursor.save() {
            tracing::error!("uplink `{}`: {e}", self.target.name);
        }
        self.set_connected(false);
        self.publish(true);
    }

    /// One round; `true` when something was sent (more may be due at once).
    async fn round(&mut self) -> Result<bool, Failure> {
        self.add_new_stations().await?;
        let horizon = self.horizon().await?;
        let first = self.first_stored().await?;
        let mut sent = false;
        let mut moved = false;
        for i in 0..self.stations.len() {
            let mark = self.mark(i);
            let (uploads, through) = self.read_window(i, mark, first, horizon).await?;
            let station = self.stations[i].clone();
            for upload in &uploads {
                for part in self.wire.parts(upload, &station.credentials, station.tz) {
                    if !mark.is_pending(&part.key) {
                        continue;
                    }
                    self.deliver(&station, &part).await?;
                    self.cursor.set(&station.id, Mark::after(part.key));
                    self.cursor.save()?;
                    self.backoff.reset();
                    sent = true;
                }
            }
            if through > self.mark(i).through {
                self.cursor.set(&station.id, Mark::through(through));
                moved = true;
            }
        }
        if moved && !sent {
            self.cursor.save()?;
        }
        self.backlog(horizon);
        // Before waiting idle, the state is written as it is.
        self.publish(!sent);
        Ok(sent)
    }

    /// The latest interval end that is due: `delay` ago (at least [`PIPELINE_LATENCY`] of
    /// real time on a fast clock), and before the oldest reading still in the spool.
    async fn horizon(&self) -> Result<DateTime<Utc>, Failure> {
        let latency = PIPELINE_LATENCY.mul_f64(self.clock.speed());
        let slack = self
            .target
            .delay()
            .max(TimeDelta::from_std(latency).unwrap_or(TimeDelta::MAX));
        let due = self.clock.now() - slack;
        let oldest = self.pending.oldest().await?;
        tracing::trace!(%due, ?oldest, "uplink `{}`: horizon", self.target.name);
        Ok(match oldest {
            Some(t) => due.min(t - TimeDelta::milliseconds(1)),
            None => due,
        })
    }

    /// The mark of station `i` (its start before its first packet).
    fn mark(&self, i: usize) -> Mark {
        let station = &self.stations[i];
        self.cursor.mark(&station.id).unwrap_or_else(|| {
            Mark::through(match self.target.start {
                StartPoint::Now => self.cursor.created(),
                StartPoint::Date(date) => local_midnight(date, station.tz),
                StartPoint::Time(t) => t.to_utc(),
            })
        })
    }

    /// The earliest stored label of what the target sends.
    async fn first_stored(&self) -> Result<Option<DateTime<Utc>>, Failure> {
        let streams = self.target.data.clone();
        self.on_store(move |store| first_stored(store, &streams))
            .await
    }

    /// Runs `read` on the store, on tokio's blocking pool.
    async fn on_store<T: Send + 'static>(
        &self,
        read: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Failure> {
        let store = self.store.clone();
        let read = move || {
            let store = store
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            read(&**store)
        };
        Ok(tokio::task::spawn_blocking(read)
            .await
            .map_err(|e| UplinkError::Task(e.to_string()))??)
    }

    /// A target sending every station adds those new in the store (registered after it
    /// started: `lantian uplink run` beside a `lantian run` that registers at its first
    /// write), looking at most every [`STATIONS_REFRESH`]. A new station without an MN is
    /// said once and not sent.
    async fn add_new_stations(&mut self) -> Result<(), Failure> {
        if self.target.stations != StationChoice::All
            || self
                .stations_read
                .is_some_and(|read| read.elapsed() < STATIONS_REFRESH)
        {
            return Ok(());
        }
        self.stations_read = Some(Instant::now());
        let known = self.on_store(|store| store.stations()).await?;
        for info in known {
            if self.stations.iter().any(|s| *s.id == *info.id) || self.refused.contains(&info.id) {
                continue;
            }
            match self.target.credentials(std::slice::from_ref(&info.id)) {
                Ok(credentials) => {
                    tracing::info!(
                        "uplink `{}`: station {} is new in the store: sending it",
                        self.target.name,
                        info.id
                    );
                    self.stations
                        .extend(credentials.into_iter().map(|credentials| Station {
                            id: info.id.as_str().into(),
                            credentials,
                            tz: info.time_zone,
                        }));
                }
                Err(e) => {
                    tracing::error!("{e}: it is not sent");
                    self.refused.push(info.id);
                }
            }
        }
        Ok(())
    }

    /// The first window after `mark` with something to send (or none up to `horizon`), and
    /// the end of the windows read. `first` is the earliest stored label: nothing before it
    /// needs reading hour by hour.
    async fn read_window(
        &self,
        i: usize,
        mark: Mark,
        first: Option<DateTime<Utc>>,
        horizon: DateTime<Utc>,
    ) -> Result<(Vec<Upload>, DateTime<Utc>), Failure> {
        let station = self.stations[i].clone();
        let streams = self.target.data.clone();
        let parameters = self.parameters.clone();
        self.on_store(move |store| {
            let q = WindowQuery {
                station: &station.id,
                tz: station.tz,
                streams: &streams,
                parameters: &parameters,
            };
            // Nothing is stored before the first record nor after the station's last: those
            // stretches are not read hour by hour.
            let mut mark = mark;
            if let Some(first) = first
                && first - mark.through > WINDOW
            {
                mark = Mark::through(first - TimeDelta::milliseconds(1));
            }
            let last = last_stored_end(store, &station, &streams)?;
            let bound = last.map_or(mark.through, |last| last.min(horizon));
            while mark.through < bound {
                let until = next_aligned(mark.through, WINDOW).min(horizon);
                let uploads = window(store, &q, mark, until)?;
                if !uploads.is_empty() {
                    return Ok((uploads, until));
                }
                mark = Mark::through(until);
            }
            Ok((Vec::new(), mark.through.max(horizon)))
        })
        .await
    }

    /// Sends `part` and waits for its acknowledgement, re-sending after each timeout up to
    /// `retries` times.
    async fn deliver(&mut self, station: &Station, part: &Part) -> Result<(), Failure> {
        let qn = self.next_qn(station.tz);
        let packet = self
            .wire
            .packet(part, &station.credentials, &qn)
            .map_err(|e| UplinkError::Encode(e.to_string()))?;
        let tries = self.target.retries + 1;
        let timeout = self.target.timeout();
        let ack = self.target.ack;
        for attempt in 0..tries {
            if attempt > 0 {
                self.status.resent += 1;
            }
            let link = self.connected().await?;
            link.send(&packet, timeout).await?;
            if !ack {
                return Ok(());
            }
            let answer = link.answer(&qn, timeout).await;
            match answer {
                Ok(Answer::Acknowledged) => {
                    self.status.acknowledged += 1;
                    self.status.last_ack = Some(Utc::now());
                    return Ok(());
                }
                Ok(Answer::Refused(rtn)) => {
                    return Err(Failure::Refused {
                        what: describe(station, part),
                        code: rtn.code(),
                        rtn,
                    });
                }
                Ok(Answer::TimedOut) => {
                    self.publish(false);
                    tracing::debug!(
                        "uplink `{}`: no acknowledgement of {} within {:?} (try {}/{tries})",
                        self.target.name,
                        describe(station, part),
                        timeout,
                        attempt + 1
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Failure::NoAnswer {
            what: describe(station, part),
            tries,
        })
    }

    /// The open connection, connecting first when there is none.
    async fn connected(&mut self) -> Result<&mut Link, Failure> {
        if self.link.is_none() {
            let link = Link::connect(self.target.address.as_str(), self.target.timeout()).await?;
            tracing::info!(
                "uplink `{}`: connected to {}",
                self.target.name,
                self.target.address
            );
            self.link = Some(link);
            self.status.connections += 1;
            self.set_connected(true);
            self.publish(true);
        }
        Ok(self.link.as_mut().expect("connected"))
    }

    /// A request number later than the last one (QN is the sending time, to the millisecond).
    fn next_qn(&mut self, tz: Tz) -> String {
        let now = Utc::now().max(self.last_qn + TimeDelta::milliseconds(1));
        self.last_qn = now;
        format_qn(now, tz)
    }

    /// Waits until the next interval may be due (at most [`REFRESH`]), watching the
    /// connection.
    async fn idle(&mut self, stop: &CancellationToken) {
        let now = self.clock.now();
        let delay = self.target.delay();
        let next_due = next_aligned(now - delay, TimeDelta::minutes(1)) + delay;
        let wait = self.clock.real_duration(next_due - now).min(REFRESH);
        let deadline = Instant::now() + wait.max(Duration::from_millis(10));
        let watched = async {
            match self.link.as_mut() {
                Some(link) => link.idle_until(deadline).await,
                None => {
                    tokio::time::sleep_until(deadline).await;
                    Ok(())
                }
            }
        };
        let result = tokio::select! {
            r = watched => r,
            () = stop.cancelled() => Ok(()),
        };
        if let Err(e) = result {
            tracing::info!("uplink `{}`: idle connection lost: {e}", self.target.name);
            self.link = None;
            self.set_connected(false);
        }
        self.publish(false);
    }

    /// Records a failure: the connection is dropped (what was unacknowledged is sent again
    /// from the cursor).
    fn failed(&mut self, failure: &Failure) {
        tracing::warn!("uplink `{}`: {failure}", self.target.name);
        self.status.last_error = Some(failure.to_string());
        self.status.last_error_at = Some(Utc::now());
        if !matches!(failure, Failure::Store(_)) {
            self.link = None;
            self.set_connected(false);
        }
        self.publish(true);
    }

    fn set_connected(&mut self, connected: bool) {
        if self.status.connected != connected || self.status.since.is_none() {
            self.status.connected = connected;
            self.status.since = Some(Utc::now());
        }
    }

    /// How far behind the stations are.
    fn backlog(&mut self, horizon: DateTime<Utc>) {
        let marks: Vec<Mark> = (0..self.stations.len()).map(|i| self.mark(i)).collect();
        self.status.sent_through = marks.iter().map(|m| m.through).min();
        let mut hours: f64 = 0.0;
        let mut intervals: u64 = 0;
        for m in &marks {
            let behind = (horizon - m.through).max(TimeDelta::zero());
            hours = hours.max(behind.as_seconds_f64() / 3600.0);
            for stream in &self.target.data {
                let period = match stream {
                    Stream::RealTime => continue,
                    Stream::Minute => TimeDelta::minutes(1),
                    Stream::Hour => TimeDelta::hours(1),
                    Stream::Day => TimeDelta::days(1),
                };
                intervals +=
                    u64::try_from(behind.num_seconds() / period.num_seconds()).unwrap_or(0);
            }
        }
        self.status.backlog_hours = hours;
        self.status.backlog_intervals = intervals;
    }

    /// Writes the state file when forced or at most once a second.
    fn publish(&mut self, force: bool) {
        let due = self
            .published
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if !(force || due) {
            return;
        }
        self.status.updated = Utc::now();
        self.published = Some(Instant::now());
        if let Err(e) = status::write(&self.dir, &self.status) {
            tracing::warn!("uplink `{}`: {e}", self.target.name);
        }
    }
}

/// The earliest stored label of the resolutions `streams` are made from (`None`: nothing
/// stored).
fn first_stored(
    store: &dyn Store,
    streams: &[Stream],
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut resolutions: Vec<Resolution> = streams.iter().map(|s| s.resolution()).collect();
    resolutions.sort();
    resolutions.dedup();
    let mut spans = Vec::new();
    for r in resolutions {
        spans.push(store.readings_span(r)?);
    }
    Ok(spans.into_iter().flatten().map(|s| s.first).min())
}

/// The end of the last interval the store holds for `station` in `streams` (`None`:
/// nothing stored).
fn last_stored_end(
    store: &dyn Store,
    station: &Station,
    streams: &[Stream],
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut last: Option<DateTime<Utc>> = None;
    for stream in streams {
        let latest = store
            .latest_readings(stream.resolution(), &Stations::one(station.id.clone()))?
            .into_iter()
            .map(|r| r.time)
            .max();
        let end = match (stream, latest) {
            // The day an hour belongs to ends at the first local midnight at or after it.
            (Stream::Day, Some(t)) => midnights(
                station.tz,
                t - TimeDelta::milliseconds(1),
                t + TimeDelta::days(2),
            )
            .first()
            .copied(),
            (_, latest) => latest,
        };
        last = last.max(end);
    }
    Ok(last)
}

/// `2061 of GD01 at 2026-03-01T08:00:00Z (part 1)`, for logs.
fn describe(station: &Station, part: &Part) -> String {
    format!(
        "{} of {} at {}{}",
        part.key.stream,
        station.id,
        part.data_time.format("%Y-%m-%dT%H:%M:%SZ"),
        if part.key.part > 0 {
            format!(" (part {})", part.key.part + 1)
        } else {
            String::new()
        }
    )
}

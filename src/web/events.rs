//! Live updates: one poller per server reads the store's latest values every few seconds
//! (so it sees what any process wrote: `lantian serve` beside `lantian run`, or the server
//! inside it) and broadcasts what changed. `/api/v1/events` hands them out as server-sent
//! events: first a `snapshot` of everything latest, then an `update` per change. The
//! broadcast is bounded: a client that falls behind skips to a fresh snapshot instead of
//! queueing updates.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono_tz::Tz;
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use super::api::json::{IndexJson, ReadingJson};
use super::auth::{Require, need};
use super::state::{AppState, StorePool};
use crate::store::{IndexQuery, Resolution, Stations};
use crate::units::Parameter;

/// Updates kept for slow clients before they skip to a snapshot.
const CHANNEL: usize = 16;

/// The latest values: minute and hourly readings, and the latest hourly AQI of each station.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Latest {
    /// Latest readings (minute and hour), by station and parameter.
    pub readings: Vec<ReadingJson>,
    /// The latest hourly AQI of each station.
    pub aqi: Vec<IndexJson>,
}

/// The live-update channels of a server (cheap to clone).
#[derive(Debug, Clone)]
pub struct Events {
    changes: broadcast::Sender<Arc<Latest>>,
    snapshot: watch::Receiver<Arc<Latest>>,
    publish: Arc<watch::Sender<Arc<Latest>>>,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    /// Channels with nothing in them yet.
    pub fn new() -> Events {
        let (changes, _) = broadcast::channel(CHANNEL);
        let (publish, snapshot) = watch::channel(Arc::new(Latest::default()));
        Events {
            changes,
            snapshot,
            publish: Arc::new(publish),
        }
    }

    /// Everything latest, as last read.
    pub fn snapshot(&self) -> Arc<Latest> {
        self.snapshot.borrow().clone()
    }

    /// Clients listening now.
    pub fn listeners(&self) -> usize {
        self.changes.receiver_count()
    }
}

type ReadingKey = (String, Parameter, Resolution);

/// Reads the latest values, compares them with the last read and broadcasts the changes,
/// every `every`, until `stop`.
pub async fn poll(
    store: Arc<StorePool>,
    zone: Tz,
    events: Events,
    every: Duration,
    stop: CancellationToken,
) {
    let mut seen: HashMap<ReadingKey, (String, f64)> = HashMap::new();
    let mut seen_aqi: HashMap<String, (String, Option<u32>)> = HashMap::new();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let latest = match read_latest(&store, zone, Stations::All).await {
            Ok(latest) => latest,
            Err(e) => {
                tracing::warn!("live updates: {e}");
                continue;
            }
        };
        let mut change = Latest::default();
        for r in &latest.readings {
            let key = (r.station.clone(), r.parameter, r.resolution);
            let now = (r.time.clone(), r.value);
            if seen.get(&key) != Some(&now) {
                seen.insert(key, now);
                change.readings.push(r.clone());
            }
        }
        for a in &latest.aqi {
            let now = (a.time.clone(), a.aqi);
            if seen_aqi.get(&a.station) != Some(&now) {
                seen_aqi.insert(a.station.clone(), now);
                change.aqi.push(a.clone());
            }
        }
        events.publish.send_replace(Arc::new(latest));
        if !change.readings.is_empty() || !change.aqi.is_empty() {
            // No receivers is not an error: nobody is watching.
            let _ = events.changes.send(Arc::new(change));
        }
    }
}

/// The latest minute and hourly readings and the latest hourly AQI of `stations`, from the
/// store.
pub async fn read_latest(
    store: &Arc<StorePool>,
    zone: Tz,
    stations: Stations,
) -> Result<Latest, super::error::ApiError> {
    store
        .with(move |s| {
            let mut readings = Vec::new();
            for resolution in [Resolution::Minute, Resolution::Hour] {
                readings.extend(
                    s.latest_readings(resolution, &stations)?
                        .iter()
                        .map(|r| ReadingJson::of(r, zone)),
                );
            }
            let aqi = match s.indices_span(Resolution::Hour)? {
                Some(span) => {
                    // Each station's latest hour within the last day of the network's data.
                    let from = span.last - chrono::TimeDelta::hours(24);
                    let mut latest: HashMap<String, crate::store::IndexRecord> = HashMap::new();
                    let query =
                        IndexQuery::new(Resolution::Hour, from, span.end()).for_stations(stations);
                    for r in s.indices(&query)? {
                        let newer = latest.get(&*r.station).is_none_or(|old| old.time < r.time);
                        if newer {
                            latest.insert(r.station.to_string(), r);
                        }
                    }
                    let mut aqi: Vec<IndexJson> =
                        latest.values().map(|r| IndexJson::of(r, zone)).collect();
                    aqi.sort_by(|a, b| a.station.cmp(&b.station));
                    aqi
                }
                None => Vec::new(),
            };
            Ok(Latest { readings, aqi })
        })
        .await
}

/// `GET /api/v1/events`: server-sent events `snapshot` (everything latest) and `update` (what
/// changed since), JSON [`Latest`]; a comment every 15 s keeps proxies from closing it.
pub async fn events(
    State(state): State<AppState>,
    _user: Require<need::Read>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.events.changes.subscribe();
    let first = state.events.snapshot();
    let stream = futures_util::stream::unfold(
        (receiver, Some(first), state.events.clone()),
        |(mut receiver, pending, events)| async move {
            if let Some(snapshot) = pending {
                return Some((event("snapshot", &snapshot), (receiver, None, events)));
            }
            match receiver.recv().await {
                Ok(change) => Some((event("update", &change), (receiver, None, events))),
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let snapshot = events.snapshot();
                    Some((event("snapshot", &snapshot), (receiver, None, events)))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn event(name: &str, data: &Latest) -> Result<Event, Infallible> {
    Ok(Event::default()
        .event(name)
        .json_data(data)
        .unwrap_or_else(|_| Event::default().event(name).data("{}")))
}

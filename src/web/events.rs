//! Live updates: one poller per server watches the store's latest values and broadcasts what
//! changed; `/api/v1/events` hands them out as server-sent events: first a `snapshot` of
//! everything latest, then an `update` per change.
//!
//! The poller reads the store, so it sees what any process wrote (`lantian serve` beside
//! `lantian run`, or the server inside it). A store that counts its writes
//! ([`WriteCounts`](crate::store::WriteCounts): SQLite) is asked every [`PROBE`] whether
//! readings or hourly indices were written — a few rows read — and the latest values are read
//! again only when one of the counts moved: an update reaches the
//! clients within [`PROBE`] and one read of the latest values after the write. After a read the
//! poller pauses at least as long as the read took, so it never takes more than half of a
//! core however often data come. A store without a count (InfluxDB) is read every
//! `poll_seconds`.
//!
//! Each event is serialised once, as its whole SSE frame, and the same bytes (reference
//! counted) go to every client: a thousand clients do not hold a thousand copies of the
//! network's snapshot. The broadcast is bounded: a client that falls behind skips to a fresh
//! snapshot instead of queueing updates.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono_tz::Tz;
use serde::Serialize;
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use super::api::json::{IndexJson, ReadingJson};
use super::auth::{Require, need};
use super::state::{AppState, StorePool};
use crate::store::{IndexQuery, Resolution, Stations, Store, StoreError};
use crate::units::Parameter;

/// Updates kept for slow clients before they skip to a snapshot.
const CHANNEL: usize = 16;

/// How often a store that counts its writes is asked whether the latest values changed (and,
/// for the overview's figures, whether the indices did).
pub const PROBE: Duration = Duration::from_millis(200);

/// A comment this long after the last event keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The latest values: minute and hourly readings, and the latest hourly AQI of each station.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Latest {
    /// Latest readings (minute and hour), by station and parameter.
    pub readings: Vec<ReadingJson>,
    /// The latest hourly AQI of each station.
    pub aqi: Vec<IndexJson>,
}

/// The live-update channels of a server (cheap to clone): SSE frames, serialised once.
#[derive(Debug, Clone)]
pub struct Events {
    changes: broadcast::Sender<Bytes>,
    snapshot: watch::Receiver<Bytes>,
    publish: Arc<watch::Sender<Bytes>>,
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
        let (publish, snapshot) = watch::channel(frame("snapshot", &Latest::default()));
        Events {
            changes,
            snapshot,
            publish: Arc::new(publish),
        }
    }

    /// The `snapshot` event of everything latest, as last read.
    fn snapshot(&self) -> Bytes {
        self.snapshot.borrow().clone()
    }

    /// Publishes a new read: its snapshot, and the `update` of what changed unless nothing.
    fn publish(&self, latest: &Latest, change: &Latest) {
        self.publish.send_replace(frame("snapshot", latest));
        if !change.readings.is_empty() || !change.aqi.is_empty() {
            // No receivers is not an error: nobody is watching.
            let _ = self.changes.send(frame("update", change));
        }
    }
}

/// One server-sent event: its name and the JSON on one `data` line (compact JSON has no line
/// feed: one inside a string is escaped).
fn frame(name: &str, data: &Latest) -> Bytes {
    let json = serde_json::to_vec(data).unwrap_or_else(|_| b"{}".to_vec());
    let mut out = Vec::with_capacity(json.len() + name.len() + 16);
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(&json);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

type ReadingKey = (String, Parameter, Resolution);

/// What the clients were last told, to send only what changed.
#[derive(Debug, Default)]
struct Seen {
    readings: HashMap<ReadingKey, (String, f64)>,
    aqi: HashMap<String, (String, Option<u32>)>,
}

impl Seen {
    /// What in `latest` differs from what was seen, remembered from now on.
    fn changes(&mut self, latest: &Latest) -> Latest {
        let mut change = Latest::default();
        for r in &latest.readings {
            let key = (r.station.clone(), r.parameter, r.resolution);
            let now = (r.time.clone(), r.value);
            if self.readings.get(&key) != Some(&now) {
                self.readings.insert(key, now);
                change.readings.push(r.clone());
            }
        }
        for a in &latest.aqi {
            let now = (a.time.clone(), a.aqi);
            if self.aqi.get(&a.station) != Some(&now) {
                self.aqi.insert(a.station.clone(), now);
                change.aqi.push(a.clone());
            }
        }
        change
    }
}

/// Watches the latest values (see the module documentation) and broadcasts their changes
/// until `stop`; `every` is how often a store without a write count is read.
pub async fn poll(
    store: Arc<StorePool>,
    zone: Tz,
    events: Events,
    every: Duration,
    stop: CancellationToken,
) {
    let mut seen = Seen::default();
    let mut known: Option<(u64, u64)> = None;
    let mut pause = Duration::ZERO;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
        let started = Instant::now();
        let read = store
            .with(move |s| {
                // The counts before the values: values read after them are at least this new,
                // and a write in between moves a count the next probe compares.
                let counts = s.write_counts()?.map(|c| (c.readings, c.hourly_indices));
                if counts.is_some() && counts == known {
                    return Ok((counts, None));
                }
                Ok((counts, Some(latest_of(s, zone, &Stations::All)?)))
            })
            .await;
        let counts = match read {
            Ok((counts, Some(latest))) => {
                known = counts;
                events.publish(&latest, &seen.changes(&latest));
                counts
            }
            Ok((counts, None)) => counts,
            Err(e) => {
                tracing::warn!("live updates: {e}");
                None
            }
        };
        pause = match counts {
            Some(_) => PROBE.max(started.elapsed()),
            None => every,
        };
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
        .with(move |s| Ok(latest_of(s, zone, &stations)?))
        .await
}

fn latest_of(s: &dyn Store, zone: Tz, stations: &Stations) -> Result<Latest, StoreError> {
    let mut readings = Vec::new();
    for resolution in [Resolution::Minute, Resolution::Hour] {
        readings.extend(
            s.latest_readings(resolution, stations)?
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
                IndexQuery::new(Resolution::Hour, from, span.end()).for_stations(stations.clone());
            for r in s.indices(&query)? {
                let newer = latest.get(&*r.station).is_none_or(|old| old.time < r.time);
                if newer {
                    latest.insert(r.station.to_string(), r);
                }
            }
            let mut aqi: Vec<IndexJson> = latest.values().map(|r| IndexJson::of(r, zone)).collect();
            aqi.sort_by(|a, b| a.station.cmp(&b.station));
            aqi
        }
        None => Vec::new(),
    };
    Ok(Latest { readings, aqi })
}

/// `GET /api/v1/events`: server-sent events `snapshot` (everything latest) and `update` (what
/// changed since), JSON [`Latest`]; a comment after 15 quiet seconds keeps proxies from
/// closing it.
pub async fn events(State(state): State<AppState>, _user: Require<need::Read>) -> Response {
    let receiver = state.events.changes.subscribe();
    let first = state.events.snapshot();
    let stream = futures_util::stream::unfold(
        (receiver, Some(first), state.events.clone()),
        |(mut receiver, pending, events)| async move {
            if let Some(snapshot) = pending {
                return Some((Ok::<_, Infallible>(snapshot), (receiver, None, events)));
            }
            let frame = match tokio::time::timeout(KEEP_ALIVE, receiver.recv()).await {
                Err(_quiet) => Bytes::from_static(b":\n\n"),
                Ok(Ok(update)) => update,
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => events.snapshot(),
                Ok(Err(broadcast::error::RecvError::Closed)) => return None,
            };
            Some((Ok(frame), (receiver, None, events)))
        },
    );
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

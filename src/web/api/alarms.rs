//! `/api/v1/alarms`: list and show alarms with their audit logs, and the steps maintainers
//! take — acknowledge, assign, comment, close — through [`alarm_steps`] (the pages' path
//! too: each step audited in the alarm's log with the user as actor, notified like the
//! command line's, and in the platform's audit log).

use std::str::FromStr;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use chrono::TimeDelta;
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::time;
use super::params::{Paged, Params};
use crate::alarms::{AlarmBook, AlarmError, words};
use crate::lang::Lang;
use crate::store::{
    Alarm, AlarmAction, AlarmIdPrefix, AlarmQuery, AlarmState, Filter, Observation, Severity,
    StationId,
};
use crate::web::alarm_steps::{self, AlarmStep};
use crate::web::auth::{Require, need};
use crate::web::error::{ApiError, ErrorCode, parse_body};
use crate::web::state::AppState;

impl From<AlarmError> for ApiError {
    fn from(e: AlarmError) -> Self {
        let code = match &e {
            AlarmError::NotFound(_) => ErrorCode::NotFound,
            AlarmError::Ambiguous { .. }
            | AlarmError::EmptyText { .. }
            | AlarmError::BadActor(_)
            | AlarmError::Invalid { .. } => ErrorCode::BadRequest,
            AlarmError::Closed { .. }
            | AlarmError::AlreadyAcknowledged { .. }
            | AlarmError::AlreadyAssigned { .. }
            | AlarmError::AlreadyOpen { .. } => ErrorCode::Conflict,
            AlarmError::Contended { .. } | AlarmError::Store(_) => {
                return ApiError::unavailable("alarms", e);
            }
        };
        ApiError::new(code, e.to_string())
    }
}

fn lang(params: &Params) -> Result<Lang, ApiError> {
    Ok(params.get::<Lang>("lang")?.unwrap_or(Lang::En))
}

fn observation(o: &Observation, zone: Tz) -> Value {
    json!({"time": time(o.time, zone), "value": o.value})
}

/// An alarm as JSON, its terms as codes and in words of `lang`.
fn alarm_json(a: &Alarm, zone: Tz, lang: Lang) -> Value {
    let e = &a.evidence;
    json!({
        "id": a.id().full(),
        "short_id": a.id().to_string(),
        "rule": a.rule,
        "subject": a.subject.to_string(),
        "station": a.subject.station().map(|s| s.to_string()),
        "kind": a.kind.code(),
        "kind_text": words::kind(lang, a.kind),
        "severity": a.severity.code(),
        "severity_text": words::severity(lang, a.severity),
        "state": a.state().code(),
        "state_text": words::state(lang, a.state()),
        "stale": a.stale,
        "opened": time(a.opened, zone),
        "updated": time(a.updated, zone),
        "evidence": {
            "measure": e.measure,
            "unit": e.measure.unit().display(),
            "direction": e.direction.code(),
            "threshold": e.threshold,
            "clear_level": e.clear_level,
            "first": observation(&e.first, zone),
            "last": observation(&e.last, zone),
            "peak": observation(&e.peak, zone),
            "warning": e.warning.map(|w| w.code()),
        },
        "acknowledged": a.acknowledged.as_ref().map(|h| json!({"by": h.by, "at": time(h.at, zone)})),
        "assignee": a.assignee,
        "escalation": a.escalation.map(|x| json!({"level": x.level, "at": time(x.at, zone)})),
        "clearing_since": a.clearing_since.map(|t| time(t, zone)),
        "closed": a.closed.as_ref().map(|c| json!({
            "at": time(c.at, zone),
            "text": words::closed(lang, &c.how),
        })),
        "revision": a.revision,
    })
}

fn action_json(a: &Alarm, action: &AlarmAction, zone: Tz, lang: Lang) -> Value {
    json!({
        "seq": action.seq,
        "at": time(action.at, zone),
        "actor": action.actor.code(),
        "event": action.event.code(),
        "text": words::event(lang, &action.event, a.evidence.measure.unit().display()),
    })
}

/// `GET /api/v1/alarms?state=open,acknowledged&station=…&severity=major&rule=…&from=…&to=…&limit=&offset=&lang=en|zh`:
/// alarms opened in the range (default the last 30 days), newest first; `severity` is the
/// least severity.
pub(super) async fn list(
    State(state): State<AppState>,
    _user: Require<need::Read>,
    RawQuery(query): RawQuery,
) -> Result<Json<Paged<Value>>, ApiError> {
    let params = Params::parse(query.as_deref());
    let page = params.page()?;
    let lang = lang(&params)?;
    let (from, to) = params.range(state.zone, TimeDelta::days(30), Some(TimeDelta::days(400)))?;
    let mut query = AlarmQuery::new(from, to);
    let states: Vec<AlarmState> = params.list("state")?;
    if !states.is_empty() {
        query.states = Filter::only(states);
    }
    let rules: Vec<String> = params.list("rule")?;
    if !rules.is_empty() {
        query.rules = Filter::only(rules);
    }
    let stations: Vec<String> = params.list("station")?;
    if !stations.is_empty() {
        query.stations = Filter::only(stations.iter().map(|s| StationId::from(s.as_str())));
    }
    if let Some(least) = params.get::<Severity>("severity")? {
        query.severities = Filter::only(Severity::ALL.iter().copied().filter(|s| *s >= least));
    }
    let mut alarms = state.store.with(move |s| Ok(s.alarms(&query)?)).await?;
    alarms.sort_by_key(|a| std::cmp::Reverse(a.opened));
    let zone = state.zone;
    Ok(Json(page.of(
        alarms.iter().map(|a| alarm_json(a, zone, lang)).collect(),
    )))
}

fn alarm_id(id: &str) -> Result<AlarmIdPrefix, ApiError> {
    AlarmIdPrefix::from_str(id).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// `GET /api/v1/alarms/{id}?lang=…`: one alarm with its audit log.
pub(super) async fn show(
    State(state): State<AppState>,
    _user: Require<need::Read>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref());
    let lang = lang(&params)?;
    let id = alarm_id(&id)?;
    let (alarm, actions) = state
        .store
        .with(move |s| Ok(AlarmBook::new(s).history(&id)?))
        .await?;
    let zone = state.zone;
    let mut v = alarm_json(&alarm, zone, lang);
    v["actions"] = actions
        .iter()
        .map(|a| action_json(&alarm, a, zone, lang))
        .collect();
    Ok(Json(v))
}

/// A step's body: `to` (assign), `text` (comment), `note` (close); none for ack.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepBody {
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /api/v1/alarms/{id}/{step}` (maintain): `ack`; `assign` with `{"to": …}`;
/// `comment` with `{"text": …}`; `close` with `{"note": …}`. Answers the alarm after the
/// step; 409 when the step does not apply to its state.
pub(super) async fn step(
    State(state): State<AppState>,
    Require { user, .. }: Require<need::Maintain>,
    Path((id, step)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = alarm_id(&id)?;
    let body: StepBody = if body.iter().all(u8::is_ascii_whitespace) {
        StepBody::default()
    } else {
        parse_body(&body)?
    };
    let need = |v: Option<String>, field: &str| {
        v.filter(|t| !t.trim().is_empty())
            .ok_or_else(|| ApiError::bad_request(format!("`{field}` is required")))
    };
    let step = match step.as_str() {
        "ack" => AlarmStep::Acknowledge,
        "assign" => AlarmStep::Assign(need(body.to, "to")?),
        "comment" => AlarmStep::Comment(need(body.text, "text")?),
        "close" => AlarmStep::Close(need(body.note, "note")?),
        other => {
            return Err(ApiError::not_found(format!(
                "no step `{other}`: ack, assign, comment or close"
            )));
        }
    };
    let change = alarm_steps::take(&state, user.actor(), id, step).await?;
    Ok(Json(alarm_json(&change.alarm, state.zone, Lang::En)))
}

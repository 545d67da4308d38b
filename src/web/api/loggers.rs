//! `/api/v1/loggers`: the HJ 212 data loggers of the process's listener — each one's
//! connection, clock offset, real-time cadence and commands — and the two commands a
//! maintainer sends them from the platform: set the clock (1012, the platform's time or a
//! given one) and set the real-time interval (1062). Only a process that listens for HJ 212
//! (`lantian run` with `[hj212] listen` and `[web] listen`) has loggers; `lantian serve`
//! alone answers 409 saying so. Each command is audited (who, which logger, what, the
//! outcome).

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::time;
use crate::collect::hj212::{CommandError, LoggerCommand, LoggerControl, LoggerStatus};
use crate::hj212::ExeRtn;
use crate::registry::RtdInterval;
use crate::web::auth::{Require, need};
use crate::web::error::{ApiError, ErrorCode, parse_body};
use crate::web::state::AppState;

/// The listener's loggers, or why there are none.
fn control(state: &AppState) -> Result<&LoggerControl, ApiError> {
    state.loggers.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Conflict,
            "this process does not listen for HJ 212 loggers: commands go through `lantian run` \
             with `[hj212] listen` and `[web] listen` (not `lantian serve` alone)",
        )
    })
}

fn seconds(d: TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

fn command_json(command: LoggerCommand, zone: chrono_tz::Tz) -> Value {
    match command {
        LoggerCommand::SetTime(t) => {
            json!({"code": command.command().code(), "set_time": time(t, zone)})
        }
        LoggerCommand::SyncClock => {
            json!({"code": command.command().code(), "set_time": "platform"})
        }
        LoggerCommand::SetRtdInterval(i) => {
            json!({"code": command.command().code(), "rtd_interval_seconds": i.seconds()})
        }
    }
}

fn outcome_json(outcome: &Result<ExeRtn, CommandError>) -> Value {
    match outcome {
        Ok(rtn) => json!({"executed": *rtn == ExeRtn::Success, "exe_rtn": rtn.code()}),
        Err(e) => json!({"executed": false, "error": e.to_string()}),
    }
}

fn logger_json(l: &LoggerStatus, zone: chrono_tz::Tz) -> Value {
    json!({
        "device": l.device,
        "mn": l.mn,
        "connected": l.connected,
        "clock_offset_seconds": l.clock_offset.map(seconds),
        "rtd_cadence_seconds": l.rtd_cadence.map(seconds),
        "rtd_interval_seconds": l.rtd_interval.map(RtdInterval::seconds),
        "commands": {
            "clock_sets": l.commands.clock_sets,
            "interval_sets": l.commands.interval_sets,
            "failed": l.commands.failed,
        },
        "last_command": l.last_command.as_ref().map(|c| json!({
            "at": time(c.at, zone),
            "command": command_json(c.command, zone),
            "outcome": outcome_json(&c.outcome),
        })),
    })
}

/// `GET /api/v1/loggers`: every logger of the listener, sorted by device id.
pub(super) async fn list(
    State(state): State<AppState>,
    _user: Require<need::Read>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let loggers = control(&state)?.loggers();
    Ok(Json(
        loggers.iter().map(|l| logger_json(l, state.zone)).collect(),
    ))
}

/// The logger a path names, by device id or MN.
fn find(control: &LoggerControl, id: &str) -> Result<LoggerStatus, ApiError> {
    control
        .loggers()
        .into_iter()
        .find(|l| l.device == id || l.mn == id)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no HJ 212 logger `{id}` (a device id or MN of the registry)"
            ))
        })
}

/// `POST /api/v1/loggers/{id}/time`'s body: the time to set, or none for the platform's.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeBody {
    #[serde(default)]
    time: Option<String>,
}

/// `POST /api/v1/loggers/{id}/interval`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IntervalBody {
    seconds: u32,
}

/// `POST /api/v1/loggers/{id}/{command}` (maintain): `time` (`{"time": RFC 3339}`, or no
/// body for the platform's clock) or `interval` (`{"seconds": 30–3600}`). Waits for the
/// logger's execution result (with the standard's timeouts and resends) and answers it with
/// the logger's state; 409 when the logger is not connected, 504 when it does not answer.
pub(super) async fn command(
    State(state): State<AppState>,
    Require { user, .. }: Require<need::Maintain>,
    Path((id, command)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let control = control(&state)?.clone();
    let logger = find(&control, &id)?;
    let empty = body.iter().all(u8::is_ascii_whitespace);
    let command = match command.as_str() {
        "time" => {
            let body: TimeBody = if empty {
                TimeBody::default()
            } else {
                parse_body(&body)?
            };
            match body.time {
                None => LoggerCommand::SyncClock,
                Some(t) => LoggerCommand::SetTime(
                    DateTime::parse_from_rfc3339(&t)
                        .map_err(|e| {
                            ApiError::bad_request(format!("`time`: `{t}` is not RFC 3339: {e}"))
                        })?
                        .with_timezone(&Utc),
                ),
            }
        }
        "interval" => {
            if empty {
                return Err(ApiError::bad_request("`seconds` is required"));
            }
            let body: IntervalBody = parse_body(&body)?;
            LoggerCommand::SetRtdInterval(RtdInterval::from_seconds(body.seconds).ok_or_else(
                || {
                    ApiError::bad_request(format!(
                        "`seconds`: {} is outside {}–{} s (HJ 212's real-time interval)",
                        body.seconds,
                        RtdInterval::MIN_SECONDS,
                        RtdInterval::MAX_SECONDS
                    ))
                },
            )?)
        }
        other => {
            return Err(ApiError::not_found(format!(
                "no logger command `{other}`: time or interval"
            )));
        }
    };
    if !logger.connected {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "logger {} (MN {}) is not connected: the command is not sent",
                logger.device, logger.mn
            ),
        ));
    }
    let outcome = control.send(&logger.mn, command).await;
    let accounts = state.accounts.clone();
    let (actor, target) = (user.actor().to_string(), logger.mn.clone());
    let action = match command {
        LoggerCommand::SetTime(_) | LoggerCommand::SyncClock => "logger.time",
        LoggerCommand::SetRtdInterval(_) => "logger.interval",
    };
    let detail = match &outcome {
        Ok(rtn) => format!("{command}: ExeRtn {}", rtn.code()),
        Err(e) => format!("{command}: {e}"),
    };
    tokio::task::spawn_blocking(move || accounts.audit(&actor, action, &target, &detail))
        .await
        .map_err(|e| ApiError::unavailable("audit", e))??;
    let zone = state.zone;
    match outcome {
        Ok(rtn) => {
            let now = find(&control, &logger.mn)?;
            Ok(Json(json!({
                "command": command_json(command, zone),
                "outcome": outcome_json(&Ok(rtn)),
                "logger": logger_json(&now, zone),
            })))
        }
        Err(e) => Err(match e {
            CommandError::NotConnected(_) | CommandError::Closed(_) | CommandError::Busy(_) => {
                ApiError::new(ErrorCode::Conflict, e.to_string())
            }
            CommandError::Refused { .. } => ApiError::new(ErrorCode::Conflict, e.to_string()),
            CommandError::Timeout { .. } => ApiError::new(ErrorCode::GatewayTimeout, e.to_string()),
            CommandError::Encode(_) => ApiError::bad_request(e.to_string()),
        }),
    }
}

//! `/api/v1/rankings`: the HJ 663 ranking of stations, districts or the network over a month,
//! quarter, year or year to date, with the change against last year — computed by the same
//! function as `lantian rank` ([`crate::assess::rank_store`]) and written in the same columns
//! ([`crate::assess::rank_table`]).

use std::str::FromStr;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde_json::json;

use super::params::Params;
use crate::aqi::china::RuleSet;
use crate::assess::{AssessConfig, AssessError, GroupBy, Period, RankRow, rank_store, rank_table};
use crate::web::auth::{Require, need};
use crate::web::error::{ApiError, ErrorCode};
use crate::web::state::AppState;

fn group_by(text: Option<&str>) -> Result<GroupBy, ApiError> {
    match text {
        None | Some("station") => Ok(GroupBy::Station),
        Some("district") => Ok(GroupBy::District),
        Some("network") => Ok(GroupBy::Network),
        Some(other) => Err(ApiError::bad_request(format!(
            "`by={other}`: station, district or network"
        ))),
    }
}

fn rule_set(text: Option<&str>) -> Result<Option<RuleSet>, ApiError> {
    match text {
        None | Some("auto") => Ok(None),
        Some("2012") => Ok(Some(RuleSet::Y2012)),
        Some("2026") => Ok(Some(RuleSet::Y2026)),
        Some(other) => Err(ApiError::bad_request(format!(
            "`rules={other}`: auto, 2012 or 2026"
        ))),
    }
}

/// `GET /api/v1/rankings?period=2026-11&by=station|district|network&end=YYYY-MM-DD&rules=auto|2012|2026&format=json|csv`.
pub(super) async fn rankings(
    State(state): State<AppState>,
    _user: Require<need::Read>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref());
    let period_text: String = params.required("period")?;
    let mut period = Period::from_str(&period_text)
        .map_err(|e| ApiError::bad_request(format!("`period={period_text}`: {e}")))?;
    if let Some(end) = params.get::<NaiveDate>("end")? {
        if !matches!(period, Period::YearToDate { .. }) {
            return Err(ApiError::bad_request(
                "`end` only applies to a year to date (e.g. period=2026-ytd)",
            ));
        }
        period = period
            .with_end(end)
            .map_err(|e| ApiError::bad_request(format!("`end={end}`: {e}")))?;
    }
    let by = group_by(params.one("by")?)?;
    let cfg = AssessConfig {
        rule_set: rule_set(params.one("rules")?)?,
        ..AssessConfig::default()
    };
    let csv = match params.one("format")? {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "`format={other}`: json or csv"
            )));
        }
    };
    let ranking = state
        .store
        .with(move |s| {
            rank_store(&*s, period, by, &cfg).map_err(|e| match e {
                AssessError::Store(e) => ApiError::from(e),
                AssessError::NoData(what) => {
                    ApiError::new(ErrorCode::NotFound, format!("no data for {what}"))
                }
                other => ApiError::bad_request(other.to_string()),
            })
        })
        .await?;
    if csv {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let write = |w: &mut csv::Writer<Vec<u8>>, cells: Vec<String>| {
            w.write_record(cells)
                .map_err(|e| ApiError::unavailable("ranking CSV", e))
        };
        write(
            &mut writer,
            rank_table::header(by)
                .iter()
                .map(|h| h.to_string())
                .collect(),
        )?;
        for row in &ranking.rows {
            write(&mut writer, row.cells())?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| ApiError::unavailable("ranking CSV", e))?;
        let mut response = bytes.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        return Ok(response);
    }
    let range = ranking
        .period
        .range()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(axum::Json(json!({
        "period": ranking.period.to_string(),
        "range": [range.first.to_string(), range.last.to_string()],
        "previous": ranking.previous.to_string(),
        "by": rank_table::id_column(by),
        "rows": ranking.rows.iter().map(RankRow::to_json).collect::<Vec<_>>(),
    }))
    .into_response())
}

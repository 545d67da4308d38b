//! Query parameters read by hand, so that every bad one is a 400 naming it (axum's `Query`
//! answers plain text): times in RFC 3339 or as local dates and times in the network's zone,
//! lists repeated or comma-separated, paging.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::store::{Filter, StationId, Stations};
use crate::web::error::ApiError;

/// Items a page holds unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest page.
pub const MAX_LIMIT: usize = 1000;

/// A request's query parameters.
#[derive(Debug, Default)]
pub struct Params {
    values: HashMap<String, Vec<String>>,
}

impl Params {
    /// Parses a query string (`None`: no parameters).
    pub fn parse(query: Option<&str>) -> Params {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            values
                .entry(k.into_owned())
                .or_default()
                .push(v.into_owned());
        }
        Params { values }
    }

    /// The single value of `name`, if given (given twice is an error).
    pub fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.values.get(name).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([v]) => Ok(Some(v)),
            Some(_) => Err(ApiError::bad_request(format!(
                "`{name}` given more than once"
            ))),
        }
    }

    /// The value of `name` parsed, if given.
    pub fn get<T: FromStr>(&self, name: &str) -> Result<Option<T>, ApiError>
    where
        T::Err: std::fmt::Display,
    {
        self.one(name)?
            .map(|v| {
                v.parse()
                    .map_err(|e| ApiError::bad_request(format!("`{name}={v}`: {e}")))
            })
            .transpose()
    }

    /// The value of `name` parsed; an error naming it when missing.
    pub fn required<T: FromStr>(&self, name: &str) -> Result<T, ApiError>
    where
        T::Err: std::fmt::Display,
    {
        self.get(name)?
            .ok_or_else(|| ApiError::bad_request(format!("`{name}` is required")))
    }

    /// Every value of `name` (repeated or comma-separated), parsed.
    pub fn list<T: FromStr>(&self, name: &str) -> Result<Vec<T>, ApiError>
    where
        T::Err: std::fmt::Display,
    {
        self.values
            .get(name)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse()
                    .map_err(|e| ApiError::bad_request(format!("`{name}={v}`: {e}")))
            })
            .collect()
    }

    /// `station`: the listed stations (repeated or comma-separated), all when none is.
    pub fn stations(&self) -> Result<Stations, ApiError> {
        let listed: Vec<String> = self.list("station")?;
        Ok(if listed.is_empty() {
            Filter::All
        } else {
            Filter::only(listed.iter().map(|s| StationId::from(s.as_str())))
        })
    }

    /// A time: RFC 3339 (`2026-12-07T08:00:00+08:00`), or a local date (`2026-12-07`, its
    /// midnight) or date and time (`2026-12-07T08:00`) in `zone`.
    pub fn time(&self, name: &str, zone: Tz) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(text) = self.one(name)? else {
            return Ok(None);
        };
        parse_time(text, zone).map(Some).ok_or_else(|| {
            ApiError::bad_request(format!(
                "`{name}={text}`: not a time (RFC 3339, or YYYY-MM-DD[THH:MM] in {zone})"
            ))
        })
    }

    /// The range `[from, to)`: both given, or `to` now and `from` `default_span` before it.
    /// An empty or reversed range is an error; so is one longer than `max_span`.
    pub fn range(
        &self,
        zone: Tz,
        default_span: TimeDelta,
        max_span: Option<TimeDelta>,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
        let to = self.time("to", zone)?.unwrap_or_else(Utc::now);
        let from = self.time("from", zone)?.unwrap_or(to - default_span);
        if from >= to {
            return Err(ApiError::bad_request(
                "`from` must be before `to` (the range is [from, to))",
            ));
        }
        if let Some(max) = max_span
            && to - from > max
        {
            return Err(ApiError::bad_request(format!(
                "the range is longer than {} days: ask in parts",
                max.num_days()
            )));
        }
        Ok((from, to))
    }

    /// `limit` (default [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`]) and `offset` (default 0).
    pub fn page(&self) -> Result<Page, ApiError> {
        let limit = self.get::<usize>("limit")?.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::bad_request(format!(
                "`limit={limit}`: between 1 and {MAX_LIMIT}"
            )));
        }
        Ok(Page {
            limit,
            offset: self.get::<usize>("offset")?.unwrap_or(0),
        })
    }
}

fn parse_time(text: &str, zone: Tz) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let local = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").ok())
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").ok())?;
    zone.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// A page of a list: `limit` items from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Items at most.
    pub limit: usize,
    /// Items skipped.
    pub offset: usize,
}

/// A page of items with the total and where the next page starts.
#[derive(Debug, serde::Serialize)]
pub struct Paged<T> {
    /// The items.
    pub items: Vec<T>,
    /// Items in all.
    pub total: usize,
    /// The `offset` of the next page (absent on the last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
}

impl Page {
    /// The page of `all`.
    pub fn of<T>(self, all: Vec<T>) -> Paged<T> {
        let total = all.len();
        let items: Vec<T> = all.into_iter().skip(self.offset).take(self.limit).collect();
        let end = self.offset.saturating_add(items.len());
        Paged {
            next_offset: (end < total).then_some(end),
            items,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_the_zone_and_bad_ones_name_the_parameter() {
        let zone: Tz = "Asia/Shanghai".parse().unwrap();
        let p = Params::parse(Some(
            "from=2026-12-07&to=2026-12-07T08:00:00%2B08:00&limit=0",
        ));
        let (from, to) = p.range(zone, TimeDelta::days(1), None).unwrap();
        assert_eq!(from, Utc.with_ymd_and_hms(2026, 12, 6, 16, 0, 0).unwrap());
        assert_eq!(to, Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap());
        assert!(p.page().unwrap_err().message.contains("limit=0"));
        let bad = Params::parse(Some("from=yesterday"));
        let e = bad.range(zone, TimeDelta::days(1), None).unwrap_err();
        assert!(e.message.contains("`from=yesterday`"), "{}", e.message);
        let reversed = Params::parse(Some("from=2026-12-08&to=2026-12-07"));
        assert!(reversed.range(zone, TimeDelta::days(1), None).is_err());
        let page = Page {
            limit: 2,
            offset: 1,
        }
        .of(vec![1, 2, 3, 4]);
        assert_eq!(
            (page.items, page.total, page.next_offset),
            (vec![2, 3], 4, Some(3))
        );
    }
}

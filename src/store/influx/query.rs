//! InfluxQL: building statements (quoting identifiers and string literals) and reading the
//! JSON that `/query` answers (one document per chunk with `chunked=true`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::InfluxError;
use super::line_protocol::{MAX_NANOS, MIN_NANOS};

/// `name` as a double-quoted InfluxQL identifier (`"` and `\` escaped).
pub(super) fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` as a single-quoted InfluxQL string literal (`'`, `\` and line feeds escaped).
pub(super) fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `time >= FROM AND time < TO` in nanoseconds, clamped to what InfluxDB stores.
pub(super) fn time_range(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let ns = |t: DateTime<Utc>| match t.timestamp_nanos_opt() {
        Some(n) => n.clamp(MIN_NANOS, MAX_NANOS),
        None if t.timestamp() < 0 => MIN_NANOS,
        None => MAX_NANOS,
    };
    format!("time >= {} AND time < {}", ns(from), ns(to))
}

/// ` AND ("tag" = 'a' OR "tag" = 'b')`, or nothing when `values` is empty (all).
pub(super) fn push_any_of<S: AsRef<str>>(q: &mut String, tag: &str, values: &[S]) {
    if values.is_empty() {
        return;
    }
    q.push_str(" AND (");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            q.push_str(" OR ");
        }
        let _ = write!(q, "{} = {}", ident(tag), literal(v.as_ref()));
    }
    q.push(')');
}

/// `"a", "b", …`
pub(super) fn field_list(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| ident(f))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One series of a result: its tags (those grouped by), columns and rows.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Series {
    /// Tag values of the group.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Column names; the first is `time`.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Rows, one value per column.
    #[serde(default)]
    pub values: Vec<Vec<Value>>,
}

impl Series {
    /// The index of `column`, or an error naming it.
    pub fn column(&self, column: &str) -> Result<usize, InfluxError> {
        self.columns
            .iter()
            .position(|c| c == column)
            .ok_or_else(|| InfluxError::Corrupt {
                reason: format!("no column `{column}` in a result ({:?})", self.columns),
            })
    }

    /// The indices of `names`, or an error naming the first missing one.
    pub fn columns<const N: usize>(&self, names: [&str; N]) -> Result<[usize; N], InfluxError> {
        let mut out = [0; N];
        for (slot, name) in out.iter_mut().zip(names) {
            *slot = self.column(name)?;
        }
        Ok(out)
    }

    /// The tag `key` of the group, or an error.
    pub fn tag(&self, key: &str) -> Result<&str, InfluxError> {
        self.tags
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| InfluxError::Corrupt {
                reason: format!("a result series has no tag `{key}`"),
            })
    }
}

/// One JSON document of a `/query` answer (one per chunk with `chunked=true`).
#[derive(Deserialize)]
pub(super) struct Document {
    #[serde(default)]
    results: Vec<StatementResult>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct StatementResult {
    #[serde(default)]
    series: Vec<Series>,
    error: Option<String>,
}

impl Document {
    /// The document's series; an error the server reports for `q` becomes
    /// [`InfluxError::Query`].
    pub(super) fn into_series(self, q: &str) -> Result<Vec<Series>, InfluxError> {
        let errors = self
            .error
            .into_iter()
            .chain(self.results.iter().filter_map(|r| r.error.clone()));
        if let Some(message) = errors.into_iter().next() {
            return Err(InfluxError::Query {
                query: q.to_string(),
                message,
            });
        }
        Ok(self.results.into_iter().flat_map(|r| r.series).collect())
    }
}

/// The series of the (single-statement) response `body` to `q`, with series split across
/// chunks joined again. An error the server reports becomes [`InfluxError::Query`].
pub(super) fn parse_response(body: &str, q: &str) -> Result<Vec<Series>, InfluxError> {
    let mut out: Vec<Series> = Vec::new();
    let stream = serde_json::Deserializer::from_str(body).into_iter::<Document>();
    for doc in stream {
        let doc = doc.map_err(|e| InfluxError::Corrupt {
            reason: format!("unreadable /query response: {e}"),
        })?;
        for series in doc.into_series(q)? {
            match out.last_mut() {
                Some(last) if last.tags == series.tags && last.columns == series.columns => {
                    last.values.extend(series.values);
                }
                _ => out.push(series),
            }
        }
    }
    Ok(out)
}

/// Typed access to one cell of a row.
pub(super) struct Cell<'a> {
    /// The value.
    pub value: &'a Value,
    /// Which column (for messages).
    pub column: &'a str,
}

impl<'a> Cell<'a> {
    fn wrong(&self, expected: &str) -> InfluxError {
        InfluxError::Corrupt {
            reason: format!(
                "column `{}` holds {}, expected {expected}",
                self.column, self.value
            ),
        }
    }

    /// Whether the cell is null (the field is absent from the point).
    pub(super) fn is_null(&self) -> bool {
        self.value.is_null()
    }

    /// A float (integers are accepted: JSON writes `20.0` as `20`).
    pub(super) fn f64(&self) -> Result<f64, InfluxError> {
        self.value.as_f64().ok_or_else(|| self.wrong("a number"))
    }

    /// A float, or `None` when null.
    pub(super) fn opt_f64(&self) -> Result<Option<f64>, InfluxError> {
        if self.is_null() {
            Ok(None)
        } else {
            self.f64().map(Some)
        }
    }

    /// An integer.
    pub(super) fn i64(&self) -> Result<i64, InfluxError> {
        self.value.as_i64().ok_or_else(|| self.wrong("an integer"))
    }

    /// A string.
    pub(super) fn str(&self) -> Result<&'a str, InfluxError> {
        self.value.as_str().ok_or_else(|| self.wrong("a string"))
    }

    /// A boolean.
    pub(super) fn bool(&self) -> Result<bool, InfluxError> {
        self.value.as_bool().ok_or_else(|| self.wrong("a boolean"))
    }

    /// Unix milliseconds (the `time` column with `epoch=ms`) as a time.
    pub(super) fn millis(&self) -> Result<DateTime<Utc>, InfluxError> {
        let ms = self.i64()?;
        DateTime::from_timestamp_millis(ms).ok_or_else(|| self.wrong("a time"))
    }
}

/// Column lookup for the rows of one series.
pub(super) struct Row<'a> {
    series: &'a Series,
    row: &'a [Value],
}

impl<'a> Row<'a> {
    /// Row `row` of `series`.
    pub(super) fn new(series: &'a Series, row: &'a [Value]) -> Row<'a> {
        Row { series, row }
    }

    /// The cell in column `index` (from [`Series::column`]).
    pub(super) fn at(&self, index: usize) -> Cell<'a> {
        Cell {
            value: self.row.get(index).unwrap_or(&Value::Null),
            column: &self.series.columns[index],
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn identifiers_and_literals_are_escaped() {
        assert_eq!(ident("value"), r#""value""#);
        assert_eq!(ident(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(literal("DG-GC"), "'DG-GC'");
        assert_eq!(literal(r"it's C:\x"), r"'it\'s C:\\x'");
        assert_eq!(literal("莞城\nA"), r"'莞城\nA'");
        assert_eq!(literal(r"\'"), r"'\\\''");
    }

    #[test]
    fn tag_filters() {
        let mut q = String::from("WHERE x");
        push_any_of::<&str>(&mut q, "station", &[]);
        assert_eq!(q, "WHERE x");
        push_any_of(&mut q, "station", &["A", "O'Hare"]);
        assert_eq!(
            q,
            r#"WHERE x AND ("station" = 'A' OR "station" = 'O\'Hare')"#
        );
        assert_eq!(field_list(&["value", "flag"]), r#""value", "flag""#);
    }

    #[test]
    fn time_ranges_in_nanoseconds_clamped() {
        let t = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
        assert_eq!(
            time_range(t, t + chrono::TimeDelta::milliseconds(1)),
            "time >= 1748736000000000000 AND time < 1748736000001000000"
        );
        assert_eq!(
            time_range(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC),
            format!("time >= {MIN_NANOS} AND time < {MAX_NANOS}")
        );
    }

    #[test]
    fn chunks_are_joined_and_errors_reported() {
        let body = concat!(
            r#"{"results":[{"statement_id":0,"series":[{"name":"readings","tags":{"station":"A"},"columns":["time","value"],"values":[[1,1.5],[2,2]]}],"partial":true}]}"#,
            "\n",
            r#"{"results":[{"statement_id":0,"series":[{"name":"readings","tags":{"station":"A"},"columns":["time","value"],"values":[[3,null]]},{"name":"readings","tags":{"station":"B"},"columns":["time","value"],"values":[[1,0.1]]}]}]}"#,
            "\n"
        );
        let series = parse_response(body, "q").unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].values.len(), 3);
        assert_eq!(series[1].tag("station").unwrap(), "B");
        let s = &series[0];
        let (t, v) = (s.column("time").unwrap(), s.column("value").unwrap());
        let row = Row::new(s, &s.values[1]);
        assert_eq!(row.at(v).f64().unwrap(), 2.0);
        assert_eq!(row.at(t).millis().unwrap().timestamp_millis(), 2);
        assert!(Row::new(s, &s.values[2]).at(v).is_null());
        assert!(
            row.at(v)
                .str()
                .unwrap_err()
                .to_string()
                .contains("column `value`")
        );
        assert!(s.column("nope").is_err());

        assert!(
            parse_response(r#"{"results":[{"statement_id":0}]}"#, "q")
                .unwrap()
                .is_empty()
        );
        assert!(parse_response("", "q").unwrap().is_empty());
        let e = parse_response(
            r#"{"results":[{"statement_id":0,"error":"database not found: x"}]}"#,
            "SELECT 1",
        )
        .unwrap_err();
        assert!(
            matches!(e, InfluxError::Query { ref message, .. } if message == "database not found: x")
        );
        let e = parse_response(r#"{"error":"error parsing query: bad"}"#, "q").unwrap_err();
        assert!(e.to_string().contains("error parsing query: bad"));
        assert!(parse_response("<html>", "q").is_err());
    }
}

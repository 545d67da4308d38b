//! A small InfluxDB line-protocol encoder.
//!
//! One line is `measurement[,tag=value…] field=value[,field=value…] timestamp`. Escaping follows
//! the line-protocol reference shared by InfluxDB 1.x, 2.x and 3.x:
//!
//! - measurement: `,` and space are escaped with a backslash;
//! - tag keys, tag values and field keys: `,`, `=` and space are escaped;
//! - string field values are double-quoted, with `"` and `\` escaped.
//!
//! What the protocol cannot carry portably is rejected with a [`LineError`] instead of being
//! written in a way some server would misread:
//!
//! - empty names and empty tag values (the parsers drop or reject them);
//! - line breaks and other control characters in names and tag values (a newline ends the
//!   line; there is no escape for it);
//! - backslashes in names and tag values: InfluxDB 1.x/2.x (Go) keep `\\` as two characters
//!   while 3.x unescapes it, and a trailing backslash would escape the separator after it;
//! - NaN and ±∞ float fields (no server stores them).
//!
//! String field values may contain line breaks: inside quotes they are part of the value for
//! every InfluxDB parser.
//!
//! Floats are written in Rust's shortest round-trip decimal form (never in exponent
//! notation), integers with the `i` suffix, booleans as `true`/`false`.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

/// Timestamp precision of the written lines (the `precision` of the write request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Nanoseconds since the Unix epoch (`ns`).
    Nanoseconds,
    /// Milliseconds since the Unix epoch (`ms`).
    Milliseconds,
}

impl Precision {
    /// The value of the `precision` request parameter (`ns` or `ms`).
    pub const fn code(self) -> &'static str {
        match self {
            Precision::Nanoseconds => "ns",
            Precision::Milliseconds => "ms",
        }
    }

    /// `time` in this precision. Sub-unit parts are truncated towards the past; `None` when
    /// the time is outside what InfluxDB stores (1677-09-21 … 2262-04-11, the range of signed
    /// 64-bit nanoseconds).
    pub fn timestamp(self, time: DateTime<Utc>) -> Option<i64> {
        let ns = time.timestamp_nanos_opt()?;
        // InfluxDB reserves the two extreme values (models.MinNanoTime / MaxNanoTime).
        if !(MIN_NANOS..=MAX_NANOS).contains(&ns) {
            return None;
        }
        Some(match self {
            Precision::Nanoseconds => ns,
            Precision::Milliseconds => time.timestamp_millis(),
        })
    }
}

/// Earliest timestamp InfluxDB accepts, in nanoseconds.
pub(super) const MIN_NANOS: i64 = i64::MIN + 2;
/// Latest timestamp InfluxDB accepts, in nanoseconds.
pub(super) const MAX_NANOS: i64 = i64::MAX - 1;

/// Something that cannot be written as line protocol.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum LineError {
    /// A measurement, tag key, tag value or field key is empty.
    #[error("empty {what}")]
    Empty {
        /// Which part (`measurement`, `tag key`, `value of tag station`, …).
        what: String,
    },
    /// A name or tag value holds a character line protocol cannot carry there.
    #[error("{what} {text:?} contains {found}, which line protocol cannot carry there")]
    Forbidden {
        /// Which part.
        what: String,
        /// The offending text.
        text: String,
        /// The character, described (`a line break`, `a backslash`, …).
        found: &'static str,
    },
    /// A float field is NaN or infinite.
    #[error("field {field} is {value}, which InfluxDB cannot store")]
    NotFinite {
        /// The field key.
        field: String,
        /// The value.
        value: f64,
    },
    /// A line was ended without any field.
    #[error("line of measurement {measurement:?} has no field")]
    NoFields {
        /// The measurement.
        measurement: String,
    },
}

/// Which characters are escaped in a part of the line.
#[derive(Clone, Copy)]
enum Part {
    Measurement,
    /// Tag keys, tag values and field keys.
    Key,
}

/// Checks that `text` can be written as a name or tag value (see the module documentation).
pub(super) fn check_name(what: &str, text: &str) -> Result<(), LineError> {
    if text.is_empty() {
        return Err(LineError::Empty {
            what: what.to_string(),
        });
    }
    for c in text.chars() {
        let found = match c {
            '\n' | '\r' => "a line break",
            '\\' => "a backslash",
            c if c.is_control() => "a control character",
            _ => continue,
        };
        return Err(LineError::Forbidden {
            what: what.to_string(),
            text: text.to_string(),
            found,
        });
    }
    Ok(())
}

fn push_escaped(buf: &mut String, text: &str, part: Part) {
    for c in text.chars() {
        let escape = match part {
            Part::Measurement => matches!(c, ',' | ' '),
            Part::Key => matches!(c, ',' | '=' | ' '),
        };
        if escape {
            buf.push('\\');
        }
        buf.push(c);
    }
}

/// Appends `value` as a quoted string field value.
fn push_string_value(buf: &mut String, value: &str) {
    buf.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            buf.push('\\');
        }
        buf.push(c);
    }
    buf.push('"');
}

/// One line being written into a buffer. Tags must come before fields; [`Line::end`] writes
/// the timestamp and the newline. A line that fails (any method returns an error) or is
/// dropped before [`Line::end`] is removed from the buffer, so the buffer only ever holds
/// complete lines.
pub(super) struct Line<'a> {
    buf: &'a mut String,
    start: usize,
    fields: usize,
    done: bool,
}

impl<'a> Line<'a> {
    /// Starts a line of `measurement` at the end of `buf`.
    pub(super) fn new(buf: &'a mut String, measurement: &str) -> Result<Line<'a>, LineError> {
        check_name("measurement", measurement)?;
        let start = buf.len();
        push_escaped(buf, measurement, Part::Measurement);
        Ok(Line {
            buf,
            start,
            fields: 0,
            done: false,
        })
    }

    fn fail<T>(&mut self, e: LineError) -> Result<T, LineError> {
        self.buf.truncate(self.start);
        self.done = true;
        Err(e)
    }

    /// Adds a tag. Call before any field.
    pub(super) fn tag(&mut self, key: &str, value: &str) -> Result<&mut Self, LineError> {
        debug_assert_eq!(self.fields, 0, "tags come before fields");
        if let Err(e) = check_name("tag key", key) {
            return self.fail(e);
        }
        if let Err(e) = check_name(&format!("value of tag {key}"), value) {
            return self.fail(e);
        }
        self.buf.push(',');
        push_escaped(self.buf, key, Part::Key);
        self.buf.push('=');
        push_escaped(self.buf, value, Part::Key);
        Ok(self)
    }

    fn field_key(&mut self, key: &str) -> Result<(), LineError> {
        if let Err(e) = check_name("field key", key) {
            return self.fail(e);
        }
        self.buf.push(if self.fields == 0 { ' ' } else { ',' });
        push_escaped(self.buf, key, Part::Key);
        self.buf.push('=');
        self.fields += 1;
        Ok(())
    }

    /// Adds a float field; NaN and ±∞ are rejected.
    pub(super) fn float(&mut self, key: &str, value: f64) -> Result<&mut Self, LineError> {
        if !value.is_finite() {
            return self.fail(LineError::NotFinite {
                field: key.to_string(),
                value,
            });
        }
        self.field_key(key)?;
        // Display is the shortest decimal that parses back to the same f64.
        let _ = write!(self.buf, "{value}");
        Ok(self)
    }

    /// Adds a signed integer field (`…i`).
    pub(super) fn int(&mut self, key: &str, value: i64) -> Result<&mut Self, LineError> {
        self.field_key(key)?;
        let _ = write!(self.buf, "{value}i");
        Ok(self)
    }

    /// Adds a boolean field.
    pub(super) fn bool(&mut self, key: &str, value: bool) -> Result<&mut Self, LineError> {
        self.field_key(key)?;
        self.buf.push_str(if value { "true" } else { "false" });
        Ok(self)
    }

    /// Adds a string field.
    pub(super) fn string(&mut self, key: &str, value: &str) -> Result<&mut Self, LineError> {
        self.field_key(key)?;
        push_string_value(self.buf, value);
        Ok(self)
    }

    /// Ends the line with `timestamp` (in the precision of the write request) and a newline.
    pub(super) fn end(mut self, timestamp: i64) -> Result<(), LineError> {
        if self.fields == 0 {
            let measurement = self.buf[self.start..].to_string();
            return self.fail(LineError::NoFields { measurement });
        }
        let _ = writeln!(self.buf, " {timestamp}");
        self.done = true;
        Ok(())
    }
}

impl Drop for Line<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.buf.truncate(self.start);
        }
    }
}

#[cfg(test)]
#[path = "line_protocol_tests.rs"]
mod tests;

//! One configuration file's text, and turning byte spans into located [`ConfigError`]s.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};

use super::{ConfigError, ConfigWarning};

/// A configuration file read into memory.
pub(super) struct Source {
    /// Where it was read from.
    pub file: PathBuf,
    /// Its text.
    pub text: String,
}

impl Source {
    /// Reads `path`.
    pub(super) fn read(path: &Path) -> Result<Source, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Source {
                file: path.to_path_buf(),
                text,
            }),
            Err(e) => Err(ConfigError {
                file: path.to_path_buf(),
                line: 0,
                column: 0,
                field: String::new(),
                message: format!("cannot read the file: {e}"),
            }),
        }
    }

    /// An error at byte span `span` of this file.
    pub(super) fn error(
        &self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = line_column(&self.text, span.start);
        ConfigError {
            file: self.file.clone(),
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }

    /// A warning at byte span `span` of this file.
    pub(super) fn warning(
        &self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigWarning {
        ConfigWarning(self.error(span, field, message))
    }

    /// Deserializes the whole file; syntax and type errors are located with the span the
    /// TOML parser reports, and named with the field path found at that span.
    pub(super) fn parse<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::from_str(&self.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let field = field_at(&self.text, span.start);
            self.error(span, field, e.message().trim().to_string())
        })
    }
}

/// The 1-based line and column (in characters) of byte offset `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The path (`station[3].device[1].unit`) of the innermost key or value that contains byte
/// `offset` (empty when none does).
///
/// Syntax errors are located too: the text is parsed with error recovery, and when nothing
/// contains `offset` (e.g. the end of an unterminated string), the start of its line is tried
/// (usually the key of a `key = value` line).
pub(super) fn field_at(text: &str, offset: usize) -> String {
    let (table, _errors) = DeTable::parse_recoverable(text);
    let mut path = String::new();
    walk_table(table.get_ref(), offset, &mut path);
    if path.is_empty() {
        let line_start = text
            .get(..offset)
            .and_then(|before| before.rfind('\n'))
            .map_or(0, |i| i + 1);
        let indent = text.get(line_start..).map_or(0, |line| {
            line.len() - line.trim_start_matches([' ', '\t']).len()
        });
        walk_table(table.get_ref(), line_start + indent, &mut path);
    }
    path
}

fn walk_table(table: &DeTable<'_>, offset: usize, path: &mut String) {
    for (key, value) in table.iter() {
        let in_key = key.span().contains(&offset);
        let in_value = value.span().contains(&offset) || contains_deep(value.get_ref(), offset);
        if in_key || in_value {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key.get_ref());
            if !in_key {
                walk_value(value.get_ref(), offset, path);
            }
            return;
        }
    }
}

fn walk_value(value: &DeValue<'_>, offset: usize, path: &mut String) {
    match value {
        DeValue::Table(table) => walk_table(table, offset, path),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.span().contains(&offset) || contains_deep(item.get_ref(), offset) {
                    path.push_str(&format!("[{i}]"));
                    walk_value(item.get_ref(), offset, path);
                    return;
                }
            }
        }
        _ => {}
    }
}

/// True when some key or value nested in `value` contains `offset` (the span of a table
/// made of `[header]` sections does not always cover its contents).
fn contains_deep(value: &DeValue<'_>, offset: usize) -> bool {
    match value {
        DeValue::Table(table) => table.iter().any(|(k, v)| {
            k.span().contains(&offset)
                || v.span().contains(&offset)
                || contains_deep(v.get_ref(), offset)
        }),
        DeValue::Array(items) => items
            .iter()
            .any(|v| v.span().contains(&offset) || contains_deep(v.get_ref(), offset)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nname = \"莞城\" x\n";
        let x = text.find('x').unwrap();
        assert_eq!(line_column(text, x), (2, 13));
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 10_000), (3, 1));
    }

    #[test]
    fn field_paths_follow_arrays_of_tables() {
        let text = "[network]\nid = \"x\"\n\n[[station]]\nid = \"a\"\n\n[[station]]\nid = \"b\"\n\
                    [[station.device]]\nid = \"d0\"\n[[station.device]]\nid = \"d1\"\nunit = 0\n";
        let at = text.find("unit").unwrap();
        assert_eq!(field_at(text, at), "station[1].device[1].unit");
        let at = text.find("\"b\"").unwrap();
        assert_eq!(field_at(text, at), "station[1].id");
        let at = text.find("id = \"x\"").unwrap();
        assert_eq!(field_at(text, at), "network.id");
    }
}

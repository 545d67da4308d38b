//! What an import reports: the [`Summary`] and its [`Issue`]s.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::units::Parameter;

/// At most this many [`Issue`]s are kept in a [`Summary`] (all are counted).
pub const MAX_ISSUES: usize = 10_000;

/// What kind of problem an [`Issue`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssueKind {
    /// The whole row was skipped.
    RowRejected,
    /// One value of the row was skipped; the others were imported.
    ValueRejected,
    /// The row repeats the station and hour of an earlier row; it replaces that row.
    Duplicate,
}

/// A problem with one row or value of the input, which was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The file.
    pub file: PathBuf,
    /// Line number in the file (1-based; the header is line 1).
    pub line: u64,
    /// What kind of problem.
    pub kind: IssueKind,
    /// What was wrong and what was done about it.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// The outcome of an [`import`](super::import).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// Data rows read (header lines excluded).
    pub rows_read: u64,
    /// Rows skipped entirely because of an error.
    pub rows_rejected: u64,
    /// Rows replaced by a later row for the same station and hour.
    pub rows_superseded: u64,
    /// Single values skipped (the rest of their rows was imported).
    pub values_rejected: u64,
    /// Records written, per parameter.
    pub records: BTreeMap<Parameter, u64>,
    /// Stations the import created in the store, by id.
    pub stations_created: Vec<String>,
    /// Known stations whose missing metadata (coordinates, district) the import filled in.
    pub stations_updated: Vec<String>,
    /// Stations the import created without a city (national data): they count for no city.
    pub stations_without_city: Vec<String>,
    /// Index records (hourly and daily AQI) computed for the imported days.
    pub indices: u64,
    /// The problems found, by file and line (at most [`MAX_ISSUES`]).
    pub issues: Vec<Issue>,
    /// How many problems were found in all (may exceed `issues.len()`).
    pub issues_total: u64,
    /// How long each phase took.
    pub timings: Timings,
}

/// How long each phase of an import took (wall time).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// The first pass: reading every file (decompressing, parsing), checking stations and
    /// duplicates.
    pub checking: Duration,
    /// The second pass: reading every file again and writing the readings.
    pub writing: Duration,
    /// The hourly and daily indices of the station-days written.
    pub indices: Duration,
}

impl Summary {
    /// Records written in all.
    pub fn records_written(&self) -> u64 {
        self.records.values().sum()
    }
}

/// Collected issues, in the order (file, line) once sorted.
#[derive(Default)]
pub(super) struct IssueLog {
    items: Vec<(usize, Issue)>,
    total: u64,
}

impl IssueLog {
    pub(super) fn push(
        &mut self,
        file_index: usize,
        path: &Path,
        line: u64,
        kind: IssueKind,
        message: String,
    ) {
        self.total += 1;
        if self.items.len() < MAX_ISSUES {
            self.items.push((
                file_index,
                Issue {
                    file: path.to_path_buf(),
                    line,
                    kind,
                    message,
                },
            ));
        }
    }

    pub(super) fn into_sorted(mut self) -> (Vec<Issue>, u64) {
        self.items
            .sort_by(|(fa, a), (fb, b)| fa.cmp(fb).then(a.line.cmp(&b.line)));
        (self.items.into_iter().map(|(_, i)| i).collect(), self.total)
    }
}

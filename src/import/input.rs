//! Opening an input file (plain, or `.xz`-compressed) and reading its data rows.

use std::io::Read;
use std::path::Path;

use csv::StringRecord;

use super::cnemc::{CnemcParser, NationalStations};
use super::cnemc_wide::{WideDay, is_wide_header};
use super::row::{Row, RowParser};
use super::xz::XzReader;
use super::{Format, ImportError, ImportOptions, Progress, openair, prsa, wide_csv};

/// One open input file, past its header.
pub(super) struct Input {
    reader: csv::Reader<Box<dyn Read>>,
    fields: usize,
    /// The daily wide CNEMC layout (`date,hour,type,<codes…>`), read an hour at a time.
    wide: Option<WideDay>,
}

/// The file's bytes: decompressed when its name ends in `.xz`.
fn open_bytes(path: &Path) -> std::io::Result<Box<dyn Read>> {
    let file = std::fs::File::open(path)?;
    let xz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xz"));
    Ok(if xz {
        Box::new(XzReader::new(file))
    } else {
        Box::new(file)
    })
}

/// Opens a file and makes the format's parser from its header.
pub(super) fn open_input(
    path: &Path,
    format: Format,
    options: &ImportOptions,
    national: &NationalStations,
) -> Result<(Input, Box<dyn RowParser>), ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = open_bytes(path).map_err(io)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(file);
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(csv_error(path, e)),
    };
    let header_error = |reason| ImportError::Header {
        path: path.to_path_buf(),
        reason,
    };
    if header.iter().all(str::is_empty) {
        return Err(header_error(
            "the file is empty (no header line)".to_string(),
        ));
    }
    let parser: Box<dyn RowParser> = match format {
        Format::Prsa => Box::new(prsa::PrsaParser::new(&header, options).map_err(header_error)?),
        Format::Openair => {
            Box::new(openair::OpenairParser::new(&header, options).map_err(header_error)?)
        }
        Format::WideCsv => {
            Box::new(wide_csv::WideCsvParser::new(&header, options).map_err(header_error)?)
        }
        Format::Cnemc if is_wide_header(&header) => {
            let (day, parser) = WideDay::new(&header, national).map_err(header_error)?;
            let fields = header.len();
            let input = Input {
                reader,
                fields,
                wide: Some(day),
            };
            return Ok((input, Box::new(parser)));
        }
        Format::Cnemc => Box::new(CnemcParser::new(&header, national).map_err(header_error)?),
    };
    let fields = header.len();
    Ok((
        Input {
            reader,
            fields,
            wide: None,
        },
        parser,
    ))
}

fn csv_error(path: &Path, e: csv::Error) -> ImportError {
    let line = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => ImportError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => ImportError::Header {
            path: path.to_path_buf(),
            reason: match line {
                Some(l) => format!("line {l}: {other:?}"),
                None => format!("{other:?}"),
            },
        },
    }
}

/// Why a row could not be read (the row is skipped), or the I/O error that stops the file (a
/// corrupt `.xz` stream surfaces here too).
pub(super) fn unreadable_row(e: csv::Error, path: &Path) -> Result<String, ImportError> {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Err(ImportError::Io {
            path: path.to_path_buf(),
            source,
        }),
        csv::ErrorKind::Utf8 { .. } => Ok("not valid UTF-8; row skipped".to_string()),
        other => Ok(format!("unreadable row ({other:?}); row skipped")),
    }
}

/// Reads every data row of `input`, calling `each(line, parsed row or the reason it was
/// rejected)`.
pub(super) fn scan(
    input: &mut Input,
    parser: &dyn RowParser,
    path: &Path,
    progress: &dyn Progress,
    mut each: impl FnMut(u64, Result<&Row, String>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    if let Some(day) = input.wide.take() {
        return day.scan(&mut input.reader, input.fields, path, progress, each);
    }
    let mut record = StringRecord::new();
    let mut row = Row::default();
    let mut reported = 0u64;
    let mut n = 0u64;
    loop {
        let line;
        let outcome = match input.reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                line = record.position().map_or(0, |p| p.line());
                row.clear();
                if record.len() != input.fields {
                    Err(format!(
                        "{} fields where the header has {}; row skipped",
                        record.len(),
                        input.fields
                    ))
                } else {
                    match parser.parse(&record, &mut row) {
                        Ok(()) => Ok(&row),
                        Err(e) => Err(format!("{e}; row skipped")),
                    }
                }
            }
            Err(e) => {
                line = e.position().map_or(0, |p| p.line());
                Err(unreadable_row(e, path)?)
            }
        };
        each(line, outcome)?;
        n += 1;
        if n.is_multiple_of(4096) {
            let byte = input.reader.position().byte();
            progress.advance(byte - reported);
            reported = byte;
        }
    }
    progress.advance(input.reader.position().byte().saturating_sub(reported));
    Ok(())
}

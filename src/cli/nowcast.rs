//! `lantian nowcast`: EPA NowCast of hourly PM or ozone from a CSV.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::bail;
use chrono::{NaiveDateTime, TimeDelta};
use clap::Args;
use lantian::aqi::nowcast::{NowcastKind, nowcast, nowcast_aqi};
use lantian::aqi::{Category, Standard, epa};
use lantian::units::{Parameter, Unit};

use lantian::aqi::csv::input::{ColumnSpec, Problems, line_of, parse_value, row_key};

use super::aqi::input::{open_output, print_problem, read_input};

const NOWCAST_HELP: &str = "\
INPUT COLUMNS
  time (required, hour-ending hourly values), station (optional), and exactly one of pm25, pm10
  or o3, optionally with a unit in brackets (pm25[ug/m3], o3[ppb], o3[ppm]; default ug/m3).
  Each station is its own series, put in time order; hours not in the file are gaps.
OUTPUT
  The input columns, then nowcast (ug/m3 for PM, truncated to 0.1 for PM2.5 and 1 for PM10;
  ppm for ozone, truncated to 0.001, converted at 25 degC), nowcast_aqi and category (EPA
  names). Empty when not valid: fewer than 2 of the 3 newest hours (this one and the two
  before) have a value. PM uses 12 hours with weight floor 0.5; ozone 8 hours, no floor.
BAD INPUT
  Empty, NA, - or -; are missing hours. Unparseable numbers or times, negative values, wrong
  field counts and duplicate (time, station) rows are reported on stderr with their line number
  and column and count as missing hours; the rest is processed (exit status 0). A bad header
  (no time column, no or several pollutant columns, unknown column or unit) is an error
  (exit status 1).";

/// Options of `lantian nowcast`.
#[derive(Debug, Args)]
#[command(after_long_help = NOWCAST_HELP)]
pub(super) struct NowcastArgs {
    /// epa-2012 or epa-2024 (the table the NowCast AQI is looked up in).
    #[arg(long, value_parser = Standard::from_str)]
    standard: Standard,
    /// Input CSV file.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Output CSV file [default: stdout].
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec {
        code: "pm25",
        parameter: Parameter::Pm25,
        term: None,
    },
    ColumnSpec {
        code: "pm10",
        parameter: Parameter::Pm10,
        term: None,
    },
    ColumnSpec {
        code: "o3",
        parameter: Parameter::O3,
        term: None,
    },
];

/// A parsed row: its key, if good, and the value (in NowCast units) if any.
struct Row {
    record: csv::StringRecord,
    key: Option<(NaiveDateTime, String)>,
}

/// Runs `lantian nowcast`.
pub(super) fn run(args: NowcastArgs) -> anyhow::Result<()> {
    let Some(table) = args.standard.epa_table() else {
        bail!(
            "NowCast is an EPA method: use --standard epa-2012 or epa-2024, not {}",
            args.standard
        );
    };
    let (mut reader, names, header) = read_input(&args.input, COLUMNS)?;
    let [column] = header.columns.as_slice() else {
        bail!(
            "{}: bad header: need exactly one of the columns pm25, pm10, o3 (found {})",
            args.input.display(),
            header.columns.len()
        );
    };
    let kind = match column.spec.parameter {
        Parameter::Pm10 => NowcastKind::Pm10,
        Parameter::O3 => NowcastKind::O3,
        _ => NowcastKind::Pm25,
    };

    let mut print = print_problem;
    let mut report = Problems::new(&mut print);
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    let mut series: HashMap<String, BTreeMap<NaiveDateTime, f64>> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report.unreadable(&e);
                continue;
            }
        };
        let line = line_of(&record);
        let mut key = row_key(&header, &record, &mut seen, &mut report);
        if let Some((time, station)) = &key {
            let text = record.get(column.index).unwrap_or("");
            match parse_value(text) {
                Ok(Some(v)) if v < 0.0 => {
                    report.error(line, Some(&column.header), format!("negative value {v}"));
                    key = None;
                }
                Ok(Some(v)) => {
                    let value = match kind {
                        NowcastKind::O3 if column.unit == Unit::Ppm => v,
                        NowcastKind::O3 => {
                            epa::to_native(Parameter::O3, Unit::Ppm, column.to_canonical.apply(v))
                        }
                        _ => column.to_canonical.apply(v),
                    };
                    series
                        .entry(station.clone())
                        .or_default()
                        .insert(*time, value);
                }
                Ok(None) => {}
                Err(msg) => {
                    report.error(line, Some(&column.header), msg);
                    key = None;
                }
            }
        }
        if key.is_none() {
            report.bad_rows += 1;
        }
        rows.push(Row { record, key });
    }

    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(open_output(args.output.as_deref())?);
    let mut out_header = names.clone();
    out_header.extend(["nowcast", "nowcast_aqi", "category"].map(String::from));
    out.write_record(&out_header)?;
    let empty = BTreeMap::new();
    for row in &rows {
        let mut cells: Vec<String> = row.record.iter().map(str::to_string).collect();
        cells.resize(names.len(), String::new());
        let computed = row.key.as_ref().and_then(|(time, station)| {
            let s = series.get(station).unwrap_or(&empty);
            // Oldest first: time − (n−1) h … time.
            let hours: Vec<Option<f64>> = (0..kind.hours())
                .rev()
                .map(|k| {
                    let t = *time - TimeDelta::hours(i64::try_from(k).unwrap_or(0));
                    s.get(&t).copied()
                })
                .collect();
            let n = nowcast(&hours, kind)?;
            Some((n.concentration, nowcast_aqi(n.concentration, kind, table)))
        });
        match computed {
            Some((c, aqi)) => {
                cells.push(match kind {
                    NowcastKind::Pm25 => format!("{c:.1}"),
                    NowcastKind::Pm10 => format!("{c:.0}"),
                    NowcastKind::O3 => format!("{c:.3}"),
                });
                cells.push(aqi.map_or_else(String::new, |a| a.to_string()));
                cells.push(aqi.map_or_else(String::new, |a| {
                    Category::from_aqi(a).epa_name().to_string()
                }));
            }
            None => cells.extend(std::iter::repeat_n(String::new(), 3)),
        }
        out.write_record(&cells)?;
    }
    out.flush()?;
    let summary = report.summary(rows.len());
    if summary.any() {
        eprintln!("{summary}");
    }
    Ok(())
}

//! The AQI of a CSV of concentrations, row by row (the contract of `lantian aqi`, also the
//! web explorer's upload): the input's columns, then `iaqi_<code>` for each pollutant column,
//! `aqi`, `level`, `category`, `primary`. Bad rows are written with empty results and each
//! problem is reported with its line and field; a bad header refuses the input.
//!
//! [`input`] reads the CSV (shared with `lantian nowcast`).

pub mod input;

use std::collections::HashSet;
use std::io::{Read, Write};

use chrono::NaiveDateTime;

use crate::aqi::{AqiResult, Category, Family, Pollutant, Standard, china, epa};
use crate::units::{Parameter, Unit};
use input::{Column, ColumnSpec, Header, HeaderError, Problems, RowProblem, Summary};

/// Hourly (real-time) or daily AQI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Real-time AQI of hourly values (HJ 633 only).
    Hourly,
    /// Daily AQI of daily statistics.
    Daily,
}

/// The language of the `category` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryNames {
    /// 优, 良, 轻度污染, …
    Zh,
    /// HJ 633: excellent, good, …; EPA: Good, Moderate, …
    En,
}

impl CategoryNames {
    /// The default for a standard: Chinese for HJ 633, English for the EPA.
    pub fn default_for(standard: Standard) -> CategoryNames {
        match standard.family() {
            Family::China => CategoryNames::Zh,
            Family::Epa => CategoryNames::En,
        }
    }
}

/// What to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AqiCsvOptions {
    /// The standard.
    pub standard: Standard,
    /// Hourly or daily.
    pub mode: Mode,
    /// The category column's language.
    pub names: CategoryNames,
}

/// Why an input was refused as a whole (bad rows are not errors: they are reported).
#[derive(Debug, thiserror::Error)]
pub enum AqiCsvError {
    /// The EPA AQI of hourly values.
    #[error(
        "{0} needs the daily mode: the EPA AQI is defined on 24-h and 8-h averages (use NowCast \
         for hourly PM or ozone)"
    )]
    EpaHourly(Standard),
    /// A bad header.
    #[error("bad header: {0}")]
    Header(#[from] HeaderError),
    /// Writing the output.
    #[error("writing the output: {0}")]
    Write(#[source] ::csv::Error),
}

use Parameter as P;
use Pollutant as T;

const fn col(code: &'static str, parameter: Parameter, term: Option<Pollutant>) -> ColumnSpec {
    ColumnSpec {
        code,
        parameter,
        term,
    }
}

const CHINA_HOURLY: &[ColumnSpec] = &[
    col("pm25", P::Pm25, Some(T::Pm25)),
    col("pm10", P::Pm10, Some(T::Pm10)),
    col("so2", P::So2, Some(T::So2)),
    col("no2", P::No2, Some(T::No2)),
    col("co", P::Co, Some(T::Co)),
    col("o3", P::O3, Some(T::O3_1h)),
    col("so2_24h", P::So2, None),
];
const CHINA_DAILY: &[ColumnSpec] = &[
    col("pm25", P::Pm25, Some(T::Pm25)),
    col("pm10", P::Pm10, Some(T::Pm10)),
    col("so2", P::So2, Some(T::So2)),
    col("no2", P::No2, Some(T::No2)),
    col("co", P::Co, Some(T::Co)),
    col("o3_1h_max", P::O3, Some(T::O3_1h)),
    col("o3_8h_max", P::O3, Some(T::O3_8h)),
];
const EPA_DAILY: &[ColumnSpec] = &[
    col("pm25", P::Pm25, Some(T::Pm25)),
    col("pm10", P::Pm10, Some(T::Pm10)),
    col("o3_8h_max", P::O3, Some(T::O3_8h)),
    col("o3_1h_max", P::O3, Some(T::O3_1h)),
    col("co_8h_max", P::Co, Some(T::Co)),
    col("so2_1h_max", P::So2, Some(T::So2)),
    col("no2_1h_max", P::No2, Some(T::No2)),
    col("so2", P::So2, None),
];

/// The columns an input may have for `standard` in `mode`.
pub fn columns(standard: Standard, mode: Mode) -> Result<&'static [ColumnSpec], AqiCsvError> {
    match (standard.family(), mode) {
        (Family::China, Mode::Hourly) => Ok(CHINA_HOURLY),
        (Family::China, Mode::Daily) => Ok(CHINA_DAILY),
        (Family::Epa, Mode::Daily) => Ok(EPA_DAILY),
        (Family::Epa, Mode::Hourly) => Err(AqiCsvError::EpaHourly(standard)),
    }
}

/// Reads the CSV `input`, writes it with its AQI to `output` (one output row per readable
/// input row), and hands every problem of a row to `report` as it is found (its line and
/// field). Never panics on any input.
pub fn aqi_csv<R: Read, W: Write>(
    input: R,
    output: W,
    options: AqiCsvOptions,
    report: &mut dyn FnMut(RowProblem),
) -> Result<Summary, AqiCsvError> {
    let allowed = columns(options.standard, options.mode)?;
    let family = options.standard.family();
    let mut reader = input::reader(input);
    let (names, header) = input::read_header(&mut reader, allowed)?;
    let mut out = ::csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(output);
    let mut out_header = names.clone();
    for c in header.columns.iter().filter(|c| c.spec.term.is_some()) {
        out_header.push(format!("iaqi_{}", c.spec.code));
    }
    out_header.extend(["aqi", "level", "category", "primary"].map(String::from));
    out.write_record(&out_header).map_err(AqiCsvError::Write)?;

    let mut problems = Problems::new(report);
    let mut seen = HashSet::new();
    let mut rows = 0usize;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.unreadable(&e);
                continue;
            }
        };
        rows += 1;
        let result = compute_row(&header, &record, options, &mut seen, &mut problems);
        if result.is_none() {
            problems.bad_rows += 1;
        }
        let mut cells: Vec<String> = record.iter().map(str::to_string).collect();
        cells.resize(names.len(), String::new());
        cells.extend(output_cells(
            &header,
            result.as_ref(),
            family,
            options.names,
        ));
        out.write_record(&cells).map_err(AqiCsvError::Write)?;
    }
    out.flush()
        .map_err(|e| AqiCsvError::Write(::csv::Error::from(e)))?;
    Ok(problems.summary(rows))
}

/// The computed cells of one row (all empty for a bad row).
fn output_cells(
    header: &Header,
    result: Option<&AqiResult>,
    family: Family,
    names: CategoryNames,
) -> Vec<String> {
    let mut cells = Vec::new();
    for c in header.columns.iter() {
        if let Some(term) = c.spec.term {
            cells.push(
                result
                    .and_then(|r| r.iaqi(term))
                    .map_or_else(String::new, |v| v.to_string()),
            );
        }
    }
    let Some(r) = result else {
        cells.extend(std::iter::repeat_n(String::new(), 4));
        return cells;
    };
    cells.push(r.aqi.map_or_else(String::new, |a| a.to_string()));
    cells.push(
        r.category
            .map_or_else(String::new, |c| c.level().to_string()),
    );
    cells.push(
        r.category
            .map_or_else(String::new, |c| category_name(c, family, names)),
    );
    let primary: Vec<&str> = r
        .primary
        .iter()
        .map(|p| {
            header
                .columns
                .iter()
                .find(|c| c.spec.term == Some(*p))
                .map_or(p.code(), |c| c.spec.code)
        })
        .collect();
    cells.push(primary.join(";"));
    cells
}

fn category_name(c: Category, family: Family, names: CategoryNames) -> String {
    match (names, family) {
        (CategoryNames::Zh, _) => c.name_zh(),
        (CategoryNames::En, Family::China) => c.name_en(),
        (CategoryNames::En, Family::Epa) => c.epa_name(),
    }
    .to_string()
}

/// Parses and computes one row; `None` (after reporting) for a bad row.
fn compute_row(
    header: &Header,
    record: &::csv::StringRecord,
    options: AqiCsvOptions,
    seen: &mut HashSet<(NaiveDateTime, String)>,
    problems: &mut Problems<'_>,
) -> Option<AqiResult> {
    let line = input::line_of(record);
    input::row_key(header, record, seen, problems)?;
    let standard = options.standard;
    let epa = standard.family() == Family::Epa;
    let mut values: Vec<(&'static str, Option<f64>, &Column)> = Vec::new();
    let mut bad = false;
    for c in &header.columns {
        let text = record.get(c.index).unwrap_or("");
        match input::parse_value(text) {
            Ok(Some(v)) if v < 0.0 && !epa => {
                problems.error(line, Some(&c.header), format!("negative concentration {v}"));
                bad = true;
            }
            Ok(v) => {
                if let Some(x) = v.filter(|x| *x < 0.0) {
                    problems.warn(line, &c.header, format!("negative value {x} counted as 0"));
                }
                values.push((c.spec.code, v, c));
            }
            Err(msg) => {
                problems.error(line, Some(&c.header), msg);
                bad = true;
            }
        }
    }
    if bad {
        return None;
    }
    let canonical = |code: &str| {
        values
            .iter()
            .find(|(k, _, _)| *k == code)
            .and_then(|(_, v, c)| v.map(|x| c.to_canonical.apply(x)))
    };
    match (standard.china_rules(), standard.epa_table()) {
        (Some(rules), _) if options.mode == Mode::Hourly => Some(china::hourly_aqi(
            &china::HourlyInput {
                pm25: canonical("pm25"),
                pm10: canonical("pm10"),
                so2: canonical("so2"),
                no2: canonical("no2"),
                co: canonical("co"),
                o3: canonical("o3"),
                so2_24h: canonical("so2_24h"),
            },
            rules,
        )),
        (Some(rules), _) => Some(china::daily_aqi(
            &china::DailyInput {
                so2: canonical("so2"),
                no2: canonical("no2"),
                pm10: canonical("pm10"),
                pm25: canonical("pm25"),
                co: canonical("co"),
                o3_1h_max: canonical("o3_1h_max"),
                o3_8h_max: canonical("o3_8h_max"),
            },
            rules,
        )),
        (None, Some(table)) => {
            // EPA units: values already in them pass through untouched.
            let native = |code: &str, unit: Unit| {
                values
                    .iter()
                    .find(|(k, _, _)| *k == code)
                    .and_then(|(_, v, c)| {
                        v.map(|x| {
                            if c.unit == unit {
                                x
                            } else {
                                epa::to_native(c.spec.parameter, unit, c.to_canonical.apply(x))
                            }
                        })
                    })
            };
            let ug = Unit::MicrogramPerCubicMetre;
            Some(epa::aqi_native(
                &epa::NativeInput {
                    pm25: native("pm25", ug),
                    pm10: native("pm10", ug),
                    o3_8h: native("o3_8h_max", Unit::Ppm),
                    o3_1h: native("o3_1h_max", Unit::Ppm),
                    co_8h: native("co_8h_max", Unit::Ppm),
                    so2_1h: native("so2_1h_max", Unit::Ppb),
                    so2_24h: native("so2", Unit::Ppb),
                    no2_1h: native("no2_1h_max", Unit::Ppb),
                },
                table,
            ))
        }
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_get_their_aqi_and_bad_rows_name_line_and_field() {
        let input = "time,station,pm25,pm10\n\
                     2026-03-01 01:00,A,80,120\n\
                     2026-03-01 02:00,A,abc,120\n\
                     2026-03-01 01:00,A,10,20\n";
        let mut out = Vec::new();
        let mut problems = Vec::new();
        let options = AqiCsvOptions {
            standard: "hj633-2012".parse().unwrap(),
            mode: Mode::Hourly,
            names: CategoryNames::En,
        };
        let summary = aqi_csv(input.as_bytes(), &mut out, options, &mut |p| {
            problems.push(p)
        })
        .unwrap();
        assert_eq!((summary.rows, summary.bad_rows), (3, 2));
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "time,station,pm25,pm10,iaqi_pm25,iaqi_pm10,aqi,level,category,primary"
        );
        // PM2.5 80 µg/m³: IAQI 106.25, rounded up: 107; PM10 120: 85.
        assert_eq!(
            lines[1],
            "2026-03-01 01:00,A,80,120,107,85,107,3,lightly polluted,pm25"
        );
        assert_eq!(lines[2], "2026-03-01 02:00,A,abc,120,,,,,,");
        assert_eq!(problems[0].line, 3);
        assert_eq!(problems[0].field.as_deref(), Some("pm25"));
        assert_eq!(
            problems[1].to_string(),
            "line 4, column `time`: duplicate row for time `2026-03-01 01:00`, station `A`"
        );
    }

    #[test]
    fn a_bad_header_names_its_column() {
        let options = AqiCsvOptions {
            standard: "hj633-2026".parse().unwrap(),
            mode: Mode::Daily,
            names: CategoryNames::Zh,
        };
        let e = aqi_csv(
            "time,pm25[furlong]\n".as_bytes(),
            Vec::new(),
            options,
            &mut |_| {},
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("bad header: column 2 `pm25[furlong]`: "),
            "{e}"
        );
        let epa = AqiCsvOptions {
            standard: "epa-2024".parse().unwrap(),
            mode: Mode::Hourly,
            names: CategoryNames::En,
        };
        assert!(matches!(
            aqi_csv("time\n".as_bytes(), Vec::new(), epa, &mut |_| {}),
            Err(AqiCsvError::EpaHourly(_))
        ));
    }
}

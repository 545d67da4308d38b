//! `lantian aqi`: AQI of a CSV of concentrations (HJ 633 hourly/daily, EPA daily).
//!
//! The CSV input helpers it shares with `lantian nowcast` are in [`input`].

pub(super) mod input;

use std::collections::HashSet;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::bail;
use chrono::NaiveDateTime;
use clap::{Args, ValueEnum};
use lantian::aqi::{AqiResult, Category, Family, Pollutant, Standard, china, epa};
use lantian::units::{Parameter, Unit};

use input::{
    Column, ColumnSpec, Header, Reporter, line_of, open_output, parse_value, read_input, row_key,
};

/// Hourly (real-time) or daily AQI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Mode {
    /// Real-time AQI of hourly values (HJ 633 only).
    Hourly,
    /// Daily AQI of daily statistics.
    Daily,
}

/// Language of the `category` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Lang {
    /// 优, 良, 轻度污染, …
    Zh,
    /// HJ 633: excellent, good, …; EPA: Good, Moderate, …
    En,
}

const AQI_HELP: &str = "\
INPUT COLUMNS
  time (required), station (optional), then pollutant columns, each optionally with a unit in
  brackets: pm25, so2[ppb], o3_8h_max[ppm], co[mg/m3]. Without a unit the canonical unit applies
  (ug/m3; CO mg/m3). Units: ug/m3 mg/m3 ppb ppm (ppb/ppm converted at 25 degC, 1013.25 hPa).
  hj633, --mode hourly: pm25 pm10 so2 no2 co o3 [so2_24h]  (PM on the 24-h rows, the gases on
      the 1-h rows, as CNEMC publishes; so2_24h is used only when SO2 1-h > 800 under 2012 rules)
  hj633, --mode daily:  pm25 pm10 so2 no2 co (24-h means) o3_1h_max o3_8h_max
  epa,   --mode daily:  pm25 pm10 (24-h means) o3_8h_max o3_1h_max co_8h_max so2_1h_max
      no2_1h_max [so2]  (so2 = 24-h mean, used when SO2 1-h > 304 ppb)
  epa with --mode hourly is refused: the EPA AQI is defined on 24-h/8-h averages; use
  `lantian nowcast` for hourly PM or ozone.
OUTPUT
  The input columns, then iaqi_<code> for each pollutant column (not for so2_24h / epa so2),
  aqi, level (1-6), category, primary (codes joined by ';'; HJ 633: empty when AQI <= 50; EPA:
  the responsible pollutant at any AQI). One output row per input row.
BAD INPUT
  Empty, NA, - or -; cells are missing values (empty outputs for that pollutant). Unparseable
  numbers or times, negative concentrations (HJ 633), wrong field counts and duplicate
  (time, station) rows are reported on stderr with the line number and column; such a row is
  written with empty computed columns and the rest is processed (exit status 0). Negative EPA
  concentrations count as 0 (EPA's convention) with a warning. An unknown or duplicate column,
  an unknown unit or a missing time column is an error (exit status 1).";

/// Options of `lantian aqi`.
#[derive(Debug, Args)]
#[command(after_long_help = AQI_HELP)]
pub(super) struct AqiArgs {
    /// hj633-2012, hj633-2026, epa-2012 or epa-2024.
    #[arg(long, value_parser = Standard::from_str)]
    standard: Standard,
    /// hourly (real-time) or daily.
    #[arg(long, value_enum)]
    mode: Mode,
    /// Input CSV file.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Output CSV file [default: stdout].
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Language of the category column [default: zh for hj633, en for epa].
    #[arg(long, value_enum)]
    lang: Option<Lang>,
}

const fn col(code: &'static str, parameter: Parameter, term: Option<Pollutant>) -> ColumnSpec {
    ColumnSpec {
        code,
        parameter,
        term,
    }
}

use Parameter as P;
use Pollutant as T;

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

/// Runs `lantian aqi`.
pub(super) fn run(args: AqiArgs) -> anyhow::Result<()> {
    let family = args.standard.family();
    let allowed = match (family, args.mode) {
        (Family::China, Mode::Hourly) => CHINA_HOURLY,
        (Family::China, Mode::Daily) => CHINA_DAILY,
        (Family::Epa, Mode::Daily) => EPA_DAILY,
        (Family::Epa, Mode::Hourly) => bail!(
            "--standard {} needs --mode daily: the EPA AQI is defined on 24-h and 8-h \
             averages (use `lantian nowcast` for hourly PM or ozone)",
            args.standard
        ),
    };
    let lang = args.lang.unwrap_or(match family {
        Family::China => Lang::Zh,
        Family::Epa => Lang::En,
    });
    let (mut reader, names, header) = read_input(&args.input, allowed)?;
    let mut out = open_output(args.output.as_deref())?;
    let mut out_header = names.clone();
    for c in header.columns.iter().filter(|c| c.spec.term.is_some()) {
        out_header.push(format!("iaqi_{}", c.spec.code));
    }
    out_header.extend(["aqi", "level", "category", "primary"].map(String::from));
    out.write_record(&out_header)?;

    let mut report = Reporter::default();
    let mut seen = HashSet::new();
    let mut rows = 0usize;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report.unreadable(&e);
                continue;
            }
        };
        rows += 1;
        let result = compute_row(
            &header,
            &record,
            args.standard,
            args.mode,
            &mut seen,
            &mut report,
        );
        if result.is_none() {
            report.bad_rows += 1;
        }
        let mut cells: Vec<String> = record.iter().map(str::to_string).collect();
        cells.resize(names.len(), String::new());
        cells.extend(output_cells(&header, result.as_ref(), family, lang));
        out.write_record(&cells)?;
    }
    out.flush()?;
    report.summary(rows);
    Ok(())
}

/// The computed cells of one row (all empty for a bad row).
fn output_cells(
    header: &Header,
    result: Option<&AqiResult>,
    family: Family,
    lang: Lang,
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
            .map_or_else(String::new, |c| category_name(c, family, lang)),
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

fn category_name(c: Category, family: Family, lang: Lang) -> String {
    match (lang, family) {
        (Lang::Zh, _) => c.name_zh(),
        (Lang::En, Family::China) => c.name_en(),
        (Lang::En, Family::Epa) => c.epa_name(),
    }
    .to_string()
}

/// Parses and computes one row; `None` (after reporting) for a bad row.
fn compute_row(
    header: &Header,
    record: &csv::StringRecord,
    standard: Standard,
    mode: Mode,
    seen: &mut HashSet<(NaiveDateTime, String)>,
    report: &mut Reporter,
) -> Option<AqiResult> {
    let line = line_of(record);
    row_key(header, record, seen, report)?;
    let epa = standard.family() == Family::Epa;
    let mut values: Vec<(&'static str, Option<f64>, &Column)> = Vec::new();
    let mut bad = false;
    for c in &header.columns {
        let text = record.get(c.index).unwrap_or("");
        match parse_value(text) {
            Ok(Some(v)) if v < 0.0 && !epa => {
                report.error(
                    line,
                    Some(&c.header),
                    &format!("negative concentration {v}"),
                );
                bad = true;
            }
            Ok(v) => {
                if let Some(x) = v.filter(|x| *x < 0.0) {
                    report.warn(line, &c.header, &format!("negative value {x} counted as 0"));
                }
                values.push((c.spec.code, v, c));
            }
            Err(msg) => {
                report.error(line, Some(&c.header), &msg);
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
        (Some(rules), _) if mode == Mode::Hourly => Some(china::hourly_aqi(
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

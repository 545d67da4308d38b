//! `lantian aqi`: AQI of a CSV of concentrations (HJ 633 hourly/daily, EPA daily), by the
//! library's [`lantian::aqi::csv::aqi_csv`].
//!
//! The CSV helpers it shares with `lantian nowcast` are in [`input`].

pub(super) mod input;

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use lantian::aqi::Standard;
use lantian::aqi::csv::{AqiCsvOptions, CategoryNames, Mode as CsvMode, aqi_csv};

use input::{open_output, print_problem};

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

/// Runs `lantian aqi`.
pub(super) fn run(args: AqiArgs) -> anyhow::Result<()> {
    let mode = match args.mode {
        Mode::Hourly => CsvMode::Hourly,
        Mode::Daily => CsvMode::Daily,
    };
    if mode == CsvMode::Hourly && args.standard.epa_table().is_some() {
        bail!(
            "--standard {} needs --mode daily: the EPA AQI is defined on 24-h and 8-h \
             averages (use `lantian nowcast` for hourly PM or ozone)",
            args.standard
        );
    }
    let names = match args.lang {
        None => CategoryNames::default_for(args.standard),
        Some(Lang::Zh) => CategoryNames::Zh,
        Some(Lang::En) => CategoryNames::En,
    };
    let file = std::fs::File::open(&args.input)
        .with_context(|| format!("opening {}", args.input.display()))?;
    let out = open_output(args.output.as_deref())?;
    let options = AqiCsvOptions {
        standard: args.standard,
        mode,
        names,
    };
    let summary = aqi_csv(
        std::io::BufReader::new(file),
        out,
        options,
        &mut print_problem,
    )
    .with_context(|| args.input.display().to_string())?;
    if summary.any() {
        eprintln!("{summary}");
    }
    Ok(())
}

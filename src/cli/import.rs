//! `lantian import`: historical hourly data from files into the store.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chrono_tz::Tz;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use lantian::config::Config;
use lantian::import::{Format, ImportOptions, IssueKind, Phase, Progress, Summary};
use lantian::store::StoreUrl;

use super::table::Table;

/// Issues printed before "… and N more".
const SHOWN_ISSUES: usize = 30;

/// Input format.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Beijing multi-site files (PRSA_Data_*.csv, UCI): local Beijing time, CO in µg/m³.
    Prsa,
    /// openair `mydata` (London Marylebone Road): GMT hour-beginning, gases in ppb/ppm.
    Openair,
    /// Wide CSV: time,station,<parameter>[unit],… plus optional name, district, lat, lon.
    Csv,
    /// The national network as CNEMC publishes it: the long layout (time_local,station_code,…)
    /// or the daily china_sites_YYYYMMDD.csv files, plain or .xz; hour-ending Beijing time.
    Cnemc,
}

/// Options of `lantian import`.
#[derive(Debug, Args)]
pub(super) struct ImportArgs {
    /// Input format.
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Files to import (all in the same format).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Time zone of times without an offset [default: Asia/Shanghai; UTC for openair].
    #[arg(long, value_name = "TZ", value_parser = parse_tz)]
    time_zone: Option<Tz>,
    /// Store every row under this station id instead of the file's.
    #[arg(long, value_name = "ID")]
    station: Option<String>,
    /// Reference temperature (°C) for ppb/ppm → µg/m³ [default: 25; 20 for openair].
    #[arg(long, value_name = "C", allow_negative_numbers = true)]
    reference_temperature: Option<f64>,
    /// The national station list (cnemc): code, name, city, lon, lat and whether each is a
    /// background site; without it every station code must already be in the store.
    #[arg(long, value_name = "FILE")]
    stations: Option<PathBuf>,
    /// Only store the hourly means; do not compute the hourly and daily AQI of the imported
    /// days (run `lantian compute` later).
    #[arg(long)]
    no_indices: bool,
}

fn parse_tz(text: &str) -> Result<Tz, String> {
    text.parse::<Tz>()
        .map_err(|_| format!("unknown time zone `{text}` (use an IANA name like Asia/Shanghai)"))
}

/// A progress bar over the bytes of the input (hidden when stderr is not a terminal).
struct Bar(ProgressBar);

impl Progress for Bar {
    fn begin(&self, phase: Phase, total_bytes: u64) {
        self.0.reset();
        self.0.set_length(total_bytes);
        self.0.set_message(match phase {
            Phase::Checking => "checking",
            Phase::Importing => "importing",
        });
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn end(&self) {
        self.0.set_position(self.0.length().unwrap_or(0));
    }
}

/// Runs the import.
pub(super) fn run(config: &Config, args: ImportArgs) -> anyhow::Result<()> {
    let format = match args.format {
        FormatArg::Prsa => Format::Prsa,
        FormatArg::Openair => Format::Openair,
        FormatArg::Csv => Format::WideCsv,
        FormatArg::Cnemc => Format::Cnemc,
    };
    let options = ImportOptions {
        time_zone: args.time_zone,
        station: args.station,
        reference_temperature_c: args.reference_temperature,
        stations: args.stations,
        index: (!args.no_indices).then_some(config.aqi),
        ..ImportOptions::default()
    };
    let mut store = super::open_bulk_store_url(&config.store)?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{wide_bar}] {binary_bytes}/{binary_total_bytes} (eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let result = lantian::import::import(
        store.as_mut(),
        format,
        &args.files,
        &options,
        &Bar(bar.clone()),
    );
    bar.finish_and_clear();
    let summary = result.with_context(|| format!("importing into {}", config.store))?;
    print_issues(&summary);
    print_summary(
        &summary,
        format,
        &config.store,
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

fn print_issues(summary: &Summary) {
    for issue in summary.issues.iter().take(SHOWN_ISSUES) {
        let kind = match issue.kind {
            IssueKind::RowRejected => "rejected row",
            IssueKind::ValueRejected => "rejected value",
            IssueKind::Duplicate => "duplicate",
        };
        eprintln!("{kind}: {issue}");
    }
    let more = summary.issues_total - summary.issues.len().min(SHOWN_ISSUES) as u64;
    if more > 0 {
        eprintln!("… and {more} more issues");
    }
}

fn print_summary(summary: &Summary, format: Format, store: &StoreUrl, seconds: f64) {
    println!(
        "imported {} file(s) ({format}) into {store} in {seconds:.1} s",
        summary.files
    );
    let t = &summary.timings;
    println!(
        "phases: checking {:.1} s, writing {:.1} s, indices {:.1} s",
        t.checking.as_secs_f64(),
        t.writing.as_secs_f64(),
        t.indices.as_secs_f64()
    );
    println!(
        "rows read {}, rejected {}, replaced by a later duplicate {}; values rejected {}",
        summary.rows_read, summary.rows_rejected, summary.rows_superseded, summary.values_rejected
    );
    if !summary.stations_created.is_empty() {
        println!("stations created: {}", summary.stations_created.join(", "));
    }
    if !summary.stations_updated.is_empty() {
        println!(
            "stations completed (district/coordinates): {}",
            summary.stations_updated.join(", ")
        );
    }
    if !summary.stations_without_city.is_empty() {
        println!(
            "stations without a city (they count for no city): {}",
            summary.stations_without_city.join(", ")
        );
    }
    let mut table = Table::new(&["parameter", "unit", "records"], &["records"]);
    for (parameter, n) in &summary.records {
        table.push(vec![
            parameter.code().to_string(),
            parameter.canonical_unit().symbol().to_string(),
            n.to_string(),
        ]);
    }
    table.push(vec![
        "total".to_string(),
        String::new(),
        summary.records_written().to_string(),
    ]);
    print!("{}", table.render());
    if summary.indices > 0 {
        println!(
            "hourly and daily AQI computed: {} index records",
            summary.indices
        );
    }
}

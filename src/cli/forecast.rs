//! `lantian forecast train|backtest|run|skill`: statistical PM2.5 / PM10 / O3 and AQI
//! forecasts, and the live skill of the stored ones.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use clap::{Args, Subcommand, ValueEnum};
use lantian::assess::local_midnight;
use lantian::config::Config;
use lantian::forecast::from_store::{
    BacktestProgress, BacktestRequest, backtest_from_store, latest_issue_time, train_from_store,
};
use lantian::forecast::issue::{DEFAULT_MODEL_FILE, issue, issue_and_store};
use lantian::forecast::model::{ModelSet, TrainOptions};
use lantian::forecast::skill::live_skill;
use lantian::forecast::weather::WeatherFile;
use lantian::store::Stations;
use lantian::store::network_zone;

use super::table::Table;

mod render;
use render::{render_backtest, render_skill, run_table, write_days};

/// Options of `lantian forecast`.
#[derive(Debug, Args)]
pub(super) struct ForecastArgs {
    #[command(subcommand)]
    command: ForecastCommand,
    /// The model file.
    #[arg(
        long,
        global = true,
        default_value = DEFAULT_MODEL_FILE,
        value_name = "FILE"
    )]
    models: PathBuf,
    /// Stations (all the store knows when omitted).
    #[arg(long = "station", global = true, value_name = "ID")]
    stations: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum ForecastCommand {
    /// Train one model per target and horizon group on the stored hourly data up to a day.
    Train {
        /// First local day of the training period [default: three years before --to].
        #[arg(long)]
        from: Option<NaiveDate>,
        /// End of the training period: the local day *after* the last one used.
        #[arg(long)]
        to: NaiveDate,
        /// Hours between training issue times.
        #[arg(long, default_value_t = 3)]
        stride: usize,
        /// Train the forecast-weather variant: features of the weather at the valid time, learnt
        /// from the observed weather (perfect prognosis); run it with `forecast run --weather`.
        #[arg(long)]
        weather_features: bool,
        /// Coverage (0–1) of the central interval of ln(observed / forecast daily AQI) that
        /// makes the published AQI range.
        #[arg(long, default_value_t = lantian::forecast::range::DEFAULT_COVERAGE)]
        range_coverage: f64,
    },
    /// Rolling-origin backtest of the saved models over a period.
    Backtest {
        /// First local day of issue times.
        #[arg(long)]
        from: NaiveDate,
        /// End (exclusive local day) of issues and verifying observations.
        #[arg(long)]
        to: NaiveDate,
        /// Hours between issue times.
        #[arg(long, default_value_t = 6)]
        step: usize,
        /// Local hour of the daily issue (next-day categories). The default is the scheduled
        /// `forecast` job's afternoon issue (17:00), the forecast the daily report shows; issue
        /// times are aligned to it (every `--step` hours), so with the default step of 6 the
        /// backtest issues at 05, 11, 17 and 23 h, the job's two issue hours among them.
        #[arg(long, default_value_t = 17)]
        daily_issue_hour: u32,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Store the metrics in the model file.
        #[arg(long)]
        attach: bool,
        /// Stand the observed weather at the valid time in for a weather forecast (needed by a
        /// forecast-weather model set; an upper bound of what a real weather forecast gives).
        #[arg(long)]
        perfect_prognosis: bool,
        /// Write every verified next-day forecast (station, date, forecast and observed PM2.5,
        /// PM10, O3 8-h max) to a CSV file.
        #[arg(long, value_name = "FILE.csv")]
        days: Option<PathBuf>,
        /// Re-train the models before the first issue and then every DAYS days, with the
        /// saved set's training options, on the data from its training start up to then
        /// (rolling origin with updating; the fixed saved set otherwise), on the set's stations
        /// unless `--station` names others.
        #[arg(long, value_name = "DAYS")]
        refit: Option<u32>,
    },
    /// Issue a forecast from the stored data.
    Run {
        /// Issue time (RFC 3339; a whole hour) [default: the latest stored hour].
        #[arg(long)]
        at: Option<DateTime<Utc>>,
        /// Forecast weather for the hours ahead (CSV: time, station or `network`, u/v or
        /// wind_speed/wind_direction, temperature, dew_point or humidity, pressure, rain);
        /// needed by a model set trained with `--weather-features`.
        #[arg(long, value_name = "FILE.csv")]
        weather: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Store the forecast (hourly values and daily AQI) beside the observations, as the
        /// scheduled `forecast` job does; a forecast of the same issue time is replaced.
        #[arg(long)]
        store_results: bool,
    },
    /// Live skill of the stored forecasts against the observations that came later.
    Skill {
        /// First local day of issue times.
        #[arg(long)]
        from: NaiveDate,
        /// End (exclusive local day) of issue times.
        #[arg(long)]
        to: NaiveDate,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Aligned text.
    Table,
    /// JSON.
    Json,
}

/// Runs `lantian forecast`.
pub(super) fn run(config: &Config, args: ForecastArgs) -> anyhow::Result<()> {
    let store = super::open_store(config)?;
    let tz = network_zone(&store.stations()?);
    match args.command {
        ForecastCommand::Train {
            from,
            to,
            stride,
            weather_features,
            range_coverage,
        } => {
            if !(range_coverage > 0.0 && range_coverage < 1.0) {
                bail!("--range-coverage {range_coverage} is not between 0 and 1");
            }
            let from = from.unwrap_or(to - TimeDelta::days(3 * 365));
            if to <= from {
                bail!("--to {to} is not after --from {from}");
            }
            let (start, end) = (local_midnight(from, tz), local_midnight(to, tz));
            let opt = TrainOptions {
                stride,
                daily_stride: stride,
                weather: weather_features,
                range_coverage,
                ..Default::default()
            };
            let trained = train_from_store(store.as_ref(), &args.stations, start, end, &opt)
                .context("training")?;
            let set = trained.set;
            set.save(&args.models)?;
            println!(
                "trained {} models on {} station(s), {} … {} (loaded in {:.1} s, trained in {:.1} s) → {}",
                set.models.len(),
                trained.stations,
                from,
                to,
                trained.loaded.as_secs_f64(),
                trained.trained.as_secs_f64(),
                args.models.display()
            );
            let mut t = Table::new(
                &[
                    "target", "horizons", "scale", "penalty", "blend", "samples", "dropped",
                ],
                &["penalty", "blend", "samples", "dropped"],
            );
            let hourly = set.models.iter().map(|m| {
                (
                    format!("{}–{} h", m.horizons.0, m.horizons.1),
                    m.target,
                    &m.fit,
                )
            });
            let daily = set
                .daily
                .iter()
                .map(|m| (format!("day +{}", m.lead), m.target, &m.fit));
            for (horizons, target, fit) in hourly.chain(daily) {
                t.push(vec![
                    target.code().into(),
                    horizons,
                    format!("{:?}", fit.scale).to_lowercase(),
                    format!("{:.0e}", fit.penalty),
                    format!("{:.2}", fit.blend),
                    fit.samples.0.to_string(),
                    (fit.samples.1 + fit.samples.2).to_string(),
                ]);
            }
            print!("{}", t.render());
            let r = &set.aqi_range;
            println!(
                "AQI range: central {:.0} % interval of ln(observed / forecast daily AQI) for {} lead-day × issue-hour cells (persistence: {})",
                100.0 * r.coverage,
                r.model.len(),
                r.persistence.len()
            );
            Ok(())
        }
        ForecastCommand::Backtest {
            from,
            to,
            step,
            daily_issue_hour,
            format,
            attach,
            perfect_prognosis,
            days,
            refit,
        } => {
            if to <= from || step == 0 {
                bail!("need --from < --to and --step > 0");
            }
            if refit == Some(0) {
                bail!("--refit needs a number of days > 0");
            }
            if refit.is_some() && attach {
                bail!(
                    "--attach stores the metrics of the saved models: not with --refit, whose \
                     models are re-trained"
                );
            }
            let mut set = ModelSet::load(&args.models)?;
            let request = BacktestRequest {
                stations: &args.stations,
                start: local_midnight(from, tz),
                end: local_midnight(to, tz),
                step,
                daily_issue_hour,
                perfect_prognosis,
                refit,
            };
            let report = backtest_from_store(store.as_ref(), &set, request, |p| match p {
                BacktestProgress::Loaded {
                    stations,
                    from,
                    to,
                    took,
                } => eprintln!(
                    "loaded {stations} station(s), {from} … {to} in {:.1} s",
                    took.as_secs_f64()
                ),
                BacktestProgress::Refitted(r) => eprintln!(
                    "refit {}/{}: trained {} … {} in {:.1} s",
                    r.index,
                    r.of,
                    r.models.trained_from,
                    r.models.trained_to,
                    r.took.as_secs_f64()
                ),
            })
            .with_context(|| format!("backtesting {}", args.models.display()))?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                Format::Table => print!("{}", render_backtest(&report)),
            }
            if let Some(path) = &days {
                write_days(path, &report).with_context(|| format!("writing {}", path.display()))?;
            }
            if attach {
                set.metrics = Some(serde_json::to_value(&report)?);
                set.save(&args.models)?;
            }
            Ok(())
        }
        ForecastCommand::Run {
            at,
            format,
            store_results,
            weather,
        } => {
            let set = ModelSet::load(&args.models)?;
            let at = match at {
                Some(t) => t,
                None => latest_issue_time(store.as_ref())?,
            };
            let clock = Instant::now();
            let weather = weather.as_deref().map(WeatherFile::read).transpose()?;
            let weather = weather.as_ref();
            let run = if store_results {
                let mut store = store;
                let (run, written) =
                    issue_and_store(store.as_mut(), &set, &args.stations, at, weather)?;
                eprintln!("stored {written} forecast entries");
                run
            } else {
                issue(store.as_ref(), &set, &args.stations, at, weather)?
            };
            tracing::info!("forecast run in {:.3} s", clock.elapsed().as_secs_f64());
            eprintln!("{}", run.summary());
            let forecasts = run.forecasts;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&forecasts)?),
                Format::Table => {
                    println!("forecast issued at {at} (data labelled up to then)");
                    print!("{}", run_table(&forecasts));
                }
            }
            Ok(())
        }
        ForecastCommand::Skill { from, to, format } => {
            if to <= from {
                bail!("--to {to} is not after --from {from}");
            }
            let stations = match args.stations.is_empty() {
                true => Stations::All,
                false => Stations::only(args.stations.iter().map(String::as_str)),
            };
            let report = live_skill(
                store.as_ref(),
                &stations,
                local_midnight(from, tz),
                local_midnight(to, tz),
            )?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                Format::Table => print!("{}", render_skill(&report)),
            }
            Ok(())
        }
    }
}

//! `lantian forecast train|backtest|run|skill`: statistical PM2.5 / PM10 / O3 and AQI
//! forecasts, and the live skill of the stored ones.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use clap::{Args, Subcommand, ValueEnum};
use lantian::assess::local_midnight;
use lantian::config::Config;
use lantian::forecast::backtest::{BacktestOptions, BacktestReport, backtest};
use lantian::forecast::features::FeatureContext;
use lantian::forecast::issue::{DEFAULT_MODEL_FILE, issue, issue_and_store};
use lantian::forecast::model::{ModelSet, TrainOptions, train};
use lantian::forecast::series::Grid;
use lantian::forecast::skill::{SkillReport, live_skill};
use lantian::forecast::weather::{ForecastWeather, WeatherFile};
use lantian::report::figures::network_zone;
use lantian::store::{Resolution, StationId};

use super::table::Table;

/// Options of `lantian forecast`.
#[derive(Debug, Args)]
pub struct ForecastArgs {
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
pub fn run(config: &Config, args: ForecastArgs) -> anyhow::Result<()> {
    let store = super::open_store(config)?;
    let tz = network_zone(&store.stations()?);
    match args.command {
        ForecastCommand::Train {
            from,
            to,
            stride,
            weather_features,
        } => {
            let from = from.unwrap_or(to - TimeDelta::days(3 * 365));
            if to <= from {
                bail!("--to {to} is not after --from {from}");
            }
            let (start, end) = (local_midnight(from, tz), local_midnight(to, tz));
            let clock = Instant::now();
            let grid = Grid::load(store.as_ref(), &args.stations, start, end)?;
            let loaded = clock.elapsed();
            let opt = TrainOptions {
                stride,
                daily_stride: stride,
                weather: weather_features,
                ..Default::default()
            };
            let set = train(&grid, grid.len, &opt).context("training")?;
            set.save(&args.models)?;
            println!(
                "trained {} models on {} station(s), {} … {} (loaded in {:.1} s, trained in {:.1} s) → {}",
                set.models.len(),
                grid.stations.len(),
                from,
                to,
                loaded.as_secs_f64(),
                (clock.elapsed() - loaded).as_secs_f64(),
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
        } => {
            if to <= from || step == 0 {
                bail!("need --from < --to and --step > 0");
            }
            let mut set = ModelSet::load(&args.models)?;
            if set.weather && !perfect_prognosis {
                bail!(
                    "{} needs forecast weather: backtest it with --perfect-prognosis",
                    args.models.display()
                );
            }
            let start = local_midnight(from, tz);
            // 2 days of history before the first issue for lags and means.
            let grid_start = start - TimeDelta::days(2);
            let end = local_midnight(to, tz);
            if start < set.trained_to {
                tracing::warn!(
                    "the backtest starts before the end of the training period ({}): scores are optimistic",
                    set.trained_to
                );
            }
            let grid = Grid::load(store.as_ref(), &args.stations, grid_start, end)?;
            let observed = ForecastWeather::observed(&grid);
            let mut ctx = FeatureContext::new(&grid, &set.climatology);
            if perfect_prognosis {
                ctx = ctx.with_weather(&observed);
            }
            let report = backtest(
                &ctx,
                &set,
                BacktestOptions {
                    from: 48,
                    to: grid.len,
                    step,
                    daily_issue_hour,
                },
            );
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
                None => store
                    .latest(Resolution::Hour, None)?
                    .iter()
                    .map(|r| r.time)
                    .max()
                    .context("the store holds no hourly records")?,
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
                    let mut tab = Table::new(
                        &[
                            "station",
                            "next 24 h max AQI",
                            "tomorrow",
                            "AQI",
                            "day after",
                            "AQI ",
                            "abstained (no skill from)",
                            "missing inputs",
                        ],
                        &["next 24 h max AQI", "AQI", "AQI "],
                    );
                    for f in &forecasts {
                        let day = |i: usize| {
                            f.days
                                .get(i)
                                .map_or(("—".to_string(), "—".to_string()), |d| {
                                    (
                                        d.category.map_or("—".into(), |c| format!("{c:?}")),
                                        d.aqi.map_or("—".into(), |a| a.to_string()),
                                    )
                                })
                        };
                        let (c1, a1) = day(0);
                        let (c2, a2) = day(1);
                        tab.push(vec![
                            f.station.clone(),
                            f.hours[..24]
                                .iter()
                                .filter_map(|h| h.aqi)
                                .max()
                                .map_or("—".into(), |a| a.to_string()),
                            c1,
                            a1,
                            c2,
                            a2,
                            f.abstained
                                .iter()
                                .map(|t| t.code().to_string())
                                .chain(
                                    f.beyond_skill
                                        .iter()
                                        .map(|(t, h)| format!("{} ≥ {h} h", t.code())),
                                )
                                .collect::<Vec<_>>()
                                .join(","),
                            f.missing.iter().copied().collect::<Vec<_>>().join(","),
                        ]);
                    }
                    println!("forecast issued at {at} (data labelled up to then)");
                    print!("{}", tab.render());
                }
            }
            Ok(())
        }
        ForecastCommand::Skill { from, to, format } => {
            if to <= from {
                bail!("--to {to} is not after --from {from}");
            }
            let stations: Vec<StationId> =
                args.stations.iter().map(|s| s.as_str().into()).collect();
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

/// Live skill as text tables.
fn render_skill(r: &SkillReport) -> String {
    if r.hours.is_empty() && r.days.is_empty() {
        return format!(
            "no stored forecast issued {} … {} has verifying observations yet\n",
            r.from, r.to
        );
    }
    let num = ["n", "RMSE", "MAE", "bias", "pers. RMSE", "skill vs pers."];
    let mut header = vec!["parameter", "hours"];
    header.extend(num);
    let mut t = Table::new(&header, &num);
    for m in &r.hours {
        t.push(vec![
            m.parameter.into(),
            format!("{}–{} h", m.horizons.0, m.horizons.1),
            m.n.to_string(),
            format!("{:.1}", m.rmse),
            format!("{:.1}", m.mae),
            format!("{:+.1}", m.bias),
            format!("{:.1}", m.persistence_rmse),
            m.skill
                .map_or("—".into(), |s| format!("{:+.1} %", 100.0 * s)),
        ]);
    }
    let dnum = [
        "lead day",
        "n",
        "abstained",
        "category hit rate",
        "AQI MAE",
        "pers. n",
        "pers. hit rate",
    ];
    let mut d = Table::new(&dnum, &dnum);
    let pct = |v: f64| {
        if v.is_finite() {
            format!("{:.1} %", 100.0 * v)
        } else {
            "—".into()
        }
    };
    for m in &r.days {
        d.push(vec![
            m.lead_day.to_string(),
            m.n.to_string(),
            m.abstained.to_string(),
            pct(m.hit_rate),
            if m.aqi_mae.is_finite() {
                format!("{:.1}", m.aqi_mae)
            } else {
                "—".into()
            },
            m.persistence_n.to_string(),
            pct(m.persistence_hit_rate),
        ]);
    }
    format!(
        "live skill of forecasts issued {} … {} (µg/m³, AQI; skill = 1 − RMSE/RMSE of persistence)\n{}\ndaily AQI category (lead day 1 = the day after the issue day)\n{}",
        r.from,
        r.to,
        t.render(),
        d.render()
    )
}

/// The verified next-day forecasts of a backtest as CSV.
fn write_days(path: &std::path::Path, r: &BacktestReport) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "station",
        "date",
        "pm25",
        "pm10",
        "o3_8h_max",
        "obs_pm25",
        "obs_pm10",
        "obs_o3_8h_max",
    ])?;
    for d in &r.days {
        let mut rec = vec![d.station.clone(), d.date.to_string()];
        rec.extend(
            d.forecast
                .iter()
                .chain(&d.observed)
                .map(|v| format!("{v:.1}")),
        );
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

/// The backtest as text tables.
fn render_backtest(r: &BacktestReport) -> String {
    let num = [
        "h",
        "n",
        "abstained",
        "RMSE",
        "MAE",
        "bias",
        "R²",
        "pers. RMSE",
        "clim. RMSE",
        "skill vs pers.",
        "skill vs clim.",
    ];
    // Horizons not published (no validation skill) have no samples.
    let shown = |n: usize, text: String| if n > 0 { text } else { "—".into() };
    let mut header = vec!["target"];
    header.extend(num);
    let mut t = Table::new(&header, &num);
    for m in &r.horizons {
        t.push(vec![
            m.target.into(),
            m.horizon.to_string(),
            m.n.to_string(),
            m.abstained.to_string(),
            shown(m.n, format!("{:.1}", m.rmse)),
            shown(m.n, format!("{:.1}", m.mae)),
            shown(m.n, format!("{:+.1}", m.bias)),
            shown(m.n, format!("{:.2}", m.r2)),
            shown(m.n, format!("{:.1}", m.persistence_rmse)),
            shown(m.n, format!("{:.1}", m.climatology_rmse)),
            shown(m.n, format!("{:+.1} %", 100.0 * m.skill_persistence)),
            shown(m.n, format!("{:+.1} %", 100.0 * m.skill_climatology)),
        ]);
    }
    let d = &r.daily;
    format!(
        "backtest {} … {}, issued every {} h (µg/m³; skill = 1 − RMSE/RMSE_ref)\n{}\n\
         next-day category: model {:.1} %, persistence {:.1} %, climatology {:.1} % of {} station-days\n\
         next-day mean PM2.5 RMSE: model {:.1}, persistence {:.1}\n({})\n",
        r.from,
        r.to,
        r.step_hours,
        t.render(),
        100.0 * d.category_accuracy,
        100.0 * d.persistence_accuracy,
        100.0 * d.climatology_accuracy,
        d.n,
        d.pm25_rmse,
        d.pm25_persistence_rmse,
        d.definition
    )
}

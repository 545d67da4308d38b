//! What the scheduled jobs do, and the jobs a network runs by default.
//!
//! Every kind works on the last complete period before its scheduled time, in the network's
//! time zone: a daily report scheduled at 08:00 on the 27th is the report of the 26th; a
//! monthly ranking scheduled on 1 March ranks February; the `sources` job at 07:00 on the 27th
//! flags the episodes that began on the 26th, in time for the daily report. The `forecast`
//! kind is the exception: it issues a forecast at its scheduled time (the whole hour at or before it) from the data
//! labelled up to then, and stores it ([`crate::forecast::issue`]).

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, DurationRound, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::schedule::{Schedule, ScheduleError};
use super::scheduler::{CatchUp, JobFn, Retry, ScheduledJob};
use crate::assess::{GroupBy, Period};
use crate::compute::{IndexConfig, IndexStage};
use crate::forecast::issue::{DEFAULT_MODEL_FILE, issue_and_store};
use crate::forecast::model::ModelSet;
use crate::forecast::weather::WeatherFile;
use crate::report::{DeviceSpec, ReportConfig, daily_report, health_report, ranking_report};
use crate::store::{Store, StoreError};

use super::sources::{DEFAULT_CONTEXT_DAYS, FlagRun, flag_day, job_analysis};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobKind {
    /// The leadership's daily report of the previous day.
    DailyReport,
    /// The maintainers' device-health report of the previous day.
    HealthReport,
    /// The ranking of the previous month (by district unless `by` says otherwise).
    MonthlyRanking,
    /// The ranking of the previous quarter.
    QuarterlyRanking,
    /// The ranking of the previous year.
    AnnualRanking,
    /// Recompute the previous day's hourly and daily AQI of every station (a safety net for
    /// hourly means that arrived or were corrected late).
    Indices,
    /// Flag the local episodes that began the previous day, with their evidence
    /// ([`super::sources`]).
    Sources,
    /// Issue a forecast of every station at the scheduled hour and store it.
    Forecast,
}

impl JobKind {
    /// The name used in configuration files.
    pub const fn name(self) -> &'static str {
        match self {
            JobKind::DailyReport => "daily-report",
            JobKind::HealthReport => "health-report",
            JobKind::MonthlyRanking => "monthly-ranking",
            JobKind::QuarterlyRanking => "quarterly-ranking",
            JobKind::AnnualRanking => "annual-ranking",
            JobKind::Indices => "indices",
            JobKind::Sources => "sources",
            JobKind::Forecast => "forecast",
        }
    }
}

/// Grouping of a ranking job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RankBy {
    /// Stations.
    Station,
    /// Districts / towns.
    #[default]
    District,
}

/// One `[[job]]` of the configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    /// Unique name (`lantian jobs run NAME`).
    pub name: String,
    /// Cron expression, 5 fields (`m h dom mon dow`) or 6/7 with seconds first, in the
    /// network's time zone.
    pub schedule: String,
    /// What it does.
    pub kind: JobKind,
    /// Missed runs after downtime: `skip`, `latest` (default) or `all`.
    #[serde(default)]
    pub catch_up: CatchUp,
    /// Ranking jobs: `district` (default) or `station`.
    #[serde(default)]
    pub by: RankBy,
    /// Attempts after a failed run (default 2; 0 never retries).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Seconds between attempts (default 600).
    #[serde(default = "default_retry_delay_s")]
    pub retry_delay_s: u64,
    /// `sources` jobs: days of data before the analysed day for the network background and
    /// each station's episode threshold (default 30; 1 to 366).
    #[serde(default = "default_context_days")]
    pub context_days: u32,
    /// Forecast jobs: the model file (relative to the configuration file) [default:
    /// `models/forecast.json` in the working directory].
    #[serde(default)]
    pub models: Option<PathBuf>,
    /// Forecast jobs: a forecast-weather CSV kept up to date by the bureau's weather feed
    /// (relative to the configuration file), read at each run; required by a model set
    /// trained with forecast weather, refused by one that was not.
    #[serde(default)]
    pub weather: Option<PathBuf>,
}

fn default_retries() -> u32 {
    Retry::default().attempts
}

fn default_retry_delay_s() -> u64 {
    Retry::default().delay.as_secs()
}

fn default_context_days() -> u32 {
    DEFAULT_CONTEXT_DAYS
}

impl JobConfig {
    fn new(name: &str, schedule: &str, kind: JobKind) -> JobConfig {
        JobConfig {
            name: name.into(),
            schedule: schedule.into(),
            kind,
            catch_up: CatchUp::Latest,
            by: RankBy::District,
            retries: default_retries(),
            retry_delay_s: default_retry_delay_s(),
            context_days: DEFAULT_CONTEXT_DAYS,
            models: None,
            weather: None,
        }
    }
}

/// The jobs a network runs when the configuration names none.
pub fn default_jobs() -> Vec<JobConfig> {
    vec![
        JobConfig::new("indices", "30 0 * * *", JobKind::Indices),
        JobConfig::new("sources", "0 7 * * *", JobKind::Sources),
        // 10 minutes past the hour, so that the hour ending then has been stored.
        JobConfig::new("forecast", "10 5,17 * * *", JobKind::Forecast),
        JobConfig::new("health-report", "30 7 * * *", JobKind::HealthReport),
        JobConfig::new("daily-report", "0 8 * * *", JobKind::DailyReport),
        JobConfig::new("monthly-ranking", "0 9 1 * *", JobKind::MonthlyRanking),
        JobConfig::new(
            "quarterly-ranking",
            "0 9 1 1,4,7,10 *",
            JobKind::QuarterlyRanking,
        ),
        JobConfig::new("annual-ranking", "0 9 1 1 *", JobKind::AnnualRanking),
    ]
}

/// Errors building the jobs from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum JobConfigError {
    /// A schedule does not parse.
    #[error("job `{job}`: {source}")]
    Schedule {
        /// The job.
        job: String,
        /// The error.
        #[source]
        source: ScheduleError,
    },
    /// Two jobs share a name.
    #[error("two jobs are named `{0}`")]
    Duplicate(String),
    /// An option is out of range.
    #[error("job `{job}`: {reason}")]
    Option {
        /// The job.
        job: String,
        /// What is wrong.
        reason: String,
    },
}

/// Opens a handle on the store (each run opens its own).
pub type OpenStore = Arc<dyn Fn() -> Result<Box<dyn Store>, StoreError> + Send + Sync>;

/// What the jobs need to know about the network.
#[derive(Clone)]
pub struct JobContext {
    /// The issuing unit shown on reports.
    pub network_name: String,
    /// Local days and schedules are in this zone.
    pub time_zone: Tz,
    /// Devices and what they measure (device-health reports).
    pub devices: Vec<DeviceSpec>,
    /// Where and in which language reports are written.
    pub report: ReportConfig,
    /// AQI settings (the indices job).
    pub index: IndexConfig,
    /// The store.
    pub open_store: OpenStore,
}

/// The previous local day before `scheduled`.
fn previous_day(scheduled: DateTime<Utc>, tz: Tz) -> NaiveDate {
    scheduled.with_timezone(&tz).date_naive() - Days::new(1)
}

/// The last complete period of `kind` before the local date of `scheduled`.
pub fn period_before(kind: JobKind, scheduled: DateTime<Utc>, tz: Tz) -> Option<Period> {
    let today = scheduled.with_timezone(&tz).date_naive();
    let first_of_month = today.with_day(1)?;
    Some(match kind {
        JobKind::MonthlyRanking => {
            let last = first_of_month - Days::new(1);
            Period::Month {
                year: last.year(),
                month: last.month(),
            }
        }
        JobKind::QuarterlyRanking => {
            let quarter_start = first_of_month.with_month((today.month0() / 3) * 3 + 1)?;
            let last = quarter_start - Days::new(1);
            Period::Quarter {
                year: last.year(),
                quarter: last.month0() / 3 + 1,
            }
        }
        JobKind::AnnualRanking => Period::Year(today.year() - 1),
        _ => return None,
    })
}

/// Turns configured jobs into scheduled jobs.
pub fn build_jobs(
    configs: &[JobConfig],
    context: &JobContext,
) -> Result<Vec<ScheduledJob>, JobConfigError> {
    let mut jobs: Vec<ScheduledJob> = Vec::new();
    for config in configs {
        if jobs.iter().any(|j| j.name == config.name) {
            return Err(JobConfigError::Duplicate(config.name.clone()));
        }
        let schedule = Schedule::parse(&config.schedule, context.time_zone).map_err(|source| {
            JobConfigError::Schedule {
                job: config.name.clone(),
                source,
            }
        })?;
        if !(1..=366).contains(&config.context_days) {
            return Err(JobConfigError::Option {
                job: config.name.clone(),
                reason: format!("context_days = {} (must be 1 to 366)", config.context_days),
            });
        }
        let (job_config, context) = (config.clone(), context.clone());
        let run: JobFn = Arc::new(move |scheduled| {
            let (config, context) = (job_config.clone(), context.clone());
            Box::pin(async move {
                tokio::task::spawn_blocking(move || run_kind(&config, scheduled, &context))
                    .await
                    .map_err(|e| format!("job task failed: {e}"))?
            })
        });
        jobs.push(ScheduledJob {
            name: config.name.clone(),
            schedule,
            catch_up: config.catch_up,
            retry: Retry {
                attempts: config.retries,
                delay: std::time::Duration::from_secs(config.retry_delay_s),
            },
            run,
        });
    }
    Ok(jobs)
}

/// The issue time of a forecast scheduled at `scheduled`: the whole hour at or before it.
pub fn forecast_issue_time(scheduled: DateTime<Utc>) -> DateTime<Utc> {
    scheduled
        .duration_trunc(TimeDelta::hours(1))
        .unwrap_or(scheduled)
}

/// Runs a forecast job: loads the model, issues and stores the forecast of every station.
/// Its outputs are the run's summary (stations forecast and abstained, and why) and the
/// number of stored entries.
fn run_forecast(
    store: &mut dyn Store,
    config: &JobConfig,
    scheduled: DateTime<Utc>,
) -> Result<Vec<String>, String> {
    let path = config
        .models
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_MODEL_FILE));
    let set = ModelSet::load(&path).map_err(|e| e.to_string())?;
    let weather = match &config.weather {
        Some(p) => Some(WeatherFile::read(p).map_err(|e| e.to_string())?),
        None => None,
    };
    let at = forecast_issue_time(scheduled);
    let (run, written) =
        issue_and_store(store, &set, &[], at, weather.as_ref()).map_err(|e| e.to_string())?;
    tracing::info!("{}", run.summary());
    Ok(vec![
        run.summary(),
        format!("{written} forecast entries stored"),
    ])
}

/// Runs one job for `scheduled`, returning the outputs it wrote (files, or counts).
fn run_kind(
    config: &JobConfig,
    scheduled: DateTime<Utc>,
    cx: &JobContext,
) -> Result<Vec<String>, String> {
    let mut store = (cx.open_store)().map_err(|e| e.to_string())?;
    let day = previous_day(scheduled, cx.time_zone);
    let name = &cx.network_name;
    let out_dir = || {
        std::fs::create_dir_all(&cx.report.out_dir)
            .map_err(|e| format!("{}: {e}", cx.report.out_dir.display()))
    };
    let files = match config.kind {
        JobKind::DailyReport => {
            out_dir()?;
            daily_report(store.as_ref(), name, day, &cx.report)
        }
        JobKind::HealthReport => {
            out_dir()?;
            health_report(store.as_ref(), name, day, &cx.devices, &cx.report)
        }
        JobKind::MonthlyRanking | JobKind::QuarterlyRanking | JobKind::AnnualRanking => {
            out_dir()?;
            let period = period_before(config.kind, scheduled, cx.time_zone)
                .ok_or("no period before this date")?;
            let group = match config.by {
                RankBy::Station => GroupBy::Station,
                RankBy::District => GroupBy::District,
            };
            ranking_report(store.as_ref(), name, period, group, &cx.report)
        }
        JobKind::Indices => {
            let mut stage = IndexStage::new(cx.index);
            let mut written = 0;
            for station in store.stations().map_err(|e| e.to_string())? {
                written += stage
                    .recompute(store.as_mut(), &station.id, day, day)
                    .map_err(|e| e.to_string())?;
            }
            return Ok(vec![format!("{written} index records for {day}")]);
        }
        JobKind::Sources => {
            let run = FlagRun {
                job: &config.name,
                scheduled,
            };
            let done = flag_day(
                store.as_mut(),
                day,
                cx.time_zone,
                config.context_days,
                &job_analysis(cx.time_zone),
                run,
            )
            .map_err(|e| e.to_string())?;
            return Ok(vec![done.to_string()]);
        }
        JobKind::Forecast => {
            return run_forecast(store.as_mut(), config, scheduled);
        }
    };
    let files = files.map_err(|e| e.to_string())?;
    let mut outputs = vec![files.html.display().to_string()];
    outputs.extend(files.csv.iter().map(|p| p.display().to_string()));
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use chrono_tz::Asia::Shanghai;

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn periods_before_the_scheduled_time() {
        // 1 January 09:00 Shanghai: the month, quarter and year that just ended.
        let t = at("2027-01-01T09:00:00+08:00");
        assert_eq!(
            period_before(JobKind::MonthlyRanking, t, Shanghai),
            Some(Period::Month {
                year: 2026,
                month: 12
            })
        );
        assert_eq!(
            period_before(JobKind::QuarterlyRanking, t, Shanghai),
            Some(Period::Quarter {
                year: 2026,
                quarter: 4
            })
        );
        assert_eq!(
            period_before(JobKind::AnnualRanking, t, Shanghai),
            Some(Period::Year(2026))
        );
        // 1 March (a leap year's February) and mid-quarter.
        let t = at("2028-03-01T09:00:00+08:00");
        assert_eq!(
            period_before(JobKind::MonthlyRanking, t, Shanghai),
            Some(Period::Month {
                year: 2028,
                month: 2
            })
        );
        let t = at("2026-05-20T09:00:00+08:00");
        assert_eq!(
            period_before(JobKind::QuarterlyRanking, t, Shanghai),
            Some(Period::Quarter {
                year: 2026,
                quarter: 1
            })
        );
        // 00:30 local on the 1st is still the previous UTC day: the local date decides.
        let t = at("2026-12-01T00:30:00+08:00");
        assert_eq!(
            previous_day(t, Shanghai),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        assert_eq!(
            period_before(JobKind::MonthlyRanking, t, Shanghai),
            Some(Period::Month {
                year: 2026,
                month: 11
            })
        );
    }

    #[test]
    fn sources_jobs_check_their_context_window() {
        let text = "name = \"flags\"\nschedule = \"0 7 * * *\"\nkind = \"sources\"\n";
        let job: JobConfig = toml::from_str(text).unwrap();
        assert_eq!((job.kind, job.context_days), (JobKind::Sources, 30));
        let cx = JobContext {
            network_name: "test".into(),
            time_zone: Shanghai,
            devices: Vec::new(),
            report: ReportConfig::default(),
            index: IndexConfig::default(),
            open_store: Arc::new(|| crate::store::open(&"sqlite:/nowhere/x.db".parse().unwrap())),
        };
        assert_eq!(
            build_jobs(std::slice::from_ref(&job), &cx).unwrap().len(),
            1
        );
        for days in [0, 367] {
            let bad = JobConfig {
                context_days: days,
                ..job.clone()
            };
            let err = build_jobs(&[bad], &cx).err().unwrap();
            assert!(
                err.to_string().contains(&format!("context_days = {days}")),
                "{err}"
            );
        }
    }

    #[test]
    fn default_jobs_parse() {
        for job in default_jobs() {
            Schedule::parse(&job.schedule, Shanghai).unwrap();
        }
    }
}

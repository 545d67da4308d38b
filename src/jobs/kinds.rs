//! What the scheduled jobs do.
//!
//! Every kind works on the last complete period before its scheduled time, in the network's
//! time zone: a daily report scheduled at 08:00 on the 27th is the report of the 26th; a
//! monthly ranking scheduled on 1 March ranks February; the `sources` job at 07:00 on the 27th
//! flags the episodes that began on the 26th, in time for the daily report. The `forecast`
//! kind is the exception: it issues a forecast at its scheduled time (the whole hour at or
//! before it) from the data labelled up to then, and stores it ([`crate::forecast::issue`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, DurationRound, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

#[cfg(feature = "reports")]
use super::config::RankBy;
use super::config::{JobConfig, JobKind, RankingPeriod};
use super::order::{OrderError, check_order};
use super::schedule::{Schedule, ScheduleError};
use super::scheduler::{JobFn, ScheduledJob};
#[cfg(feature = "analysis")]
use super::sources::{FlagRun, flag_day, job_analysis};
#[cfg(feature = "reports")]
use crate::assess::GroupBy;
#[cfg(feature = "reports")]
use crate::assess::city::{CityList, DustDays};
use crate::assess::{DateRange, Period};
use crate::compute::{IndexConfig, recompute_days};
use crate::forecast::issue::{DEFAULT_MODEL_FILE, issue_and_store};
use crate::forecast::model::ModelSet;
use crate::forecast::weather::WeatherFile;
use crate::registry::Registry;
use crate::report::ReportConfig;
#[cfg(feature = "reports")]
use crate::report::{DeviceSpec, daily_report, health_report, national_report, ranking_report};
use crate::store::{JobOutput, Store, StoreError};

use super::error::JobError;

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
    /// A job of a kind this build cannot run (it lacks the kind's cargo feature).
    #[error(
        "job `{job}`: kind `{kind}` needs the `{feature}` feature, which this build of lantian \
         lacks (build it with the default features, or `--features {feature}`)"
    )]
    Unavailable {
        /// The job.
        job: String,
        /// Its kind's name.
        kind: &'static str,
        /// The missing cargo feature.
        feature: &'static str,
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
    /// The jobs' `after` lists are inconsistent.
    #[error(transparent)]
    Order(#[from] OrderError),
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
    #[cfg(feature = "reports")]
    pub devices: Vec<DeviceSpec>,
    /// Where and in which language reports are written.
    pub report: ReportConfig,
    /// AQI settings (the indices job).
    pub index: IndexConfig,
    /// The store.
    pub open_store: OpenStore,
}

impl JobContext {
    /// The context of the jobs of `registry`'s network: its name in the reports' language,
    /// its time zone and devices.
    pub fn new(
        registry: &Registry,
        report: ReportConfig,
        index: IndexConfig,
        open_store: OpenStore,
    ) -> JobContext {
        let network = &registry.network;
        JobContext {
            network_name: report
                .lang
                .pick(&network.name, &network.name_en)
                .to_string(),
            time_zone: network.time_zone,
            #[cfg(feature = "reports")]
            devices: DeviceSpec::from_registry(registry),
            report,
            index,
            open_store,
        }
    }
}

/// The previous local day before `scheduled`.
fn previous_day(scheduled: DateTime<Utc>, tz: Tz) -> NaiveDate {
    scheduled.with_timezone(&tz).date_naive() - Days::new(1)
}

/// The last complete `period` before the local date of `scheduled`.
pub fn period_before(period: RankingPeriod, scheduled: DateTime<Utc>, tz: Tz) -> Option<Period> {
    let today = scheduled.with_timezone(&tz).date_naive();
    let first_of_month = today.with_day(1)?;
    Some(match period {
        RankingPeriod::Month => {
            let last = first_of_month - Days::new(1);
            Period::Month {
                year: last.year(),
                month: last.month(),
            }
        }
        RankingPeriod::Quarter => {
            let quarter_start = first_of_month.with_month((today.month0() / 3) * 3 + 1)?;
            let last = quarter_start - Days::new(1);
            Period::Quarter {
                year: last.year(),
                quarter: last.month0() / 3 + 1,
            }
        }
        RankingPeriod::Year => Period::Year(today.year() - 1),
    })
}

/// Turns configured jobs into scheduled jobs, checking their schedules, options and order.
pub fn build_jobs(
    configs: &[JobConfig],
    context: &JobContext,
) -> Result<Vec<ScheduledJob>, JobConfigError> {
    let mut jobs: Vec<ScheduledJob> = Vec::new();
    for config in configs {
        if jobs.iter().any(|j| j.name == config.name) {
            return Err(JobConfigError::Duplicate(config.name.clone()));
        }
        if let Some(feature) = config.kind.missing_feature() {
            return Err(JobConfigError::Unavailable {
                job: config.name.clone(),
                kind: config.kind.name(),
                feature,
            });
        }
        let schedule = Schedule::parse(&config.schedule, context.time_zone).map_err(|source| {
            JobConfigError::Schedule {
                job: config.name.clone(),
                source,
            }
        })?;
        config
            .kind
            .check()
            .map_err(|reason| JobConfigError::Option {
                job: config.name.clone(),
                reason,
            })?;
        let (name, kind, context) = (config.name.clone(), config.kind.clone(), context.clone());
        let run: JobFn = Arc::new(move |scheduled| {
            let (name, kind, context) = (name.clone(), kind.clone(), context.clone());
            Box::pin(async move {
                tokio::task::spawn_blocking(move || run_kind(&name, &kind, scheduled, &context))
                    .await?
            })
        });
        jobs.push(ScheduledJob {
            name: config.name.clone(),
            kind: config.kind.clone(),
            schedule,
            catch_up: config.catch_up,
            retry: config.retry,
            after: config.after.clone(),
            after_timeout: config.after_timeout,
            run,
        });
    }
    check_order(&jobs, Utc::now())?;
    Ok(jobs)
}

/// The issue time of a forecast scheduled at `scheduled`: the whole hour at or before it.
pub fn forecast_issue_time(scheduled: DateTime<Utc>) -> DateTime<Utc> {
    scheduled
        .duration_trunc(TimeDelta::hours(1))
        .unwrap_or(scheduled)
}

/// Runs a forecast job: loads the model, issues and stores the forecast of every station.
/// Its output is the run's summary (stations forecast and abstained, and why) and the
/// number of stored entries.
fn run_forecast(
    store: &mut dyn Store,
    models: Option<&Path>,
    weather: Option<&Path>,
    scheduled: DateTime<Utc>,
) -> Result<JobOutput, JobError> {
    let path = models.map_or_else(|| PathBuf::from(DEFAULT_MODEL_FILE), Path::to_path_buf);
    let set = ModelSet::load(&path)?;
    let weather = weather.map(WeatherFile::read).transpose()?;
    let at = forecast_issue_time(scheduled);
    let (run, written) = issue_and_store(store, &set, &[], at, weather.as_ref())?;
    let summary = run.summary();
    tracing::info!("{summary}");
    Ok(JobOutput::Forecast {
        issued: run.issued,
        forecast: run.forecast_count(),
        abstained: run.abstained_count(),
        summary,
        stored: written,
    })
}

/// Runs the job `name` of `kind` for `scheduled`, returning what it produced (files, or
/// counts).
#[cfg_attr(
    not(feature = "analysis"),
    expect(unused_variables, reason = "`name`: sources")
)]
fn run_kind(
    name: &str,
    kind: &JobKind,
    scheduled: DateTime<Utc>,
    cx: &JobContext,
) -> Result<JobOutput, JobError> {
    let mut store = (cx.open_store)()?;
    let day = previous_day(scheduled, cx.time_zone);
    match kind {
        #[cfg(feature = "reports")]
        JobKind::DailyReport
        | JobKind::HealthReport
        | JobKind::Ranking { .. }
        | JobKind::NationalRanking { .. } => run_report(kind, store.as_ref(), day, scheduled, cx),
        JobKind::Indices => {
            let days = DateRange {
                first: day,
                last: day,
            };
            let done = recompute_days(store.as_mut(), cx.index, &[], days)?;
            Ok(JobOutput::Indices {
                first: day,
                last: day,
                stations: done.stations,
                records: done.records,
            })
        }
        #[cfg(feature = "analysis")]
        JobKind::Sources { context_days } => {
            let run = FlagRun {
                job: name,
                scheduled,
            };
            let done = flag_day(
                store.as_mut(),
                day,
                cx.time_zone,
                *context_days,
                &job_analysis(cx.time_zone),
                run,
            )?;
            Ok(JobOutput::SourceFlags {
                day: done.day,
                flags: done.flags,
            })
        }
        JobKind::Forecast { models, weather } => run_forecast(
            store.as_mut(),
            models.as_deref(),
            weather.as_deref(),
            scheduled,
        ),
        // Refused by `build_jobs`; a job built another way says the same.
        #[cfg(not(all(feature = "reports", feature = "analysis")))]
        _ => Err(JobError::Unavailable {
            kind: kind.name(),
            feature: kind.missing_feature().unwrap_or("?"),
        }),
    }
}

/// Runs a report or ranking job of `kind` for the local `day` before `scheduled`: the files
/// it wrote.
#[cfg(feature = "reports")]
fn run_report(
    kind: &JobKind,
    store: &dyn Store,
    day: NaiveDate,
    scheduled: DateTime<Utc>,
    cx: &JobContext,
) -> Result<JobOutput, JobError> {
    let network = &cx.network_name;
    std::fs::create_dir_all(&cx.report.out_dir).map_err(|source| JobError::OutputFolder {
        dir: cx.report.out_dir.clone(),
        source,
    })?;
    let files = match kind {
        JobKind::DailyReport => daily_report(store, network, day, &cx.report),
        JobKind::HealthReport => health_report(store, network, day, &cx.devices, &cx.report),
        JobKind::Ranking { period, by } => {
            let period =
                period_before(*period, scheduled, cx.time_zone).ok_or(JobError::NoPeriod)?;
            let group = match by {
                RankBy::Station => GroupBy::Station,
                RankBy::District => GroupBy::District,
            };
            ranking_report(store, network, period, group, &cx.report)
        }
        JobKind::NationalRanking {
            cities,
            dust,
            focus,
        } => {
            let period = period_before(RankingPeriod::Month, scheduled, cx.time_zone)
                .ok_or(JobError::NoPeriod)?;
            let list = match cities {
                Some(file) => CityList::read(file)?,
                None => CityList::key_168(),
            };
            let dust = dust.as_deref().map(DustDays::read).transpose()?;
            national_report(
                store,
                period,
                &list,
                dust.as_ref(),
                focus.as_deref(),
                &cx.report,
            )
        }
        _ => return Err(JobError::NotAReport(kind.name())),
    }?;
    Ok(JobOutput::Report {
        html: files.html,
        csv: files.csv,
    })
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
            period_before(RankingPeriod::Month, t, Shanghai),
            Some(Period::Month {
                year: 2026,
                month: 12
            })
        );
        assert_eq!(
            period_before(RankingPeriod::Quarter, t, Shanghai),
            Some(Period::Quarter {
                year: 2026,
                quarter: 4
            })
        );
        assert_eq!(
            period_before(RankingPeriod::Year, t, Shanghai),
            Some(Period::Year(2026))
        );
        // 1 March (a leap year's February) and mid-quarter.
        let t = at("2028-03-01T09:00:00+08:00");
        assert_eq!(
            period_before(RankingPeriod::Month, t, Shanghai),
            Some(Period::Month {
                year: 2028,
                month: 2
            })
        );
        let t = at("2026-05-20T09:00:00+08:00");
        assert_eq!(
            period_before(RankingPeriod::Quarter, t, Shanghai),
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
            period_before(RankingPeriod::Month, t, Shanghai),
            Some(Period::Month {
                year: 2026,
                month: 11
            })
        );
    }

    /// A context whose store is never opened.
    fn context() -> JobContext {
        JobContext {
            network_name: "test".into(),
            time_zone: Shanghai,
            #[cfg(feature = "reports")]
            devices: Vec::new(),
            report: ReportConfig::default(),
            index: IndexConfig::default(),
            open_store: Arc::new(|| crate::store::open(&"sqlite:/nowhere/x.db".parse().unwrap())),
        }
    }

    /// A job of a kind the build lacks is refused, naming the job, its kind and the feature;
    /// the default jobs leave such kinds out, and the others' `after` lists with them.
    #[cfg(not(all(feature = "reports", feature = "analysis")))]
    #[test]
    fn kinds_the_build_lacks_are_refused() {
        let (kind, feature) = if cfg!(feature = "reports") {
            (JobKind::Sources { context_days: 30 }, "analysis")
        } else {
            (JobKind::DailyReport, "reports")
        };
        let job = JobConfig::new("morning", "0 8 * * *", kind.clone());
        let err = build_jobs(&[job], &context()).err().unwrap().to_string();
        assert_eq!(
            err,
            format!(
                "job `morning`: kind `{}` needs the `{feature}` feature, which this build of \
                 lantian lacks (build it with the default features, or `--features {feature}`)",
                kind.name()
            )
        );
        let defaults = super::super::config::default_jobs();
        assert!(defaults.iter().all(|j| j.kind.missing_feature().is_none()));
        assert!(defaults.iter().any(|j| j.kind == JobKind::Indices));
        let names: Vec<&str> = defaults.iter().map(|j| j.name.as_str()).collect();
        for job in &defaults {
            assert!(
                job.after.iter().all(|a| names.contains(&a.as_str())),
                "{job:?}"
            );
        }
        assert_eq!(
            build_jobs(&defaults, &context()).unwrap().len(),
            defaults.len()
        );
    }

    #[cfg(feature = "analysis")]
    #[test]
    fn sources_jobs_check_their_context_window() {
        let text = "name = \"flags\"\nschedule = \"0 7 * * *\"\nkind = \"sources\"\n";
        let job: JobConfig = toml::from_str(text).unwrap();
        assert_eq!(job.kind, JobKind::Sources { context_days: 30 });
        let cx = context();
        assert_eq!(
            build_jobs(std::slice::from_ref(&job), &cx).unwrap().len(),
            1
        );
        // Options set in code are checked as those read from a file.
        for days in [0, 367] {
            let bad = JobConfig {
                kind: JobKind::Sources { context_days: days },
                ..job.clone()
            };
            let err = build_jobs(&[bad], &cx).err().unwrap();
            assert!(
                err.to_string().contains(&format!("context_days = {days}")),
                "{err}"
            );
        }
    }

    #[cfg(all(feature = "reports", feature = "analysis"))]
    #[test]
    fn default_jobs_build_in_their_order() {
        let cx = context();
        let jobs = build_jobs(&super::super::config::default_jobs(), &cx).unwrap();
        let daily = jobs.iter().find(|j| j.name == "daily-report").unwrap();
        assert_eq!(daily.kind, JobKind::DailyReport);
        assert_eq!(daily.after, ["indices", "sources", "forecast"]);
    }
}

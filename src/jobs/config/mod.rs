//! The `[[job]]` tables of the configuration: what every job has (name, schedule, catch-up,
//! retries, the jobs it runs after) and what it does — a [`JobKind`] with only that kind's
//! options — and the jobs a network runs when none are configured.
//!
//! ```toml
//! [[job]]
//! name = "daily-report"
//! schedule = "0 8 * * *"
//! kind = "daily-report"
//! after = ["indices", "sources", "forecast"]
//! ```
//!
//! An option of another kind (`context_days` on a ranking job) is an error naming the job and
//! the option, at the line of its `[[job]]` table.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::scheduler::{CatchUp, Retry};

mod read;

/// Days of data before the analysed day of a `sources` job, by default.
pub const DEFAULT_CONTEXT_DAYS: u32 = 30;

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

/// The period a ranking job ranks: the last one complete before its scheduled day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankingPeriod {
    /// The previous month (`monthly-ranking`).
    Month,
    /// The previous quarter (`quarterly-ranking`).
    Quarter,
    /// The previous year (`annual-ranking`).
    Year,
}

/// What a job does, with that kind's options (`kind = "…"` and its keys in a `[[job]]`).
#[derive(Debug, Clone, PartialEq)]
pub enum JobKind {
    /// The leadership's daily report of the previous day.
    DailyReport,
    /// The maintainers' device-health report of the previous day.
    HealthReport,
    /// The ranking of the previous month, quarter or year.
    Ranking {
        /// Which period.
        period: RankingPeriod,
        /// `by`: `district` (default) or `station`.
        by: RankBy,
    },
    /// Recompute the previous day's hourly and daily AQI of every station (a safety net for
    /// hourly means that arrived or were corrected late).
    Indices,
    /// Flag the local episodes that began the previous day, with their evidence
    /// ([`super::sources`]).
    Sources {
        /// `context_days`: days of data before the analysed day for the network background
        /// and each station's episode threshold (default 30; 1 to 366).
        context_days: u32,
    },
    /// The national key-city ranking report of the previous month (`national-ranking`), for a
    /// store into which the national network's data are imported.
    NationalRanking {
        /// `cities`: a city-list CSV (relative to the configuration file) [default: the
        /// built-in 168 key cities].
        cities: Option<PathBuf>,
        /// `dust`: the analyst's dust-affected city-days (CSV `city,date`, relative to the
        /// configuration file), read at each run; without it PM is ranked as measured.
        dust: Option<PathBuf>,
        /// `focus`: the city the report highlights and explains.
        focus: Option<String>,
    },
    /// Issue a forecast of every station at the scheduled hour and store it.
    Forecast {
        /// `models`: the model file (relative to the configuration file) [default:
        /// `models/forecast.json` in the working directory].
        models: Option<PathBuf>,
        /// `weather`: a forecast-weather CSV kept up to date by the bureau's weather feed
        /// (relative to the configuration file), read at each run; required by a model set
        /// trained with forecast weather, refused by one that was not.
        weather: Option<PathBuf>,
    },
}

impl JobKind {
    /// Checks the ranges of the options (`context_days` 1 to 366).
    pub fn check(&self) -> Result<(), String> {
        match self {
            JobKind::Sources { context_days } if !(1..=366).contains(context_days) => {
                Err(format!("context_days = {context_days} (must be 1 to 366)"))
            }
            _ => Ok(()),
        }
    }

    /// The cargo feature this kind needs (`reports` for the reports and rankings, `analysis`
    /// for `sources`), when this build lacks it; `None` when the build can run it.
    pub const fn missing_feature(&self) -> Option<&'static str> {
        match self {
            JobKind::DailyReport
            | JobKind::HealthReport
            | JobKind::Ranking { .. }
            | JobKind::NationalRanking { .. }
                if cfg!(not(feature = "reports")) =>
            {
                Some("reports")
            }
            JobKind::Sources { .. } if cfg!(not(feature = "analysis")) => Some("analysis"),
            _ => None,
        }
    }

    /// The name used in configuration files (`kind = "…"`).
    pub const fn name(&self) -> &'static str {
        match self {
            JobKind::DailyReport => "daily-report",
            JobKind::HealthReport => "health-report",
            JobKind::Ranking { period, .. } => match period {
                RankingPeriod::Month => "monthly-ranking",
                RankingPeriod::Quarter => "quarterly-ranking",
                RankingPeriod::Year => "annual-ranking",
            },
            JobKind::NationalRanking { .. } => "national-ranking",
            JobKind::Indices => "indices",
            JobKind::Sources { .. } => "sources",
            JobKind::Forecast { .. } => "forecast",
        }
    }
}

/// One `[[job]]` of the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct JobConfig {
    /// Unique name (`lantian jobs run NAME`).
    pub name: String,
    /// Cron expression, 5 fields (`m h dom mon dow`) or 6/7 with seconds first, in the
    /// network's time zone.
    pub schedule: String,
    /// What it does.
    pub kind: JobKind,
    /// Missed runs after downtime: `skip`, `latest` (default) or `all`.
    pub catch_up: CatchUp,
    /// Retries of a failed run (`retries`, default 2; `retry_delay_s`, default 600).
    pub retry: Retry,
    /// The jobs whose run of the same scheduled day this one waits for (`after`; see
    /// `order`).
    pub after: Vec<String>,
    /// The longest wait for them, in monitoring time (`after_timeout_s`, default 7200).
    pub after_timeout: Duration,
}

/// The longest a job waits for the jobs it runs after, by default: two hours.
pub const DEFAULT_AFTER_TIMEOUT: Duration = Duration::from_secs(2 * 3600);

impl JobConfig {
    /// A job with the default catch-up, retries and no ordering.
    pub fn new(name: &str, schedule: &str, kind: JobKind) -> JobConfig {
        JobConfig {
            name: name.into(),
            schedule: schedule.into(),
            kind,
            catch_up: CatchUp::Latest,
            retry: Retry::default(),
            after: Vec::new(),
            after_timeout: DEFAULT_AFTER_TIMEOUT,
        }
    }

    /// The same job, run after `jobs` of the same scheduled day.
    pub fn after(mut self, jobs: &[&str]) -> JobConfig {
        self.after = jobs.iter().map(|j| j.to_string()).collect();
        self
    }

    /// Resolves the paths of its options against `base` (the configuration file's folder).
    pub fn resolve_paths(&mut self, base: &std::path::Path) {
        let paths = match &mut self.kind {
            JobKind::Forecast { models, weather } => [models, weather],
            JobKind::NationalRanking { cities, dust, .. } => [cities, dust],
            _ => return,
        };
        for path in paths.into_iter().flatten() {
            *path = base.join(&*path);
        }
    }
}

/// The jobs a network runs when the configuration names none. The daily report follows the
/// jobs whose results it shows (the day's recomputed indices, source flags and forecast), and
/// the rankings the recomputed indices, so that after downtime their catch-up runs wait for
/// them (`order`). A build without a kind's feature leaves its jobs out, and the
/// other jobs' `after` lists with them.
pub fn default_jobs() -> Vec<JobConfig> {
    let mut jobs = every_default_job();
    jobs.retain(|j| j.kind.missing_feature().is_none());
    let names: Vec<String> = jobs.iter().map(|j| j.name.clone()).collect();
    for job in &mut jobs {
        job.after.retain(|name| names.contains(name));
    }
    jobs
}

/// The default jobs of a build with every feature.
fn every_default_job() -> Vec<JobConfig> {
    let ranking = |period| JobKind::Ranking {
        period,
        by: RankBy::District,
    };
    vec![
        JobConfig::new("indices", "30 0 * * *", JobKind::Indices),
        JobConfig::new(
            "sources",
            "0 7 * * *",
            JobKind::Sources {
                context_days: DEFAULT_CONTEXT_DAYS,
            },
        ),
        // 10 minutes past the hour, so that the hour ending then has been stored.
        JobConfig::new(
            "forecast",
            "10 5,17 * * *",
            JobKind::Forecast {
                models: None,
                weather: None,
            },
        ),
        JobConfig::new("health-report", "30 7 * * *", JobKind::HealthReport),
        JobConfig::new("daily-report", "0 8 * * *", JobKind::DailyReport)
            .after(&["indices", "sources", "forecast"]),
        JobConfig::new(
            "monthly-ranking",
            "0 9 1 * *",
            ranking(RankingPeriod::Month),
        )
        .after(&["indices"]),
        JobConfig::new(
            "quarterly-ranking",
            "0 9 1 1,4,7,10 *",
            ranking(RankingPeriod::Quarter),
        )
        .after(&["indices"]),
        JobConfig::new("annual-ranking", "0 9 1 1 *", ranking(RankingPeriod::Year))
            .after(&["indices"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `[[job]]` tables the way the configuration does.
    fn parse(text: &str) -> Result<Vec<JobConfig>, String> {
        #[derive(Deserialize)]
        struct Jobs {
            job: Vec<JobConfig>,
        }
        toml::from_str::<Jobs>(text)
            .map(|j| j.job)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn each_kind_takes_its_own_options() {
        let jobs = parse(
            "[[job]]\nname = \"flags\"\nschedule = \"0 7 * * *\"\nkind = \"sources\"\n\
             [[job]]\nname = \"m\"\nschedule = \"0 9 1 * *\"\nkind = \"monthly-ranking\"\n\
             by = \"station\"\nafter = [\"flags\"]\nafter_timeout_s = 60\nretries = 0\n\
             [[job]]\nname = \"f\"\nschedule = \"10 5 * * *\"\nkind = \"forecast\"\n\
             models = \"m.json\"\n",
        )
        .unwrap();
        assert_eq!(jobs[0].kind, JobKind::Sources { context_days: 30 });
        assert_eq!(
            jobs[1].kind,
            JobKind::Ranking {
                period: RankingPeriod::Month,
                by: RankBy::Station
            }
        );
        assert_eq!(jobs[1].after, ["flags"]);
        assert_eq!(jobs[1].after_timeout, Duration::from_secs(60));
        assert_eq!(jobs[1].retry.attempts, 0);
        assert_eq!(jobs[0].retry, Retry::default());
        assert_eq!(
            jobs[2].kind,
            JobKind::Forecast {
                models: Some("m.json".into()),
                weather: None
            }
        );
        assert_eq!(jobs[2].kind.name(), "forecast");
    }

    #[test]
    fn errors_name_the_line_and_the_option() {
        // An option of another kind: at its line, or at the kind's when the kind is read
        // after it (toml hands the keys over in alphabetical order).
        let jobs = "[[job]]\nname = \"a\"\nschedule = \"0 7 * * *\"\nkind = \"sources\"\n\
                    [[job]]\nname = \"m\"\nschedule = \"0 9 1 * *\"\nkind = \"monthly-ranking\"\n";
        let e = parse(&format!("{jobs}context_days = 5\n")).unwrap_err();
        assert!(e.contains("line 8"), "{e}");
        assert!(
            e.contains(
                "`context_days` is an option of `sources` jobs, not of `monthly-ranking` jobs"
            ),
            "{e}"
        );
        let e = parse(&format!("{jobs}weather = \"w.csv\"\n")).unwrap_err();
        assert!(e.contains("line 9"), "{e}");
        assert!(
            e.contains("`weather` is an option of `forecast` jobs, not of `monthly-ranking` jobs"),
            "{e}"
        );
        let e = parse("[[job]]\nname = \"f\"\nschedule = \"0 7 * * *\"\nkind = \"forecast\"\nby = \"station\"\n").unwrap_err();
        assert!(e.contains("line 4"), "{e}");
        assert!(
            e.contains("`by` is an option of ranking jobs, not of `forecast` jobs"),
            "{e}"
        );
        // Out of range, at the value.
        for days in [0, 367] {
            let e = parse(&format!(
                "[[job]]\nname = \"flags\"\nschedule = \"0 7 * * *\"\nkind = \"sources\"\n\
                 context_days = {days}\n"
            ))
            .unwrap_err();
            assert!(e.contains(&format!("context_days = {days}")), "{e}");
            assert!(e.contains("must be 1 to 366"), "{e}");
            assert!(e.contains("line 5"), "{e}");
        }
        // Unknown keys and kinds: toml's own messages, with line and key.
        let e = parse(
            "[[job]]\nname = \"a\"\nschedule = \"0 7 * * *\"\nkind = \"sources\"\ncontext = 3\n",
        )
        .unwrap_err();
        assert!(e.contains("line 5") && e.contains("context"), "{e}");
        let e = parse("[[job]]\nname = \"a\"\nschedule = \"0 7 * * *\"\nkind = \"weekly\"\n")
            .unwrap_err();
        assert!(e.contains("line 4") && e.contains("weekly"), "{e}");
    }

    #[test]
    fn national_ranking_jobs_take_a_list_dust_and_a_focus() {
        let mut jobs = parse(
            "[[job]]\nname = \"national\"\nschedule = \"0 10 1 * *\"\n\
             kind = \"national-ranking\"\ndust = \"dust.csv\"\nfocus = \"东莞\"\n\
             [[job]]\nname = \"n2\"\nschedule = \"0 10 1 * *\"\nkind = \"national-ranking\"\n",
        )
        .unwrap();
        jobs[0].resolve_paths(std::path::Path::new("/etc/lantian"));
        assert_eq!(
            jobs[0].kind,
            JobKind::NationalRanking {
                cities: None,
                dust: Some("/etc/lantian/dust.csv".into()),
                focus: Some("东莞".into()),
            }
        );
        assert_eq!(jobs[0].kind.name(), "national-ranking");
        assert_eq!(
            jobs[1].kind,
            JobKind::NationalRanking {
                cities: None,
                dust: None,
                focus: None
            }
        );
        let e = parse(
            "[[job]]\nname = \"m\"\nschedule = \"0 9 1 * *\"\nkind = \"monthly-ranking\"\n\
             focus = \"东莞\"\n",
        )
        .unwrap_err();
        // `focus` is read before `kind` (toml's order is alphabetical): at the kind's line.
        assert!(e.contains("line 4"), "{e}");
        assert!(
            e.contains(
                "`focus` is an option of `national-ranking` jobs, not of `monthly-ranking` jobs"
            ),
            "{e}"
        );
    }

    #[test]
    fn forecast_paths_resolve_against_the_configuration() {
        let mut job = parse(
            "[[job]]\nname = \"f\"\nschedule = \"10 5 * * *\"\nkind = \"forecast\"\n\
             weather = \"w.csv\"\n",
        )
        .unwrap()
        .remove(0);
        job.resolve_paths(std::path::Path::new("/etc/lantian"));
        assert_eq!(
            job.kind,
            JobKind::Forecast {
                models: None,
                weather: Some("/etc/lantian/w.csv".into())
            }
        );
    }
}

//! Reading a `[[job]]` table: the common keys, the `kind` and only that kind's options. A
//! problem with a value is reported at the value's line and column, as toml reports a wrong
//! type; an option of another kind at its own line, or at the `kind` when that is read after it
//! (toml hands the keys over in alphabetical order).

use std::marker::PhantomData;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

use super::DEFAULT_CONTEXT_DAYS;
use super::{DEFAULT_AFTER_TIMEOUT, JobConfig, JobKind, RankBy, RankingPeriod};
use crate::jobs::scheduler::{CatchUp, Retry};

/// The `kind` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum KindName {
    DailyReport,
    HealthReport,
    MonthlyRanking,
    QuarterlyRanking,
    AnnualRanking,
    NationalRanking,
    Indices,
    Sources,
    Forecast,
}

impl KindName {
    /// The options this kind takes.
    fn options(self) -> &'static [Key] {
        match self {
            KindName::MonthlyRanking | KindName::QuarterlyRanking | KindName::AnnualRanking => {
                &[Key::By]
            }
            KindName::NationalRanking => &[Key::Cities, Key::Dust, Key::Focus],
            KindName::Sources => &[Key::ContextDays],
            KindName::Forecast => &[Key::Models, Key::Weather],
            KindName::DailyReport | KindName::HealthReport | KindName::Indices => &[],
        }
    }

    /// The kinds that take `option`, for messages.
    fn taking(option: Key) -> &'static str {
        match option {
            Key::By => "ranking",
            Key::ContextDays => "`sources`",
            Key::Cities | Key::Dust | Key::Focus => "`national-ranking`",
            _ => "`forecast`",
        }
    }

    fn name(self) -> &'static str {
        match self {
            KindName::DailyReport => "daily-report",
            KindName::HealthReport => "health-report",
            KindName::MonthlyRanking => "monthly-ranking",
            KindName::QuarterlyRanking => "quarterly-ranking",
            KindName::AnnualRanking => "annual-ranking",
            KindName::NationalRanking => "national-ranking",
            KindName::Indices => "indices",
            KindName::Sources => "sources",
            KindName::Forecast => "forecast",
        }
    }
}

/// The keys of a `[[job]]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Key {
    Name,
    Schedule,
    Kind,
    CatchUp,
    Retries,
    RetryDelayS,
    After,
    AfterTimeoutS,
    By,
    ContextDays,
    Models,
    Weather,
    Cities,
    Dust,
    Focus,
}

impl Key {
    const NAMES: &[&str] = &[
        "name",
        "schedule",
        "kind",
        "catch_up",
        "retries",
        "retry_delay_s",
        "after",
        "after_timeout_s",
        "by",
        "context_days",
        "models",
        "weather",
        "cities",
        "dust",
        "focus",
    ];

    fn name(self) -> &'static str {
        Key::NAMES[self as usize]
    }
}

/// A `[[job]]` table as read so far.
#[derive(Debug, Default)]
struct RawJob {
    name: Option<String>,
    schedule: Option<String>,
    kind: Option<KindName>,
    catch_up: Option<CatchUp>,
    retries: Option<u32>,
    retry_delay_s: Option<u64>,
    after: Option<Vec<String>>,
    after_timeout_s: Option<u64>,
    by: Option<RankBy>,
    context_days: Option<u32>,
    models: Option<PathBuf>,
    weather: Option<PathBuf>,
    cities: Option<PathBuf>,
    dust: Option<PathBuf>,
    focus: Option<String>,
}

impl RawJob {
    /// Why `option` cannot be set on this job (its kind, when known, does not take it).
    fn misplaced(&self, option: Key, kind: Option<KindName>) -> Option<String> {
        let kind = kind.or(self.kind)?;
        if kind.options().contains(&option) {
            return None;
        }
        Some(format!(
            "`{}` is an option of {} jobs, not of `{}` jobs",
            option.name(),
            KindName::taking(option),
            kind.name()
        ))
    }

    /// Reads the value of `option`, refusing it when the kind does not take it.
    fn option<T>(&self, option: Key) -> Checked<T, impl FnOnce(&T) -> Option<String> + use<T>> {
        let problem = self.misplaced(option, None);
        Checked(move |_: &T| problem, PhantomData)
    }

    /// The options set so far.
    fn options(&self) -> impl Iterator<Item = Key> {
        [
            (Key::By, self.by.is_some()),
            (Key::ContextDays, self.context_days.is_some()),
            (Key::Models, self.models.is_some()),
            (Key::Weather, self.weather.is_some()),
            (Key::Cities, self.cities.is_some()),
            (Key::Dust, self.dust.is_some()),
            (Key::Focus, self.focus.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
    }
}

/// Deserializes a value, then checks it: the error of the check carries the value's place in
/// the file (line and column), like a type error would.
struct Checked<T, F>(F, PhantomData<T>);

impl<'de, T: Deserialize<'de>, F: FnOnce(&T) -> Option<String>> DeserializeSeed<'de>
    for Checked<T, F>
{
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        let value = T::deserialize(d)?;
        match (self.0)(&value) {
            Some(problem) => Err(de::Error::custom(problem)),
            None => Ok(value),
        }
    }
}

impl<'de> Deserialize<'de> for JobConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<JobConfig, D::Error> {
        d.deserialize_struct("job", Key::NAMES, JobVisitor)
    }
}

struct JobVisitor;

impl<'de> Visitor<'de> for JobVisitor {
    type Value = JobConfig;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a [[job]] table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JobConfig, A::Error> {
        let mut raw = RawJob::default();
        while let Some(key) = map.next_key::<Key>()? {
            // An option of another kind is refused at its value (or, when the kind comes
            // after it, at the kind).
            match key {
                Key::Name => raw.name = Some(map.next_value()?),
                Key::Schedule => raw.schedule = Some(map.next_value()?),
                Key::Kind => {
                    let check =
                        |kind: &KindName| raw.options().find_map(|o| raw.misplaced(o, Some(*kind)));
                    raw.kind = Some(map.next_value_seed(Checked(check, PhantomData))?);
                }
                Key::CatchUp => raw.catch_up = Some(map.next_value()?),
                Key::Retries => raw.retries = Some(map.next_value()?),
                Key::RetryDelayS => raw.retry_delay_s = Some(map.next_value()?),
                Key::After => raw.after = Some(map.next_value()?),
                Key::AfterTimeoutS => raw.after_timeout_s = Some(map.next_value()?),
                Key::By => raw.by = Some(map.next_value_seed(raw.option(key))?),
                Key::Models => raw.models = Some(map.next_value_seed(raw.option(key))?),
                Key::Weather => raw.weather = Some(map.next_value_seed(raw.option(key))?),
                Key::Cities => raw.cities = Some(map.next_value_seed(raw.option(key))?),
                Key::Dust => raw.dust = Some(map.next_value_seed(raw.option(key))?),
                Key::Focus => raw.focus = Some(map.next_value_seed(raw.option(key))?),
                Key::ContextDays => {
                    let problem = raw.misplaced(key, None);
                    let check = move |days: &u32| {
                        problem.or_else(|| {
                            JobKind::Sources {
                                context_days: *days,
                            }
                            .check()
                            .err()
                        })
                    };
                    raw.context_days = Some(map.next_value_seed(Checked(check, PhantomData))?);
                }
            }
        }
        raw.into_config()
    }
}

impl RawJob {
    fn into_config<E: de::Error>(self) -> Result<JobConfig, E> {
        let name = self.name.ok_or_else(|| E::missing_field("name"))?;
        let schedule = self.schedule.ok_or_else(|| E::missing_field("schedule"))?;
        let kind_name = self.kind.ok_or_else(|| E::missing_field("kind"))?;
        let ranking = |period| JobKind::Ranking {
            period,
            by: self.by.unwrap_or_default(),
        };
        let kind = match kind_name {
            KindName::DailyReport => JobKind::DailyReport,
            KindName::HealthReport => JobKind::HealthReport,
            KindName::MonthlyRanking => ranking(RankingPeriod::Month),
            KindName::QuarterlyRanking => ranking(RankingPeriod::Quarter),
            KindName::AnnualRanking => ranking(RankingPeriod::Year),
            KindName::NationalRanking => JobKind::NationalRanking {
                cities: self.cities,
                dust: self.dust,
                focus: self.focus,
            },
            KindName::Indices => JobKind::Indices,
            KindName::Sources => JobKind::Sources {
                context_days: self.context_days.unwrap_or(DEFAULT_CONTEXT_DAYS),
            },
            KindName::Forecast => JobKind::Forecast {
                models: self.models,
                weather: self.weather,
            },
        };
        let defaults = Retry::default();
        Ok(JobConfig {
            name,
            schedule,
            kind,
            catch_up: self.catch_up.unwrap_or_default(),
            retry: Retry {
                attempts: self.retries.unwrap_or(defaults.attempts),
                delay: self
                    .retry_delay_s
                    .map_or(defaults.delay, Duration::from_secs),
            },
            after: self.after.unwrap_or_default(),
            after_timeout: self
                .after_timeout_s
                .map_or(DEFAULT_AFTER_TIMEOUT, Duration::from_secs),
        })
    }
}

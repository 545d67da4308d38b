//! `[notify]` in `lantian.toml`: the outbox, the channels, the routes from alarms to channels,
//! the silences. The file's shape ([`NotifySection`]) is checked into a [`NotifyConfig`] when
//! the configuration is loaded; every problem names the file, the line and the key.
//!
//! ```toml
//! [notify]
//! outbox = "data/outbox.db"        # default: beside a SQLite store, else outbox.db here
//! max_pending = 10000              # undelivered messages before an enqueue is refused
//! retain_days = 30                 # delivered messages kept (their keys refuse repeats)
//! link = "https://aq.example.cn/alarms/{id}"
//! retry = { initial_ms = 5000, max_ms = 600000 }
//! per_alarm = { count = 3, minutes = 60 }   # per channel, rule and subject
//!
//! [[notify.channel]]
//! name = "duty"
//! kind = "dingtalk"
//! access_token_env = "DINGTALK_TOKEN"
//! secret_env = "DINGTALK_SECRET"
//!
//! [[notify.route]]
//! channels = ["duty"]
//! min_severity = "warning"
//! districts = ["南城街道"]
//!
//! [[notify.silence]]
//! name = "nightly calibration"
//! maintenance = true
//! daily = "02:00-05:00"
//! stations = ["DG01"]
//! ```
//!
//! The keys of each channel kind are in [`super::channel_config`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDateTime, NaiveTime, Weekday};
use serde::Deserialize;
use toml::Spanned;

use super::channel_config::{ChannelSection, ChannelSpec};
pub use super::limits::{RateLimit, RetryPolicy};
use super::notification::EventKind;
use super::route::{Route, Scope, Silence, Window};
use crate::store::Severity;

/// Default bound of undelivered messages.
pub const DEFAULT_MAX_PENDING: u64 = 10_000;
/// Default days a delivered message (and its idempotency key) is kept.
pub const DEFAULT_RETAIN_DAYS: u32 = 30;

/// Where a key of the configuration is: `lantian.toml:12: notify.channel[1].secret_env`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Located {
    /// The configuration file.
    pub file: PathBuf,
    /// The line (from 1).
    pub line: usize,
    /// The key, as a path (`notify.channel[1].secret_env`).
    pub field: String,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.field)
    }
}

/// A problem in `[notify]`, located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {problem}")]
pub struct NotifyConfigError {
    /// Where.
    pub at: Located,
    /// What.
    pub problem: Problem,
}

/// What is wrong with a key of `[notify]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A route or silence names a channel that is not configured.
    #[error("no channel is named `{name}` (configured: {known})")]
    UnknownChannel {
        /// The name.
        name: String,
        /// The configured names.
        known: String,
    },
    /// Two channels share a name.
    #[error("a channel named `{0}` is configured twice")]
    DuplicateChannel(String),
    /// A secret written into the file.
    #[error(
        "a secret written into the configuration would be kept in clear: use `{key}_env = \
         \"VARIABLE\"` or `{key}_file = \"PATH\"`"
    )]
    LiteralSecret {
        /// The secret's key without the suffix (`secret`, `password`).
        key: &'static str,
    },
    /// A secret the channel needs has no source.
    #[error("missing: set `{key}_env` or `{key}_file`")]
    MissingSecret {
        /// The secret's key without the suffix.
        key: &'static str,
    },
    /// Both sources of one secret.
    #[error("`{key}_env` and `{key}_file` both given; keep one")]
    TwoSources {
        /// The secret's key without the suffix.
        key: &'static str,
    },
    /// A key the channel's kind does not use.
    #[error("not a key of a `{kind}` channel")]
    NotForKind {
        /// The channel's kind.
        kind: &'static str,
    },
    /// A required key is missing.
    #[error("missing `{0}`")]
    Missing(&'static str),
    /// A URL that does not parse or is not allowed.
    #[error("{0}")]
    BadUrl(String),
    /// A mail address that does not parse.
    #[error("not a mail address: `{value}` ({reason})")]
    BadAddress {
        /// The value.
        value: String,
        /// lettre's reason.
        reason: String,
    },
    /// Any other value out of range or of the wrong form.
    #[error("{0}")]
    BadValue(String),
}

/// `[notify]` as written (see the [module documentation](self)); [`NotifyConfig::check`]
/// turns it into the configuration used.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySection {
    outbox: Option<PathBuf>,
    max_pending: Option<Spanned<u64>>,
    retain_days: Option<Spanned<u32>>,
    link: Option<Spanned<String>>,
    #[serde(default)]
    retry: Option<Spanned<RetryPolicy>>,
    per_alarm: Option<RateLimit>,
    #[serde(default)]
    channel: Vec<Spanned<ChannelSection>>,
    #[serde(default)]
    route: Vec<Spanned<RouteSection>>,
    #[serde(default)]
    silence: Vec<Spanned<SilenceSection>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteSection {
    channels: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    min_severity: Option<Severity>,
    stations: Option<Vec<String>>,
    districts: Option<Vec<String>>,
    rules: Option<Vec<String>>,
    events: Option<Vec<EventKind>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct SilenceSection {
    from: Option<Spanned<String>>,
    until: Option<Spanned<String>>,
    daily: Option<Spanned<String>>,
    weekdays: Option<Vec<Spanned<String>>>,
    stations: Option<Vec<String>>,
    districts: Option<Vec<String>>,
    rules: Option<Vec<String>>,
    channels: Option<Vec<Spanned<String>>>,
    name: Spanned<String>,
    #[serde(default)]
    maintenance: bool,
}

/// The notification settings in use (checked; see [`NotifySection`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyConfig {
    /// The outbox file (`None`: the caller's default, [`crate::config::Config::outbox_path`]).
    pub outbox: Option<PathBuf>,
    /// Undelivered messages before an enqueue is refused.
    pub max_pending: u64,
    /// How long delivered (and suppressed, summarised, failed) messages are kept.
    pub retain: Duration,
    /// The link to an alarm's page, `{id}` standing for its display id.
    pub link: Option<String>,
    /// Retries of a failed send.
    pub retry: RetryPolicy,
    /// Messages per channel about one rule and subject (flapping).
    pub per_alarm: RateLimit,
    /// The channels.
    pub channels: Vec<ChannelSpec>,
    /// Which alarms go to which channels.
    pub routes: Vec<Route>,
    /// When nothing is sent.
    pub silences: Vec<Silence>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            outbox: None,
            max_pending: DEFAULT_MAX_PENDING,
            retain: Duration::from_secs(u64::from(DEFAULT_RETAIN_DAYS) * 86_400),
            link: None,
            retry: RetryPolicy::default(),
            per_alarm: RateLimit {
                count: 3,
                window: Duration::from_secs(3600),
            },
            channels: Vec::new(),
            routes: Vec::new(),
            silences: Vec::new(),
        }
    }
}

/// Turns spans of one file into [`Located`]s.
pub(super) struct Locator<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Locator<'_> {
    /// Where `span` is, as key `field`.
    pub(super) fn at(&self, span: std::ops::Range<usize>, field: impl Into<String>) -> Located {
        let end = span.start.min(self.text.len());
        Located {
            file: self.file.to_path_buf(),
            line: self.text[..end].matches('\n').count() + 1,
            field: field.into(),
        }
    }

    /// An error at `span`.
    pub(super) fn error(
        &self,
        span: std::ops::Range<usize>,
        field: impl Into<String>,
        problem: Problem,
    ) -> NotifyConfigError {
        NotifyConfigError {
            at: self.at(span, field),
            problem,
        }
    }
}

impl NotifyConfig {
    /// Checks the section read from `file` (whose text is `text`, for line numbers); relative
    /// paths are resolved against `base`.
    pub fn check(
        section: NotifySection,
        file: &Path,
        text: &str,
        base: &Path,
    ) -> Result<NotifyConfig, NotifyConfigError> {
        let loc = Locator { file, text };
        let mut config = NotifyConfig {
            outbox: section.outbox.map(|p| base.join(p)),
            ..NotifyConfig::default()
        };
        if let Some(max) = section.max_pending {
            if *max.get_ref() == 0 {
                return Err(loc.error(
                    max.span(),
                    "notify.max_pending",
                    Problem::BadValue("must be at least 1".into()),
                ));
            }
            config.max_pending = max.into_inner();
        }
        if let Some(days) = section.retain_days {
            if *days.get_ref() == 0 {
                return Err(loc.error(
                    days.span(),
                    "notify.retain_days",
                    Problem::BadValue("must be at least 1 (the keys of delivered messages refuse repeats while kept)".into()),
                ));
            }
            config.retain = Duration::from_secs(u64::from(days.into_inner()) * 86_400);
        }
        if let Some(link) = section.link {
            let ok =
                link.get_ref().starts_with("https://") || link.get_ref().starts_with("http://");
            if !ok {
                return Err(loc.error(
                    link.span(),
                    "notify.link",
                    Problem::BadUrl("expected an http(s):// address, `{id}` for the alarm".into()),
                ));
            }
            config.link = Some(link.into_inner());
        }
        if let Some(retry) = section.retry {
            let r = retry.get_ref();
            if r.initial.is_zero() || r.max < r.initial {
                return Err(loc.error(
                    retry.span(),
                    "notify.retry",
                    Problem::BadValue("needs 0 < initial_ms <= max_ms".into()),
                ));
            }
            config.retry = retry.into_inner();
        }
        if let Some(limit) = section.per_alarm {
            config.per_alarm = limit;
        }
        for (i, channel) in section.channel.into_iter().enumerate() {
            let spec = ChannelSpec::check(channel, i, &loc, base)?;
            if config.channels.iter().any(|c| c.name == spec.name) {
                return Err(NotifyConfigError {
                    at: Located {
                        field: format!("notify.channel[{i}].name"),
                        ..spec.at.clone()
                    },
                    problem: Problem::DuplicateChannel(spec.name.clone()),
                });
            }
            config.channels.push(spec);
        }
        let known = |name: &Spanned<String>, field: String| -> Result<String, NotifyConfigError> {
            match config.channel(name.get_ref()) {
                Some(c) => Ok(c.name.clone()),
                None => Err(loc.error(
                    name.span(),
                    field,
                    Problem::UnknownChannel {
                        name: name.get_ref().clone(),
                        known: config.channel_names(),
                    },
                )),
            }
        };
        let (mut routes, mut silences) = (Vec::new(), Vec::new());
        for (i, route) in section.route.into_iter().enumerate() {
            let span = route.span();
            let r = route.into_inner();
            let field = format!("notify.route[{i}].channels");
            if r.channels.get_ref().is_empty() {
                return Err(loc.error(
                    r.channels.span(),
                    field,
                    Problem::BadValue("lists no channel".into()),
                ));
            }
            let channels = r
                .channels
                .get_ref()
                .iter()
                .map(|c| known(c, field.clone()))
                .collect::<Result<Vec<_>, _>>()?;
            routes.push(Route {
                channels,
                min_severity: r.min_severity,
                scope: Scope {
                    stations: r.stations,
                    districts: r.districts,
                    rules: r.rules,
                },
                events: r.events,
                at: loc.at(span, format!("notify.route[{i}]")),
            });
        }
        for (i, silence) in section.silence.into_iter().enumerate() {
            let span = silence.span();
            let s = silence.into_inner();
            let field = |key: &str| format!("notify.silence[{i}].{key}");
            let channels = match &s.channels {
                None => None,
                Some(list) => Some(
                    list.iter()
                        .map(|c| known(c, field("channels")))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            };
            let window = silence_window(&s, &loc, span.clone(), &field)?;
            if s.name.get_ref().trim().is_empty() {
                return Err(loc.error(
                    s.name.span(),
                    field("name"),
                    Problem::BadValue(
                        "a silence needs a name (it is recorded with what it held back)".into(),
                    ),
                ));
            }
            silences.push(Silence {
                name: s.name.get_ref().trim().to_string(),
                maintenance: s.maintenance,
                window,
                scope: Scope {
                    stations: s.stations,
                    districts: s.districts,
                    rules: s.rules,
                },
                channels,
                at: loc.at(span, format!("notify.silence[{i}]")),
            });
        }
        config.routes = routes;
        config.silences = silences;
        Ok(config)
    }

    /// The channel named `name`.
    pub fn channel(&self, name: &str) -> Option<&ChannelSpec> {
        self.channels.iter().find(|c| c.name == name)
    }

    /// The channels' names, for messages: `duty, mail`, or `none`.
    pub fn channel_names(&self) -> String {
        if self.channels.is_empty() {
            return "none".into();
        }
        let names: Vec<&str> = self.channels.iter().map(|c| c.name.as_str()).collect();
        names.join(", ")
    }
}

fn silence_window(
    s: &SilenceSection,
    loc: &Locator<'_>,
    span: std::ops::Range<usize>,
    field: &dyn Fn(&str) -> String,
) -> Result<Window, NotifyConfigError> {
    let bad = |v: &Spanned<String>, key: &str, what: &str| {
        loc.error(v.span(), field(key), Problem::BadValue(what.into()))
    };
    match (&s.from, &s.until, &s.daily) {
        (Some(from), Some(until), None) => {
            if s.weekdays.is_some() {
                return Err(loc.error(
                    span,
                    field("weekdays"),
                    Problem::BadValue("weekdays go with `daily`, not with from/until".into()),
                ));
            }
            let parse = |v: &Spanned<String>, key: &str| {
                local_datetime(v.get_ref())
                    .ok_or_else(|| bad(v, key, "expected a local time such as `2025-06-01 09:00`"))
            };
            let (a, b) = (parse(from, "from")?, parse(until, "until")?);
            if b <= a {
                return Err(bad(until, "until", "must be after `from`"));
            }
            Ok(Window::Once { from: a, until: b })
        }
        (None, None, Some(daily)) => {
            let (a, b) = daily
                .get_ref()
                .split_once('-')
                .and_then(|(a, b)| {
                    let t = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").ok();
                    Some((t(a)?, t(b)?))
                })
                .ok_or_else(|| {
                    bad(
                        daily,
                        "daily",
                        "expected `HH:MM-HH:MM` (local time; may pass midnight)",
                    )
                })?;
            if a == b {
                return Err(bad(daily, "daily", "start and end are the same time"));
            }
            let mut weekdays = Vec::new();
            for d in s.weekdays.iter().flatten() {
                let day = d.get_ref().parse::<Weekday>().map_err(|_| {
                    bad(
                        d,
                        "weekdays",
                        "expected mon, tue, wed, thu, fri, sat or sun",
                    )
                })?;
                weekdays.push(day);
            }
            Ok(Window::Daily {
                from: a,
                until: b,
                weekdays,
            })
        }
        _ => Err(loc.error(
            span,
            field("from"),
            Problem::BadValue(
                "a silence needs `from` and `until` (local times) or `daily = \"HH:MM-HH:MM\"`"
                    .into(),
            ),
        )),
    }
}

/// `2025-06-01 09:00`, `2025-06-01T09:00`, with or without seconds.
fn local_datetime(s: &str) -> Option<NaiveDateTime> {
    [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s.trim(), f).ok())
}

#[cfg(test)]
mod tests;

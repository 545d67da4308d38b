//! The templates of the pages (askama, in `src/web/templates/`, escaped by default) and what
//! every page shares: the [`Frame`] (language, labels, who is logged in, the navigation) and
//! the small formatting helpers the templates call.

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::overview::Overview;
use super::words::{PageText, page_text};
use crate::alarms::words;
use crate::aqi::{Category, Pollutant as Term};
use crate::assess::RankRow;
use crate::lang::Lang;
use crate::report::figures::{fixed, signed};
use crate::report::i18n::{Text, Words};
use crate::store::Alarm;

/// What every page shares.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    /// The page's language.
    pub(crate) lang: Lang,
    /// The pages' labels in it.
    pub(crate) t: &'static PageText,
    /// The navigation entry of the page (`overview`, `health`, `alarms`).
    pub(crate) active: &'static str,
    /// The same page in the other language.
    pub(crate) other_lang_href: String,
    /// The user logged in.
    pub(crate) user: Option<String>,
    /// The session's CSRF token (the log-out form's).
    pub(crate) csrf: Option<String>,
    /// Whether the user is an administrator (the navigation shows the admin page).
    pub(crate) admin: bool,
    /// Whether the user may export and generate reports (the navigation shows the explorer).
    pub(crate) export: bool,
}

impl Frame {
    /// The frame of the page at `path` (`/health`) in `lang`.
    pub(crate) fn new(
        lang: Lang,
        active: &'static str,
        path: &str,
        user: Option<String>,
        csrf: Option<String>,
    ) -> Frame {
        let other = match lang {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        };
        Frame {
            lang,
            t: page_text(lang),
            active,
            other_lang_href: format!("{path}?lang={}", other.code()),
            user,
            csrf,
            admin: false,
            export: false,
        }
    }
}

/// The CSS class of an AQI's category (`cat1` … `cat6`, `cat0` without one): see
/// [`super::assets::category_css`].
pub(crate) fn category_class(aqi: Option<u32>) -> String {
    format!("cat{}", aqi.map_or(0, |a| Category::from_aqi(a).level()))
}

/// An optional number, `—` without one.
fn number(v: Option<u32>) -> String {
    v.map_or_else(|| "—".to_string(), |v| v.to_string())
}

/// The login page (posted to the server's `POST /login`).
#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    /// The frame (no user).
    pub(crate) frame: Frame,
    /// Why the last attempt failed, in words.
    pub(crate) error: Option<&'static str>,
    /// Where to go after logging in.
    pub(crate) next: String,
}

impl LoginPage {
    /// The login page in `lang`, after a failed attempt (`credentials`, `locked`, `rate`,
    /// anything else: unavailable) or not.
    pub(crate) fn new(lang: Lang, error: Option<&str>, next: String) -> LoginPage {
        let error = error.map(|e| match e {
            "credentials" => lang.pick("用户名或密码错误", "wrong user name or password"),
            "locked" => lang.pick(
                "登录失败次数过多，账户已暂时锁定",
                "too many failed logins: the account is locked for a while",
            ),
            "rate" => lang.pick("尝试过于频繁，请稍候", "too many attempts: wait a minute"),
            _ => lang.pick("暂时无法登录", "logging in is unavailable just now"),
        });
        LoginPage {
            frame: Frame::new(lang, "login", "/login", None, None),
            error,
            next,
        }
    }
}

/// The overview page: the frame around the live part.
#[derive(Template)]
#[template(path = "overview.html")]
pub(crate) struct OverviewPage {
    /// The frame.
    pub(crate) frame: Frame,
    /// The live part, rendered.
    pub(crate) live: String,
}

/// The live part of the overview, which the page fetches again on every server event.
#[derive(Template)]
#[template(path = "overview_live.html")]
pub(crate) struct OverviewLive<'a> {
    /// The figures.
    pub(crate) o: &'a Overview,
    /// The language.
    pub(crate) lang: Lang,
    /// The pages' labels.
    pub(crate) t: &'static PageText,
    /// The reports' labels.
    pub(crate) rt: &'static Text,
    /// The station map (SVG).
    pub(crate) map: String,
}

impl OverviewLive<'_> {
    fn cls(&self, aqi: &Option<u32>) -> String {
        category_class(*aqi)
    }

    fn num(&self, v: &Option<u32>) -> String {
        number(*v)
    }

    fn cat(&self, aqi: &Option<u32>) -> &'static str {
        aqi.map_or(self.t.no_data, |a| {
            self.lang.category(Category::from_aqi(a))
        })
    }

    fn term(&self, term: &Term) -> &'static str {
        self.lang.term(*term)
    }

    fn rank(&self, rank: &Option<u32>) -> String {
        rank.map_or_else(String::new, |r| format!("{r}."))
    }

    fn terms(&self, terms: &[Term]) -> String {
        self.lang.terms(terms)
    }

    fn tz(&self) -> Tz {
        self.o.tz
    }

    fn local(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.tz())
            .format("%m-%d %H:%M")
            .to_string()
    }

    fn hour_label(&self) -> String {
        self.o
            .hour
            .map_or_else(|| self.t.no_data.to_string(), |h| self.local(&h))
    }

    fn index(&self, row: &Option<RankRow>) -> String {
        let row = row.as_ref();
        let index = fixed(row.and_then(|r| r.stats.total()), 2);
        match row.and_then(|r| r.rank) {
            Some(rank) => format!("{index} ({rank})"),
            None => index,
        }
    }

    fn change(&self, row: &Option<RankRow>) -> String {
        match row.as_ref().and_then(RankRow::change) {
            Some(c) => match c.percent {
                Some(p) => format!(
                    "{} ({}%)",
                    signed(Some(c.difference), 2),
                    signed(Some(p), 1)
                ),
                None => signed(Some(c.difference), 2),
            },
            None => "—".to_string(),
        }
    }

    fn legend(&self) -> Vec<(String, &'static str, String)> {
        Category::ALL
            .iter()
            .map(|c| {
                let (lo, hi) = c.aqi_range();
                let range = if *c == Category::Severe {
                    format!(">{}", lo - 1)
                } else {
                    format!("{lo}–{hi}")
                };
                (format!("cat{}", c.level()), self.lang.category(*c), range)
            })
            .collect()
    }

    fn forecast_line(&self) -> String {
        let Some(day) = &self.o.day else {
            return self.t.no_data.to_string();
        };
        let Some(tomorrow) = day.forecast.days.first() else {
            return self.t.no_data.to_string();
        };
        match tomorrow.range() {
            Some((lo, hi)) => format!(
                "{} · AQI {lo}–{hi} · {}",
                self.lang.date(tomorrow.date),
                self.lang
                    .category_span(Category::from_aqi(lo), Category::from_aqi(hi))
            ),
            None => format!("{} · {}", self.lang.date(tomorrow.date), self.t.no_data),
        }
    }

    fn severity(&self, alarm: &Alarm) -> &'static str {
        words::severity(self.lang, alarm.severity)
    }

    fn severity_code(&self, alarm: &Alarm) -> &'static str {
        alarm.severity.code()
    }

    fn kind(&self, alarm: &Alarm) -> &'static str {
        words::kind(self.lang, alarm.kind)
    }
}

/// Renders the overview's live part.
pub(crate) fn render_overview_live(o: &Overview, lang: Lang) -> Result<String, askama::Error> {
    let map_stations: Vec<_> = o.stations.iter().map(|s| s.map.clone()).collect();
    OverviewLive {
        o,
        lang,
        t: page_text(lang),
        rt: lang.text(),
        map: super::map::station_map(&map_stations, lang)?,
    }
    .render()
}

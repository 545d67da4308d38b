//! The alarms pages: the list (not closed, or closed in the last week) and one alarm with its
//! audit log and the maintainers' forms — acknowledge, assign, comment, close — each a POST
//! carrying the session's CSRF token, taken through the [`AlarmBook`]'s steps as `lantian
//! alarms ack|assign|comment|close` takes them.

use askama::Template;
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::view::Frame;
use crate::alarms::{AlarmBook, AlarmError, words};
use crate::store::{
    Alarm, AlarmAction, AlarmIdPrefix, AlarmQuery, AlarmState, Filter, Store, StoreError,
};

/// Which alarms the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum AlarmList {
    /// Open and acknowledged.
    #[default]
    Active,
    /// Closed in the last [`CLOSED_DAYS`] days.
    RecentlyClosed,
}

/// The days of closed alarms the list goes back.
const CLOSED_DAYS: i64 = 7;

/// What the forms may do and how: the user may handle alarms, and the CSRF token to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Handling {
    /// The form field carrying the token.
    pub(crate) field: &'static str,
    /// The session's token.
    pub(crate) token: String,
}

/// The list's template.
#[derive(Template)]
#[template(path = "alarms.html")]
pub(crate) struct AlarmsPage {
    /// The frame.
    pub(crate) frame: Frame,
    /// The list shown.
    pub(crate) list: AlarmList,
    /// The alarms, most severe then latest first.
    pub(crate) alarms: Vec<Alarm>,
    /// The network's zone.
    pub(crate) tz: Tz,
}

/// One alarm's template.
#[derive(Template)]
#[template(path = "alarm.html")]
pub(crate) struct AlarmPage {
    /// The frame.
    pub(crate) frame: Frame,
    /// The alarm.
    pub(crate) alarm: Alarm,
    /// Its audit log, oldest first.
    pub(crate) actions: Vec<AlarmAction>,
    /// The forms, when the user may handle alarms.
    pub(crate) handling: Option<Handling>,
    /// A message after a step (`None` on a plain visit).
    pub(crate) flash: Option<String>,
    /// The network's zone.
    pub(crate) tz: Tz,
}

/// The alarms of `list`, most severe first, then latest opened.
pub(crate) fn alarm_list(
    store: &dyn Store,
    list: AlarmList,
    now: DateTime<Utc>,
) -> Result<Vec<Alarm>, StoreError> {
    let mut query = AlarmQuery::new(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    query.states = match list {
        AlarmList::Active => Filter::only([AlarmState::Open, AlarmState::Acknowledged]),
        AlarmList::RecentlyClosed => Filter::one(AlarmState::Closed),
    };
    let mut alarms = store.alarms(&query)?;
    if list == AlarmList::RecentlyClosed {
        let since = now - TimeDelta::days(CLOSED_DAYS);
        alarms.retain(|a| a.closed.as_ref().is_some_and(|c| c.at >= since));
    }
    alarms.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.opened.cmp(&a.opened)));
    Ok(alarms)
}

/// The alarm `id` names, with its audit log.
pub(crate) fn alarm_history(
    store: &mut dyn Store,
    id: &AlarmIdPrefix,
) -> Result<(Alarm, Vec<AlarmAction>), AlarmError> {
    AlarmBook::new(store).history(id)
}

/// Formatting shared by both alarm templates.
trait AlarmWords {
    fn frame(&self) -> &Frame;
    fn zone(&self) -> Tz;

    fn local(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.zone())
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    fn severity(&self, a: &Alarm) -> &'static str {
        words::severity(self.frame().lang, a.severity)
    }

    fn kind(&self, a: &Alarm) -> &'static str {
        words::kind(self.frame().lang, a.kind)
    }

    fn state(&self, a: &Alarm) -> &'static str {
        words::state(self.frame().lang, a.state())
    }

    fn value(&self, a: &Alarm, v: &f64) -> String {
        let unit = a.evidence.measure.unit().display();
        format!("{v:.1} {unit}").trim_end().to_string()
    }
}

impl AlarmWords for AlarmsPage {
    fn frame(&self) -> &Frame {
        &self.frame
    }
    fn zone(&self) -> Tz {
        self.tz
    }
}

impl AlarmWords for AlarmPage {
    fn frame(&self) -> &Frame {
        &self.frame
    }
    fn zone(&self) -> Tz {
        self.tz
    }
}

impl AlarmsPage {
    fn active(&self) -> bool {
        self.list == AlarmList::Active
    }
}

impl AlarmPage {
    fn event(&self, action: &AlarmAction) -> String {
        words::event(
            self.frame.lang,
            &action.event,
            self.alarm.evidence.measure.unit().display(),
        )
    }

    fn is_open(&self) -> bool {
        self.alarm.closed.is_none()
    }

    fn is_unacknowledged(&self) -> bool {
        self.alarm.state() == AlarmState::Open
    }

    fn closed_line(&self) -> String {
        self.alarm.closed.as_ref().map_or_else(String::new, |c| {
            format!(
                "{} · {}",
                self.local(&c.at),
                words::closed(self.frame.lang, &c.how)
            )
        })
    }
}

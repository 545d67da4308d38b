//! Which channels hear of an alarm's change ([`Route`]s by severity, scope and change), and
//! whether a silence or maintenance window ([`Silence`]) holds the message back. A message
//! held back by a silence is still written to the outbox, as suppressed.

use chrono::{DateTime, Datelike, NaiveDateTime, NaiveTime, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;

use super::config::{Located, NotifyConfig};
use super::notification::{AlarmNotice, EventKind};
use crate::store::{AlarmSubject, Severity, Suppression};

/// Which alarms a route or silence covers; an absent list selects everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// Stations (ids): alarms of the station, its parameters and devices.
    pub stations: Option<Vec<String>>,
    /// Districts: alarms of their stations and of the district itself.
    pub districts: Option<Vec<String>>,
    /// Rules (ids).
    pub rules: Option<Vec<String>>,
}

impl Scope {
    /// Whether the scope covers `a`. With stations or districts listed, an alarm is covered
    /// when its station is listed or its district is; alarms of no station and no district
    /// (the network, the system) are then not covered.
    pub fn covers(&self, a: &AlarmNotice) -> bool {
        if let Some(rules) = &self.rules
            && !rules.contains(&a.rule)
        {
            return false;
        }
        if self.stations.is_none() && self.districts.is_none() {
            return true;
        }
        let station = a.subject.station().map(|s| &**s);
        let district = match &a.subject {
            AlarmSubject::District(d) => Some(d.as_str()),
            _ => station.and(a.place.district.as_deref()),
        };
        let listed = |list: &Option<Vec<String>>, v: Option<&str>| {
            list.as_ref()
                .zip(v)
                .is_some_and(|(list, v)| list.iter().any(|x| x == v))
        };
        listed(&self.stations, station) || listed(&self.districts, district)
    }
}

/// `[[notify.route]]`: changes of alarms in its scope, at or above its severity, go to its
/// channels.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// The channels' names.
    pub channels: Vec<String>,
    /// The lowest severity sent (all when `None`).
    pub min_severity: Option<Severity>,
    /// The alarms covered.
    pub scope: Scope,
    /// The changes sent (all when `None`).
    pub events: Option<Vec<EventKind>>,
    /// Its table in the configuration.
    pub at: Located,
}

impl Route {
    /// Whether the route sends `a`.
    pub fn selects(&self, a: &AlarmNotice) -> bool {
        self.min_severity.is_none_or(|min| a.severity >= min)
            && self
                .events
                .as_ref()
                .is_none_or(|e| e.contains(&a.event.kind()))
            && self.scope.covers(a)
    }
}

/// When a silence holds, in the network's local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Window {
    /// Once, from `from` until `until`.
    Once {
        /// Start (local, inclusive).
        from: NaiveDateTime,
        /// End (local, exclusive).
        until: NaiveDateTime,
    },
    /// Every day (or the listed weekdays) from `from` until `until`, which may be past
    /// midnight (then the window belongs to the day it starts on).
    Daily {
        /// Start (local, inclusive).
        from: NaiveTime,
        /// End (local, exclusive).
        until: NaiveTime,
        /// The days it starts on (every day when empty).
        weekdays: Vec<Weekday>,
    },
}

impl Window {
    /// Whether `t` is in the window, in `zone`'s local time.
    pub fn covers(&self, t: DateTime<Utc>, zone: Tz) -> bool {
        let local = t.with_timezone(&zone).naive_local();
        match self {
            Window::Once { from, until } => *from <= local && local < *until,
            Window::Daily {
                from,
                until,
                weekdays,
            } => {
                let time = local.time();
                let starts_on = if from < until {
                    (*from <= time && time < *until).then_some(local.date())
                } else if time >= *from {
                    Some(local.date())
                } else if time < *until {
                    Some(local.date() - TimeDelta::days(1))
                } else {
                    None
                };
                starts_on.is_some_and(|d| weekdays.is_empty() || weekdays.contains(&d.weekday()))
            }
        }
    }
}

/// `[[notify.silence]]`: while its window holds, changes of alarms in its scope are recorded
/// but not sent (on its channels, or on all).
#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    /// Its name (recorded with what it suppressed).
    pub name: String,
    /// A maintenance window rather than a silence (recorded as such).
    pub maintenance: bool,
    /// When.
    pub window: Window,
    /// Which alarms.
    pub scope: Scope,
    /// Which channels (all when `None`).
    pub channels: Option<Vec<String>>,
    /// Its table in the configuration.
    pub at: Located,
}

/// One channel that hears of a change, and whether it is held back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The channel.
    pub channel: String,
    /// Why it is not sent (a silence, a maintenance window, replayed data); `None` to send.
    pub suppressed: Option<Suppression>,
}

/// The channels the routes send `a` to (each once, in the order of the configuration), and
/// for each whether it is suppressed: seen only in replayed data (the stale-data policy),
/// or in a silence or maintenance window at the change's time in `zone`.
pub fn plan(config: &NotifyConfig, a: &AlarmNotice, zone: Tz) -> Vec<Planned> {
    let mut channels: Vec<&str> = Vec::new();
    for route in config.routes.iter().filter(|r| r.selects(a)) {
        for c in &route.channels {
            if !channels.contains(&c.as_str()) {
                channels.push(c);
            }
        }
    }
    channels
        .into_iter()
        .map(|channel| {
            let suppressed = if a.stale {
                Some(Suppression::Stale)
            } else {
                config
                    .silences
                    .iter()
                    .find(|s| {
                        s.channels
                            .as_ref()
                            .is_none_or(|cs| cs.iter().any(|c| c == channel))
                            && s.scope.covers(a)
                            && s.window.covers(a.at, zone)
                    })
                    .map(|s| {
                        let name = s.name.clone();
                        if s.maintenance {
                            Suppression::Maintenance { name }
                        } else {
                            Suppression::Silence { name }
                        }
                    })
            };
            Planned {
                channel: channel.to_string(),
                suppressed,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn daily(from: &str, until: &str, weekdays: Vec<Weekday>) -> Window {
        let t = |s| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        Window::Daily {
            from: t(from),
            until: t(until),
            weekdays,
        }
    }

    #[test]
    fn windows_in_local_time() {
        let zone = chrono_tz::Asia::Shanghai;
        // 2025-06-02 is a Monday; 18:30 UTC on the 1st is 02:30 local on Monday.
        let t = Utc.with_ymd_and_hms(2025, 6, 1, 18, 30, 0).unwrap();
        assert!(daily("02:00", "05:00", vec![]).covers(t, zone));
        assert!(!daily("03:00", "05:00", vec![]).covers(t, zone));
        // Past midnight: belongs to the day it starts on (Sunday).
        assert!(daily("22:00", "06:00", vec![Weekday::Sun]).covers(t, zone));
        assert!(!daily("22:00", "06:00", vec![Weekday::Mon]).covers(t, zone));
        let d = NaiveDate::from_ymd_opt(2025, 6, 2).unwrap();
        let once = Window::Once {
            from: d.and_hms_opt(2, 0, 0).unwrap(),
            until: d.and_hms_opt(2, 30, 0).unwrap(),
        };
        assert!(!once.covers(t, zone), "the end is exclusive");
        assert!(once.covers(t - TimeDelta::minutes(1), zone));
    }

    fn located() -> Located {
        Located::default()
    }

    #[test]
    fn routes_by_severity_scope_and_change_then_silences() {
        use crate::notify::notification::Event;
        use crate::notify::notification::tests::notice;
        let route = |channels: &[&str], min: Option<Severity>, scope: Scope| Route {
            channels: channels.iter().map(|c| c.to_string()).collect(),
            min_severity: min,
            scope,
            events: None,
            at: located(),
        };
        let mut config = NotifyConfig {
            routes: vec![
                route(&["duty"], Some(Severity::Minor), Scope::default()),
                route(
                    &["leaders", "duty"],
                    Some(Severity::Critical),
                    Scope::default(),
                ),
                route(
                    &["nancheng"],
                    None,
                    Scope {
                        districts: Some(vec!["南城街道".into()]),
                        ..Scope::default()
                    },
                ),
                Route {
                    events: Some(vec![EventKind::Closed]),
                    ..route(&["closures"], None, Scope::default())
                },
            ],
            ..NotifyConfig::default()
        };
        let zone = chrono_tz::Asia::Shanghai;
        let mut a = notice(Event::Opened);
        let names = |p: Vec<Planned>| p.into_iter().map(|p| p.channel).collect::<Vec<_>>();
        assert_eq!(names(plan(&config, &a, zone)), ["duty"]);
        a.severity = Severity::Critical;
        assert_eq!(names(plan(&config, &a, zone)), ["duty", "leaders"]);
        a.place.district = Some("南城街道".into());
        assert_eq!(
            names(plan(&config, &a, zone)),
            ["duty", "leaders", "nancheng"]
        );
        a.subject = AlarmSubject::Network;
        assert_eq!(
            names(plan(&config, &a, zone)),
            ["duty", "leaders"],
            "no station, no district"
        );
        a.severity = Severity::Info;
        assert!(plan(&config, &a, zone).is_empty());
        // Silenced: planned, and recorded as suppressed.
        let mut b = notice(Event::Opened);
        config.silences.push(Silence {
            name: "night".into(),
            maintenance: false,
            window: daily("00:00", "23:59", vec![]),
            scope: Scope {
                stations: Some(vec!["DG01".into()]),
                ..Scope::default()
            },
            channels: None,
            at: located(),
        });
        let p = plan(&config, &b, zone);
        assert_eq!(
            p[0].suppressed,
            Some(Suppression::Silence {
                name: "night".into()
            })
        );
        b.stale = true;
        assert_eq!(
            plan(&config, &b, zone)[0].suppressed,
            Some(Suppression::Stale)
        );
    }
}

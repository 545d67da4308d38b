//! `lantian alarms`: the stored alarms, newest first; `show` one with its evidence and audit
//! log; `ack`, `assign`, `comment`, `close` — the steps people take, each audited with their
//! name (`--by`, default the OS user); `rules`, the rules in effect.

use std::str::FromStr;

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use clap::{Args, Subcommand};
use lantian::alarms::{AlarmBook, AlarmError, Change, words};
use lantian::lang::Lang;
use lantian::store::{
    Alarm, AlarmIdPrefix, AlarmQuery, AlarmState, Filter, Severity, Stations, Store, network_zone,
};

use super::table::Table;

/// Options of `lantian alarms`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(super) struct AlarmsArgs {
    #[command(subcommand)]
    command: Option<AlarmsCommand>,
    /// Only alarms not closed (open or acknowledged).
    #[arg(long)]
    open: bool,
    /// Only alarms opened at or after this time, in the network's time zone unless it carries
    /// an offset: `2026-11-26`, `2026-11-26 08:00` or RFC 3339.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only alarms of these stations (of the station, its parameters, its devices; repeatable).
    #[arg(long = "station", value_name = "ID")]
    stations: Vec<String>,
    /// Only alarms of this severity or higher: info, minor, major, critical.
    #[arg(long, value_name = "LEVEL", value_parser = Severity::from_str)]
    severity: Option<Severity>,
    /// Only alarms of these rules (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,
    /// Language of severities, kinds and states: en or zh.
    #[arg(long, default_value = "en", value_parser = Lang::from_str)]
    lang: Lang,
}

#[derive(Debug, Subcommand)]
enum AlarmsCommand {
    /// The rules in effect (the configured `[[alarm]]` rules, or the defaults) and how they
    /// are evaluated; checked against the network when its registry is there.
    Rules,
    /// One alarm with its evidence and its whole audit log.
    Show {
        /// The alarm's id (as listed; at least 4 hex digits).
        id: AlarmIdPrefix,
        /// Language of severities, kinds, states and actions: en or zh.
        #[arg(long, default_value = "en", value_parser = Lang::from_str)]
        lang: Lang,
    },
    /// Acknowledge an alarm: you have taken it on (escalation stops).
    Ack {
        /// The alarm's id.
        id: AlarmIdPrefix,
        #[command(flatten)]
        by: By,
    },
    /// Assign an alarm to a person or department.
    Assign {
        /// The alarm's id.
        id: AlarmIdPrefix,
        /// To whom.
        person: String,
        #[command(flatten)]
        by: By,
    },
    /// Comment on an alarm (also a closed one).
    Comment {
        /// The alarm's id.
        id: AlarmIdPrefix,
        /// The comment.
        text: String,
        #[command(flatten)]
        by: By,
    },
    /// Close an alarm by hand, saying why.
    Close {
        /// The alarm's id.
        id: AlarmIdPrefix,
        /// Why it is closed, what was done.
        #[arg(long)]
        note: String,
        #[command(flatten)]
        by: By,
    },
    /// Send a test message through a notification channel (`[[notify.channel]]`), via the
    /// outbox like any notification, and say what became of it.
    #[cfg(feature = "notify")]
    TestNotify(super::notify::TestNotifyArgs),
}

/// Who takes a step.
#[derive(Debug, Args)]
struct By {
    /// Who you are, for the audit log [default: the OS user, $USER].
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
}

impl By {
    /// The name given, or the OS user's.
    fn name(&self) -> anyhow::Result<String> {
        match &self.by {
            Some(name) => Ok(name.clone()),
            None => std::env::var("USER")
                .ok()
                .filter(|u| !u.is_empty())
                .context("who are you? give --by NAME ($USER is not set)"),
        }
    }
}

/// Lists alarms, or runs a subcommand.
pub(super) fn run(config: &lantian::config::Config, args: AlarmsArgs) -> anyhow::Result<()> {
    match args.command {
        Some(AlarmsCommand::Rules) => rules(config),
        _ => stored(config, args),
    }
}

/// Lists the stored alarms, or takes a step on one.
fn stored(config: &lantian::config::Config, args: AlarmsArgs) -> anyhow::Result<()> {
    let mut store = super::open_store(config)?;
    let stations = store.stations()?;
    let tz = network_zone(&stations);
    let now = Utc::now();
    let store = store.as_mut();
    let notices = Notices::open(config, &stations, tz, &args)?;
    match args.command {
        None => list(store, tz, &args),
        Some(AlarmsCommand::Rules) => rules(config),
        Some(AlarmsCommand::Show { id, lang }) => show(store, tz, &id, lang),
        Some(AlarmsCommand::Ack { id, by }) => {
            take(store, &notices, &by, "acknowledged", |b, name| {
                b.acknowledge(&id, name, now)
            })
        }
        Some(AlarmsCommand::Assign { id, person, by }) => take(
            store,
            &notices,
            &by,
            &format!("assigned to {person}"),
            |b, name| b.assign(&id, &person, name, now),
        ),
        Some(AlarmsCommand::Comment { id, text, by }) => {
            take(store, &notices, &by, "commented on", |b, name| {
                b.comment(&id, &text, name, now)
            })
        }
        Some(AlarmsCommand::Close { id, note, by }) => {
            take(store, &notices, &by, "closed", |b, name| {
                b.close(&id, &note, name, now)
            })
        }
        #[cfg(feature = "notify")]
        Some(AlarmsCommand::TestNotify(a)) => super::notify::run(config, tz, a),
    }
}

/// Where the steps people take go once stored: the notifications (`[notify]` with
/// channels), as the alarm stage's and the web's steps do — a close by hand is notified.
struct Notices {
    #[cfg(feature = "notify")]
    notices: Option<lantian::notify::ChangeNotices>,
}

impl Notices {
    /// The notices of a step (none for listing, showing and the rules).
    #[cfg_attr(not(feature = "notify"), allow(unused_variables))]
    fn open(
        config: &lantian::config::Config,
        stations: &[lantian::store::StationInfo],
        tz: Tz,
        args: &AlarmsArgs,
    ) -> anyhow::Result<Notices> {
        #[cfg(feature = "notify")]
        {
            let step = matches!(
                args.command,
                Some(
                    AlarmsCommand::Ack { .. }
                        | AlarmsCommand::Assign { .. }
                        | AlarmsCommand::Comment { .. }
                        | AlarmsCommand::Close { .. }
                )
            );
            if !step || config.notify.channels.is_empty() {
                return Ok(Notices { notices: None });
            }
            let notifier =
                lantian::notify::Notifier::open(config.notify.clone(), &config.outbox_path(), tz)?;
            Ok(Notices {
                notices: Some(lantian::notify::ChangeNotices::new(
                    std::sync::Arc::new(notifier),
                    stations,
                )),
            })
        }
        #[cfg(not(feature = "notify"))]
        Ok(Notices {})
    }

    #[cfg_attr(not(feature = "notify"), allow(unused_variables))]
    fn send(&self, change: &Change) {
        #[cfg(feature = "notify")]
        if let Some(n) = &self.notices {
            n.send(std::slice::from_ref(change));
        }
    }
}

/// Takes a person's step on an alarm, hands it to the notifications and says what was done.
fn take<'s>(
    store: &'s mut (dyn Store + 's),
    notices: &Notices,
    by: &By,
    what: &str,
    step: impl FnOnce(&mut AlarmBook<'s, dyn Store + 's>, &str) -> Result<Change, AlarmError>,
) -> anyhow::Result<()> {
    let name = by.name()?;
    let change = step(&mut AlarmBook::new(store), &name)?;
    notices.send(&change);
    println!("alarm {} {what} by {name}", change.alarm.id());
    Ok(())
}

/// A duration in days, hours and minutes (`2 h 10 min`).
fn duration(d: TimeDelta) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, _) => format!("{hours} h {mins} min"),
        _ => format!("{days} d {hours} h"),
    }
}

/// A value with its measure's unit.
fn value(a: &Alarm, v: f64) -> String {
    let unit = a.evidence.measure.unit().display();
    let number = format!("{v:.1}");
    if unit.is_empty() {
        number
    } else {
        format!("{number} {unit}")
    }
}

fn list(store: &dyn Store, tz: Tz, args: &AlarmsArgs) -> anyhow::Result<()> {
    let Some(span) = store.alarms_span()? else {
        eprintln!("no alarms stored");
        return Ok(());
    };
    let from = match &args.since {
        Some(t) => super::query::parse_time(t, tz)?,
        None => span.first,
    };
    let mut query = AlarmQuery::new(from, span.end());
    if args.open {
        query.states = Filter::only([AlarmState::Open, AlarmState::Acknowledged]);
    }
    if !args.stations.is_empty() {
        query.stations = Stations::only(args.stations.iter().map(String::as_str));
    }
    if !args.rules.is_empty() {
        query.rules = Filter::Only(args.rules.clone());
    }
    if let Some(min) = args.severity {
        query.severities = Filter::only(Severity::ALL.iter().copied().filter(|s| *s >= min));
    }
    let mut alarms = store.alarms(&query)?;
    alarms.reverse();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let lang = args.lang;
    let mut t = Table::new(
        &[
            "id", "rule", "subject", "kind", "severity", "state", "opened", "duration", "peak",
        ],
        &["duration", "peak"],
    );
    for a in &alarms {
        t.push(vec![
            a.id().to_string(),
            a.rule.clone(),
            a.subject.code(),
            words::kind(lang, a.kind).to_string(),
            words::severity(lang, a.severity).to_string(),
            words::state(lang, a.state()).to_string(),
            local(a.opened),
            duration(a.duration()),
            value(a, a.evidence.peak.value),
        ]);
    }
    print!("{}", t.render());
    eprintln!("{} alarm(s), newest first; times in {tz}", alarms.len());
    Ok(())
}

fn show(store: &mut dyn Store, tz: Tz, id: &AlarmIdPrefix, lang: Lang) -> anyhow::Result<()> {
    let (a, log) = AlarmBook::new(store).history(id)?;
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
    let e = &a.evidence;
    let observed =
        |o: &lantian::store::Observation| format!("{} at {}", value(&a, o.value), local(o.time));
    let mut lines = vec![
        ("rule", a.rule.clone()),
        ("subject", a.subject.code()),
        ("kind", words::kind(lang, a.kind).to_string()),
        ("severity", words::severity(lang, a.severity).to_string()),
        ("state", words::state(lang, a.state()).to_string()),
        ("opened", local(a.opened)),
        ("duration", duration(a.duration())),
        (
            "measure",
            format!(
                "{}: {} {} (clears past {})",
                e.measure.label(),
                e.direction,
                value(&a, e.threshold),
                value(&a, e.clear_level)
            ),
        ),
        ("first", observed(&e.first)),
        ("peak", observed(&e.peak)),
        ("last", observed(&e.last)),
    ];
    if let Some(w) = e.warning {
        lines.push(("warning", words::warning(lang, w).to_string()));
    }
    if a.stale {
        lines.push((
            "stale",
            "raised from replayed data: recorded, not paged".to_string(),
        ));
    }
    if let Some(h) = &a.acknowledged {
        lines.push(("acknowledged", format!("by {} at {}", h.by, local(h.at))));
    }
    if let Some(to) = &a.assignee {
        lines.push(("assignee", to.clone()));
    }
    if let Some(x) = a.escalation {
        lines.push(("escalated", format!("level {} at {}", x.level, local(x.at))));
    }
    if let Some(since) = a.clearing_since.filter(|_| a.closed.is_none()) {
        lines.push(("clearing", format!("clear since {}", local(since))));
    }
    if let Some(c) = &a.closed {
        lines.push((
            "closed",
            format!("{}: {}", local(c.at), words::closed(lang, &c.how)),
        ));
    }
    println!("alarm {} ({})", a.id(), a.id().full());
    for (name, text) in lines {
        println!("  {name:<13}{text}");
    }
    println!();
    println!("audit log (times in {tz}):");
    let mut t = Table::new(&["#", "time", "actor", "action"], &["#"]);
    for action in &log {
        t.push(vec![
            action.seq.to_string(),
            local(action.at),
            action.actor.to_string(),
            words::event(lang, &action.event, a.evidence.measure.unit().display()),
        ]);
    }
    print!("{}", t.render());
    Ok(())
}

/// Prints the rules in effect.
fn rules(config: &lantian::config::Config) -> anyhow::Result<()> {
    use lantian::alarms::rules::describe::{describe, duration};
    use lantian::alarms::rules::scope::NetworkModel;
    if config.registry.exists() {
        let registry = super::load_registry(config)?;
        NetworkModel::from_registry(&registry).check(&config.alarms)?;
    }
    let s = &config.alarm_settings;
    let origin = if config.alarms.configured {
        format!(
            "{} rules from {}",
            config.alarms.rules.len(),
            config.alarms.file.display()
        )
    } else {
        format!(
            "{} default rules (no [[alarm]] configured)",
            config.alarms.rules.len()
        )
    };
    println!(
        "{origin}; timer rules every {}; data older than {} when evaluated (2 intervals + the \
         collection lag of {}) raise stale alarms, recorded but not notified",
        duration(s.interval),
        duration(s.stale_after()),
        duration(s.collection_lag)
    );
    let e = &s.escalation;
    if e.is_off() {
        println!("no escalation (set [alarms] escalate_after to escalate unacknowledged alarms)");
    } else {
        let times: Vec<String> = e
            .after
            .iter()
            .rev()
            .map(|(severity, after)| format!("{severity} after {}", duration(*after)))
            .collect();
        println!(
            "unacknowledged alarms escalate, up to {} levels: {} (then as long again per level)",
            e.levels,
            times.join(", ")
        );
    }
    let mut t = Table::new(
        &[
            "id",
            "kind",
            "severity",
            "scope",
            "raises when",
            "clears when",
        ],
        &[],
    );
    for rule in &config.alarms.rules {
        let l = describe(rule);
        t.push(vec![
            l.id,
            l.kind.to_string(),
            l.severity,
            l.scope,
            l.raises,
            l.clears,
        ]);
    }
    print!("{}", t.render());
    Ok(())
}

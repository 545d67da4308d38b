//! `lantian demo`: the whole pipeline on a simulated network, end to end
//! ([`lantian::demo`]), printed as it goes.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use lantian::aqi::Category;
use lantian::config::Config;
use lantian::demo::{
    AlarmsRaised, Collected, Collecting, DemoEvent, DemoOptions, DemoStore, MakeAlarmStage,
    SHOWN_PARAMETERS,
};
use lantian::lang::Lang;
use lantian::sim::scenario::Scenario;
use lantian::store::{IndexRecord, JobOutcome, StoreUrl};
use lantian::units::Parameter;

use super::table::Table;

/// Options of `lantian demo`.
#[derive(Debug, Args)]
pub(super) struct DemoArgs {
    /// Folder for the demo's store and outputs.
    #[arg(long, default_value = "demo-out", value_name = "DIR")]
    out: PathBuf,
    /// Simulated days.
    #[arg(long, default_value_t = 1)]
    days: u32,
    /// Simulated seconds per real second (1440: one day a minute).
    #[arg(long, default_value_t = 1440.0)]
    speed: f64,
    /// First simulated local day, YYYY-MM-DD [default: yesterday in the network's time zone].
    #[arg(long, value_name = "DATE")]
    date: Option<chrono::NaiveDate>,
    /// Days of hourly history computed from the world model before the collected days (no
    /// Modbus; what a fault-free network would have stored), so that source identification
    /// and the forecast have the context they need. 0 starts from an empty store.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    history_days: u32,
    /// Collect without evaluating the alarm rules (no alarms, no notifications).
    #[arg(long)]
    no_alarms: bool,
    /// Keep serving the web platform over the demo's store after the demo, until Ctrl-C.
    #[cfg(feature = "web")]
    #[arg(long)]
    serve: bool,
    /// Where the platform listens while the demo runs (loopback only; port 0: a free one).
    #[cfg(feature = "web")]
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    listen: std::net::SocketAddr,
}

/// Runs the demo: into `<out>/lantian.db` unless `--store` was given.
pub(super) async fn run(config: &Config, store_given: bool, args: DemoArgs) -> anyhow::Result<()> {
    let registry = super::load_registry(config)?;
    let scenario = Scenario::load(&config.scenario)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut config = config.clone();
    if !store_given {
        config.store = StoreUrl::Sqlite(args.out.join("lantian.db"));
    }
    config.report.out_dir = args.out.join("reports");
    let url = config.store.clone();
    // The spool `lantian health --store URL` looks at: `<out>/lantian.db-spool` by default.
    let spool_dir = config.spool_dir();
    let store = DemoStore {
        store: super::open_store_url(&url)?,
        reopen: Arc::new({
            let url = url.clone();
            move || lantian::store::open(&url)
        }),
        spool: super::open_spool(&config, &spool_dir, &url)?,
    };
    // The alarm stage with the default rules (or the configuration's); its notifications go to
    // the demo's own receiver, never to the configured channels.
    #[cfg(feature = "notify")]
    let notifications = notifications::DemoNotifications::start(
        &args.out,
        config.report.lang,
        registry.network.time_zone,
    )
    .await?;
    // The platform over the demo's store from the start (watch the data arrive), with a login
    // made for this run.
    #[cfg(feature = "web")]
    let web = platform::DemoPlatform::start(
        &config,
        args.listen,
        super::serve::Extras {
            #[cfg(feature = "notify")]
            notifier: Some(notifications.notifier.clone()),
            loggers: None,
        },
    )
    .await?;
    #[cfg(feature = "web")]
    web.print();
    let alarms: MakeAlarmStage = {
        let config = config.clone();
        #[cfg(feature = "notify")]
        let notifier = Some(notifications.notifier.clone());
        Box::new(move |registry, clock| {
            #[cfg(feature = "notify")]
            let stage = super::notifying_alarm_stage(&config, registry, clock, notifier)?;
            #[cfg(not(feature = "notify"))]
            let stage = super::alarm_stage(&config, registry, clock)?;
            Ok(stage)
        })
    };
    let options = DemoOptions {
        out: args.out,
        days: args.days,
        speed: args.speed,
        first_day: args.date,
        history_days: args.history_days,
    };
    let mut bar: Option<ProgressBar> = None;
    let demo = lantian::demo::run(
        &config,
        registry,
        scenario,
        store,
        &options,
        (!args.no_alarms).then_some(alarms),
        |event| match event {
        DemoEvent::History(h) => println!(
            "history: {} day(s) of hourly means from the world model before the collected \
             day(s) ({} records, AQI computed) in {:.1} s",
            h.days,
            h.records,
            h.took.as_secs_f64()
        ),
        DemoEvent::Collecting(c) => show_progress(&mut bar, c),
        DemoEvent::Collected(c) => print_summary(c, &url),
        DemoEvent::Alarms(a) => print_alarms(a, config.report.lang),
        DemoEvent::JobRan(run) => match &run.outcome {
            JobOutcome::Succeeded(output) => println!("\n{}: {output}", run.job),
            JobOutcome::Failed(e) => println!("\n{} failed: {e}", run.job),
        },
        DemoEvent::Hj212(h) => {
            let rejected: Vec<String> = h
                .rejected
                .iter()
                .map(|(cause, n)| format!("{cause} {n}"))
                .collect();
            println!(
                "\nHJ 212: {} loggers sent {} uploads ({} acknowledged, {} sent again, {} given \
                 up, {} still waiting) over {} connections; the listener took {} packets ({} \
                 records) and rejected {}",
                h.loggers,
                h.sent.sent,
                h.sent.acknowledged,
                h.sent.retried,
                h.sent.given_up,
                h.sent.backlog,
                h.sent.connections,
                h.accepted,
                h.records,
                if rejected.is_empty() {
                    "none".to_string()
                } else {
                    rejected.join(", ")
                }
            );
        }
        DemoEvent::Stored(s) => {
            println!(
                "\n{} records written in {} transactions; {:.1} s real time for {} simulated day(s).",
                s.stats.records,
                s.stats.transactions,
                s.real_time.as_secs_f64(),
                options.days
            );
            println!(
                "spool {}: {} records spooled, {} replayed from an earlier run, {} store failures; {}.",
                spool_dir.display(),
                s.stats.spooled,
                s.stats.replayed,
                s.stats.store_failures,
                super::spool_line(&s.spool)
            );
        }
        #[cfg(feature = "reports")]
        DemoEvent::Reports(r) => {
            println!("\nreports:");
            for files in [&r.daily, &r.ranking, &r.health] {
                println!("  {}", files.html.display());
            }
            println!("  {}", r.daily.index.display());
        }
    },
    )
    .await;
    // The notifications queued while collecting are delivered even when the demo failed later.
    #[cfg(feature = "notify")]
    notifications.finish().await?;
    demo?;
    #[cfg(feature = "web")]
    web.end(args.serve, &url).await;
    Ok(())
}

/// The alarms the collected days raised: counts by kind and severity, one example of each kind.
fn print_alarms(a: &AlarmsRaised, lang: Lang) {
    use lantian::alarms::words;
    if a.total == 0 {
        println!("\nalarms raised: none");
        return;
    }
    let list = |items: Vec<String>| items.join(", ");
    println!(
        "\nalarms raised: {} ({} still open, {} from replayed data) — by kind: {}; by severity: {}",
        a.total,
        a.open,
        a.stale,
        list(
            a.by_kind
                .iter()
                .map(|(k, n)| format!("{} {n}", words::kind(lang, *k)))
                .collect()
        ),
        list(
            a.by_severity
                .iter()
                .map(|(s, n)| format!("{} {n}", words::severity(lang, *s)))
                .collect()
        ),
    );
    let tz = a.time_zone;
    let mut t = Table::new(
        &[
            "id", "kind", "severity", "rule", "subject", "opened", "lasted", "peak", "state",
        ],
        &["peak"],
    );
    for alarm in &a.examples {
        let e = &alarm.evidence;
        let minutes = alarm.duration().num_minutes().max(0);
        t.push(vec![
            alarm.id().to_string(),
            words::kind(lang, alarm.kind).to_string(),
            words::severity(lang, alarm.severity).to_string(),
            alarm.rule.clone(),
            alarm.subject.to_string(),
            alarm
                .opened
                .with_timezone(&tz)
                .format("%m-%d %H:%M")
                .to_string(),
            format!("{}h{:02}", minutes / 60, minutes % 60),
            format!("{:.1} {}", e.peak.value, e.measure.unit().display())
                .trim_end()
                .to_string(),
            words::state(lang, alarm.state()).to_string(),
        ]);
    }
    println!("one of each kind (most severe, then longest; `lantian alarms show ID` for its log):");
    print!("{}", t.render());
}

/// The progress bar of the collection (on stderr), cleared when the period is over.
fn show_progress(bar: &mut Option<ProgressBar>, c: &Collecting) {
    let total = (c.end - c.start).num_seconds().max(1) as u64;
    let bar = bar.get_or_insert_with(|| {
        let style = ProgressStyle::with_template(
            "{spinner} simulated {msg} [{wide_bar}] {percent}% (eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> ");
        ProgressBar::new(total).with_style(style)
    });
    let pending = c
        .spooled
        .map_or_else(String::new, |n| format!(" · {n} spooled"));
    bar.set_message(format!(
        "{} · {}/{} devices online{pending}",
        c.now.format("%H:%M"),
        c.devices_online,
        c.devices
    ));
    bar.set_position((c.now - c.start).num_seconds().clamp(0, total as i64) as u64);
    if c.done {
        bar.finish_and_clear();
    }
}

/// The store after the collected days: what is online and stored, the faults seen, and each
/// station's last hour.
fn print_summary(c: &Collected, store_url: &StoreUrl) {
    let tz = c.time_zone;
    println!("\n== lantian demo: {} ==", c.network);
    println!("store: {store_url}");
    println!(
        "stations online: {}/{}   devices online: {}/{}",
        c.stations_online, c.stations, c.devices_online, c.devices
    );
    println!(
        "readings stored: {} minute means, {} hourly means",
        c.minute_means, c.hourly_means
    );
    print_faults(c);
    println!(
        "\nhour ending {} ({tz}): real-time AQI, the day's AQI (HJ 633, with primary pollutants), \
         hourly means in µg/m³ (CO mg/m³), wind m/s and degrees; * = flagged",
        c.last_hour.with_timezone(&tz).format("%Y-%m-%d %H:%M")
    );
    let mut header = vec!["station", "name", "AQI (hour)", "AQI (day)"];
    header.extend(SHOWN_PARAMETERS.iter().map(|p| p.code()));
    let mut table = Table::new(&header, &SHOWN_PARAMETERS.map(|p| p.code()));
    for s in &c.last_hours {
        let mut row = vec![
            s.id.clone(),
            s.name.clone(),
            aqi_cell(s.hourly.as_ref()),
            aqi_cell(s.daily.as_ref()),
        ];
        for (p, mean) in SHOWN_PARAMETERS.iter().zip(&s.means) {
            let digits = if matches!(p, Parameter::Co | Parameter::WindSpeed) {
                1
            } else {
                0
            };
            row.push(mean.as_ref().map_or_else(
                || "—".to_string(),
                |r| {
                    let mark = if r.flag.is_valid() { "" } else { "*" };
                    format!("{:.*}{mark}", digits, r.value)
                },
            ));
        }
        table.push(row);
    }
    print!("{}", table.render());
}

/// `59 良 pm10`: the AQI, its category and the primary pollutants.
fn aqi_cell(record: Option<&IndexRecord>) -> String {
    let Some((aqi, r)) = record.and_then(|r| r.aqi.map(|a| (a, r))) else {
        return "—".to_string();
    };
    let primary: Vec<&str> = r.primary.iter().map(|p| p.code()).collect();
    let primary = if primary.is_empty() {
        String::new()
    } else {
        format!(" {}", primary.join(";"))
    };
    format!("{aqi} {}{primary}", Category::from_aqi(aqi).name_zh())
}

/// Devices that failed polls or produced flagged minutes, worst first.
fn print_faults(c: &Collected) {
    println!(
        "polls skipped because the previous poll was still running: {} (on {} devices)",
        c.skipped_polls, c.devices_skipping
    );
    if c.faults.is_empty() {
        println!("faults seen: none");
        return;
    }
    println!(
        "faults seen (flagged minutes per parameter; failed polls; last failure, local time):"
    );
    let mut t = Table::new(
        &[
            "device",
            "online",
            "failed polls",
            "skipped",
            "flagged minutes",
            "last failure",
            "last error",
        ],
        &["failed polls", "skipped"],
    );
    for f in &c.faults {
        let h = &f.health;
        let flags: Vec<String> = f
            .flagged_minutes
            .iter()
            .map(|(flag, n)| format!("{flag} {n}"))
            .collect();
        t.push(vec![
            h.device.clone(),
            if h.online { "yes" } else { "no" }.to_string(),
            format!("{}/{}", f.failed_polls, h.polls),
            h.skipped.to_string(),
            flags.join(", "),
            h.last_failure
                .map(|t| t.with_timezone(&c.time_zone).format("%H:%M").to_string())
                .unwrap_or_default(),
            h.last_error.clone().unwrap_or_default(),
        ]);
    }
    print!("{}", t.render());
}

#[cfg(feature = "notify")]
mod notifications {
    //! The demo's notifications: one `webhook` channel to the demo's receiver
    //! ([`lantian::demo::receiver`]), which writes each message to `<out>/notifications.jsonl`.

    use std::path::Path;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use anyhow::Context;
    use lantian::demo::receiver::Receiver;
    use lantian::lang::Lang;
    use lantian::notify::config::NotifySection;
    use lantian::notify::{Delivery, Notifier, NotifyConfig, State};

    /// How long the demo waits at the end for queued messages to be sent.
    const DRAIN: Duration = Duration::from_secs(20);

    /// The receiver, the notifier the alarm stage queues to, and the delivery task.
    pub(super) struct DemoNotifications {
        pub(super) notifier: Arc<Notifier>,
        receiver: Receiver,
        delivery: Delivery,
    }

    impl DemoNotifications {
        /// Starts the receiver on loopback and delivery to it from `<out>/notify-outbox.db`.
        pub(super) async fn start(
            out: &Path,
            lang: Lang,
            zone: chrono_tz::Tz,
        ) -> anyhow::Result<DemoNotifications> {
            let receiver = Receiver::start(&out.join("notifications.jsonl")).await?;
            // A local file has no robot's 20-a-minute limit; the per-alarm limit stays.
            let text = format!(
                "[[channel]]\nname = \"demo-receiver\"\nkind = \"webhook\"\nurl = \"{}\"\n\
                 lang = \"{}\"\nrate_limit = {{ count = 1000, seconds = 1 }}\n\
                 [[route]]\nchannels = [\"demo-receiver\"]\n",
                receiver.url(),
                lang.code()
            );
            let section: NotifySection = toml::from_str(&text).context("the demo's [notify]")?;
            let config = NotifyConfig::check(section, Path::new("(demo)"), &text, out)?;
            let notifier = Arc::new(Notifier::open(config, &out.join("notify-outbox.db"), zone)?);
            let delivery = notifier.start(None, None)?;
            Ok(DemoNotifications {
                notifier,
                receiver,
                delivery,
            })
        }

        /// Waits (up to [`DRAIN`]) for the pending messages to be sent, stops, and prints
        /// what became of them.
        pub(super) async fn finish(self) -> anyhow::Result<()> {
            let started = Instant::now();
            let counts = loop {
                let counts = self.notifier.with_outbox(|o| o.counts())?;
                let pending: u64 = counts
                    .rows
                    .iter()
                    .filter(|(_, s, _)| *s == State::Pending)
                    .map(|(_, _, n)| n)
                    .sum();
                if pending == 0 || started.elapsed() > DRAIN {
                    break counts;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            self.delivery.stop().await;
            let file = self.receiver.file().to_path_buf();
            let received = self.receiver.stop().await;
            let states: Vec<String> = counts
                .rows
                .iter()
                .map(|(_, s, n)| format!("{} {n}", s.code()))
                .collect();
            println!(
                "\nnotifications: {received} received by the demo's webhook receiver this run, \
                 appended to {} (outbox: {})",
                file.display(),
                if states.is_empty() {
                    "empty".to_string()
                } else {
                    states.join(", ")
                }
            );
            Ok(())
        }
    }
}

#[cfg(feature = "web")]
mod platform {
    //! The web platform over the demo's store: on loopback, with a login made for the run (user
    //! `demo`, role admin, a random password printed once) in the accounts file beside the
    //! store (`<out>/lantian.db-web.db`, where `lantian serve` over that store looks).

    use std::net::SocketAddr;

    use anyhow::Context;
    use lantian::config::Config;
    use lantian::store::StoreUrl;
    use lantian::web::{Accounts, Role, Server};
    use rand::Rng;
    use rand::distributions::Alphanumeric;

    /// The demo's user.
    const USER: &str = "demo";

    /// A running platform and its login.
    pub(in super::super) struct DemoPlatform {
        server: Server,
        password: String,
    }

    impl DemoPlatform {
        /// Starts the platform on `listen` (which must be loopback) with a fresh password for
        /// the user `demo`.
        pub(in super::super) async fn start(
            config: &Config,
            listen: SocketAddr,
            extras: super::super::serve::Extras,
        ) -> anyhow::Result<DemoPlatform> {
            anyhow::ensure!(
                listen.ip().is_loopback(),
                "--listen {listen}: the demo's platform listens on loopback only"
            );
            let password: String = rand::thread_rng()
                .sample_iter(&Alphanumeric)
                .take(20)
                .map(char::from)
                .collect();
            // The login before the server, which then starts with a user.
            let (path, policy, pw) = (
                config.accounts_path(),
                config.web.login_policy(),
                password.clone(),
            );
            tokio::task::spawn_blocking(move || {
                let accounts = Accounts::open(&path, policy)?;
                match accounts.user(USER) {
                    Ok(_) => accounts.set_password(USER, &pw, "lantian demo"),
                    Err(_) => accounts
                        .add_user(USER, Role::Admin, &pw, "lantian demo")
                        .map(|_| ()),
                }
            })
            .await?
            .context("the demo's login")?;
            let server = super::super::serve::start(config, listen, extras).await?;
            Ok(DemoPlatform { server, password })
        }

        /// Prints the address and the login (the password is made for this run and stored
        /// only hashed: it is in this run's output and nowhere else).
        pub(in super::super) fn print(&self) {
            println!("platform: http://{}/", self.server.addr);
            println!("login: {USER} / {}", self.password);
        }

        /// After the demo: prints where the platform is, and keeps serving until Ctrl-C when
        /// `serve`, else stops it and says how to serve the store again.
        pub(in super::super) async fn end(self, serve: bool, store: &StoreUrl) {
            println!();
            self.print();
            if serve {
                println!("serving until Ctrl-C");
                super::super::shutdown_signal().await;
            } else {
                println!(
                    "the platform stopped with the demo: `lantian demo --serve` keeps it, or \
                     `lantian --store {store} serve` serves the store again (same login)"
                );
            }
            self.server.stop().await;
        }
    }
}

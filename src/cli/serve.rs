//! `lantian serve`: the web platform over the configured store (also started by `lantian
//! run` when `[web] listen` is set).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use lantian::config::Config;
use lantian::web::{Server, ServerParts};

/// Options of `lantian serve`.
#[derive(Debug, Args)]
pub(super) struct ServeArgs {
    /// Address to listen on [default: `[web] listen`, else 127.0.0.1:8080]. Anything but
    /// loopback should be behind TLS (`[web] tls_cert`/`tls_key`) or an HTTPS reverse proxy.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
}

/// What the process adds to the platform beside the store.
#[derive(Default)]
pub(super) struct Extras {
    /// The notifier the alarm steps taken in the web go to (as the alarm stage's and `lantian
    /// alarms`'s): `lantian run`'s own, or, for `lantian serve`, one that only enqueues (the
    /// delivering process sends from the same outbox).
    #[cfg(feature = "notify")]
    pub(super) notifier: Option<Arc<lantian::notify::Notifier>>,
    /// The HJ 212 listener's loggers (`lantian run` with `[hj212] listen`).
    pub(super) loggers: Option<lantian::collect::hj212::LoggerControl>,
}

/// Starts the platform on `listen` over the configuration's store, registry (when its file
/// is there), accounts and report folder, with what the process adds.
pub(super) async fn start(
    config: &Config,
    listen: SocketAddr,
    extras: Extras,
) -> anyhow::Result<Server> {
    let registry = if config.registry.exists() {
        Some(Arc::new(super::load_registry(config)?))
    } else {
        tracing::info!(
            "no network file {}: station names and zone from the store",
            config.registry.display()
        );
        None
    };
    let store = super::open_store(config)?;
    #[cfg(feature = "notify")]
    let alarm_hook = match extras.notifier {
        Some(notifier) => {
            let stations = match &registry {
                Some(r) => r.station_infos(),
                None => store.stations()?,
            };
            let notices = lantian::notify::ChangeNotices::new(notifier, &stations);
            let hook: lantian::web::AlarmHook = Arc::new(move |changes| notices.send(changes));
            Some(hook)
        }
        None => None,
    };
    #[cfg(not(feature = "notify"))]
    let alarm_hook = None;
    let accounts = config.accounts_path();
    let server = Server::start(
        ServerParts {
            settings: config.web.clone(),
            store: (config.store.clone(), store),
            registry,
            accounts: accounts.clone(),
            report_dir: config.report.out_dir.clone(),
            alarm_hook,
            loggers: extras.loggers,
        },
        listen,
    )
    .await
    .context("starting the web platform")?;
    let users = server.state.accounts.users()?;
    if users.is_empty() {
        tracing::warn!(
            "no users in {}: add one with `lantian users add NAME --role admin`",
            accounts.display()
        );
    }
    if !listen.ip().is_loopback() && config.web.tls_cert.is_none() && !config.web.behind_https_proxy
    {
        tracing::warn!(
            "serving plain HTTP on {listen}, beyond this machine: passwords and sessions cross \
             the network in clear; configure [web] tls_cert/tls_key or a reverse proxy (README)"
        );
    }
    Ok(server)
}

/// Serves until Ctrl-C / SIGTERM.
pub(super) async fn run(config: &Config, args: ServeArgs) -> anyhow::Result<()> {
    let listen = args.listen.or(config.web.listen).unwrap_or_else(|| {
        lantian::web::settings::DEFAULT_LISTEN
            .parse()
            .expect("a socket address")
    });
    // Alarm steps taken here are notified like everywhere else: into the outbox, sent by
    // the process that delivers (`lantian run`).
    #[cfg(feature = "notify")]
    let notifier = if config.notify.channels.is_empty() {
        None
    } else {
        let zone = network_zone(config)?;
        Some(Arc::new(lantian::notify::Notifier::open(
            config.notify.clone(),
            &config.outbox_path(),
            zone,
        )?))
    };
    let extras = Extras {
        #[cfg(feature = "notify")]
        notifier,
        loggers: None,
    };
    let server = start(config, listen, extras).await?;
    println!(
        "lantian web platform on http{}://{}",
        if config.web.tls_cert.is_some() {
            "s"
        } else {
            ""
        },
        server.addr
    );
    super::shutdown_signal().await;
    tracing::info!("stopping the web platform");
    server.stop().await;
    Ok(())
}

/// The network's zone: the registry's when its file is there, else the one most stored
/// stations have (as the platform takes it).
#[cfg(feature = "notify")]
fn network_zone(config: &Config) -> anyhow::Result<chrono_tz::Tz> {
    Ok(if config.registry.exists() {
        super::load_registry(config)?.network.time_zone
    } else {
        lantian::store::network_zone(&super::open_store(config)?.stations()?)
    })
}

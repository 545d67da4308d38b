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

/// Starts the platform on `listen` over the configuration's store, registry (when its file
/// is there), accounts and report folder.
pub(super) async fn start(config: &Config, listen: SocketAddr) -> anyhow::Result<Server> {
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
    let accounts = config.accounts_path();
    let server = Server::start(
        ServerParts {
            settings: config.web.clone(),
            store: (config.store.clone(), store),
            registry,
            accounts: accounts.clone(),
            report_dir: config.report.out_dir.clone(),
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
    let server = start(config, listen).await?;
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

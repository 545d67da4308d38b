//! `lantian alarms test-notify CHANNEL`: sends a test message through one notification
//! channel, via the outbox like any notification, and says what became of it.

use std::time::Duration;

use anyhow::Context;
use chrono_tz::Tz;
use clap::Args;
use lantian::config::Config;
use lantian::notify::{State, test_notify};

/// Options of `lantian alarms test-notify`.
#[derive(Debug, Args)]
pub(super) struct TestNotifyArgs {
    /// The channel (`[[notify.channel]] name`).
    channel: String,
    /// How long to wait for the message to be delivered, in seconds (retries included).
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    wait: u64,
}

/// Enqueues a test message for the channel, delivers the channel's messages (unless another
/// lantian process does) and reports the outcome; fails unless the message was delivered.
pub(super) fn run(config: &Config, zone: Tz, args: TestNotifyArgs) -> anyhow::Result<()> {
    let outbox = config.outbox_path();
    let wait = Duration::from_secs(args.wait);
    // The alarms commands are synchronous; delivery runs on the command's tokio runtime.
    let report = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(test_notify(
            config.notify.clone(),
            &outbox,
            zone,
            &args.channel,
            wait,
        ))
    })
    .with_context(|| format!("test-notify {}", args.channel))?;
    let channel = &args.channel;
    let key = &report.key;
    match report.state {
        State::Delivered => {
            println!("delivered through `{channel}` (message {key})");
            Ok(())
        }
        State::Failed => anyhow::bail!(
            "`{channel}` refused the test message {key}: {}",
            report.last_error.unwrap_or_default()
        ),
        _ if !report.delivered_here => anyhow::bail!(
            "the test message {key} is queued in {}; another lantian process delivers from \
             it and has not sent it within {} s",
            outbox.display(),
            args.wait
        ),
        _ => {
            let mut why = report
                .last_error
                .map(|e| format!("last error: {e}"))
                .unwrap_or_else(|| "not tried yet".into());
            if report.waiting_before > 0 {
                why.push_str(&format!(
                    "; {} older messages of the channel go first{}",
                    report.waiting_before,
                    report
                        .channel_error
                        .map(|e| format!(" (the oldest failed: {e})"))
                        .unwrap_or_default()
                ));
            }
            anyhow::bail!(
                "the test message {key} was not delivered through `{channel}` within {} s \
                 ({} attempts; {why}); it stays in the outbox {} and is sent when the channel \
                 works",
                args.wait,
                report.attempts,
                outbox.display()
            )
        }
    }
}

//! [`LoggerControl`]: what the rest of lantian (the CLI, the web platform) may do with the
//! loggers of a running listener — send them commands, read their state — without holding
//! the listener itself.

use std::sync::{Arc, Weak};

use super::Server;
use super::command::{CommandError, CommandOutcome, LoggerCommand};
use super::logger::LoggerStatus;

/// A cheap-to-clone handle to a running listener's loggers ([`super::Hj212Listener::control`]).
/// It does not keep the listener alive: once that stops, every command ends
/// [`CommandError::NotConnected`] and there are no loggers.
#[derive(Debug, Clone)]
pub struct LoggerControl {
    server: Weak<Server>,
}

impl LoggerControl {
    pub(super) fn new(server: &Arc<Server>) -> LoggerControl {
        LoggerControl {
            server: Arc::downgrade(server),
        }
    }

    /// Sends `command` to the logger `mn` over its connection and waits for its execution
    /// result (9012 `ExeRtn`): each answer is awaited [`super::ANSWER_TIMEOUT`] and the
    /// command sent again after a timeout, [`super::RETRIES`] times, as the standard's Table 1
    /// says. The outcome is counted in the logger's state ([`LoggerStatus::commands`]).
    pub async fn send(&self, mn: &str, command: LoggerCommand) -> CommandOutcome {
        let Some(server) = self.server.upgrade() else {
            return Err(CommandError::NotConnected(mn.to_string()));
        };
        let outcome = server.routes.send(mn, command).await;
        if let Some(logger) = server.loggers.get(mn) {
            logger.command_done(server.clock.now(), command, &outcome);
        }
        outcome
    }

    /// The MNs of the loggers logged in now (sorted).
    pub fn connected(&self) -> Vec<String> {
        self.server
            .upgrade()
            .map(|s| s.routes.connected())
            .unwrap_or_default()
    }

    /// Every logger of the listener with its connection, clock offset, real-time cadence and
    /// commands, sorted by device id.
    pub fn loggers(&self) -> Vec<LoggerStatus> {
        let Some(server) = self.server.upgrade() else {
            return Vec::new();
        };
        let mut all: Vec<LoggerStatus> = server.loggers.values().map(|l| l.status()).collect();
        all.sort_by(|a, b| a.device.cmp(&b.device));
        all
    }
}

//! Notifications of alarms: the outbox and its channels against real receivers — a Python
//! HTTP server playing a webhook, a DingTalk and a WeCom robot (`tests/peers/http_receiver.py`,
//! which checks DingTalk's signature itself) and aiosmtpd with STARTTLS
//! (`tests/peers/smtp_server.py`) — through outages, `kill -9`, rate limits and bad
//! configuration.
//!
//! One test binary per area keeps the build small: every binary links the whole crate.

#[path = "../common/mod.rs"]
mod common;
mod config_errors;
mod email;
mod harness;
mod kill;
mod robots;
mod run_alarms;
mod run_outage;
mod webhook;

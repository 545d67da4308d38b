//! The HJ 212 ingest server: a collector that receives instead of polling. Data loggers and
//! micro-stations (`transport = "hj212"` in the network file) connect, log in with their MN
//! and PW in every packet, and send real-time, minute, hourly and daily data; their records
//! go through the same sink → spool → store → index stage path as the Modbus collectors'
//! ([`crate::collect::Pipeline::intake`]), and each logger has a device health on the
//! pipeline's board.
//!
//! - `config.rs`: `[hj212]` ([`Hj212Config`]).
//! - `listener.rs`: the socket, the connection limit, the handle ([`Hj212Listener`]).
//! - `session.rs`: one connection: framer → parse → login → reassembly → records → spool →
//!   9014; timeouts, throttling, commands out.
//! - `mapping.rs`: data packets → records (units, flags, hour-ending labels).
//! - `logger.rs`: the loggers by MN with their PWs ([`Loggers`]) and their health.
//! - `command.rs`: 1012/1062 to a logger ([`LoggerCommand`], [`LoggerControl::send`]).
//! - `calibrate.rs`: each logger's clock offset and real-time cadence, estimated from its
//!   real-time data, and the 1012/1062 they call for.
//! - `control.rs`: the handle that sends commands and reads loggers' state
//!   ([`LoggerControl`]).
//! - `counters.rs`: per cause, per peer ([`CountersSnapshot`]).

mod calibrate;
mod command;
mod config;
mod control;
mod counters;
mod listener;
mod logger;
mod mapping;
mod session;

use std::collections::HashMap;
use std::sync::Arc;

use chrono_tz::Tz;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::collect::sink::Batch;

pub use calibrate::MIN_COMMAND_SPACING;
pub use command::{ANSWER_TIMEOUT, CommandError, CommandOutcome, LoggerCommand, RETRIES};
pub use config::Hj212Config;
pub use control::LoggerControl;
pub use counters::{CountersSnapshot, PeerCounts, Rejection};
pub use listener::{Hj212Listener, ListenError};
pub use logger::{
    CLOCK_DRIFT_STATUS, CommandCounts, CommandRecord, LoggerPwError, LoggerStatus, Loggers,
};
pub use session::READ_BUFFER;

/// What every connection of a listener shares.
struct Server {
    config: Hj212Config,
    loggers: HashMap<String, Arc<logger::Logger>>,
    /// The network's zone: `DataTime` and command times are local time in it.
    zone: Tz,
    clock: Clock,
    intake: mpsc::Sender<Batch>,
    counters: counters::Counters,
    routes: command::Routes,
    shutdown: CancellationToken,
}

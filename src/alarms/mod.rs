//! The life of an alarm: raised by the rules, updated while its condition holds, acknowledged,
//! assigned and commented on by people, escalated when nobody acknowledges it in time, closed
//! automatically once its condition has cleared for the hysteresis time or by hand with a
//! note — each step checked and audited (who, when, what).
//!
//! [`lifecycle`] is the state machine as pure functions over the store's records
//! ([`crate::store::Alarm`]); [`AlarmBook`] takes its steps on an
//! [`AlarmStore`](crate::store::AlarmStore), each step one write of the alarm with its action
//! (one SQLite transaction), so the state survives restarts and `kill -9`. [`words`] names the
//! alarms' terms in both languages. [`rules`] are the `[[alarm]]` rules and the stage that
//! evaluates them as data arrive.
//!
//! **Stale data.** A value from replayed data (spooled during an outage, evaluated after it)
//! raises its alarm as usual but marked `stale`: recorded, not paged. A live value of the same
//! condition makes it fresh (audited as an update), which is when notifications go out;
//! stale alarms are never escalated.

mod book;
mod error;
pub mod lifecycle;
pub mod rules;
pub mod words;

pub use book::{ATTEMPTS, AlarmBook, Raised};
pub use error::AlarmError;
pub use lifecycle::{Change, EscalationPolicy, Raise};

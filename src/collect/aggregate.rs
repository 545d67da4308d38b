//! Placeholder until the aggregation lands from its branch.
use chrono::{DateTime, Utc};

use crate::quality::Flag;
use crate::store::{Record, StationId};
use crate::units::Parameter;

/// Aggregates samples.
pub struct Aggregator;
impl Aggregator {
    /// New.
    pub fn new(_: StationId, _: Parameter, _: u32) -> Self {
        Aggregator
    }
    /// Push.
    pub fn push(&mut self, _: DateTime<Utc>, _: Option<f64>, _: Flag, _: &mut Vec<Record>) {}
    /// Flush.
    pub fn flush_until(&mut self, _: DateTime<Utc>, _: &mut Vec<Record>) {}
}

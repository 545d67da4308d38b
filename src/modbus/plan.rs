//! Planning one poll as few read requests as possible.

use super::RegisterKind;

/// A location the poll must read: `count` registers (or bits) of `kind` from `address`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanItem {
    /// Table.
    pub kind: RegisterKind,
    /// First protocol address.
    pub address: u16,
    /// Registers (or bits) covered.
    pub count: u16,
}

/// One read request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRequest {
    /// Table (selects the function code).
    pub kind: RegisterKind,
    /// First protocol address.
    pub start: u16,
    /// Registers (or bits) to read.
    pub count: u16,
}

/// Where one [`PlanItem`] is found in the responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Index into [`PollPlan::requests`].
    pub request: usize,
    /// Offset of the item's first register (or bit) inside that request's response.
    pub offset: u16,
}

/// The requests of one poll, and where each planned item lands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PollPlan {
    /// Requests in execution order.
    pub requests: Vec<ReadRequest>,
    /// One location per planned item, in the order the items were given.
    pub locations: Vec<Location>,
}

/// Error while planning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// An item alone is larger than one request may be.
    #[error("{kind} {address}: {count} items exceed the {max} a request may carry")]
    TooLarge {
        /// Table.
        kind: RegisterKind,
        /// Address.
        address: u16,
        /// Size.
        count: u16,
        /// Limit.
        max: u16,
    },
}

/// Plans `items` into requests, merging items of one table whose gap is at most `max_gap`.
pub fn plan(items: &[PlanItem], max_gap: u16) -> Result<PollPlan, PlanError> {
    let _ = (items, max_gap);
    unimplemented!("helper A")
}

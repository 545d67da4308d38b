//! Which index standard applies.

/// An index standard (rule set) for `--standard` and the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standard {
    /// HJ 633-2012 (China, before 2026-03-01).
    Hj633_2012,
    /// HJ 633-2026 (China, from 2026-03-01).
    Hj633_2026,
    /// US EPA AQI with the 2012 PM2.5 table.
    Epa2012,
    /// US EPA AQI with the 2024 PM2.5 table (from 2024-05-06).
    Epa2024,
}

//! Scheduled jobs: cron schedules in the network's time zone, the scheduler that runs them
//! on the shared clock, and what each kind of job does (reports, index recomputation,
//! source flags).

pub mod kinds;
pub mod schedule;
pub mod scheduler;
pub mod sources;

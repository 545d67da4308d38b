//! Scheduled jobs: cron schedules in the network's time zone and the scheduler that runs them
//! on the shared clock.

pub mod schedule;
pub mod scheduler;

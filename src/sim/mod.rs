//! The physical model of the station simulator: the *true* value of every parameter at every
//! station and instant, deterministic given (scenario seed, station, time).
//!
//! A [`scenario::Scenario`] (TOML) names the seed, the background climate and pollution, the
//! emission sources, regional episodes and device faults; a [`world::World`] built from it and
//! the stations' positions answers [`world::World::conditions`] — all fifteen parameters in
//! canonical units — and [`world::World::source_contributions`], the ground truth of what each
//! source and episode added, for validating source identification (polar plots, CPF,
//! triangulation, episode classification).
//!
//! Nothing here keeps random state: every fluctuation is hash-based value noise of
//! `(seed, station, channel, time bucket)` interpolated smoothly between buckets, so any
//! instant can be evaluated in any order, from any thread, with identical results.
//!
//! The physics, briefly (details and formulas in each module):
//! * `weather`: synoptic wind veering over days + Pearl River estuary sea/land breeze + diurnal
//!   mixing (calm nights), temperature/humidity/pressure cycles, hour-scale rain events that
//!   wash out particles, Pasquill–Gifford stability and mixing height;
//! * `background`: regional levels with rush-hour traffic, boundary-layer and photochemical
//!   cycles, and NO–O3 titration;
//! * `plume`: Gaussian plumes with ground reflection, Briggs rural σy/σz and plume rise,
//!   line sources as segments and area sources as virtual points.

mod device;
pub mod environment;
pub mod history;
pub mod logger;
pub mod scenario;
pub mod served;
pub mod server;
pub mod world;

mod faulty_stream;

mod background;
mod conditions;
mod fault;
mod noise;
mod plume;
mod timespec;
mod validate;
mod weather;

pub use scenario::{DailyWindow, Dur, TimeSpec};

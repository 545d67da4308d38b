//! The monitoring network: stations, their devices, and the device profiles (register maps),
//! loaded from TOML and validated before anything runs.

mod error;
mod hj212;
mod lint;
mod load;
mod load_hj212;
mod load_network;
mod load_profile;
mod model;
mod profile;
mod raw;
mod source;

pub use error::{ConfigError, ConfigWarning};
pub use hj212::{CodeSpec, Hj212Device, PwError, PwSource, RtdInterval};
pub(crate) use load_network::parse_interval;
pub use model::{Device, Network, Registry, Station, StationKind, Transport};
pub use profile::{Profile, StatusMeaning, StatusSpec, ValueSpec};
pub(crate) use source::line_column;

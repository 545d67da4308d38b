//! HJ 212 data loggers in the registry: devices with `transport = "hj212"` that connect to
//! lantian and send their data (rather than being polled), keyed by their MN.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::TimeDelta;

use crate::store::StationId;
use crate::units::{Conversion, Parameter, ReferenceState, Unit, UnitError};

/// A data logger that sends HJ 212 packets (`transport = "hj212"`).
#[derive(Debug, Clone)]
pub struct Hj212Device {
    /// Unique id in the network (health, logs).
    pub id: String,
    /// The station it belongs to.
    pub station: StationId,
    /// Its MN (the station code of its packets), unique in the network.
    pub mn: String,
    /// Where its PW is read from when the ingest server starts.
    pub pw: PwSource,
    /// What each pollutant code of its packets means: the default air table with the device's
    /// overrides, conversions resolved.
    pub codes: BTreeMap<String, CodeSpec>,
    /// The interval its minute data (2051) cover.
    pub minute_interval: TimeDelta,
    /// The real-time interval (2011) to set in the logger (1062) when it connects and when
    /// its real-time data come at another pace; `None` leaves the logger's own.
    pub rtd_interval: Option<RtdInterval>,
}

/// A real-time interval the standard allows (`RtdInterval`: 30–3600 whole seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RtdInterval(u32);

impl RtdInterval {
    /// The shortest interval the standard allows, in seconds.
    pub const MIN_SECONDS: u32 = 30;
    /// The longest, in seconds.
    pub const MAX_SECONDS: u32 = 3600;

    /// `seconds` when the standard allows it.
    pub fn from_seconds(seconds: u32) -> Option<RtdInterval> {
        (Self::MIN_SECONDS..=Self::MAX_SECONDS)
            .contains(&seconds)
            .then_some(RtdInterval(seconds))
    }

    /// In seconds.
    pub const fn seconds(self) -> u32 {
        self.0
    }
}

impl Hj212Device {
    /// What `code` (e.g. `a34004`) means for this logger, if it is mapped.
    pub fn code(&self, code: &str) -> Option<&CodeSpec> {
        self.codes.get(code)
    }

    /// The parameters its codes map to, each once, in the vocabulary's order.
    pub fn parameters(&self) -> Vec<Parameter> {
        let mut parameters: Vec<Parameter> = self.codes.values().map(|c| c.parameter).collect();
        parameters.sort_by_key(|p| Parameter::ALL.iter().position(|q| q == p));
        parameters.dedup();
        parameters
    }
}

/// One pollutant code of a logger: the parameter it is, the unit the logger sends it in and
/// the conversion to the parameter's canonical unit (resolved at load with the network's
/// reference state, as profile values are).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodeSpec {
    /// The parameter.
    pub parameter: Parameter,
    /// The unit of the logger's values.
    pub unit: Unit,
    /// `unit` → the parameter's canonical unit.
    pub conversion: Conversion,
}

impl CodeSpec {
    /// `parameter` sent in `unit`, its conversion resolved at `reference`.
    pub fn new(
        parameter: Parameter,
        unit: Unit,
        reference: &ReferenceState,
    ) -> Result<CodeSpec, UnitError> {
        Ok(CodeSpec {
            parameter,
            unit,
            conversion: Conversion::to_canonical(parameter, unit, reference)?,
        })
    }
}

/// Where a logger's PW comes from: never the network file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PwSource {
    /// An environment variable (`pw_env`).
    Env(String),
    /// A file whose first line is the PW (`pw_file`, relative to the network file's folder).
    File(PathBuf),
}

/// The PW of a logger could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PwError {
    /// The environment variable is not set (or not Unicode).
    #[error("the environment variable {0} (pw_env) is not set")]
    EnvMissing(String),
    /// The file cannot be read.
    #[error("cannot read the PW file {} (pw_file): {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The variable or file holds no PW.
    #[error("{0} holds an empty PW")]
    Empty(String),
    /// The PW cannot be written in a packet (`;`, `,`, `=`, `&`, or characters outside
    /// printable ASCII).
    #[error(
        "{0} holds a PW with characters a packet cannot carry (only printable ASCII without ; , = &)"
    )]
    Unusable(String),
}

impl PwSource {
    /// Reads the PW (the first line of a file, without its line break).
    pub fn read(&self) -> Result<String, PwError> {
        let (pw, from) = match self {
            PwSource::Env(name) => (
                std::env::var(name).map_err(|_| PwError::EnvMissing(name.clone()))?,
                format!("the environment variable {name}"),
            ),
            PwSource::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| PwError::File {
                    path: path.clone(),
                    source,
                })?;
                let first = text.lines().next().unwrap_or_default().to_string();
                (first, path.display().to_string())
            }
        };
        if pw.is_empty() {
            return Err(PwError::Empty(from));
        }
        let usable = pw
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'=' | b'&'));
        if !usable {
            return Err(PwError::Unusable(from));
        }
        Ok(pw)
    }
}

impl std::fmt::Display for PwSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PwSource::Env(name) => write!(f, "${name}"),
            PwSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pw_file_gives_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "123456\nignored\n").unwrap();
        assert_eq!(PwSource::File(path.clone()).read().unwrap(), "123456");
        std::fs::write(&path, "\n").unwrap();
        assert!(matches!(
            PwSource::File(path.clone()).read(),
            Err(PwError::Empty(_))
        ));
        std::fs::write(&path, "12;34\n").unwrap();
        assert!(matches!(
            PwSource::File(path).read(),
            Err(PwError::Unusable(_))
        ));
        let missing = PwSource::File(dir.path().join("none")).read().unwrap_err();
        assert!(missing.to_string().contains("pw_file"), "{missing}");
        let unset = PwSource::Env("LANTIAN_TEST_UNSET_PW_VARIABLE".into())
            .read()
            .unwrap_err();
        assert!(unset.to_string().contains("not set"), "{unset}");
    }
}

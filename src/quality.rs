//! Data-quality flags, using the codes of HJ 212-2017.
//!
//! Every sample, minute and hour carries one [`Flag`]. Only `N` values count towards means and
//! validity; everything else is kept (never dropped, never overwritten) so that maintainers can
//! see what happened.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An HJ 212 data flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "char")]
pub enum Flag {
    /// `N` — normal.
    Normal,
    /// `F` — the device was stopped.
    Stopped,
    /// `M` — maintenance / service mode.
    Maintenance,
    /// `S` — value set by hand.
    Manual,
    /// `D` — device fault or alarm.
    Fault,
    /// `C` — zero/span check or calibration.
    Calibration,
    /// `T` — outside the instrument's measurement range.
    OverRange,
    /// `B` — communication error (no value from the device).
    CommError,
}

impl Flag {
    /// Every flag.
    pub const ALL: [Flag; 8] = [
        Flag::Normal,
        Flag::Stopped,
        Flag::Maintenance,
        Flag::Manual,
        Flag::Fault,
        Flag::Calibration,
        Flag::OverRange,
        Flag::CommError,
    ];

    /// The one-letter HJ 212 code.
    pub const fn code(self) -> char {
        match self {
            Flag::Normal => 'N',
            Flag::Stopped => 'F',
            Flag::Maintenance => 'M',
            Flag::Manual => 'S',
            Flag::Fault => 'D',
            Flag::Calibration => 'C',
            Flag::OverRange => 'T',
            Flag::CommError => 'B',
        }
    }

    /// True for `N`: the value may enter statistics.
    pub const fn is_valid(self) -> bool {
        matches!(self, Flag::Normal)
    }

    /// Precedence when several conditions hold at once: the higher wins. A technician's
    /// service work explains alarms raised during it, and a calibration explains readings out
    /// of range, so maintenance > calibration > fault > over-range > normal.
    pub const fn precedence(self) -> u8 {
        match self {
            Flag::Normal => 0,
            Flag::OverRange => 1,
            Flag::Fault => 2,
            Flag::Calibration => 3,
            Flag::Maintenance => 4,
            Flag::Manual => 5,
            Flag::Stopped => 6,
            Flag::CommError => 7,
        }
    }

    /// The flag of higher precedence.
    pub fn max(self, other: Flag) -> Flag {
        if other.precedence() > self.precedence() {
            other
        } else {
            self
        }
    }

    /// English description.
    pub const fn describe(self) -> &'static str {
        match self {
            Flag::Normal => "normal",
            Flag::Stopped => "stopped",
            Flag::Maintenance => "maintenance",
            Flag::Manual => "set by hand",
            Flag::Fault => "fault",
            Flag::Calibration => "calibration",
            Flag::OverRange => "over range",
            Flag::CommError => "communication error",
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl From<Flag> for char {
    fn from(f: Flag) -> char {
        f.code()
    }
}

/// Error for a string that is not an HJ 212 flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown data flag `{0}` (expected one of N, F, M, S, D, C, T, B)")]
pub struct UnknownFlag(pub String);

impl FromStr for Flag {
    type Err = UnknownFlag;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Flag::ALL
            .into_iter()
            .find(|f| s.len() == 1 && s.starts_with(f.code()))
            .ok_or_else(|| UnknownFlag(s.to_string()))
    }
}

impl TryFrom<String> for Flag {
    type Error = UnknownFlag;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_precedence() {
        for f in Flag::ALL {
            assert_eq!(f.code().to_string().parse::<Flag>().unwrap(), f);
        }
        assert_eq!(Flag::Fault.max(Flag::Maintenance), Flag::Maintenance);
        assert_eq!(Flag::Normal.max(Flag::OverRange), Flag::OverRange);
        assert!("X".parse::<Flag>().is_err());
        assert!("NN".parse::<Flag>().is_err());
    }
}

//! [`SourceType`]: the kinds of pollution source the source analysis names, one vocabulary for
//! the analysis (`sources`), the stored flags (`store`) and the reports.

use std::fmt;

use enum_map::Enum;
use serde::{Deserialize, Serialize};

/// The kind of source a signature points to (the label of an episode, a k-means group or an
/// NMF factor). Stored and printed as its [`code`](SourceType::code).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Enum,
)]
#[serde(try_from = "String", into = "&'static str")]
pub enum SourceType {
    /// Coal combustion or industry (sulphur-bearing fuel).
    CoalIndustrial,
    /// Road traffic.
    Traffic,
    /// Construction, road and soil dust.
    Dust,
    /// Open burning of biomass.
    BiomassBurning,
    /// Regionally transported, largely secondary pollution.
    SecondaryRegional,
    /// No rule matched.
    Unclassified,
}

/// Error for a code that names no [`SourceType`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown source type `{0}` (expected one of: {list})", list = source_type_codes())]
pub struct UnknownSourceType(pub String);

fn source_type_codes() -> String {
    SourceType::ALL.map(SourceType::code).join(", ")
}

impl SourceType {
    /// Every source type, in the order charts and tables list them.
    pub const ALL: [SourceType; <SourceType as Enum>::LENGTH] = [
        SourceType::CoalIndustrial,
        SourceType::Traffic,
        SourceType::Dust,
        SourceType::BiomassBurning,
        SourceType::SecondaryRegional,
        SourceType::Unclassified,
    ];

    /// The code (`coal_industrial`, `traffic`, …).
    pub const fn code(self) -> &'static str {
        match self {
            SourceType::CoalIndustrial => "coal_industrial",
            SourceType::Traffic => "traffic",
            SourceType::Dust => "dust",
            SourceType::BiomassBurning => "biomass_burning",
            SourceType::SecondaryRegional => "secondary_regional",
            SourceType::Unclassified => "unclassified",
        }
    }

    /// The source type whose code is exactly `code`.
    pub fn from_code(code: &str) -> Option<SourceType> {
        SourceType::ALL.into_iter().find(|t| t.code() == code)
    }
}

impl fmt::Display for SourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl From<SourceType> for &'static str {
    fn from(t: SourceType) -> Self {
        t.code()
    }
}

impl std::str::FromStr for SourceType {
    type Err = UnknownSourceType;
    /// The stored form is exact: only a [`SourceType::code`] parses.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceType::from_code(s).ok_or_else(|| UnknownSourceType(s.to_string()))
    }
}

impl TryFrom<String> for SourceType {
    type Error = UnknownSourceType;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SourceType::from_code(&s).ok_or(UnknownSourceType(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_serialise_as_codes() {
        for t in SourceType::ALL {
            assert_eq!(t.code().parse::<SourceType>(), Ok(t));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.code()));
            assert_eq!(serde_json::from_str::<SourceType>(&json).unwrap(), t);
        }
        let err = " traffic".parse::<SourceType>().unwrap_err();
        assert!(
            err.to_string().contains("unknown source type ` traffic`"),
            "{err}"
        );
        assert!(serde_json::from_str::<SourceType>("\"smoke\"").is_err());
    }
}

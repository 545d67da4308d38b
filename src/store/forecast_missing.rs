//! What a stored daily forecast names as missing ([`ForecastDay::missing`]): inputs that could
//! not be computed, where the climatology came from when the model did not know the network,
//! and pollutants whose model at that lead has no skill.
//!
//! Kept in the store as text (one entry per [`Missing`], in the form [`Missing`]'s `Display`
//! writes and `FromStr` reads back): `lag0`, `beyond_skill:pm25,o3`, `climatology: network
//! unknown to the model, from 20 day(s) of stored history`. Rows written before the
//! climatology's source was distinguished read back too.
//!
//! [`ForecastDay::missing`]: super::ForecastDay::missing

use std::fmt;
use std::str::FromStr;

use crate::units::{ForecastTarget, Parameter};

/// One reason a stored daily forecast is degraded or abstained.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Missing {
    /// An input (a model feature, by its name: `lag0`, `mean24`, `clim_target`, `temp`,
    /// `fw_v`…) that could not be computed at the issue time. Names are `[a-z0-9_]` only.
    Input(String),
    /// The network is unknown to the model: the climatology came from the store's own history.
    ClimatologyFromHistory {
        /// Local days with data in the history it came from.
        days: usize,
    },
    /// The network is unknown to the model and the store holds too little history for a
    /// climatology of its own: there is none.
    ClimatologyTooShort {
        /// Local days with data in the history.
        days: usize,
        /// Local days needed.
        needs: usize,
    },
    /// Pollutants with inputs whose model at that lead is not published (no skill over
    /// climatology or persistence).
    BeyondSkill(Vec<ForecastTarget>),
}

/// Prefix of the stored form of [`Missing::BeyondSkill`] (target codes joined by `,` follow).
const BEYOND_SKILL: &str = "beyond_skill:";
/// Start of the stored forms of the climatology's notes.
const CLIMATOLOGY: &str = "climatology: network unknown to the model";
/// The rest of [`Missing::ClimatologyFromHistory`]'s stored form after the day count.
const FROM_HISTORY: &str = " day(s) of stored history";
/// What rows written before the climatology's source was distinguished add to
/// [`FROM_HISTORY`].
const FROM_HISTORY_BEFORE: &str = " (needs ≥ 5 values per hour × month)";

impl Missing {
    /// Whether `name` is a valid [`Missing::Input`] name (`[a-z0-9_]+`).
    pub(crate) fn is_input_name(name: &str) -> bool {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Missing::Input(name) => f.write_str(name),
            Missing::ClimatologyFromHistory { days } => {
                write!(f, "{CLIMATOLOGY}, from {days}{FROM_HISTORY}")
            }
            Missing::ClimatologyTooShort { days, needs } => {
                write!(
                    f,
                    "{CLIMATOLOGY} and only {days}{FROM_HISTORY} (needs {needs})"
                )
            }
            Missing::BeyondSkill(targets) => {
                f.write_str(BEYOND_SKILL)?;
                for (i, t) in targets.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    f.write_str(t.code())?;
                }
                Ok(())
            }
        }
    }
}

/// A stored missing-input entry that is none of the [`Missing`] forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("missing input `{entry}`: {reason}")]
pub struct UnknownMissing {
    /// The entry as stored.
    pub entry: String,
    /// Why it was refused.
    pub reason: String,
}

impl FromStr for Missing {
    type Err = UnknownMissing;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refuse = |reason: String| UnknownMissing {
            entry: s.to_string(),
            reason,
        };
        let count = |n: &str| {
            n.parse::<usize>()
                .map_err(|_| refuse(format!("`{n}` is not a day count")))
        };
        if let Some(codes) = s.strip_prefix(BEYOND_SKILL) {
            return codes
                .split(',')
                .map(|c| {
                    Parameter::from_code(c)
                        .ok_or_else(|| format!("unknown parameter `{c}`"))
                        .and_then(|p| ForecastTarget::try_from(p).map_err(|e| e.to_string()))
                        .map_err(refuse)
                })
                .collect::<Result<_, _>>()
                .map(Missing::BeyondSkill);
        }
        if let Some(rest) = s.strip_prefix(CLIMATOLOGY) {
            if let Some(rest) = rest.strip_prefix(", from ") {
                let days = rest
                    .strip_suffix(FROM_HISTORY_BEFORE)
                    .unwrap_or(rest)
                    .strip_suffix(FROM_HISTORY)
                    .ok_or_else(|| refuse("not a climatology note".into()))?;
                return Ok(Missing::ClimatologyFromHistory { days: count(days)? });
            }
            if let Some((days, needs)) = rest
                .strip_prefix(" and only ")
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|r| r.split_once(&format!("{FROM_HISTORY} (needs ")))
            {
                return Ok(Missing::ClimatologyTooShort {
                    days: count(days)?,
                    needs: count(needs)?,
                });
            }
            return Err(refuse("not a climatology note".into()));
        }
        if Missing::is_input_name(s) {
            return Ok(Missing::Input(s.to_string()));
        }
        Err(refuse(
            "neither an input name, a climatology note nor `beyond_skill:`".into(),
        ))
    }
}

impl TryFrom<String> for Missing {
    type Error = UnknownMissing;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Missing> for String {
    fn from(m: Missing) -> Self {
        m.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_round_trips_through_its_stored_text() {
        let cases = [
            (Missing::Input("lag0".into()), "lag0"),
            (
                Missing::Input("fw_dewp_depression".into()),
                "fw_dewp_depression",
            ),
            (
                Missing::BeyondSkill(vec![ForecastTarget::Pm25, ForecastTarget::O3]),
                "beyond_skill:pm25,o3",
            ),
            (
                Missing::ClimatologyFromHistory { days: 20 },
                "climatology: network unknown to the model, from 20 day(s) of stored history",
            ),
            (
                Missing::ClimatologyTooShort { days: 3, needs: 14 },
                "climatology: network unknown to the model and only 3 day(s) of stored \
                 history (needs 14)",
            ),
        ];
        for (m, text) in cases {
            assert_eq!(m.to_string(), text);
            assert_eq!(text.parse::<Missing>(), Ok(m.clone()));
            let json = serde_json::to_string(&m).expect("serialises");
            assert_eq!(json, serde_json::to_string(text).expect("serialises"));
            assert_eq!(serde_json::from_str::<Missing>(&json).expect("reads"), m);
        }
    }

    #[test]
    fn notes_of_older_runs_read_back() {
        let old = "climatology: network unknown to the model, from 5 day(s) of stored \
                   history (needs ≥ 5 values per hour × month)";
        assert_eq!(
            old.parse::<Missing>(),
            Ok(Missing::ClimatologyFromHistory { days: 5 })
        );
    }

    #[test]
    fn other_text_is_refused_with_the_entry() {
        for (bad, why) in [
            ("beyond_skill:pm25,no2", "no2"),
            ("beyond_skill:", "unknown parameter ``"),
            (
                "climatology: network unknown to the model, from x day(s) of stored history",
                "`x`",
            ),
            (
                "climatology: network unknown to the model; see the log",
                "climatology note",
            ),
            ("Lag 0", "neither"),
            ("", "neither"),
        ] {
            let e = bad.parse::<Missing>().expect_err(bad);
            assert_eq!(e.entry, bad);
            assert!(e.to_string().contains(why), "{e}");
        }
    }
}

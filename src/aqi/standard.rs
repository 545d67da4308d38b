//! Which index standard applies.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use super::china::RuleSet;
use super::epa::Table;

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

/// A family of standards, whose edition is chosen by date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// China, HJ 633.
    China,
    /// United States, EPA.
    Epa,
}

/// Error for an unknown standard name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown standard `{0}` (expected hj633-2012, hj633-2026, epa-2012 or epa-2024)")]
pub struct UnknownStandard(pub String);

impl Standard {
    /// Every standard.
    pub const ALL: [Standard; 4] = [
        Standard::Hj633_2012,
        Standard::Hj633_2026,
        Standard::Epa2012,
        Standard::Epa2024,
    ];

    /// The name used on the command line and in configuration files.
    pub const fn name(self) -> &'static str {
        match self {
            Standard::Hj633_2012 => "hj633-2012",
            Standard::Hj633_2026 => "hj633-2026",
            Standard::Epa2012 => "epa-2012",
            Standard::Epa2024 => "epa-2024",
        }
    }

    /// The edition of `family` in force on `date` (HJ 633-2026 from 2026-03-01, the EPA 2024
    /// table from 2024-05-06).
    pub fn for_date(family: Family, date: NaiveDate) -> Standard {
        match family {
            Family::China => Standard::from(RuleSet::for_date(date)),
            Family::Epa => Standard::from(Table::for_date(date)),
        }
    }

    /// The family.
    pub const fn family(self) -> Family {
        match self {
            Standard::Hj633_2012 | Standard::Hj633_2026 => Family::China,
            Standard::Epa2012 | Standard::Epa2024 => Family::Epa,
        }
    }

    /// The HJ 633 rule set, for the Chinese standards.
    pub const fn china_rules(self) -> Option<RuleSet> {
        match self {
            Standard::Hj633_2012 => Some(RuleSet::Y2012),
            Standard::Hj633_2026 => Some(RuleSet::Y2026),
            _ => None,
        }
    }

    /// The EPA table, for the EPA standards.
    pub const fn epa_table(self) -> Option<Table> {
        match self {
            Standard::Epa2012 => Some(Table::Y2012),
            Standard::Epa2024 => Some(Table::Y2024),
            _ => None,
        }
    }
}

impl From<RuleSet> for Standard {
    fn from(r: RuleSet) -> Standard {
        match r {
            RuleSet::Y2012 => Standard::Hj633_2012,
            RuleSet::Y2026 => Standard::Hj633_2026,
        }
    }
}

impl From<Table> for Standard {
    fn from(t: Table) -> Standard {
        match t {
            Table::Y2012 => Standard::Epa2012,
            Table::Y2024 => Standard::Epa2024,
        }
    }
}

impl fmt::Display for Standard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Standard {
    type Err = UnknownStandard;
    /// Accepts the names of [`Standard::name`], case-insensitively, with `_` or no separator
    /// for `-` (`HJ633_2012`, `epa2024`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Standard::ALL
            .into_iter()
            .find(|st| st.name().replace('-', "") == key)
            .ok_or_else(|| UnknownStandard(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Standard::ALL {
            assert_eq!(s.to_string().parse::<Standard>(), Ok(s));
        }
        assert_eq!("HJ633_2026".parse::<Standard>(), Ok(Standard::Hj633_2026));
        assert!("hj633-2099".parse::<Standard>().is_err());
    }

    #[test]
    fn by_date() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            Standard::for_date(Family::China, d(2026, 3, 1)),
            Standard::Hj633_2026
        );
        assert_eq!(
            Standard::for_date(Family::China, d(2026, 2, 28)),
            Standard::Hj633_2012
        );
        assert_eq!(
            Standard::for_date(Family::Epa, d(2024, 5, 6)),
            Standard::Epa2024
        );
        assert_eq!(
            Standard::for_date(Family::Epa, d(2019, 1, 1)),
            Standard::Epa2012
        );
    }
}

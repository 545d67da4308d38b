//! Assessment periods: a month (`2016-02`), a quarter (`2016Q1`), a year (`2016`) or a year to
//! date (`2016-ytd`), their local date ranges, the same period of the previous year, and the
//! number of valid days a period mean needs.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// Errors about periods.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The text is not a period.
    #[error("cannot read period `{0}` (expected 2016-02, 2016Q1, 2016 or 2016-ytd)")]
    Syntax(String),
    /// A year-to-date period whose end is not known yet.
    #[error("the end of the year-to-date period {0} is not known (give an end date)")]
    Unresolved(i32),
    /// A year-to-date end outside its year.
    #[error("{end} is not in year {year}")]
    EndOutsideYear {
        /// The period's year.
        year: i32,
        /// The end given.
        end: NaiveDate,
    },
}

/// An inclusive range of local dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    /// First day.
    pub first: NaiveDate,
    /// Last day (inclusive).
    pub last: NaiveDate,
}

impl DateRange {
    /// Number of days (≥ 1 for a well-formed range, 0 if `last < first`).
    pub fn days(&self) -> usize {
        usize::try_from((self.last - self.first).num_days() + 1).unwrap_or(0)
    }

    /// Position of `date` in the range.
    pub fn index(&self, date: NaiveDate) -> Option<usize> {
        if date < self.first || date > self.last {
            return None;
        }
        usize::try_from((date - self.first).num_days()).ok()
    }

    /// The `i`-th day.
    pub fn date(&self, i: usize) -> Option<NaiveDate> {
        let d = self
            .first
            .checked_add_days(chrono::Days::new(u64::try_from(i).ok()?))?;
        (d <= self.last).then_some(d)
    }

    /// Every day, in order.
    pub fn iter(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let last = self.last;
        self.first.iter_days().take_while(move |d| *d <= last)
    }

    /// True for exactly one calendar year.
    pub fn is_calendar_year(&self) -> bool {
        self.first.ordinal() == 1
            && self.last.month() == 12
            && self.last.day() == 31
            && self.first.year() == self.last.year()
    }

    /// The number of valid daily values a period mean over this range needs.
    ///
    /// GB 3095-2012 / HJ 663 define two: a month needs 27 (February 25), a calendar year 324.
    /// For any other range (quarter, year to date) this takes **the sum of the monthly minimums
    /// of the months it covers**, a partly covered month counting `ceil(minimum × covered days /
    /// days of the month)` — so a single month gives exactly 27/25, Q1 gives 27 + 25 + 27 = 79,
    /// and a calendar year is fixed at 324. This extension is lantian's choice (the standards
    /// define no quarter or year-to-date rule); the statistics are still computed when it is not
    /// met, only flagged insufficient.
    pub fn min_valid_days(&self) -> usize {
        if self.is_calendar_year() {
            return 324;
        }
        let mut total = 0usize;
        let mut day = self.first;
        while day <= self.last {
            let month_len = days_in_month(day.year(), day.month());
            let month_end =
                NaiveDate::from_ymd_opt(day.year(), day.month(), month_len).unwrap_or(self.last);
            let end = month_end.min(self.last);
            let covered = usize::try_from((end - day).num_days() + 1).unwrap_or(0);
            let min = if day.month() == 2 { 25 } else { 27 };
            let len = month_len as usize;
            total += (min * covered).div_ceil(len);
            match end.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        total
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} … {}", self.first, self.last)
    }
}

/// Days in a month.
pub(super) fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    match (
        NaiveDate::from_ymd_opt(year, month, 1),
        NaiveDate::from_ymd_opt(ny, nm, 1),
    ) {
        (Some(a), Some(b)) => u32::try_from((b - a).num_days()).unwrap_or(30),
        _ => 30,
    }
}

/// An assessment period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// A calendar month (`2016-02`).
    Month {
        /// Year.
        year: i32,
        /// Month 1–12.
        month: u32,
    },
    /// A calendar quarter (`2016Q1`).
    Quarter {
        /// Year.
        year: i32,
        /// Quarter 1–4.
        quarter: u32,
    },
    /// A calendar year (`2016`).
    Year(i32),
    /// 1 January up to `end` (inclusive) — `2016-ytd`. `end` is `None` until resolved (by the
    /// last day with data, or a date given).
    YearToDate {
        /// Year.
        year: i32,
        /// Last day, when known.
        end: Option<NaiveDate>,
    },
}

impl Period {
    /// The period's year.
    pub fn year(&self) -> i32 {
        match *self {
            Period::Month { year, .. }
            | Period::Quarter { year, .. }
            | Period::Year(year)
            | Period::YearToDate { year, .. } => year,
        }
    }

    /// True unless a year-to-date period still lacks its end.
    pub fn is_resolved(&self) -> bool {
        !matches!(self, Period::YearToDate { end: None, .. })
    }

    /// A year-to-date period with its end set to `end`, clamped to 31 December (other periods
    /// are returned unchanged).
    pub fn with_end(self, end: NaiveDate) -> Result<Period, PeriodError> {
        match self {
            Period::YearToDate { year, .. } => {
                let end = if end.year() > year {
                    NaiveDate::from_ymd_opt(year, 12, 31).ok_or(PeriodError::Unresolved(year))?
                } else {
                    end
                };
                if end.year() < year {
                    return Err(PeriodError::EndOutsideYear { year, end });
                }
                Ok(Period::YearToDate {
                    year,
                    end: Some(end),
                })
            }
            other => Ok(other),
        }
    }

    /// The local dates of the period.
    pub fn range(&self) -> Result<DateRange, PeriodError> {
        let ymd = |y: i32, m: u32, d: u32| {
            NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| PeriodError::Syntax(self.to_string()))
        };
        match *self {
            Period::Month { year, month } => Ok(DateRange {
                first: ymd(year, month, 1)?,
                last: ymd(year, month, days_in_month(year, month))?,
            }),
            Period::Quarter { year, quarter } => {
                let m0 = 3 * (quarter - 1) + 1;
                Ok(DateRange {
                    first: ymd(year, m0, 1)?,
                    last: ymd(year, m0 + 2, days_in_month(year, m0 + 2))?,
                })
            }
            Period::Year(year) => Ok(DateRange {
                first: ymd(year, 1, 1)?,
                last: ymd(year, 12, 31)?,
            }),
            Period::YearToDate { year, end } => {
                let end = end.ok_or(PeriodError::Unresolved(year))?;
                Ok(DateRange {
                    first: ymd(year, 1, 1)?,
                    last: end,
                })
            }
        }
    }

    /// The same period of the previous year. For a year to date: 1 January up to the same
    /// calendar day of the previous year (29 February → 28 February).
    pub fn previous_year(&self) -> Period {
        match *self {
            Period::Month { year, month } => Period::Month {
                year: year - 1,
                month,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year: year - 1,
                quarter,
            },
            Period::Year(year) => Period::Year(year - 1),
            Period::YearToDate { year, end } => Period::YearToDate {
                year: year - 1,
                end: end.and_then(|e| {
                    NaiveDate::from_ymd_opt(year - 1, e.month(), e.day())
                        .or_else(|| NaiveDate::from_ymd_opt(year - 1, e.month(), e.day() - 1))
                }),
            },
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year}Q{quarter}"),
            Period::Year(year) => write!(f, "{year}"),
            Period::YearToDate { year, end: None } => write!(f, "{year}-ytd"),
            Period::YearToDate {
                year,
                end: Some(end),
            } => write!(f, "{year}-ytd (to {end})"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    /// `2016-02` (or `2016-2`), `2016Q1` (or `2016-Q1`, `2016q1`), `2016`, `2016-ytd`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PeriodError::Syntax(s.to_string());
        let t = s.trim();
        let year_of = |y: &str| -> Result<i32, PeriodError> {
            if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) {
                y.parse().map_err(|_| err())
            } else {
                Err(err())
            }
        };
        if let Some(y) = t
            .strip_suffix("-ytd")
            .or_else(|| t.strip_suffix("-YTD"))
            .or_else(|| t.strip_suffix("ytd"))
        {
            return Ok(Period::YearToDate {
                year: year_of(y)?,
                end: None,
            });
        }
        if let Some(pos) = t.find(['Q', 'q']) {
            let year = year_of(t[..pos].trim_end_matches('-'))?;
            let quarter: u32 = t[pos + 1..].parse().map_err(|_| err())?;
            if !(1..=4).contains(&quarter) {
                return Err(err());
            }
            return Ok(Period::Quarter { year, quarter });
        }
        if let Some((y, m)) = t.split_once('-') {
            let year = year_of(y)?;
            if m.is_empty() || m.len() > 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            let month: u32 = m.parse().map_err(|_| err())?;
            if !(1..=12).contains(&month) {
                return Err(err());
            }
            return Ok(Period::Month { year, month });
        }
        Ok(Period::Year(year_of(t)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn parses_periods() {
        let p = |s: &str| s.parse::<Period>();
        assert_eq!(
            p("2016-02"),
            Ok(Period::Month {
                year: 2016,
                month: 2
            })
        );
        assert_eq!(
            p("2016-2"),
            Ok(Period::Month {
                year: 2016,
                month: 2
            })
        );
        assert_eq!(
            p("2016Q1"),
            Ok(Period::Quarter {
                year: 2016,
                quarter: 1
            })
        );
        assert_eq!(
            p("2016-q4"),
            Ok(Period::Quarter {
                year: 2016,
                quarter: 4
            })
        );
        assert_eq!(p("2016"), Ok(Period::Year(2016)));
        assert_eq!(
            p("2016-ytd"),
            Ok(Period::YearToDate {
                year: 2016,
                end: None
            })
        );
        for bad in [
            "", "16", "2016-13", "2016-00", "2016Q5", "2016Q0", "2016-", "x2016", "2016-1-1",
            "20160",
        ] {
            assert!(matches!(p(bad), Err(PeriodError::Syntax(_))), "{bad}");
        }
        for s in ["2016-02", "2016Q1", "2016", "2016-ytd"] {
            assert_eq!(p(s).map(|x| x.to_string()), Ok(s.to_string()));
        }
    }

    #[test]
    fn ranges() {
        let r = |s: &str| s.parse::<Period>().and_then(|p| p.range());
        assert_eq!(
            r("2016-02"),
            Ok(DateRange {
                first: d(2016, 2, 1),
                last: d(2016, 2, 29)
            })
        );
        assert_eq!(r("2015-02").map(|x| x.days()), Ok(28));
        assert_eq!(
            r("2015Q4"),
            Ok(DateRange {
                first: d(2015, 10, 1),
                last: d(2015, 12, 31)
            })
        );
        assert_eq!(r("2016").map(|x| x.days()), Ok(366));
        assert_eq!(r("2016-ytd"), Err(PeriodError::Unresolved(2016)));
        let ytd = Period::YearToDate {
            year: 2016,
            end: None,
        };
        let resolved = ytd.with_end(d(2016, 2, 29)).expect("in year");
        assert_eq!(resolved.range().map(|x| x.days()), Ok(60));
        // An end after the year clamps to 31 December; before it is an error.
        assert_eq!(
            ytd.with_end(d(2017, 3, 1))
                .and_then(|p| p.range())
                .map(|x| x.last),
            Ok(d(2016, 12, 31))
        );
        assert!(ytd.with_end(d(2015, 12, 31)).is_err());
        let range = resolved.range().expect("resolved");
        assert_eq!(range.index(d(2016, 1, 1)), Some(0));
        assert_eq!(range.index(d(2016, 2, 29)), Some(59));
        assert_eq!(range.index(d(2016, 3, 1)), None);
        assert_eq!(range.date(59), Some(d(2016, 2, 29)));
        assert_eq!(range.date(60), None);
        assert_eq!(range.iter().count(), 60);
    }

    #[test]
    fn previous_year() {
        let p = |s: &str| {
            s.parse::<Period>()
                .expect("period")
                .previous_year()
                .to_string()
        };
        assert_eq!(p("2016-02"), "2015-02");
        assert_eq!(p("2016Q1"), "2015Q1");
        assert_eq!(p("2016"), "2015");
        let ytd = Period::YearToDate {
            year: 2016,
            end: Some(d(2016, 2, 29)),
        };
        assert_eq!(
            ytd.previous_year(),
            Period::YearToDate {
                year: 2015,
                end: Some(d(2015, 2, 28))
            }
        );
        let ytd = Period::YearToDate {
            year: 2016,
            end: Some(d(2016, 5, 10)),
        };
        assert_eq!(
            ytd.previous_year().range().map(|r| r.last),
            Ok(d(2015, 5, 10))
        );
    }

    #[test]
    fn minimum_valid_days() {
        let m = |s: &str| {
            s.parse::<Period>()
                .and_then(|p| p.range())
                .map(|r| r.min_valid_days())
        };
        assert_eq!(m("2016-01"), Ok(27));
        assert_eq!(m("2016-04"), Ok(27));
        assert_eq!(m("2016-02"), Ok(25));
        assert_eq!(m("2015-02"), Ok(25));
        assert_eq!(m("2016Q1"), Ok(79));
        assert_eq!(m("2016Q4"), Ok(81));
        assert_eq!(m("2015"), Ok(324));
        assert_eq!(m("2016"), Ok(324));
        // 1 January … 15 February 2016: 27 + ⌈25 × 15 / 29⌉ = 27 + 13.
        let ytd = Period::YearToDate {
            year: 2016,
            end: Some(d(2016, 2, 15)),
        };
        assert_eq!(ytd.range().map(|r| r.min_valid_days()), Ok(40));
        assert_eq!(days_in_month(2016, 2), 29);
        assert_eq!(days_in_month(2015, 12), 31);
    }
}

//! The rankings page: stations, towns (districts) or the network for a month, quarter, year or
//! year to date, with the sub-indices, the comprehensive index, its rank and the change
//! against last year, and the CSV download — the ranking report's [`crate::report::ranking_figures`] and
//! [`RankingFigures::csv`], so the numbers are `lantian rank`'s.

use askama::Template;
use chrono::{Datelike, Utc};

use super::view::Frame;
use crate::assess::{GroupBy, Period, Pollutant, RankRow};
use crate::report::figures::{fixed, signed};
use crate::report::i18n::{Text, Words};
use crate::report::{RankingFigures, ReportError};
use crate::store::{Resolution, Store, network_zone};

/// The page's template.
#[derive(Template)]
#[template(path = "rankings.html")]
pub(crate) struct RankingsPage {
    /// The frame.
    pub(crate) frame: Frame,
    /// The reports' labels.
    pub(crate) rt: &'static Text,
    /// The period as asked (`2026-03`, `2026Q1`, `2026`, `2026-ytd`).
    pub(crate) asked: String,
    /// Stations, districts or the network.
    pub(crate) by: GroupBy,
    /// The figures.
    pub(crate) figures: RankingFigures,
    /// Whether the user may download the CSV.
    pub(crate) can_export: bool,
}

/// The code of a grouping in URLs (`station`, `district`, `network`).
pub(crate) fn by_code(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Station => "station",
        GroupBy::District => "district",
        GroupBy::Network => "network",
    }
}

/// A grouping from its URL code.
pub(crate) fn parse_by(code: &str) -> Option<GroupBy> {
    [GroupBy::Station, GroupBy::District, GroupBy::Network]
        .into_iter()
        .find(|b| by_code(*b) == code)
}

/// The period shown when none is asked: the year to date of the latest hourly data (this
/// year's without data).
pub(crate) fn default_period(store: &dyn Store) -> Result<Period, ReportError> {
    let tz = network_zone(&store.stations()?);
    let latest = store.readings_span(Resolution::Hour)?.map(|s| s.last);
    let year = latest.unwrap_or_else(Utc::now).with_timezone(&tz).year();
    Ok(Period::YearToDate { year, end: None })
}

impl RankingsPage {
    fn pollutants(&self) -> &'static [Pollutant] {
        &Pollutant::ALL
    }

    fn name(&self, i: &usize) -> &str {
        self.figures.table_name(*i, self.frame.lang)
    }

    fn rank(&self, row: &RankRow) -> String {
        row.rank.map_or_else(|| "—".to_string(), |r| r.to_string())
    }

    fn sub_index(&self, row: &RankRow, p: &Pollutant) -> String {
        fixed(row.stats.index.map(|i| i.of(*p)), 2)
    }

    fn total(&self, row: &RankRow) -> String {
        fixed(row.stats.total(), 2)
    }

    fn last_total(&self, row: &RankRow) -> String {
        fixed(row.previous_total(), 2)
    }

    fn change(&self, row: &RankRow) -> String {
        let change = row.change();
        match change.and_then(|c| c.percent) {
            Some(p) => format!(
                "{} ({}%)",
                signed(change.map(|c| c.difference), 2),
                signed(Some(p), 1)
            ),
            None => signed(change.map(|c| c.difference), 2),
        }
    }

    fn by_code(&self) -> &'static str {
        by_code(self.by)
    }

    fn groupings(&self) -> [(&'static str, &'static str); 3] {
        let l = self.frame.lang;
        [
            ("station", l.pick("站点", "stations")),
            ("district", l.pick("镇街", "towns")),
            ("network", l.pick("全市", "city")),
        ]
    }

    fn title(&self) -> &'static str {
        self.frame.lang.text().ranking_title
    }
}

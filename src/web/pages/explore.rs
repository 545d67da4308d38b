//! The data explorer (analysts): stations × parameters × resolution × range → one chart per
//! station and parameter, with the CSV and JSON of the same query from the API's streaming
//! `/api/v1/series` (any range, streamed); and a CSV of concentrations uploaded and given back
//! with its AQI by [`crate::aqi::csv::aqi_csv`], the contract of `lantian aqi`.

use askama::Template;
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::PageError;
use super::station::chart;
use super::view::Frame;
use crate::aqi::Standard;
use crate::aqi::csv::input::{RowProblem, Summary};
use crate::aqi::csv::{AqiCsvOptions, CategoryNames, Mode, aqi_csv};
use crate::quality::Flag;
use crate::store::{
    DataKind, ErrorKind, Filter, Operation, ReadingQuery, Record, Resolution, StationId,
    StationInfo, Store, StoreError,
};
use crate::units::Parameter;

/// Charts drawn at most (stations × parameters).
pub(crate) const MAX_CHARTS: usize = 24;
/// Values read for the charts at most; longer queries are for the downloads.
pub(crate) const MAX_CHART_VALUES: usize = 100_000;
/// The largest CSV accepted for the AQI.
pub(crate) const MAX_UPLOAD: usize = 2 * 1024 * 1024;
/// Row problems listed on the page at most (all are counted).
const PROBLEMS_SHOWN: usize = 200;
/// Result rows shown as a table at most (the whole CSV is in the text box).
const ROWS_SHOWN: usize = 500;

/// What the explorer was asked.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    /// The stations (at least one for charts).
    pub(crate) stations: Vec<String>,
    /// The parameters (at least one for charts).
    pub(crate) parameters: Vec<Parameter>,
    /// The resolution (minute, hour, day).
    pub(crate) resolution: Resolution,
    /// `[from, to)`.
    pub(crate) from: DateTime<Utc>,
    /// End, exclusive.
    pub(crate) to: DateTime<Utc>,
    /// The query string as the API reads it (for the downloads).
    pub(crate) query: String,
}

/// One chart of the explorer.
#[derive(Debug)]
pub(crate) struct ExploreChart {
    /// The station.
    pub(crate) station: String,
    /// The parameter's code.
    pub(crate) parameter: &'static str,
    /// The SVG.
    pub(crate) svg: String,
}

/// The charts of a selection, or why there are none.
#[derive(Debug)]
pub(crate) enum Charts {
    /// Nothing asked yet.
    NotAsked,
    /// Drawn.
    Drawn(Vec<ExploreChart>),
    /// Too much for charts (the downloads still work).
    TooMany(String),
}

/// The result of an uploaded CSV.
#[derive(Debug)]
pub(crate) enum Upload {
    /// Computed: the CSV with its AQI, the problems of bad rows (line, field) and the counts.
    Computed {
        /// The file name as uploaded.
        name: String,
        /// The CSV with AQI.
        csv: String,
        /// The problems found (the first ones).
        problems: Vec<RowProblem>,
        /// The counts.
        summary: Summary,
    },
    /// Refused as a whole (bad header, too large, not UTF-8 …).
    Refused(String),
}

/// Reads the charts' values: `None` when the query holds more than [`MAX_CHART_VALUES`].
pub(crate) fn explore_charts(
    store: &dyn Store,
    selection: &Selection,
    tz: Tz,
) -> Result<Charts, PageError> {
    if selection.stations.is_empty() || selection.parameters.is_empty() {
        return Ok(Charts::NotAsked);
    }
    let count = selection.stations.len() * selection.parameters.len();
    if count > MAX_CHARTS {
        return Ok(Charts::TooMany(format!(
            "{count} charts asked, {MAX_CHARTS} at most: choose fewer stations or parameters"
        )));
    }
    let query = ReadingQuery::new(selection.resolution, selection.from, selection.to)
        .for_stations(Filter::only(
            selection
                .stations
                .iter()
                .map(|s| StationId::from(s.as_str())),
        ))
        .for_parameters(Filter::only(selection.parameters.iter().copied()));
    let mut records: Vec<Record> = Vec::new();
    let too_many = || {
        StoreError::new(
            "explorer",
            Operation::Read(DataKind::Readings),
            ErrorKind::Rejected,
            "too many values for charts",
        )
    };
    let read = store.readings_paged(&query, 5000, &mut |page| {
        records.extend(page);
        if records.len() > MAX_CHART_VALUES {
            return Err(too_many());
        }
        Ok(())
    });
    if records.len() > MAX_CHART_VALUES {
        return Ok(Charts::TooMany(format!(
            "more than {MAX_CHART_VALUES} values: choose a coarser resolution or a shorter range \
             for charts (the downloads stream any range)"
        )));
    }
    read?;
    let mut charts = Vec::new();
    for station in &selection.stations {
        for &parameter in &selection.parameters {
            let unit = parameter.canonical_unit().symbol();
            let points = records
                .iter()
                .filter(|r| *r.station == **station && r.parameter == parameter)
                .map(|r| (r.time, (r.flag == Flag::Normal).then_some(r.value)));
            let title = format!("{station} · {} ({unit})", parameter.label()).replace(" ()", "");
            charts.push(ExploreChart {
                station: station.clone(),
                parameter: parameter.code(),
                svg: chart(title, (selection.from, selection.to, tz), points, false)?,
            });
        }
    }
    Ok(Charts::Drawn(charts))
}

/// The AQI of an uploaded CSV (`bytes`, at most [`MAX_UPLOAD`]).
pub(crate) fn upload_aqi(name: String, bytes: &[u8], options: AqiCsvOptions) -> Upload {
    if bytes.len() > MAX_UPLOAD {
        return Upload::Refused(format!(
            "{name}: larger than {} MiB",
            MAX_UPLOAD / 1024 / 1024
        ));
    }
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut keep = |p: RowProblem| {
        if problems.len() < PROBLEMS_SHOWN {
            problems.push(p);
        }
    };
    match aqi_csv(bytes, &mut out, options, &mut keep) {
        Ok(summary) => Upload::Computed {
            name,
            csv: String::from_utf8_lossy(&out).into_owned(),
            problems,
            summary,
        },
        Err(e) => Upload::Refused(format!("{name}: {e}")),
    }
}

/// The upload form's choices read: the standard, the mode, the category names.
pub(crate) fn upload_options(
    standard: &str,
    mode: &str,
    lang: crate::lang::Lang,
) -> Result<AqiCsvOptions, String> {
    let standard: Standard = standard
        .trim()
        .parse()
        .map_err(|e| format!("standard: {e}"))?;
    let mode = match mode {
        "hourly" => Mode::Hourly,
        "daily" => Mode::Daily,
        other => return Err(format!("mode: `{other}` is neither hourly nor daily")),
    };
    let names = match (lang, standard.family()) {
        (crate::lang::Lang::En, _) => CategoryNames::En,
        _ => CategoryNames::default_for(standard),
    };
    Ok(AqiCsvOptions {
        standard,
        mode,
        names,
    })
}

/// The explorer's template.
#[derive(Template)]
#[template(path = "explore.html")]
pub(crate) struct ExplorePage {
    /// The frame.
    pub(crate) frame: Frame,
    /// The session's CSRF token (the upload form's).
    pub(crate) csrf: String,
    /// The stations of the store.
    pub(crate) stations: Vec<StationInfo>,
    /// What was asked (`None`: nothing yet, or a bad query).
    pub(crate) selection: Option<Selection>,
    /// A bad query, in words.
    pub(crate) error: Option<String>,
    /// The charts.
    pub(crate) charts: Charts,
    /// The uploaded CSV's result.
    pub(crate) upload: Option<Upload>,
    /// The range the form shows, as local days.
    pub(crate) from_text: String,
    /// End.
    pub(crate) to_text: String,
}

impl ExplorePage {
    fn station_checked(&self, id: &str) -> bool {
        self.selection
            .as_ref()
            .is_some_and(|s| s.stations.iter().any(|x| x == id))
    }

    fn parameter_checked(&self, p: &Parameter) -> bool {
        self.selection
            .as_ref()
            .is_some_and(|s| s.parameters.contains(p))
    }

    fn resolution_selected(&self, code: &str) -> bool {
        let r = self
            .selection
            .as_ref()
            .map_or(Resolution::Hour, |s| s.resolution);
        code.parse::<Resolution>().is_ok_and(|c| c == r)
    }

    fn parameters(&self) -> &'static [Parameter] {
        &Parameter::ALL
    }

    fn station_name<'a>(&self, s: &'a StationInfo) -> &'a str {
        self.frame.lang.pick(&s.name, &s.name_en)
    }

    fn download(&self, format: &str) -> String {
        let query = self.selection.as_ref().map_or("", |s| s.query.as_str());
        format!("/api/v1/series?{query}&format={format}")
    }

    fn rows(&self, csv: &str) -> Vec<Vec<String>> {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(csv.as_bytes());
        reader
            .records()
            .take(ROWS_SHOWN + 1)
            .filter_map(Result::ok)
            .map(|r| r.iter().map(str::to_string).collect())
            .collect()
    }

    fn problem_field(&self, p: &RowProblem) -> String {
        p.field.clone().unwrap_or_default()
    }
}

/// The range the form shows when nothing was asked: the last 24 hours of data.
pub(crate) fn default_range(latest: Option<DateTime<Utc>>) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = latest.map_or_else(Utc::now, |t| t + TimeDelta::hours(1));
    (to - TimeDelta::days(1), to)
}

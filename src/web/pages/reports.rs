//! The reports page: the archive of the report folder (daily, ranking, device-health and any
//! other kind the reports write, e.g. `national`), each to view and download through the API's
//! file endpoint (which serves nothing outside the folder), and for analysts a form that
//! generates a report for a date or period with the same functions as `lantian report`.

use std::path::{Path, PathBuf};

use askama::Template;
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::assess::{GroupBy, Period};
use crate::lang::Lang;
use crate::registry::Registry;
use crate::report::index_page::{Entry, scan};
use crate::report::{DeviceSpec, ReportConfig, ReportError, ReportFiles};
use crate::store::Store;

use super::view::Frame;

/// A report to generate, read from the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReportRequest {
    /// The daily report of a local day.
    Daily(NaiveDate),
    /// The device-health report of a local day.
    Health(NaiveDate),
    /// A ranking report of a period.
    Ranking(Period, GroupBy),
}

/// The generation form's fields as sent.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct GenerateForm {
    /// `daily`, `health` or `ranking`.
    #[serde(default)]
    pub(crate) kind: String,
    /// The day (daily, health): `YYYY-MM-DD`.
    #[serde(default)]
    pub(crate) date: String,
    /// The period (ranking): `2026-03`, `2026Q1`, `2026`, `2026-ytd`.
    #[serde(default)]
    pub(crate) period: String,
    /// `station` or `district` (ranking).
    #[serde(default)]
    pub(crate) by: String,
}

impl GenerateForm {
    /// The request, or what is wrong with the form, naming the field.
    pub(crate) fn request(&self) -> Result<ReportRequest, String> {
        let date = || {
            NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d")
                .map_err(|_| format!("date: `{}` is not a day YYYY-MM-DD", self.date.trim()))
        };
        match self.kind.as_str() {
            "daily" => Ok(ReportRequest::Daily(date()?)),
            "health" => Ok(ReportRequest::Health(date()?)),
            "ranking" => {
                let period = self
                    .period
                    .trim()
                    .parse()
                    .map_err(|e| format!("period: {e}"))?;
                let by = match self.by.as_str() {
                    "" | "station" => GroupBy::Station,
                    "district" => GroupBy::District,
                    other => return Err(format!("by: `{other}` is neither station nor district")),
                };
                Ok(ReportRequest::Ranking(period, by))
            }
            other => Err(format!("kind: `{other}` is none of daily, health, ranking")),
        }
    }
}

impl ReportRequest {
    /// In words, for the audit log and the page.
    pub(crate) fn describe(&self) -> String {
        match self {
            ReportRequest::Daily(d) => format!("daily {d}"),
            ReportRequest::Health(d) => format!("health {d}"),
            ReportRequest::Ranking(p, GroupBy::District) => format!("ranking {p} by district"),
            ReportRequest::Ranking(p, _) => format!("ranking {p}"),
        }
    }
}

/// Writes the report asked into `dir` in `lang`, as `lantian report` does (the network's name
/// and devices from the registry when there is one). Blocking: run it off the async runtime.
pub(crate) fn generate(
    store: &dyn Store,
    registry: Option<&Registry>,
    request: &ReportRequest,
    dir: &Path,
    lang: Lang,
) -> Result<ReportFiles, ReportError> {
    let cfg = ReportConfig {
        out_dir: dir.to_path_buf(),
        lang,
    };
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let name = registry.map_or_else(
        || "lantian".to_string(),
        |r| lang.pick(&r.network.name, &r.network.name_en).to_string(),
    );
    match request {
        ReportRequest::Daily(date) => crate::report::daily_report(store, &name, *date, &cfg),
        ReportRequest::Health(date) => {
            let devices = registry.map(DeviceSpec::from_registry).unwrap_or_default();
            crate::report::health_report(store, &name, *date, &devices, &cfg)
        }
        ReportRequest::Ranking(period, by) => {
            crate::report::ranking_report(store, &name, *period, *by, &cfg)
        }
    }
}

/// The reports in `dir`, newest first (none when the folder does not exist yet).
pub(crate) fn archive(dir: &Path) -> Result<Vec<Entry>, ReportError> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    scan(dir)
}

/// What the last generation did, shown above the archive.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Written: the report's HTML file (relative to the folder).
    Written(String),
    /// Refused or failed, with why.
    Failed(String),
}

/// The page's template.
#[derive(Template)]
#[template(path = "reports.html")]
pub(crate) struct ReportsPage {
    /// The frame.
    pub(crate) frame: Frame,
    /// The archive.
    pub(crate) entries: Vec<Entry>,
    /// The session's CSRF token when the user may generate reports.
    pub(crate) generate: Option<String>,
    /// The last generation's outcome.
    pub(crate) outcome: Option<Outcome>,
    /// The day the form proposes (yesterday in the network's zone).
    pub(crate) default_date: String,
}

impl ReportsPage {
    /// The page for `frame` over the archive `entries`; the form proposes the last whole day
    /// before `latest` (the latest hourly data, now without any) in `tz`.
    pub(crate) fn new(
        frame: Frame,
        entries: Vec<Entry>,
        generate: Option<String>,
        outcome: Option<Outcome>,
        (latest, tz): (Option<DateTime<Utc>>, Tz),
    ) -> ReportsPage {
        let latest = latest.unwrap_or_else(Utc::now);
        let yesterday = latest.with_timezone(&tz).date_naive() - Days::new(1);
        ReportsPage {
            frame,
            entries,
            generate,
            outcome,
            default_date: yesterday.to_string(),
        }
    }

    fn kind(&self, kind: &str) -> String {
        let lang = self.frame.lang;
        match kind {
            "daily" => lang.pick("日报", "daily"),
            "ranking" => lang.pick("排名", "ranking"),
            "health" => lang.pick("设备运行", "device health"),
            "national" => lang.pick("全国城市排名", "national ranking"),
            other => other,
        }
        .to_string()
    }

    fn href(&self, file: &str) -> String {
        file_href(file, false)
    }

    fn download(&self, file: &str) -> String {
        file_href(file, true)
    }

    fn file_name<'a>(&self, file: &'a str) -> &'a str {
        file.rsplit('/').next().unwrap_or(file)
    }
}

/// The API's link to a file of the report folder.
pub(crate) fn file_href(file: &str, download: bool) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(file.as_bytes()).collect();
    let mut href = format!("/api/v1/reports/files/{encoded}");
    if download {
        href.push_str("?download=true");
    }
    href
}

/// The HTML file of a generation, relative to `dir`.
pub(crate) fn written_file(files: &ReportFiles, dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let html = files
        .html
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(&files.html));
    html.strip_prefix(&dir)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| {
            files
                .html
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, date: &str, period: &str, by: &str) -> GenerateForm {
        GenerateForm {
            kind: kind.into(),
            date: date.into(),
            period: period.into(),
            by: by.into(),
        }
    }

    #[test]
    fn the_form_is_read_field_by_field() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(
            form("daily", "2026-03-09", "", "").request(),
            Ok(ReportRequest::Daily(day))
        );
        assert_eq!(
            form("health", " 2026-03-09 ", "", "").request(),
            Ok(ReportRequest::Health(day))
        );
        assert!(matches!(
            form("ranking", "", "2026-03", "district").request(),
            Ok(ReportRequest::Ranking(_, GroupBy::District))
        ));
        for (bad, field) in [
            (form("daily", "../../etc/passwd", "", ""), "date:"),
            (form("daily", "2026-02-30", "", ""), "date:"),
            (form("health", "", "", ""), "date:"),
            (form("ranking", "", "../x", ""), "period:"),
            (form("ranking", "", "2026-03", "town/../x"), "by:"),
            (form("national/../..", "2026-03-09", "", ""), "kind:"),
        ] {
            let e = bad.request().unwrap_err();
            assert!(e.starts_with(field), "{e}");
        }
    }

    #[test]
    fn links_stay_in_the_api_file_endpoint() {
        assert_eq!(
            file_href("daily-2026-03-09.html", false),
            "/api/v1/reports/files/daily-2026-03-09.html"
        );
        assert_eq!(
            file_href("ranking-2026-03/x.csv", true),
            "/api/v1/reports/files/ranking-2026-03%2Fx.csv?download=true"
        );
    }
}

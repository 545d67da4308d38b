//! Report languages: every label in Chinese and English ([`Text`]), the sentences of the
//! pages' prose ([`Prose`]), names of categories and pollutants, dates.
//!
//! The Chinese wording follows what Chinese environment bureaus publish (空气质量日报,
//! 优良天数比例, 综合指数, 首要污染物, 镇街排名 …).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::aqi::span::AqiRange;
use crate::aqi::{Category, Pollutant as Term};
use crate::assess::Pollutant;
use crate::sources::signature::SourceType;
use crate::units::Parameter;

/// The language of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Simplified Chinese (default).
    #[default]
    Zh,
    /// English.
    En,
}

/// Error for an unknown language code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report language `{0}` (expected zh or en)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" | "chinese" => Ok(Lang::Zh),
            "en" | "english" => Ok(Lang::En),
            _ => Err(UnknownLang(s.to_string())),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Lang {
    /// `zh` or `en`.
    pub const fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The value of the HTML `lang` attribute.
    pub const fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The labels in this language.
    pub const fn text(self) -> &'static Text {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// The sentence templates in this language.
    pub const fn prose(self) -> &'static Prose {
        match self {
            Lang::Zh => &prose::ZH,
            Lang::En => &prose::EN,
        }
    }

    /// `zh` or `en`, whichever this is.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// A date as the language writes it: `2024年5月1日`, `1 May 2024`.
    pub fn date(self, d: NaiveDate) -> String {
        match self {
            Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
            Lang::En => d.format("%-d %B %Y").to_string(),
        }
    }

    /// An AQI category's name (优 … 严重污染; excellent … severely polluted).
    pub fn category(self, c: Category) -> &'static str {
        match self {
            Lang::Zh => c.name_zh(),
            Lang::En => c.name_en(),
        }
    }

    /// One category, or two joined: 良至轻度污染, good to lightly polluted.
    pub fn category_span(self, low: Category, high: Category) -> String {
        if low == high {
            self.category(low).to_string()
        } else {
            format!(
                "{}{}{}",
                self.category(low),
                self.pick("至", " to "),
                self.category(high)
            )
        }
    }

    /// A published AQI range with its category span: `AQI 90–130 · 良至轻度污染`,
    /// `AQI 90–130 · Good to lightly polluted`.
    pub fn aqi_range(self, r: &AqiRange) -> String {
        let span = self.category_span(r.span.low, r.span.high);
        let mut chars = span.chars();
        let span = match (self, chars.next()) {
            (Lang::En, Some(first)) => first.to_uppercase().chain(chars).collect(),
            _ => span,
        };
        format!("AQI {}–{} · {span}", r.low, r.high)
    }

    /// An AQI term's name (细颗粒物(PM2.5), 臭氧8小时; PM2.5, O3 8-h).
    pub fn term(self, t: Term) -> &'static str {
        match self {
            Lang::Zh => t.name_zh(),
            Lang::En => t.name_en(),
        }
    }

    /// Primary pollutants joined (`—` for none).
    pub fn terms(self, terms: &[Term]) -> String {
        if terms.is_empty() {
            return "—".to_string();
        }
        let names: Vec<&str> = terms.iter().map(|t| self.term(*t)).collect();
        names.join(self.pick("、", ", "))
    }

    /// A pollutant's short name (`PM2.5`).
    pub fn pollutant(self, p: Pollutant) -> &'static str {
        p.label()
    }

    /// A parameter's short name (`PM2.5`, `NOx`); the code for non-pollutants.
    pub fn parameter(self, p: Parameter) -> &'static str {
        p.label()
    }

    /// A source type label of the source analysis ([`SourceType::code`]);
    /// an unknown label as it is.
    pub fn source_type(self, label: &str) -> &str {
        let Some(t) = SourceType::from_code(label) else {
            return label;
        };
        let (zh, en) = match t {
            SourceType::CoalIndustrial => ("燃煤/工业", "coal/industrial"),
            SourceType::Traffic => ("机动车", "traffic"),
            SourceType::Dust => ("扬尘", "dust"),
            SourceType::BiomassBurning => ("生物质燃烧", "biomass burning"),
            SourceType::SecondaryRegional => ("二次/区域", "secondary/regional"),
            SourceType::Unclassified => ("未分类", "unclassified"),
        };
        self.pick(zh, en)
    }
}

/// A text in both languages (station names, chart titles).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bi {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Bi {
    /// From both texts.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Bi {
        Bi {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// From a label pair of [`Text`] fields of both languages.
    pub fn label(get: impl Fn(&'static Text) -> &'static str) -> Bi {
        Bi::new(get(&ZH), get(&EN))
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// Every fixed label of the reports, in one language.
#[derive(Debug)]
pub struct Text {
    /// Title of the daily report.
    pub daily_title: &'static str,
    /// Title of the ranking report.
    pub ranking_title: &'static str,
    /// Title of the device-health report.
    pub health_title: &'static str,
    /// Title of the index page.
    pub index_title: &'static str,
    /// "Issued".
    pub issued: &'static str,
    /// Footer: how the report was made.
    pub generated: &'static str,
    /// Summary section.
    pub summary: &'static str,
    /// Network air quality section.
    pub overview: &'static str,
    /// Stations per category section.
    pub categories: &'static str,
    /// Primary pollutants section.
    pub primary: &'static str,
    /// Ranking of towns section.
    pub towns: &'static str,
    /// Ranking of stations section.
    pub stations: &'static str,
    /// Year-to-date section.
    pub ytd: &'static str,
    /// 24-h AQI section.
    pub curve: &'static str,
    /// Station map section.
    pub map: &'static str,
    /// Notable events section.
    pub events: &'static str,
    /// Forecast section.
    pub forecast: &'static str,
    /// Data completeness section.
    pub completeness: &'static str,
    /// Notable events: the sources job ran and flagged nothing.
    pub events_none: &'static str,
    /// Notable events: no record of the sources job for the day.
    pub events_not_run: &'static str,
    /// Notable events: the table's note (severity, evidence).
    pub events_note: &'static str,
    /// Column: local time span of an episode.
    pub event_time: &'static str,
    /// Column: pollutants of an episode.
    pub event_pollutants: &'static str,
    /// Column: peak of an episode.
    pub event_peak: &'static str,
    /// Column: severity of an episode.
    pub event_severity: &'static str,
    /// Column: source type.
    pub event_source: &'static str,
    /// Column: evidence.
    pub event_evidence: &'static str,
    /// Placeholder of the forecast section.
    pub forecast_pending: &'static str,
    /// Placeholder of the notable-events section.
    pub events_pending: &'static str,
    /// Column: rank.
    pub rank: &'static str,
    /// Column: station.
    pub station: &'static str,
    /// Column: town / district.
    pub town: &'static str,
    /// Column: number of stations.
    pub n_stations: &'static str,
    /// Column: AQI.
    pub aqi: &'static str,
    /// Column: category.
    pub category: &'static str,
    /// Column: level.
    pub level: &'static str,
    /// Column: AQI range.
    pub aqi_range: &'static str,
    /// Column: share.
    pub share: &'static str,
    /// Column: primary pollutant.
    pub primary_pollutant: &'static str,
    /// Column: pollutant.
    pub pollutant: &'static str,
    /// Column: concentration.
    pub concentration: &'static str,
    /// Column: IAQI.
    pub iaqi: &'static str,
    /// Column: indicator.
    pub indicator: &'static str,
    /// Column: this period.
    pub this_year: &'static str,
    /// Column: same period last year.
    pub last_year: &'static str,
    /// Column: change.
    pub change: &'static str,
    /// Good-day share.
    pub good_share: &'static str,
    /// Good days / valid days.
    pub good_days: &'static str,
    /// Comprehensive index.
    pub comprehensive_index: &'static str,
    /// Network AQI (KPI).
    pub network_aqi: &'static str,
    /// Stations reporting (KPI).
    pub reporting: &'static str,
    /// Valid hours.
    pub valid_hours: &'static str,
    /// Capture.
    pub capture: &'static str,
    /// No data.
    pub no_data: &'static str,
    /// Chart axis: hour.
    pub hour_axis: &'static str,
    /// Chart legend: network.
    pub network_curve: &'static str,
    /// Chart legend: range of stations.
    pub station_range: &'static str,
    /// Chart title: 24-h AQI.
    pub curve_title: &'static str,
    /// Chart title: map.
    pub map_title: &'static str,
    /// Unit note for concentration tables.
    pub unit_note: &'static str,
    /// Methods note of the daily report.
    pub daily_method: &'static str,
    /// Ranking: period.
    pub period: &'static str,
    /// Ranking: sub-indices section.
    pub index_table: &'static str,
    /// Ranking: chart section.
    pub index_chart: &'static str,
    /// Ranking: best and worst section.
    pub best_worst: &'static str,
    /// Ranking: per-pollutant section.
    pub per_pollutant: &'static str,
    /// Ranking: best.
    pub best: &'static str,
    /// Ranking: worst.
    pub worst: &'static str,
    /// Ranking: last year's rank.
    pub last_rank: &'static str,
    /// Ranking: valid days.
    pub valid_days: &'static str,
    /// Ranking: insufficient data mark.
    pub insufficient: &'static str,
    /// Ranking: chart axis.
    pub index_axis: &'static str,
    /// Ranking: chart title.
    pub index_chart_title: &'static str,
    /// Ranking: per-pollutant chart title.
    pub pollutant_chart_title: &'static str,
    /// Ranking: methods note.
    pub ranking_method: &'static str,
    /// Ranking: CSV link.
    pub csv_link: &'static str,
    /// Ranking by station.
    pub by_station: &'static str,
    /// Ranking by town.
    pub by_town: &'static str,
    /// Ranking: only part of the rows charted.
    pub chart_subset: &'static str,
    /// Health: visit-first section.
    pub visit_first: &'static str,
    /// Health: uptime section.
    pub uptime: &'static str,
    /// Health: capture section.
    pub capture_section: &'static str,
    /// Health: alarms section.
    pub alarms: &'static str,
    /// Health: data checks section.
    pub checks: &'static str,
    /// Column: device.
    pub device: &'static str,
    /// Column: parameter.
    pub parameter: &'static str,
    /// Column: online.
    pub online: &'static str,
    /// Column: poll success.
    pub poll_success: &'static str,
    /// Column: last error.
    pub last_error: &'static str,
    /// Column: score.
    pub score: &'static str,
    /// Column: reasons.
    pub reasons: &'static str,
    /// Column: from.
    pub from: &'static str,
    /// Column: to.
    pub to: &'static str,
    /// Column: flag.
    pub flag: &'static str,
    /// Column: check.
    pub check: &'static str,
    /// Column: count/duration.
    pub duration: &'static str,
    /// Column: detail.
    pub detail: &'static str,
    /// Meets the 20-hour rule.
    pub meets_rule: &'static str,
    /// Yes.
    pub yes: &'static str,
    /// No.
    pub no: &'static str,
    /// Nothing to report.
    pub none_found: &'static str,
    /// Health: methods note.
    pub health_method: &'static str,
    /// Index page: kind.
    pub kind: &'static str,
    /// Index page: report.
    pub report: &'static str,
    /// Index page: files.
    pub files: &'static str,
}

mod prose;
mod tables;
pub use prose::{Change, Prose, fill};
pub use tables::{EN, ZH};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_and_dates() {
        assert_eq!("zh".parse::<Lang>().unwrap(), Lang::Zh);
        assert_eq!("EN".parse::<Lang>().unwrap(), Lang::En);
        assert!("fr".parse::<Lang>().is_err());
        let d = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
        assert_eq!(Lang::Zh.date(d), "2024年5月1日");
        assert_eq!(Lang::En.date(d), "1 May 2024");
        assert_eq!(
            Lang::Zh.terms(&[Term::Pm25, Term::O3_8h]),
            "细颗粒物(PM2.5)、臭氧8小时"
        );
        assert_eq!(Lang::En.terms(&[]), "—");
        assert_eq!(Bi::label(|t| t.aqi).get(Lang::En), "AQI");
    }
}

//! Report languages: every label in Chinese and English ([`Text`]), the sentences of the
//! pages' prose ([`Prose`]), names only reports use ([`Words`]). The language itself, texts in
//! both languages and the names of dates, categories and parameters are [`crate::lang`]'s.
//!
//! The Chinese wording follows what Chinese environment bureaus publish (空气质量日报,
//! 优良天数比例, 综合指数, 首要污染物, 镇街排名 …).

use crate::assess::Pollutant;
use crate::lang::{Bi, Lang};
use crate::units::SourceType;

/// The reports' words in a language: their labels and sentences, and names that only reports
/// write.
pub trait Words {
    /// The labels in this language.
    fn text(self) -> &'static Text;
    /// The sentence templates in this language.
    fn prose(self) -> &'static Prose;
    /// A pollutant's short name (`PM2.5`).
    fn pollutant(self, p: Pollutant) -> &'static str;
    /// A source type's name.
    fn source_type(self, t: SourceType) -> &'static str;
}

impl Words for Lang {
    fn text(self) -> &'static Text {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    fn prose(self) -> &'static Prose {
        match self {
            Lang::Zh => &prose::ZH,
            Lang::En => &prose::EN,
        }
    }

    fn pollutant(self, p: Pollutant) -> &'static str {
        p.label()
    }

    fn source_type(self, t: SourceType) -> &'static str {
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

/// A label of [`Text`] in both languages (`label(|t| t.aqi)`).
pub fn label(get: impl Fn(&'static Text) -> &'static str) -> Bi {
    Bi::new(get(&ZH), get(&EN))
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
    /// Alarms section of the daily report.
    pub alarms_section: &'static str,
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
    /// Health: title of the device-states chart.
    pub states_chart: &'static str,
    /// Health: how the device-states chart is drawn.
    pub states_note: &'static str,
    /// Health: heading of the device-states chart's block of stations online all day.
    pub states_quiet: &'static str,
    /// Device state: values delivered.
    pub state_online: &'static str,
    /// Device state: calibration (C).
    pub state_calibration: &'static str,
    /// Device state: maintenance (M).
    pub state_maintenance: &'static str,
    /// Device state: fault or alarm (D).
    pub state_fault: &'static str,
    /// Device state: stopped (F).
    pub state_stopped: &'static str,
    /// Device state: no record.
    pub state_no_data: &'static str,
    /// Health: title of the capture chart.
    pub capture_chart: &'static str,
    /// Capture chart legend: meets the 20-hour rule.
    pub capture_meets: &'static str,
    /// Capture chart legend: below the rule (the number is the valid hours).
    pub capture_below: &'static str,
    /// Capture chart legend: the rule's line.
    pub capture_rule: &'static str,
    /// Alarms: none active on the day.
    pub alarms_none: &'static str,
    /// Alarms: column and row of totals.
    pub alarms_total: &'static str,
    /// Alarms: heading of the most severe.
    pub alarms_most_severe: &'static str,
    /// Alarms: heading of the longest.
    pub alarms_longest: &'static str,
    /// Alarms: how the tables read (times, duration, peak).
    pub alarms_note: &'static str,
    /// Column: what an alarm is about.
    pub alarm_subject: &'static str,
    /// Column: the rule that raised it.
    pub alarm_rule: &'static str,
    /// Column: how long an alarm lasted.
    pub alarm_duration: &'static str,
    /// Health: device alarms section.
    pub device_alarms: &'static str,
    /// Health: HJ 212 loggers section.
    pub loggers: &'static str,
    /// Column: the address a logger's data came from.
    pub logger_peer: &'static str,
    /// Column: a logger's last packet.
    pub logger_last_packet: &'static str,
    /// Column: packets received / taken.
    pub logger_packets: &'static str,
    /// Column: periods skipped between consecutive data.
    pub logger_gaps: &'static str,
    /// Column: packets rejected, by cause.
    pub logger_rejected: &'static str,
    /// Index page: kind (also the alarms' kind column).
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
    fn labels_in_both_languages() {
        assert_eq!(label(|t| t.aqi).get(Lang::En), "AQI");
        assert_eq!(Lang::Zh.source_type(SourceType::Dust), "扬尘");
        assert_eq!(
            Lang::En.source_type(SourceType::BiomassBurning),
            "biomass burning"
        );
    }
}

//! Report languages: every label in Chinese and English ([`Text`]), names of categories and
//! pollutants, dates.
//!
//! The Chinese wording follows what Chinese environment bureaus publish (空气质量日报,
//! 优良天数比例, 综合指数, 首要污染物, 镇街排名 …).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::aqi::{Category, Pollutant as Term};
use crate::assess::Pollutant;
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

    /// An AQI term's name (细颗粒物(PM2.5), 臭氧8小时; PM2.5, O3 8-h).
    pub fn term(self, t: Term) -> &'static str {
        match self {
            Lang::Zh => t.name_zh(),
            Lang::En => match t {
                Term::So2 => "SO2",
                Term::No2 => "NO2",
                Term::Pm10 => "PM10",
                Term::Pm25 => "PM2.5",
                Term::Co => "CO",
                Term::O3_1h => "O3 1-h",
                Term::O3_8h => "O3 8-h",
            },
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

    /// A pollutant's short name with its period statistic's unit (e.g. `PM2.5 (µg/m³)`).
    pub fn pollutant(self, p: Pollutant) -> &'static str {
        match p {
            Pollutant::So2 => "SO2",
            Pollutant::No2 => "NO2",
            Pollutant::Pm10 => "PM10",
            Pollutant::Pm25 => "PM2.5",
            Pollutant::Co => "CO",
            Pollutant::O3 => "O3",
        }
    }

    /// A parameter's short name (`PM2.5`, `NOx`); the code for non-pollutants.
    pub fn parameter(self, p: Parameter) -> &'static str {
        match p {
            Parameter::Pm25 => "PM2.5",
            Parameter::Pm10 => "PM10",
            Parameter::So2 => "SO2",
            Parameter::No2 => "NO2",
            Parameter::No => "NO",
            Parameter::Nox => "NOx",
            Parameter::Co => "CO",
            Parameter::O3 => "O3",
            other => other.code(),
        }
    }

    /// A source type label of the source analysis ([`crate::sources::signature::LABELS`]);
    /// an unknown label as it is.
    pub fn source_type(self, label: &str) -> &str {
        let (zh, en) = match label {
            "coal_industrial" => ("燃煤/工业", "coal/industrial"),
            "traffic" => ("机动车", "traffic"),
            "dust" => ("扬尘", "dust"),
            "biomass_burning" => ("生物质燃烧", "biomass burning"),
            "secondary_regional" => ("二次/区域", "secondary/regional"),
            "unclassified" => ("未分类", "unclassified"),
            other => return other,
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

/// Chinese labels.
pub static ZH: Text = Text {
    daily_title: "环境空气质量日报",
    ranking_title: "环境空气质量综合指数排名",
    health_title: "监测设备运行状况日报",
    index_title: "报告目录",
    issued: "发布时间",
    generated: "本报告由 lantian 空气质量监测系统根据自动监测数据生成，数据未经人工审核。",
    summary: "一、概述",
    overview: "二、全市空气质量",
    categories: "三、各级别站点数",
    primary: "四、首要污染物",
    towns: "五、镇街空气质量排名",
    stations: "六、站点空气质量排名",
    ytd: "七、年度累计情况",
    curve: "八、24小时AQI变化",
    map: "九、站点空气质量分布",
    events: "十、重要事件",
    forecast: "十一、明日空气质量预报",
    completeness: "十二、数据完整性",
    events_none: "当日未识别出新的局地污染过程。",
    events_not_run: "暂无：污染源识别任务（sources）尚未对当日数据运行，本节暂无内容。",
    events_note: "时段为当地时间；峰值为站点浓度（括号内为高于全网背景的浓度）。强度为峰值超出全网背景的浓度与该污染物过程判定下限之比。证据：判定源类型的比值、站点条件概率函数（CPF）主导方向及z值、交会定位的最近污染源（距离±不确定半径，方位）、过程期间风向。",
    event_time: "时段",
    event_pollutants: "污染物",
    event_peak: "峰值",
    event_severity: "强度",
    event_source: "源类型",
    event_evidence: "证据",
    forecast_pending: "暂无：空气质量预报功能尚未上线，本节暂不提供内容。",
    events_pending: "暂无：污染过程与重点源识别功能尚未上线，本节暂不提供内容。",
    rank: "排名",
    station: "站点",
    town: "镇街",
    n_stations: "站点数",
    aqi: "AQI",
    category: "空气质量级别",
    level: "级别",
    aqi_range: "AQI范围",
    share: "占比",
    primary_pollutant: "首要污染物",
    pollutant: "污染物",
    concentration: "浓度",
    iaqi: "分指数(IAQI)",
    indicator: "指标",
    this_year: "今年",
    last_year: "去年同期",
    change: "变化",
    good_share: "优良天数比例",
    good_days: "优良天数/有效天数",
    comprehensive_index: "综合指数",
    network_aqi: "全市AQI",
    reporting: "有数据站点",
    valid_hours: "有效小时数",
    capture: "数据获取率",
    no_data: "无数据",
    hour_axis: "时刻（小时末）",
    network_curve: "全市",
    station_range: "站点范围",
    curve_title: "全市逐时AQI",
    map_title: "各站点日AQI分布",
    unit_note: "浓度单位：微克/立方米（CO为毫克/立方米）；O3为日最大8小时滑动平均。",
    daily_method: "说明：全市及镇街AQI按各站点日均浓度（O3为日最大1小时及最大8小时滑动平均）的算术平均值依HJ 633计算；站点按日AQI由低到高排名，AQI相同者并列。年度累计按HJ 663计算，优良天数为日AQI不超过100的天数。",
    period: "评价时段",
    index_table: "一、综合指数及分指数",
    index_chart: "二、综合指数排名图",
    best_worst: "三、最好与最差",
    per_pollutant: "四、单项污染物排名",
    best: "最好",
    worst: "最差",
    last_rank: "去年同期排名",
    valid_days: "有效天数",
    insufficient: "有效天数不足",
    index_axis: "综合指数",
    index_chart_title: "环境空气质量综合指数",
    pollutant_chart_title: "各污染物评价浓度",
    ranking_method: "说明：综合指数按HJ 663计算，为SO2、NO2、PM10、PM2.5年均值（时段均值）、CO日均值第95百分位数及O3日最大8小时滑动平均第90百分位数分别除以GB 3095二级标准限值之和；排名按综合指数由小到大，数值相同者并列。变化为与去年同期相比。",
    csv_link: "数据表（CSV）",
    by_station: "站点",
    by_town: "镇街",
    chart_subset: "站点较多，图中仅显示排名最好和最差各20个。",
    visit_first: "一、优先运维设备",
    uptime: "二、设备在线情况",
    capture_section: "三、各参数数据获取率",
    alarms: "四、报警、校准与维护时段",
    checks: "五、数据异常检查",
    device: "设备",
    parameter: "参数",
    online: "当前在线",
    poll_success: "采集成功率",
    last_error: "最近错误",
    score: "优先级",
    reasons: "原因",
    from: "开始",
    to: "结束",
    flag: "标记",
    check: "检查项",
    duration: "时长/次数",
    detail: "详情",
    meets_rule: "满足20小时",
    yes: "是",
    no: "否",
    none_found: "未发现。",
    health_method: "说明：数据获取率为有效小时（标记N）数除以24，每日不少于20个有效小时为有效日（HJ 663）。恒值：同一数值连续出现不少于30个分钟值（无分钟数据时6个小时值），且长于全网其他站点同参数当日最长重复的3倍；超量程为T标记；不一致为同一小时PM2.5大于PM10或NO2大于NOx（均以微克/立方米计，NOx以NO2计）。",
    kind: "类型",
    report: "报告",
    files: "文件",
};

/// English labels.
pub static EN: Text = Text {
    daily_title: "Daily Air Quality Report",
    ranking_title: "Air Quality Ranking by Comprehensive Index",
    health_title: "Daily Device Health Report",
    index_title: "Reports",
    issued: "Issued",
    generated: "Generated by the lantian air-quality monitoring system from automatic monitoring data; not manually reviewed.",
    summary: "1. Summary",
    overview: "2. Network air quality",
    categories: "3. Stations by category",
    primary: "4. Primary pollutants",
    towns: "5. Ranking of towns",
    stations: "6. Ranking of stations",
    ytd: "7. Year to date",
    curve: "8. 24-hour AQI",
    map: "9. Stations map",
    events: "10. Notable events",
    forecast: "11. Tomorrow's forecast",
    completeness: "12. Data completeness",
    events_none: "No new local pollution episode was flagged on this day.",
    events_not_run: "Not available: the source-flagging job (sources) has not run for this day.",
    events_note: "Local time. Peak: the station's concentration (in brackets, its excess over the network background). Severity: the peak excess over the background divided by the pollutant's minimum episode excess. Evidence: the ratio behind the source type, the station's dominant CPF bearing and its z-score, the nearest triangulated source (distance ± uncertainty radius, bearing), the wind during the episode.",
    event_time: "Time",
    event_pollutants: "Pollutants",
    event_peak: "Peak",
    event_severity: "Severity",
    event_source: "Source type",
    event_evidence: "Evidence",
    forecast_pending: "Not available yet: the air-quality forecast is not in service; this section has no content.",
    events_pending: "Not available yet: episode detection and source identification are not in service; this section has no content.",
    rank: "Rank",
    station: "Station",
    town: "Town",
    n_stations: "Stations",
    aqi: "AQI",
    category: "Category",
    level: "Level",
    aqi_range: "AQI range",
    share: "Share",
    primary_pollutant: "Primary pollutant",
    pollutant: "Pollutant",
    concentration: "Concentration",
    iaqi: "Sub-index (IAQI)",
    indicator: "Indicator",
    this_year: "This year",
    last_year: "Same period last year",
    change: "Change",
    good_share: "Good-day share",
    good_days: "Good days / valid days",
    comprehensive_index: "Comprehensive index",
    network_aqi: "Network AQI",
    reporting: "Stations reporting",
    valid_hours: "Valid hours",
    capture: "Data capture",
    no_data: "no data",
    hour_axis: "Hour (hour-ending)",
    network_curve: "Network",
    station_range: "Range of stations",
    curve_title: "Network hourly AQI",
    map_title: "Daily AQI by station",
    unit_note: "Concentrations in µg/m³ (CO mg/m³); O3 is the daily maximum 8-hour moving mean.",
    daily_method: "Notes: the network and town AQI are HJ 633 daily AQIs of the arithmetic means of the stations' daily values (O3: daily maximum 1-hour and 8-hour means); stations are ranked by daily AQI, lowest first, equal values sharing a rank. Year-to-date figures follow HJ 663; a good day has a daily AQI of at most 100.",
    period: "Period",
    index_table: "1. Comprehensive index and sub-indices",
    index_chart: "2. Ranking chart",
    best_worst: "3. Best and worst",
    per_pollutant: "4. Rankings by pollutant",
    best: "Best",
    worst: "Worst",
    last_rank: "Rank last year",
    valid_days: "Valid days",
    insufficient: "insufficient valid days",
    index_axis: "Comprehensive index",
    index_chart_title: "Comprehensive air quality index",
    pollutant_chart_title: "Period concentrations by pollutant",
    ranking_method: "Notes: the comprehensive index (HJ 663) is the sum over SO2, NO2, PM10 and PM2.5 period means, the 95th percentile of daily CO and the 90th percentile of the daily maximum 8-hour O3, each divided by its GB 3095 Grade II limit; rows are ranked by the index, lowest first, equal values sharing a rank. Changes are against the same period last year.",
    csv_link: "Data (CSV)",
    by_station: "stations",
    by_town: "towns",
    chart_subset: "Many rows: the charts show the best 20 and the worst 20.",
    visit_first: "1. Devices to visit first",
    uptime: "2. Device uptime",
    capture_section: "3. Data capture by parameter",
    alarms: "4. Alarms, calibrations and maintenance",
    checks: "5. Data checks",
    device: "Device",
    parameter: "Parameter",
    online: "Online now",
    poll_success: "Poll success",
    last_error: "Last error",
    score: "Priority",
    reasons: "Reasons",
    from: "From",
    to: "To",
    flag: "Flag",
    check: "Check",
    duration: "Duration / count",
    detail: "Detail",
    meets_rule: "≥ 20 h",
    yes: "yes",
    no: "no",
    none_found: "None found.",
    health_method: "Notes: data capture is valid hours (flag N) out of 24; a day needs at least 20 valid hours (HJ 663). Stuck: the same value for at least 30 consecutive minute values (6 hourly values without minute data) and more than three times the longest repeat of that parameter at the median other station; out of range: flag T; inconsistent: PM2.5 above PM10 or NO2 above NOx (both µg/m³, NOx as NO2) in the same hour.",
    kind: "Kind",
    report: "Report",
    files: "Files",
};

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

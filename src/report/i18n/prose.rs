//! The reports' sentences in Chinese and English ([`Prose`]): templates with named
//! placeholders (`{date}`, `{aqi}` …) that a page fills with [`fill`]. The page decides once
//! which sentences to write and with which figures; the words and their order come from here.

use crate::assess::round_half_even;
use crate::report::figures::fixed;

/// Fills a template: each `{name}` with the value given for `name`. Values are not scanned
/// again, so a value may contain braces; a placeholder without a value stays as it is.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A change against last year in words, one template for each sign of the change rounded to
/// the figure's decimals; `{v}` is its absolute value.
#[derive(Debug)]
pub struct Change {
    /// The change is positive.
    pub up: &'static str,
    /// The change is negative.
    pub down: &'static str,
    /// The change rounds to zero.
    pub flat: &'static str,
}

impl Change {
    /// The clause for `change` shown with `decimals` decimals (half to even, as [`fixed`]).
    pub fn fill(&self, change: f64, decimals: u32) -> String {
        let rounded = round_half_even(change, decimals);
        let template = if rounded > 0.0 {
            self.up
        } else if rounded < 0.0 {
            self.down
        } else {
            self.flat
        };
        fill(template, &[("v", &fixed(Some(change.abs()), decimals))])
    }
}

/// Every sentence template of the reports, in one language.
#[derive(Debug)]
pub struct Prose {
    /// Separator of a list of counts or names (`、`, `, `).
    pub list: &'static str,
    /// Daily summary: the network's AQI ({date}, {category}, {level}, {aqi}, {primary}).
    pub daily_network: &'static str,
    /// Daily summary: the `{primary}` of [`Prose::daily_network`] ({terms}).
    pub daily_primary: &'static str,
    /// Daily summary: the `{primary}` of [`Prose::daily_network`] without one.
    pub daily_no_primary: &'static str,
    /// Daily summary: no network AQI ({date}).
    pub daily_no_network: &'static str,
    /// Daily summary: stations per category ({n} stations, {counts}, {no_data}).
    pub daily_categories: &'static str,
    /// Which stations make the network's and the towns' figures and the rankings, when some do not ({n}
    /// assessment stations, {micro} micro stations, {background} background sites).
    pub counted: &'static str,
    /// Daily summary: one of the `{counts}` ({category}, {n}).
    pub daily_category_count: &'static str,
    /// Daily summary: the `{no_data}` of [`Prose::daily_categories`] ({n} stations).
    pub daily_no_data: &'static str,
    /// Daily summary: the cleanest and the most polluted town ({best}, {best_aqi}, {worst},
    /// {worst_aqi}).
    pub daily_towns: &'static str,
    /// Daily summary: the year's good-day share ({share}, {change}).
    pub daily_good_share: &'static str,
    /// Daily summary: the `{change}` of [`Prose::daily_good_share`], in percentage points.
    pub daily_good_share_change: Change,
    /// Daily summary: the year's comprehensive index ({index}, {change}).
    pub daily_index: &'static str,
    /// Daily summary: the `{change}` of [`Prose::daily_index`].
    pub daily_index_change: Change,
    /// Daily data completeness ({stations}, {reporting}, {complete}, {capture}, {hours},
    /// {expected}).
    pub daily_completeness: &'static str,
    /// Ranking summary without a ranked row ({period}).
    pub ranking_no_data: &'static str,
    /// Ranking summary ({period}, {n}, {what}: towns or stations, {best}, {best_index},
    /// {worst}, {worst_index}).
    pub ranking_summary: &'static str,
    /// Ranking summary: rows compared with last year ({compared}, {improved}).
    pub ranking_compared: &'static str,
    /// Notable events: one episode flagged ({n}).
    pub events_one: &'static str,
    /// Notable events: several episodes flagged ({n}).
    pub events_many: &'static str,
    /// Alarms of the day ({n} active, {opened} opened on the day, {open} not closed).
    pub daily_alarms: &'static str,
    /// Forecast section: nothing issued by the cutoff ({dates}, {cutoff}).
    pub forecast_none: &'static str,
    /// Separator of the `{dates}` of [`Prose::forecast_none`] (`、`, ` or `).
    pub forecast_dates: &'static str,
    /// Forecast section: a day without a forecast ({date}).
    pub forecast_day_none: &'static str,
    /// Forecast section: a day's range of station AQIs ({date}, {span}, {categories},
    /// {issued}).
    pub forecast_day: &'static str,
    /// Forecast section: a day issued without any station value ({date}, {issued}).
    pub forecast_day_no_value: &'static str,
    /// Forecast section: stations without an AQI forecast ({n}, {missing}).
    pub forecast_abstained: &'static str,
    /// Separator of the `{missing}` of [`Prose::forecast_abstained`] (`；`, `; `).
    pub forecast_reasons: &'static str,
    /// Forecast section: the heavy-pollution warning the forecast calls for ({level},
    /// {undecided}: [`Prose::forecast_warning_undecided`] or nothing).
    pub forecast_warning: &'static str,
    /// Forecast section: a higher warning level the forecast cannot decide ({higher}, {days},
    /// {horizon}).
    pub forecast_warning_undecided: &'static str,
    /// Forecast section: no warning called for.
    pub forecast_warning_none: &'static str,
    /// Forecast section: pollutants not published for lack of skill ({pollutants}).
    pub forecast_beyond_skill: &'static str,
    /// Forecast section: the recent live skill ({days}, {hit}, {n}, {persistence}, {mae}).
    pub forecast_skill: &'static str,
    /// Forecast section: no verified forecast in the recent days ({days}).
    pub forecast_no_skill: &'static str,
    /// Forecast section: the same days scored as range forecasts ({n}, {aqi_hit}, {span_hit}).
    pub forecast_range_skill: &'static str,
    /// Device-health summary ({date}, {devices}, {offline}, {low}, {periods}, {checks},
    /// {visit}).
    pub health_summary: &'static str,
}

/// Chinese sentences.
pub(super) static ZH: Prose = Prose {
    list: "、",
    daily_network: "{date}，全市环境空气质量为{category}（{level}级），AQI为{aqi}，{primary}。",
    daily_primary: "首要污染物为{terms}",
    daily_no_primary: "无首要污染物",
    daily_no_network: "{date}，全市数据不足，未能计算AQI。",
    daily_categories: "{n}个站点中，{counts}{no_data}。",
    daily_category_count: "{category}{n}个",
    counted: "全市、镇街数值和排名仅计{n}个评价点；{micro}个微站和{background}个对照点不参与评价。",
    daily_no_data: "，{n}个站点无有效数据",
    daily_towns: "镇街中{best}空气质量最好（AQI {best_aqi}），{worst}最差（AQI {worst_aqi}）。",
    daily_good_share: "今年以来优良天数比例为{share}{change}；",
    daily_good_share_change: Change {
        up: "，较去年同期上升{v}个百分点",
        down: "，较去年同期下降{v}个百分点",
        flat: "，与去年同期持平",
    },
    daily_index: "综合指数为{index}{change}。",
    daily_index_change: Change {
        up: "，较去年同期上升{v}",
        down: "，较去年同期下降{v}",
        flat: "，与去年同期持平",
    },
    daily_completeness: "全市{stations}个站点中{reporting}个有数据，{complete}个站点六项污染物均满足每日20个有效小时；小时数据获取率为{capture}（{hours}/{expected}）。",
    ranking_no_data: "{period}数据不足，无法计算综合指数。",
    ranking_summary: "{period}，参与排名的{what}共{n}个。综合指数最小（空气质量最好）的是{best}（{best_index}），最大的是{worst}（{worst_index}）。",
    ranking_compared: "与去年同期相比，{compared}个中有{improved}个综合指数下降（改善）。",
    events_one: "当日识别出{n}起新的局地污染过程，按强度由高到低排列。",
    events_many: "当日识别出{n}起新的局地污染过程，按强度由高到低排列。",
    daily_alarms: "当日共有{n}条告警处于活动状态，其中{opened}条为当日新发生，{open}条至今未关闭。",
    forecast_none: "暂无预报：截至{cutoff}未发布{dates}的空气质量预报（预报任务未运行或未配置预报模型）。",
    forecast_dates: "、",
    forecast_day_none: "{date}：暂无预报。",
    forecast_day: "{date}：全市各站AQI预计为{span}，{categories}（{issued}发布）。",
    forecast_day_no_value: "{date}：无站点预报值（{issued}发布）。",
    forecast_abstained: "{n}个站点无AQI预报：{missing}。",
    forecast_reasons: "；",
    forecast_warning: "按预报，全市达到重污染天气{level}条件{undecided}。",
    forecast_warning_undecided: "（至少；{higher}需{days}天预报判定，本次预报{horizon}天）",
    forecast_warning_none: "按预报，全市未达到重污染天气预警条件。",
    forecast_beyond_skill: "{pollutants}在该时效无预报技巧，未发布",
    forecast_skill: "近{days}天预报检验：次日AQI类别准确率{hit}%（{n}个站日；持续性预报{persistence}），日AQI平均绝对误差{mae}。",
    forecast_no_skill: "近{days}天暂无可检验的预报。",
    forecast_range_skill: "按范围预报评估（{n}个站日）：AQI范围预报准确率{aqi_hit}，级别范围预报准确率{span_hit}。",
    health_summary: "{date}，共{devices}台设备，当前离线{offline}台；{low}个参数有效小时不足20；发现报警/校准/维护时段{periods}个，数据异常{checks}项。需优先运维设备{visit}台。",
};

/// English sentences.
pub(super) static EN: Prose = Prose {
    list: ", ",
    daily_network: "On {date} the network's air quality was {category} (level {level}), AQI {aqi}, {primary}. ",
    daily_primary: "primary pollutant {terms}",
    daily_no_primary: "no primary pollutant",
    daily_no_network: "On {date} the network had too little data for an AQI. ",
    daily_categories: "Of {n} stations, {counts}{no_data}. ",
    counted: "Network and town figures and rankings count the {n} assessment stations only; {micro} micro stations and {background} background sites are not counted. ",
    daily_category_count: "{n} {category}",
    daily_no_data: "; {n} without valid data",
    daily_towns: "Among the towns, {best} was cleanest (AQI {best_aqi}) and {worst} the most polluted (AQI {worst_aqi}). ",
    daily_good_share: "Year to date, {share} of days were good{change}; ",
    daily_good_share_change: Change {
        up: " (+{v} percentage points against last year)",
        down: " (−{v} percentage points against last year)",
        flat: " ({v} percentage points against last year)",
    },
    daily_index: "the comprehensive index is {index}{change}.",
    daily_index_change: Change {
        up: " (+{v} against last year)",
        down: " (−{v} against last year)",
        flat: " ({v} against last year)",
    },
    daily_completeness: "{reporting} of {stations} stations reported; {complete} had at least 20 valid hours of all six pollutants; hourly data capture {capture} ({hours}/{expected}).",
    ranking_no_data: "Too little data in {period} for a comprehensive index.",
    ranking_summary: "In {period}, {n} {what} were ranked. The lowest comprehensive index (best air) was {best} ({best_index}), the highest {worst} ({worst_index}).",
    ranking_compared: " Against the same period last year, {improved} of {compared} improved (lower index).",
    events_one: "{n} new local pollution episode was flagged on this day, most severe first.",
    events_many: "{n} new local pollution episodes were flagged on this day, most severe first.",
    daily_alarms: "{n} alarms were active on this day: {opened} opened on the day, {open} not closed yet.",
    forecast_none: "No forecast: none for {dates} was issued by {cutoff} (the forecast job has not run, or no model is configured).",
    forecast_dates: " or ",
    forecast_day_none: "{date}: no forecast.",
    forecast_day: "{date}: station AQI {span}, {categories} (issued {issued}).",
    forecast_day_no_value: "{date}: no station has a forecast value (issued {issued}).",
    forecast_abstained: " {n} station(s) without an AQI forecast: {missing}.",
    forecast_reasons: "; ",
    forecast_warning: "The city's forecast calls for a heavy-pollution {level}{undecided}.",
    forecast_warning_undecided: " (at least; {higher} needs a {days}-day forecast, this one has {horizon} days)",
    forecast_warning_none: "The city's forecast calls for no heavy-pollution warning.",
    forecast_beyond_skill: "no skill at this lead for {pollutants}, not published",
    forecast_skill: "Skill over the last {days} days: next-day AQI category right on {hit} % of {n} station-days (persistence {persistence}), daily AQI mean absolute error {mae}.",
    forecast_no_skill: "No forecast of the last {days} days can be verified yet.",
    forecast_range_skill: " Scored as range forecasts ({n} station-days): AQI inside the forecast range {aqi_hit}, category inside the forecast span {span_hit}.",
    health_summary: "{date}: {devices} devices, {offline} offline now; {low} parameters with fewer than 20 valid hours; {periods} alarm, calibration or maintenance periods and {checks} data-check findings. {visit} devices need a visit.",
};

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn templates(p: &Prose) -> Vec<(&'static str, &'static str)> {
        let c = |name, c: &Change| [(name, c.up), (name, c.down), (name, c.flat)];
        let mut all = vec![
            ("daily_network", p.daily_network),
            ("daily_primary", p.daily_primary),
            ("daily_no_primary", p.daily_no_primary),
            ("daily_no_network", p.daily_no_network),
            ("daily_categories", p.daily_categories),
            ("daily_category_count", p.daily_category_count),
            ("counted", p.counted),
            ("daily_no_data", p.daily_no_data),
            ("daily_towns", p.daily_towns),
            ("daily_good_share", p.daily_good_share),
            ("daily_index", p.daily_index),
            ("daily_completeness", p.daily_completeness),
            ("ranking_no_data", p.ranking_no_data),
            ("ranking_summary", p.ranking_summary),
            ("ranking_compared", p.ranking_compared),
            ("events_one", p.events_one),
            ("events_many", p.events_many),
            ("daily_alarms", p.daily_alarms),
            ("forecast_none", p.forecast_none),
            ("forecast_day_none", p.forecast_day_none),
            ("forecast_day", p.forecast_day),
            ("forecast_day_no_value", p.forecast_day_no_value),
            ("forecast_abstained", p.forecast_abstained),
            ("forecast_warning", p.forecast_warning),
            ("forecast_warning_undecided", p.forecast_warning_undecided),
            ("forecast_warning_none", p.forecast_warning_none),
            ("forecast_beyond_skill", p.forecast_beyond_skill),
            ("forecast_skill", p.forecast_skill),
            ("forecast_no_skill", p.forecast_no_skill),
            ("forecast_range_skill", p.forecast_range_skill),
            ("health_summary", p.health_summary),
        ];
        all.extend(c("daily_good_share_change", &p.daily_good_share_change));
        all.extend(c("daily_index_change", &p.daily_index_change));
        all
    }

    fn placeholders(template: &str) -> BTreeSet<&str> {
        template
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn both_languages_fill_the_same_placeholders() {
        for ((name, zh), (_, en)) in templates(&ZH).into_iter().zip(templates(&EN)) {
            let (pz, pe) = (placeholders(zh), placeholders(en));
            // A flat change may leave out its value in one language.
            if name.ends_with("_change") && (pz.is_empty() || pe.is_empty()) {
                continue;
            }
            assert_eq!(pz, pe, "{name}: {zh} / {en}");
        }
    }

    #[test]
    fn fill_replaces_named_placeholders_once() {
        assert_eq!(
            fill("{a}：{b}（{a}）{c}", &[("a", "{b}"), ("b", "乙")]),
            "{b}：乙（{b}）{c}"
        );
        assert_eq!(fill("no braces", &[("a", "x")]), "no braces");
        assert_eq!(fill("{unclosed", &[("unclosed", "x")]), "{unclosed");
    }

    #[test]
    fn changes_by_the_sign_of_the_rounded_value() {
        let c = &ZH.daily_index_change;
        assert_eq!(c.fill(1.236, 2), "，较去年同期上升1.24");
        assert_eq!(c.fill(-0.3, 2), "，较去年同期下降0.30");
        assert_eq!(c.fill(-0.004, 2), "，与去年同期持平");
        let c = &EN.daily_good_share_change;
        assert_eq!(
            c.fill(100.0, 1),
            " (+100.0 percentage points against last year)"
        );
        assert_eq!(
            c.fill(-2.25, 1),
            " (−2.2 percentage points against last year)"
        );
        assert_eq!(
            c.fill(0.01, 1),
            " (0.0 percentage points against last year)"
        );
    }
}

//! The daily report's forecast section: tomorrow and the day after, from the stored forecasts,
//! and the recent live skill of next-day categories.
//!
//! The report of day D shows D + 1 and D + 2 as forecast by the **latest run issued by the end
//! of D** (local midnight): regenerating the report later gives the same page, and the
//! forecast shown is the one that was available on the day. Per station, the latest such
//! forecast of each day is used. The city's range is the lowest to the highest station
//! AQI. Each station's AQI range and category span are shown as published ("AQI 90–130 ·
//! 良至轻度污染"). The skill line scores lead-day-1 categories of the forecasts issued in the
//! [`SKILL_DAYS`] days before (see [`crate::forecast::skill`]), and their ranges and spans
//! under the rules of Chinese operational evaluation.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use super::html::{Cell, Html, Table};
use super::i18n::Lang;
use crate::aqi::Category;
use crate::assess::local_midnight;
use crate::forecast::features::REQUIRED;
use crate::forecast::issue::BEYOND_SKILL;
use crate::forecast::skill::{DaySkill, daily_skill};
use crate::store::{ForecastAxis, ForecastDay, ForecastQuery, StationInfo, Store, StoreError};

/// Days of forecasts the skill line scores.
pub const SKILL_DAYS: i64 = 30;

/// One forecast day of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastDayFigures {
    /// The local date forecast.
    pub date: NaiveDate,
    /// Latest issue time of the forecasts shown (`None` when there is none).
    pub issued: Option<DateTime<Utc>>,
    /// Per station, in the order of [`ForecastFigures::stations`]: its forecast, if any.
    pub stations: Vec<Option<ForecastDay>>,
}

impl ForecastDayFigures {
    /// Lowest and highest station AQI.
    pub fn range(&self) -> Option<(u32, u32)> {
        let aqis = self.stations.iter().flatten().filter_map(|d| d.aqi);
        let lo = aqis.clone().min()?;
        Some((lo, aqis.max().unwrap_or(lo)))
    }

    /// Stations with a forecast but no AQI (abstained), and why: the required inputs they
    /// missed and the run's notes (optional inputs, which only degrade, are left out).
    pub fn abstained(&self) -> (usize, BTreeSet<&str>) {
        let days: Vec<&ForecastDay> = self
            .stations
            .iter()
            .flatten()
            .filter(|d| d.aqi.is_none())
            .collect();
        let missing = days
            .iter()
            .flat_map(|d| d.missing.iter().map(String::as_str))
            .filter(|m| REQUIRED.contains(m) || m.contains(':'))
            .collect();
        (days.len(), missing)
    }
}

/// The forecast section's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastFigures {
    /// Forecasts issued up to this time are shown (the end of the report's day).
    pub cutoff: DateTime<Utc>,
    /// The stations, in id order.
    pub stations: Vec<StationInfo>,
    /// Tomorrow and the day after.
    pub days: Vec<ForecastDayFigures>,
    /// Lead-day-1 skill of the last [`SKILL_DAYS`] days (`None` without verified forecasts).
    pub skill: Option<DaySkill>,
}

/// Reads the forecast figures of the report of `date`.
pub fn forecast_figures(
    store: &dyn Store,
    stations: &[StationInfo],
    date: NaiveDate,
    tz: Tz,
) -> Result<ForecastFigures, StoreError> {
    let day = |d: i64| date + TimeDelta::days(d);
    let start = |d: NaiveDate| local_midnight(d, tz);
    let cutoff = start(day(1));
    let stored = store.read_forecast_days(&ForecastQuery {
        stations: Vec::new(),
        axis: ForecastAxis::Valid,
        // A day of margin each side for stations in other zones; filtered by date below.
        from: start(day(0)),
        to: start(day(4)),
    })?;
    let days = [day(1), day(2)]
        .into_iter()
        .map(|date| {
            let per_station: Vec<Option<ForecastDay>> = stations
                .iter()
                .map(|s| {
                    stored
                        .iter()
                        .filter(|f| *f.station == *s.id && f.date == date && f.issued <= cutoff)
                        .max_by_key(|f| f.issued)
                        .cloned()
                })
                .collect();
            ForecastDayFigures {
                date,
                issued: per_station.iter().flatten().map(|f| f.issued).max(),
                stations: per_station,
            }
        })
        .collect();
    let skill = daily_skill(store, &[], cutoff - TimeDelta::days(SKILL_DAYS), cutoff)?
        .into_iter()
        .find(|s| s.lead_day == 1 && s.n > 0);
    Ok(ForecastFigures {
        cutoff,
        stations: stations.to_vec(),
        days,
        skill,
    })
}

fn categories(lang: Lang, (lo, hi): (u32, u32)) -> String {
    lang.category_span(Category::from_aqi(lo), Category::from_aqi(hi))
}

fn time(lang: Lang, t: DateTime<Utc>, tz: Tz) -> String {
    let l = t.with_timezone(&tz);
    format!("{} {}", lang.date(l.date_naive()), l.format("%H:%M"))
}

/// Writes the section's content (the caller opens and closes the section).
pub fn render(h: &mut Html, f: &ForecastFigures, tz: Tz, lang: Lang) {
    let issued_any = f.days.iter().any(|d| d.issued.is_some());
    if !issued_any {
        let dates: Vec<String> = f.days.iter().map(|d| lang.date(d.date)).collect();
        let cutoff = time(lang, f.cutoff, tz);
        h.placeholder(&match lang {
            Lang::Zh => format!(
                "暂无预报：截至{cutoff}未发布{}的空气质量预报（预报任务未运行或未配置预报模型）。",
                dates.join("、")
            ),
            Lang::En => format!(
                "No forecast: none for {} was issued by {cutoff} (the forecast job has not run, or no model is configured).",
                dates.join(" or ")
            ),
        });
    }
    for d in f.days.iter().filter(|_| issued_any) {
        let date = lang.date(d.date);
        let Some(issued) = d.issued.map(|t| time(lang, t, tz)) else {
            h.p(&match lang {
                Lang::Zh => format!("{date}：暂无预报。"),
                Lang::En => format!("{date}: no forecast."),
            });
            continue;
        };
        let (abstained, missing) = d.abstained();
        let missing: Vec<String> = missing.into_iter().map(|m| input_name(m, lang)).collect();
        let span = |(lo, hi): (u32, u32)| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}{}{hi}", lang.pick("～", "–"))
            }
        };
        let mut text = match (d.range(), lang) {
            (Some(r), Lang::Zh) => format!(
                "{date}：全市各站AQI预计为{}，{}（{issued}发布）。",
                span(r),
                categories(lang, r)
            ),
            (Some(r), Lang::En) => format!(
                "{date}: station AQI {}, {} (issued {issued}).",
                span(r),
                categories(lang, r)
            ),
            (None, Lang::Zh) => format!("{date}：无站点预报值（{issued}发布）。"),
            (None, Lang::En) => {
                format!("{date}: no station has a forecast value (issued {issued}).")
            }
        };
        if abstained > 0 {
            text.push_str(&match lang {
                Lang::Zh => format!("{abstained}个站点无AQI预报：{}。", missing.join("；")),
                Lang::En => format!(
                    " {abstained} station(s) without an AQI forecast: {}.",
                    missing.join("; ")
                ),
            });
        }
        h.p(&text);
    }
    if f.days.iter().any(|d| d.range().is_some()) {
        let t = lang.text();
        let mut head = vec![t.station.to_string()];
        for d in &f.days {
            let date = d.date.format("%m-%d");
            head.push(format!("{date} AQI"));
            head.push(format!("{date} {}", lang.pick("类别", "category")));
            head.push(format!("{date} {}", lang.pick("首要污染物", "primary")));
            head.push(format!("{date} {}", lang.pick("范围预报", "range")));
        }
        let mut table = Table::new(&head);
        for (i, s) in f.stations.iter().enumerate() {
            let mut row = vec![Cell::text(lang.pick(&s.name, &s.name_en))];
            for d in &f.days {
                let fc = d.stations[i].as_ref();
                let aqi = fc.and_then(|f| f.aqi);
                row.push(match aqi {
                    Some(a) => Cell::category(a.to_string(), Category::from_aqi(a)),
                    None => Cell::centre("—"),
                });
                row.push(Cell::centre(
                    aqi.map_or("—", |a| lang.category(Category::from_aqi(a))),
                ));
                let primary: Vec<&str> = fc
                    .map(|f| f.primary.iter().map(|p| lang.term(*p)).collect())
                    .unwrap_or_default();
                row.push(Cell::centre(if aqi.is_none() {
                    "—".to_string()
                } else if primary.is_empty() {
                    lang.pick("无", "none").to_string()
                } else {
                    primary.join(lang.pick("、", ", "))
                }));
                row.push(Cell::centre(
                    fc.and_then(ForecastDay::range)
                        .map_or("—".to_string(), |r| lang.aqi_range(&r)),
                ));
            }
            table.push(row);
        }
        h.table(&table);
    }
    let mut skill = match (&f.skill, lang) {
        (Some(s), Lang::Zh) => format!(
            "近{SKILL_DAYS}天预报检验：次日AQI类别准确率{:.0}%（{}个站日；持续性预报{}），日AQI平均绝对误差{:.0}。",
            100.0 * s.hit_rate,
            s.n,
            rate(s.persistence_hit_rate),
            s.aqi_mae
        ),
        (Some(s), Lang::En) => format!(
            "Skill over the last {SKILL_DAYS} days: next-day AQI category right on {:.0} % of {} station-days (persistence {}), daily AQI mean absolute error {:.0}.",
            100.0 * s.hit_rate,
            s.n,
            rate(s.persistence_hit_rate),
            s.aqi_mae
        ),
        (None, Lang::Zh) => format!("近{SKILL_DAYS}天暂无可检验的预报。"),
        (None, Lang::En) => {
            format!("No forecast of the last {SKILL_DAYS} days can be verified yet.")
        }
    };
    if let Some(s) = f.skill.as_ref().filter(|s| s.range.n > 0) {
        let r = &s.range;
        skill.push_str(&match lang {
            Lang::Zh => format!(
                "按范围预报评估（{}个站日）：AQI范围预报准确率{}，级别范围预报准确率{}。",
                r.n,
                rate(r.aqi_hit_rate),
                rate(r.span_hit_rate)
            ),
            Lang::En => format!(
                " Scored as range forecasts ({} station-days): AQI inside the forecast range {}, category inside the forecast span {}.",
                r.n,
                rate(r.aqi_hit_rate),
                rate(r.span_hit_rate)
            ),
        });
    }
    h.p(&skill);
}

/// A required input's name for readers (notes and unknown names as they are).
/// Why a station has no AQI forecast: a missing required input, the run's note on it, or
/// pollutants whose model has no skill at that lead.
fn input_name(name: &str, lang: Lang) -> String {
    if let Some(codes) = name.strip_prefix(BEYOND_SKILL) {
        let names: Vec<&str> = codes
            .split(',')
            .map(|c| match c {
                "pm25" => "PM2.5",
                "pm10" => "PM10",
                "o3" => "O3",
                other => other,
            })
            .collect();
        return match lang {
            Lang::Zh => format!("{}在该时效无预报技巧，未发布", names.join("、")),
            Lang::En => format!(
                "no skill at this lead for {}, not published",
                names.join(", ")
            ),
        };
    }
    match name {
        "lag0" => lang.pick(
            "缺少当前小时浓度",
            "missing the current hour's concentration",
        ),
        "mean24" => lang.pick("缺少近24小时均值", "missing the last 24 hours' mean"),
        "clim_target" => lang.pick("缺少气候背景值", "missing the climatology"),
        other => other,
    }
    .to_string()
}

fn rate(v: f64) -> String {
    if v.is_finite() {
        format!("{:.0}%", 100.0 * v)
    } else {
        "—".into()
    }
}

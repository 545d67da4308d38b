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

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use super::html::{Cell, Html, Table};
use super::i18n::{Words, fill};
use crate::alarms::rules::warning::{WarningAssessment, WarningThresholds, area_daily_aqi, assess};
use crate::alarms::words;
use crate::aqi::Category;
use crate::assess::local_midnight;
use crate::forecast::missing::REQUIRED;
use crate::forecast::skill::{DaySkill, daily_skill};
use crate::lang::Lang;
use crate::store::{
    ForecastAxis, ForecastDay, ForecastQuery, ForecastStore, IndexStore, Missing, StationInfo,
    StationStore, Stations, StoreError,
};

/// Days of forecasts the skill line scores.
pub(super) const SKILL_DAYS: i64 = 30;

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
    /// missed, the run's note on the climatology and the pollutants beyond their model's
    /// skill (optional inputs, which only degrade, are left out); each reason once, in the
    /// order of its stored text.
    pub fn abstained(&self) -> (usize, Vec<&Missing>) {
        let days: Vec<&ForecastDay> = self
            .stations
            .iter()
            .flatten()
            .filter(|d| d.aqi.is_none())
            .collect();
        let mut missing: Vec<(String, &Missing)> = days
            .iter()
            .flat_map(|d| &d.missing)
            .filter(|m| match m {
                Missing::Input(name) => REQUIRED.contains(&name.as_str()),
                _ => true,
            })
            .map(|m| (m.to_string(), m))
            .collect();
        missing.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        missing.dedup_by(|a, b| a.0 == b.0);
        (days.len(), missing.into_iter().map(|(_, m)| m).collect())
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
    /// The heavy-pollution warning the city's forecast of these days calls for, under the
    /// default thresholds of 环大气〔2017〕86号 (see [`crate::alarms::rules::warning`];
    /// `None` without a forecast AQI).
    pub warning: Option<WarningAssessment>,
}

/// Reads the forecast figures of the report of `date`.
pub(super) fn forecast_figures(
    store: &(impl ForecastStore + StationStore + IndexStore + ?Sized),
    stations: &[StationInfo],
    date: NaiveDate,
    tz: Tz,
) -> Result<ForecastFigures, StoreError> {
    let day = |d: i64| date + TimeDelta::days(d);
    let start = |d: NaiveDate| local_midnight(d, tz);
    let cutoff = start(day(1));
    // A day of margin each side for stations in other zones; filtered by date below.
    let stored = store.forecast_days(&ForecastQuery::new(
        ForecastAxis::Valid,
        start(day(0)),
        start(day(4)),
    ))?;
    let days: Vec<ForecastDayFigures> = [day(1), day(2)]
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
    let skill = daily_skill(
        store,
        &Stations::All,
        cutoff - TimeDelta::days(SKILL_DAYS),
        cutoff,
    )?
    .into_iter()
    .find(|s| s.lead_day == 1 && s.n > 0);
    let aqis: Vec<Option<u32>> = days
        .iter()
        .map(|d: &ForecastDayFigures| {
            let forecast: Vec<&ForecastDay> = d.stations.iter().flatten().collect();
            area_daily_aqi(&forecast, stations.len(), d.date)
        })
        .collect();
    let warning = aqis
        .first()
        .is_some_and(Option::is_some)
        .then(|| assess(&aqis, &WarningThresholds::default()));
    Ok(ForecastFigures {
        cutoff,
        stations: stations.to_vec(),
        days,
        skill,
        warning,
    })
}

/// The warning the forecast calls for, in words.
fn warning_line(w: &WarningAssessment, lang: Lang) -> String {
    let p = lang.prose();
    let Some(level) = w.level else {
        return p.forecast_warning_none.to_string();
    };
    let undecided = w.undecided.map_or(String::new(), |(higher, days)| {
        fill(
            p.forecast_warning_undecided,
            &[
                ("higher", words::warning(lang, higher)),
                ("days", &days.to_string()),
                ("horizon", &w.horizon_days.to_string()),
            ],
        )
    });
    fill(
        p.forecast_warning,
        &[
            ("level", words::warning(lang, level)),
            ("undecided", &undecided),
        ],
    )
}

fn categories(lang: Lang, (lo, hi): (u32, u32)) -> String {
    lang.category_span(Category::from_aqi(lo), Category::from_aqi(hi))
}

fn time(lang: Lang, t: DateTime<Utc>, tz: Tz) -> String {
    let l = t.with_timezone(&tz);
    format!("{} {}", lang.date(l.date_naive()), l.format("%H:%M"))
}

/// Writes the section's content (the caller opens and closes the section).
pub(super) fn render(h: &mut Html, f: &ForecastFigures, tz: Tz, lang: Lang) {
    let p = lang.prose();
    let issued_any = f.days.iter().any(|d| d.issued.is_some());
    if !issued_any {
        let dates: Vec<String> = f.days.iter().map(|d| lang.date(d.date)).collect();
        h.placeholder(&fill(
            p.forecast_none,
            &[
                ("dates", &dates.join(p.forecast_dates)),
                ("cutoff", &time(lang, f.cutoff, tz)),
            ],
        ));
    }
    for d in f.days.iter().filter(|_| issued_any) {
        let date = lang.date(d.date);
        let Some(issued) = d.issued.map(|t| time(lang, t, tz)) else {
            h.p(&fill(p.forecast_day_none, &[("date", &date)]));
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
        let mut text = match d.range() {
            Some(r) => fill(
                p.forecast_day,
                &[
                    ("date", &date),
                    ("span", &span(r)),
                    ("categories", &categories(lang, r)),
                    ("issued", &issued),
                ],
            ),
            None => fill(
                p.forecast_day_no_value,
                &[("date", &date), ("issued", &issued)],
            ),
        };
        if abstained > 0 {
            text += &fill(
                p.forecast_abstained,
                &[
                    ("n", &abstained.to_string()),
                    ("missing", &missing.join(p.forecast_reasons)),
                ],
            );
        }
        h.p(&text);
    }
    if let Some(w) = &f.warning {
        h.p(&warning_line(w, lang));
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
                row.push(Cell::aqi(aqi));
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
                    primary.join(lang.prose().list)
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
    let days = SKILL_DAYS.to_string();
    let mut skill = match &f.skill {
        Some(s) => fill(
            p.forecast_skill,
            &[
                ("days", &days),
                ("hit", &format!("{:.0}", 100.0 * s.hit_rate)),
                ("n", &s.n.to_string()),
                ("persistence", &rate(s.persistence_hit_rate)),
                ("mae", &format!("{:.0}", s.aqi_mae)),
            ],
        ),
        None => fill(p.forecast_no_skill, &[("days", &days)]),
    };
    if let Some(r) = f.skill.as_ref().map(|s| &s.range).filter(|r| r.n > 0) {
        skill.push_str(&fill(
            p.forecast_range_skill,
            &[
                ("n", &r.n.to_string()),
                ("aqi_hit", &rate(r.aqi_hit_rate)),
                ("span_hit", &rate(r.span_hit_rate)),
            ],
        ));
    }
    h.p(&skill);
}

/// Why a station has no AQI forecast, for readers: a missing required input, the run's note
/// on the climatology (as stored), or pollutants whose model has no skill at that lead.
fn input_name(missing: &Missing, lang: Lang) -> String {
    let name = match missing {
        Missing::BeyondSkill(targets) => {
            let names: Vec<&str> = targets.iter().map(|t| t.label()).collect();
            let p = lang.prose();
            return fill(
                p.forecast_beyond_skill,
                &[("pollutants", &names.join(p.list))],
            );
        }
        Missing::Input(name) => name.as_str(),
        note => return note.to_string(),
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarms::rules::warning::assess;

    #[test]
    fn the_warning_line_says_what_cannot_be_decided() {
        let t = WarningThresholds::default();
        let yellow = assess(&[Some(230), Some(260)], &t);
        let zh = warning_line(&yellow, Lang::Zh);
        assert!(
            zh.contains("黄色预警") && zh.contains("红色预警需4天预报"),
            "{zh}"
        );
        let en = warning_line(&yellow, Lang::En);
        assert!(
            en.contains("yellow warning (at least; red warning needs a 4-day forecast"),
            "{en}"
        );
        let none = assess(&[Some(90), Some(120)], &t);
        assert!(warning_line(&none, Lang::Zh).contains("未达到"));
    }
}

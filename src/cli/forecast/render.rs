//! Text and CSV output of `lantian forecast`: the run table, the backtest and live-skill
//! tables, the backtest's verified days.

use chrono::{DateTime, Utc};
use lantian::aqi::span::AqiRange;
use lantian::forecast::backtest::{BacktestMode, BacktestReport};
use lantian::forecast::range::RangeScore;
use lantian::forecast::run::StationForecast;
use lantian::forecast::skill::SkillReport;
use lantian::report::Lang;

use super::super::table::Table;

/// A share as `12.3 %` (`—` when undefined).
fn pct(v: f64) -> String {
    one_decimal(100.0 * v) + if v.is_finite() { " %" } else { "" }
}

/// A value with one decimal (`—` when undefined).
fn one_decimal(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.1}")
    } else {
        "—".into()
    }
}

/// The forecasts of a run, one line per station.
pub(super) fn run_table(forecasts: &[StationForecast]) -> String {
    let mut tab = Table::new(
        &[
            "station",
            "next 24 h max AQI",
            "tomorrow",
            "AQI",
            "range",
            "day after",
            "AQI ",
            "range ",
            "abstained (no skill from)",
            "missing inputs",
        ],
        &["next 24 h max AQI", "AQI", "AQI "],
    );
    let dash = || "—".to_string();
    for f in forecasts {
        let day = |i: usize| {
            f.days.get(i).map_or((dash(), dash(), dash()), |d| {
                (
                    d.category.map_or_else(dash, |c| c.name_en().to_string()),
                    d.aqi.map_or_else(dash, |a| a.to_string()),
                    d.range
                        .as_ref()
                        .map_or_else(dash, |r| Lang::En.aqi_range(r)),
                )
            })
        };
        let (c1, a1, r1) = day(0);
        let (c2, a2, r2) = day(1);
        tab.push(vec![
            f.station.clone(),
            f.hours[..24]
                .iter()
                .filter_map(|h| h.aqi)
                .max()
                .map_or_else(dash, |a| a.to_string()),
            c1,
            a1,
            r1,
            c2,
            a2,
            r2,
            f.abstained
                .iter()
                .map(|t| t.code().to_string())
                .chain(
                    f.beyond_skill
                        .iter()
                        .map(|(t, h)| format!("{} ≥ {h} h", t.code())),
                )
                .collect::<Vec<_>>()
                .join(","),
            f.missing.iter().copied().collect::<Vec<_>>().join(","),
        ]);
    }
    tab.render()
}

/// Live skill as text tables.
pub(super) fn render_skill(r: &SkillReport) -> String {
    if r.hours.is_empty() && r.days.is_empty() {
        return format!(
            "no stored forecast issued {} … {} has verifying observations yet\n",
            r.from, r.to
        );
    }
    let num = ["n", "RMSE", "MAE", "bias", "pers. RMSE", "skill vs pers."];
    let mut header = vec!["parameter", "hours"];
    header.extend(num);
    let mut t = Table::new(&header, &num);
    for m in &r.hours {
        t.push(vec![
            m.parameter.into(),
            format!("{}–{} h", m.horizons.0, m.horizons.1),
            m.n.to_string(),
            format!("{:.1}", m.rmse),
            format!("{:.1}", m.mae),
            format!("{:+.1}", m.bias),
            format!("{:.1}", m.persistence_rmse),
            m.skill
                .map_or("—".into(), |s| format!("{:+.1} %", 100.0 * s)),
        ]);
    }
    let dnum = [
        "lead day",
        "n",
        "abstained",
        "category hit rate",
        "AQI MAE",
        "pers. n",
        "pers. hit rate",
        "with range",
        "AQI range hit",
        "span hit",
        "two-category spans",
        "mean width",
    ];
    let mut d = Table::new(&dnum, &dnum);
    for m in &r.days {
        d.push(vec![
            m.lead_day.to_string(),
            m.n.to_string(),
            m.abstained.to_string(),
            pct(m.hit_rate),
            one_decimal(m.aqi_mae),
            m.persistence_n.to_string(),
            pct(m.persistence_hit_rate),
            m.range.n.to_string(),
            pct(m.range.aqi_hit_rate),
            pct(m.range.span_hit_rate),
            pct(m.range.two_category_share),
            one_decimal(m.range.mean_width),
        ]);
    }
    format!(
        "live skill of forecasts issued {} … {} (µg/m³, AQI; skill = 1 − RMSE/RMSE of persistence)\n{}\ndaily AQI category (lead day 1 = the day after the issue day; AQI range and category span \
         under the rules of Chinese operational evaluation)\n{}",
        r.from,
        r.to,
        t.render(),
        d.render()
    )
}

/// The verified next-day forecasts of a backtest as CSV.
pub(super) fn write_days(path: &std::path::Path, r: &BacktestReport) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "station",
        "date",
        "pm25",
        "pm10",
        "o3_8h_max",
        "obs_pm25",
        "obs_pm10",
        "obs_o3_8h_max",
        "aqi",
        "aqi_low",
        "aqi_high",
        "span_low",
        "span_high",
        "obs_aqi",
        "pers_aqi",
        "pers_aqi_low",
        "pers_aqi_high",
        "pers_span_low",
        "pers_span_high",
    ])?;
    let num = |v: Option<u32>| v.map_or(String::new(), |v| v.to_string());
    let range = |r: Option<AqiRange>| {
        r.map_or([const { String::new() }; 4], |r| {
            [
                r.low.to_string(),
                r.high.to_string(),
                r.span.low.name_en().to_string(),
                r.span.high.name_en().to_string(),
            ]
        })
    };
    for d in &r.days {
        let mut rec = vec![d.station.clone(), d.date.to_string()];
        rec.extend(
            d.forecast
                .iter()
                .chain(&d.observed)
                .map(|v| format!("{v:.1}")),
        );
        rec.push(num(d.aqi));
        rec.extend(range(d.range));
        rec.push(num(d.observed_aqi));
        rec.push(num(d.persistence_aqi));
        rec.extend(range(d.persistence_range));
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

/// Which models a backtest used: the fixed set's training period, or each refit's origin and
/// expanding window.
fn render_windows(r: &BacktestReport) -> String {
    let time = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let issue = |t: Option<DateTime<Utc>>| t.map_or_else(|| "—".into(), time);
    match r.mode {
        BacktestMode::Fixed => r.windows.iter().fold(String::new(), |out, w| {
            format!(
                "{out}models: fixed, trained {} … {}\n",
                time(w.trained_from),
                time(w.trained_to)
            )
        }),
        BacktestMode::Refit { every_days } => {
            let num = ["issues"];
            let mut t = Table::new(
                &[
                    "refit origin",
                    "trained from",
                    "issues",
                    "first issue",
                    "last issue",
                ],
                &num,
            );
            for w in &r.windows {
                t.push(vec![
                    time(w.trained_to),
                    time(w.trained_from),
                    w.issues.to_string(),
                    issue(w.first_issue),
                    issue(w.last_issue),
                ]);
            }
            format!(
                "models: re-trained every {every_days} days ({} refits) with the saved set's \
                 options on an expanding window (training start up to the origin, nothing at or \
                 after it)\n{}\n",
                r.windows.len(),
                t.render()
            )
        }
    }
}

/// The backtest as text tables.
pub(super) fn render_backtest(r: &BacktestReport) -> String {
    let num = [
        "h",
        "n",
        "abstained",
        "RMSE",
        "MAE",
        "bias",
        "R²",
        "pers. RMSE",
        "clim. RMSE",
        "skill vs pers.",
        "skill vs clim.",
    ];
    // Horizons not published (no validation skill) have no samples.
    let shown = |n: usize, text: String| if n > 0 { text } else { "—".into() };
    let mut header = vec!["target"];
    header.extend(num);
    let mut t = Table::new(&header, &num);
    for m in &r.horizons {
        t.push(vec![
            m.target.into(),
            m.horizon.to_string(),
            m.n.to_string(),
            m.abstained.to_string(),
            shown(m.n, format!("{:.1}", m.rmse)),
            shown(m.n, format!("{:.1}", m.mae)),
            shown(m.n, format!("{:+.1}", m.bias)),
            shown(m.n, format!("{:.2}", m.r2)),
            shown(m.n, format!("{:.1}", m.persistence_rmse)),
            shown(m.n, format!("{:.1}", m.climatology_rmse)),
            shown(m.n, format!("{:+.1} %", 100.0 * m.skill_persistence)),
            shown(m.n, format!("{:+.1} %", 100.0 * m.skill_climatology)),
        ]);
    }
    let d = &r.daily;
    let g = &d.range;
    let score = |who: &str, s: &RangeScore| {
        vec![
            who.to_string(),
            s.n.to_string(),
            pct(s.aqi_hit_rate),
            pct(s.span_hit_rate),
            pct(s.two_category_share),
            one_decimal(s.mean_width),
        ]
    };
    let rnum = [
        "n",
        "AQI range hit",
        "category-span hit",
        "two-category spans",
        "mean width",
    ];
    let mut rh = vec!["next day, range rule"];
    rh.extend(rnum);
    let mut rt = Table::new(&rh, &rnum);
    rt.push(score("model", &g.model));
    rt.push(score("persistence", &g.persistence));
    format!(
        "backtest {} … {}, issued every {} h (µg/m³; skill = 1 − RMSE/RMSE_ref)\n{}{}\n\
         next-day category: model {:.1} %, persistence {:.1} %, climatology {:.1} % of {} station-days\n\
         next-day mean PM2.5 RMSE: model {:.1}, persistence {:.1}\n({})\n\n\
         AQI range and category span (central {:.0} % intervals; Chinese operational evaluation, \
         for comparison — the strict category above is the target):\n{}({})\n",
        r.from,
        r.to,
        r.step_hours,
        render_windows(r),
        t.render(),
        100.0 * d.category_accuracy,
        100.0 * d.persistence_accuracy,
        100.0 * d.climatology_accuracy,
        d.n,
        d.pm25_rmse,
        d.pm25_persistence_rmse,
        d.definition,
        100.0 * g.coverage,
        rt.render(),
        g.definition
    )
}

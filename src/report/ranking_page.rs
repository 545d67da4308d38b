//! The ranking report's page: [`RankingFigures`] → HTML, CSV and PNG charts.

use super::charts::{BarRow, Panel, PollutantBars, RankingBars};
use super::figures::{concentration, fixed, percent, signed};
use super::html::{Cell, Html, Table};
use super::i18n::{Words, fill, label};
use super::ranking::RankingFigures;
use super::{ReportConfig, ReportError, ReportFiles, ReportKind, Target, write_with_csv};
use crate::assess::{GroupBy, IndexStandards, Period, Pollutant};
use crate::lang::{Bi, Lang};

pub(super) fn period_text(p: Period, lang: Lang) -> String {
    match (p, lang) {
        (Period::Month { year, month }, Lang::Zh) => format!("{year}年{month}月"),
        (Period::Quarter { year, quarter }, Lang::Zh) => format!("{year}年第{quarter}季度"),
        (Period::Year(y), Lang::Zh) => format!("{y}年"),
        (Period::YearToDate { year, end }, Lang::Zh) => match end {
            Some(e) => format!("{year}年1月1日至{}", lang.date(e)),
            None => format!("{year}年累计"),
        },
        (Period::Month { year, month }, Lang::En) => {
            chrono::NaiveDate::from_ymd_opt(year, month, 1)
                .map(|d| d.format("%B %Y").to_string())
                .unwrap_or_else(|| p.to_string())
        }
        (Period::Quarter { year, quarter }, Lang::En) => format!("Q{quarter} {year}"),
        (Period::Year(y), Lang::En) => y.to_string(),
        (Period::YearToDate { year, end }, Lang::En) => match end {
            Some(e) => format!("1 January {year} to {}", lang.date(e)),
            None => format!("{year} to date"),
        },
    }
}

fn summary(f: &RankingFigures, lang: Lang) -> String {
    let ranked: Vec<usize> = (0..f.rows.len())
        .filter(|&i| f.rows[i].rank.is_some())
        .collect();
    let name = |i: usize| f.table_name(i, lang).to_string();
    let total = |i: usize| fixed(f.rows[i].stats.total(), 2);
    let period = period_text(f.period, lang);
    let p = lang.prose();
    let (Some(&best), Some(&worst)) = (ranked.first(), ranked.last()) else {
        return fill(p.ranking_no_data, &[("period", &period)]);
    };
    let improved = f
        .rows
        .iter()
        .filter(|r| r.change().is_some_and(|c| c.difference < 0.0))
        .count();
    let compared = f.rows.iter().filter(|r| r.change().is_some()).count();
    let mut s = fill(
        p.ranking_summary,
        &[
            ("period", &period),
            ("what", grouped_by(f.by, lang)),
            ("n", &ranked.len().to_string()),
            ("best", &name(best)),
            ("best_index", &total(best)),
            ("worst", &name(worst)),
            ("worst_index", &total(worst)),
        ],
    );
    if compared > 0 {
        s += &fill(
            p.ranking_compared,
            &[
                ("compared", &compared.to_string()),
                ("improved", &improved.to_string()),
            ],
        );
    }
    if f.counted.any_left_out() {
        // The ranking's English sentences carry their space in front, the daily ones behind.
        let counted = super::daily_page::counted_sentence(&f.counted, lang);
        if lang == Lang::En {
            s.push(' ');
        }
        s += counted.trim_end();
    }
    s
}

/// What a ranking ranks: towns or stations.
fn grouped_by(by: GroupBy, lang: Lang) -> &'static str {
    let t = lang.text();
    if by == GroupBy::District {
        t.by_town
    } else {
        t.by_station
    }
}

/// Writes the ranking report (HTML, CSV, two PNG charts) and updates the index page.
pub(super) fn write(
    f: &RankingFigures,
    network_name: &str,
    cfg: &ReportConfig,
) -> Result<ReportFiles, ReportError> {
    let lang = cfg.lang;
    let t = lang.text();
    let target = Target::new(cfg, f.stem())?;
    let by = grouped_by(f.by, lang);
    let period = period_text(f.period, lang);
    let title = format!("{network_name} {} {period} ({by})", t.ranking_title);
    let sort = f.period.range()?.last.to_string();
    let period_code = f.period.to_string();
    let mut h = Html::document(
        lang,
        &title,
        &[
            ("lantian:kind", "ranking"),
            ("lantian:period", &period_code),
            ("lantian:sort", &sort),
        ],
    );
    let previous = period_text(f.previous, lang);
    h.masthead(
        network_name,
        t.ranking_title,
        &format!("{}：{period}（{by}）", t.period).replace("：", lang.pick("：", ": ")),
        &format!("{}：{previous}", t.last_year).replace("：", lang.pick("：", ": ")),
    );

    h.section(
        "summary",
        t.summary.trim_start_matches(['一', '、', '1', '.', ' ']),
    );
    h.open("div", &[("class", "summary")]);
    h.p(&summary(f, lang));
    h.close("div");
    let csv_name = format!("{}.csv", target.stem);
    h.open("p", &[("class", "note")]);
    h.element("a", &[("href", &csv_name)], t.csv_link);
    h.close("p");
    h.end_section();

    // 1. The index table.
    h.section("index", t.index_table);
    let name_col = if f.by == GroupBy::District {
        t.town
    } else {
        t.station
    };
    let mut head: Vec<&str> = vec![t.rank, name_col];
    if f.by == GroupBy::Station {
        head.push(t.town);
    }
    head.extend(Pollutant::ALL.map(Pollutant::label));
    head.extend([
        t.comprehensive_index,
        t.valid_days,
        t.good_share,
        t.last_year,
        t.change,
        t.last_rank,
    ]);
    let mut table = Table::new(&head);
    for (i, row) in f.rows.iter().enumerate() {
        let s = &row.stats;
        let mut cells = vec![Cell::rank(row.rank), Cell::text(f.table_name(i, lang))];
        if f.by == GroupBy::Station {
            cells.push(Cell::text(&f.districts[i]));
        }
        for p in Pollutant::ALL {
            cells.push(Cell::num(fixed(s.index.map(|x| x.of(p)), 2)));
        }
        let change = row.change();
        let change_cell = Cell::num(signed(change.map(|c| c.difference), 2)).class(match change {
            Some(c) if c.difference < 0.0 => "good",
            Some(c) if c.difference > 0.0 => "bad",
            _ => "num",
        });
        let valid = s.fewest_valid_days();
        let mut valid_cell = Cell::num(format!("{valid}/{}", s.min_valid_days));
        if !s.all_sufficient() {
            valid_cell.title = Some(t.insufficient.to_string());
            valid_cell.text.push('*');
        }
        cells.extend([
            Cell::num(fixed(s.total(), 2)),
            valid_cell,
            Cell::num(percent(s.good_share())),
            Cell::num(fixed(row.previous_total(), 2)),
            change_cell,
            Cell::rank(f.last_ranks[i]),
        ]);
        table.push(cells);
    }
    table.caption = Some(format!(
        "{}；* {}",
        lang.pick(
            "分指数为各污染物评价浓度与二级标准之比",
            "Sub-indices are period concentrations over the Grade II limits"
        ),
        t.insufficient
    ));
    h.table(&table);
    h.end_section();

    // 2. The bar chart.
    h.section("chart", t.index_chart);
    let charted = f.charted();
    let mut images = Vec::new();
    if charted.is_empty() {
        h.placeholder(lang.pick("无可排名的数据。", "No rows with an index."));
    } else {
        if charted.len() < f.rows.iter().filter(|r| r.stats.index.is_some()).count() {
            h.element("p", &[("class", "note")], t.chart_subset);
        }
        let bars = RankingBars {
            title: Bi::new(
                format!(
                    "{} {}",
                    super::i18n::ZH.index_chart_title,
                    period_text(f.period, Lang::Zh)
                ),
                format!(
                    "{} {}",
                    super::i18n::EN.index_chart_title,
                    period_text(f.period, Lang::En)
                ),
            ),
            rows: charted
                .iter()
                .map(|&i| {
                    let r = &f.rows[i];
                    let idx = r.stats.index.map(|x| x.sub).unwrap_or_default();
                    let rank = r.rank.unwrap_or(0);
                    BarRow {
                        name: Bi::new(
                            format!("{rank}. {}", f.names[i].zh),
                            format!("{rank}. {}", f.names[i].en),
                        ),
                        parts: idx.into_array(),
                        total: r.stats.total().unwrap_or(0.0),
                    }
                })
                .collect(),
            axis: label(|t| t.index_axis),
        };
        images.push(target.figure(&mut h, &bars, lang, t.index_chart_title)?);
    }
    h.end_section();

    // 3. Best and worst.
    h.section("best-worst", t.best_worst);
    let ranked: Vec<usize> = (0..f.rows.len())
        .filter(|&i| f.rows[i].rank.is_some())
        .collect();
    let k = (ranked.len() / 2).clamp(1, 3).min(ranked.len());
    let mut bw = Table::new(&[
        t.best,
        t.comprehensive_index,
        t.worst,
        t.comprehensive_index,
    ]);
    for j in 0..k {
        let b = ranked[j];
        let w = ranked[ranked.len() - 1 - j];
        let label =
            |i: usize| format!("{}. {}", f.rows[i].rank.unwrap_or(0), f.table_name(i, lang));
        bw.push(vec![
            Cell::text(label(b)).class("good"),
            Cell::num(fixed(f.rows[b].stats.total(), 2)),
            Cell::text(label(w)).class("bad"),
            Cell::num(fixed(f.rows[w].stats.total(), 2)),
        ]);
    }
    if ranked.is_empty() {
        h.p(t.none_found);
    } else {
        h.table(&bw);
    }
    h.end_section();

    // 4. Per pollutant.
    h.section("pollutants", t.per_pollutant);
    let mut head: Vec<String> = vec![t.rank.to_string(), name_col.to_string()];
    for p in Pollutant::ALL {
        let unit = if p == Pollutant::Co {
            "mg/m³"
        } else {
            "µg/m³"
        };
        head.push(format!("{} ({unit})", lang.pollutant(p)));
        head.push(t.rank.to_string());
    }
    let mut pt = Table::new(&head);
    for (i, row) in f.rows.iter().enumerate() {
        let mut cells = vec![Cell::rank(row.rank), Cell::text(f.table_name(i, lang))];
        for p in Pollutant::ALL {
            cells.push(Cell::num(concentration(p, row.stats.concentrations[p])));
            cells.push(Cell::rank(f.pollutant_ranks[p][i]));
        }
        pt.push(cells);
    }
    pt.caption = Some(lang.pick(
        "评价浓度：SO2、NO2、PM10、PM2.5为时段均值，CO为日均值第95百分位数，O3为日最大8小时第90百分位数",
        "Period concentrations: SO2, NO2, PM10, PM2.5 means; CO 95th percentile of daily means; O3 90th percentile of daily maximum 8-hour means",
    ).to_string());
    if !charted.is_empty() {
        let limits = IndexStandards::GB3095_2012;
        let panels = Pollutant::ALL
            .iter()
            .map(|&p| {
                let unit = if p == Pollutant::Co {
                    "mg/m³"
                } else {
                    "µg/m³"
                };
                Panel {
                    title: Bi::new(
                        format!("{} ({unit})", Lang::Zh.pollutant(p)),
                        format!("{} ({unit})", Lang::En.pollutant(p)),
                    ),
                    limit: limits.of(p),
                    values: charted
                        .iter()
                        .map(|&i| (f.names[i].clone(), f.rows[i].stats.concentrations[p]))
                        .collect(),
                }
            })
            .collect();
        let chart = PollutantBars {
            title: label(|t| t.pollutant_chart_title),
            panels,
        };
        images.push(target.figure(&mut h, &chart, lang, t.pollutant_chart_title)?);
    }
    h.table(&pt);
    h.end_section();

    h.open("footer", &[]);
    h.p(t.ranking_method);
    h.p(t.generated);
    h.close("footer");

    write_with_csv(
        ReportKind::Ranking,
        target,
        h,
        &csv_name,
        f.csv(),
        images,
        cfg,
    )
}

//! The national ranking report's page: [`NationalFigures`] → HTML (the city table, the best
//! and worst 20, the map, region groups, the chosen city), the table as CSV and the map as PNG.

use super::charts::{CityMap, CityPoint};
use super::figures::{concentration, fixed, percent, signed};
use super::html::{Cell, Html, Table};
use super::i18n::{Words, fill};
use super::national::{ENDS, NationalFigures};
use super::ranking_page::period_text;
use super::{ReportConfig, ReportError, ReportFiles, ReportKind, Target, write_with_csv};
use crate::assess::{Pollutant, Rounding};
use crate::lang::{Bi, Lang};

/// The chosen city's row: highlighted in every cell.
const FOCUS_STYLE: &str = "background-color:#FFF2CC;font-weight:bold";

/// The national report's own labels and sentences.
struct Labels {
    title: &'static str,
    city: &'static str,
    province: &'static str,
    region: &'static str,
    cities: &'static str,
    ranked: &'static str,
    mean_index: &'static str,
    best_n: &'static str,
    worst_n: &'static str,
    regions: &'static str,
    map: &'static str,
    map_title: &'static str,
    map_caption: &'static str,
    no_index: &'static str,
    focus: &'static str,
    summary: &'static str,
    dust_removed: &'static str,
    dust_none: &'static str,
    rounding_hj663: &'static str,
    rounding_none: &'static str,
    focus_rank: &'static str,
    focus_unranked: &'static str,
    costs: &'static str,
    sub_index: &'static str,
    places: &'static str,
    next_up: &'static str,
    first_place: &'static str,
    reduction: &'static str,
    method: &'static str,
}

const ZH: Labels = Labels {
    title: "重点城市环境空气质量排名",
    city: "城市",
    province: "省份",
    region: "区域",
    cities: "城市数",
    ranked: "参与排名",
    mean_index: "平均综合指数",
    best_n: "前20名",
    worst_n: "后20名",
    regions: "重点区域",
    map: "城市分布图",
    map_title: "重点城市综合指数",
    map_caption: "各城市位于其评价点位经纬度的均值处，按当月综合指数五分位着色",
    no_index: "无综合指数",
    focus: "关注城市",
    summary: "{period}，{list}个城市中{n}个参与排名。综合指数最低（最好）的是{best}（{best_index}），最高（最差）的是{worst}（{worst_index}）。",
    dust_removed: "已按沙尘名单扣除{n}个城市日的PM10和PM2.5（扣沙）。",
    dust_none: "未提供沙尘名单：PM10和PM2.5按实测计算（未扣沙），与生态环境部扣沙后的排名可能不同。",
    rounding_hj663: "日均值和评价浓度按HJ 663修约（GB/T 8170）。",
    rounding_none: "日均值和评价浓度未修约（分析用）。",
    focus_rank: "{city}排第{rank}名（共{n}个），综合指数{index}。",
    focus_unranked: "{city}本期无综合指数，不参与排名。",
    costs: "污染物",
    sub_index: "分指数",
    places: "拖累名次",
    next_up: "距前一名{above}还差综合指数{gap}，相当于下列任一项的评价浓度下降：",
    first_place: "已位列第一。",
    reduction: "需下降的评价浓度",
    method: "说明：城市评价值为其国控评价点（不含对照点）日均值的均值；综合指数与排名方法同HJ 663，数值相同者并列。拖累名次：该污染物分指数若降至参与排名城市的中位数，名次可上升的位数。区域为各城市值的简单平均。",
};

const EN: Labels = Labels {
    title: "Key Cities' Air Quality Ranking",
    city: "City",
    province: "Province",
    region: "Region group",
    cities: "Cities",
    ranked: "Ranked",
    mean_index: "Mean index",
    best_n: "Best 20",
    worst_n: "Worst 20",
    regions: "Region groups",
    map: "Map of the cities",
    map_title: "Key cities by composite index",
    map_caption: "Each city at the mean longitude and latitude of its assessment stations, coloured by the month's quintiles of the composite index",
    no_index: "no index",
    focus: "The chosen city",
    summary: "{period}: {n} of the list's {list} cities ranked. The lowest (best) composite index is {best}'s ({best_index}), the highest (worst) {worst}'s ({worst_index}).",
    dust_removed: "PM10 and PM2.5 of {n} dust-affected city-days were removed (dust list given).",
    dust_none: "No dust list given: PM10 and PM2.5 as measured (dust not removed); the ministry's ranking, which removes dust days, may differ.",
    rounding_hj663: "Daily values and period concentrations rounded as HJ 663 prescribes (GB/T 8170).",
    rounding_none: "Daily values and period concentrations unrounded (analysis).",
    focus_rank: "{city} ranks {rank} of {n}, composite index {index}.",
    focus_unranked: "{city} has no composite index this period and is not ranked.",
    costs: "Pollutant",
    sub_index: "Sub-index",
    places: "Places it costs",
    next_up: "To pass {above}, the next rank up, the composite index must fall by {gap}: any one of these reductions of the period concentration would do:",
    first_place: "First place.",
    reduction: "Reduction needed",
    method: "Notes: a city's value is the mean of its national assessment stations' daily values (background sites excluded); the index and ranks follow HJ 663, equal values sharing a rank. Places a pollutant costs: how many places the city would rise were that sub-index at the ranked cities' median. Region groups are simple means of their cities.",
};

fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

fn unit(p: Pollutant) -> &'static str {
    if p == Pollutant::Co {
        "mg/m³"
    } else {
        "µg/m³"
    }
}

/// Writes the national ranking report (HTML, CSV, the map's PNG) and updates the index page.
pub(super) fn write(f: &NationalFigures, cfg: &ReportConfig) -> Result<ReportFiles, ReportError> {
    let lang = cfg.lang;
    let (t, l) = (lang.text(), labels(lang));
    let rows = &f.cities.ranking.rows;
    let target = Target::new(cfg, f.stem())?;
    let period = period_text(f.cities.ranking.period, lang);
    let title = format!("{} {period}", l.title);
    let sort = f.cities.ranking.period.range()?.last.to_string();
    let period_code = f.cities.ranking.period.to_string();
    let mut h = Html::document(
        lang,
        &title,
        &[
            ("lantian:kind", "national"),
            ("lantian:period", &period_code),
            ("lantian:sort", &sort),
        ],
    );
    let list = &f.cities.list;
    let origin = if list.origin == "168" {
        lang.pick("168个重点城市", "the 168 key cities").to_string()
    } else {
        list.origin.clone()
    };
    h.masthead(
        l.title,
        &period,
        &format!("{}{}", lang.pick("城市名单：", "City list: "), origin),
        &format!(
            "{}{}",
            lang.pick("同比：", "Compared with: "),
            period_text(f.cities.ranking.previous, lang)
        ),
    );
    let focus_row = f.focus.as_ref().map(|(row, _)| *row);
    let name = |i: usize| rows[i].id.clone();
    let ranked = f.ranked();

    // Summary, with how dust and rounding were handled.
    h.section(
        "summary",
        t.summary.trim_start_matches(['一', '、', '1', '.', ' ']),
    );
    h.open("div", &[("class", "summary")]);
    if let (Some(&best), Some(&worst)) = (ranked.first(), ranked.last()) {
        h.p(&fill(
            l.summary,
            &[
                ("period", &period),
                ("list", &list.cities.len().to_string()),
                ("n", &ranked.len().to_string()),
                ("best", &name(best)),
                ("best_index", &fixed(rows[best].stats.total(), 2)),
                ("worst", &name(worst)),
                ("worst_index", &fixed(rows[worst].stats.total(), 2)),
            ],
        ));
    } else {
        h.p(&fill(lang.prose().ranking_no_data, &[("period", &period)]));
    }
    let dust = match f.cities.dust_removed {
        Some(n) => fill(l.dust_removed, &[("n", &n.to_string())]),
        None => l.dust_none.to_string(),
    };
    h.element("p", &[("id", "dust")], &dust);
    h.p(match f.rounding {
        Rounding::Hj663 => l.rounding_hj663,
        Rounding::Unrounded => l.rounding_none,
    });
    h.close("div");
    let csv_name = format!("{}.csv", target.stem);
    h.open("p", &[("class", "note")]);
    h.element("a", &[("href", &csv_name)], t.csv_link);
    h.close("p");
    h.end_section();

    // The chosen city.
    if let Some((row, focus)) = &f.focus {
        h.section(
            "focus",
            &format!("{}：{}", l.focus, name(*row)).replace('：', lang.pick("：", ": ")),
        );
        match focus {
            None => h.p(&fill(l.focus_unranked, &[("city", &name(*row))])),
            Some(fc) => {
                h.p(&fill(
                    l.focus_rank,
                    &[
                        ("city", &name(*row)),
                        ("rank", &fc.rank.to_string()),
                        ("n", &ranked.len().to_string()),
                        ("index", &fixed(rows[*row].stats.total(), 2)),
                    ],
                ));
                let mut costs = Table::new(&[l.costs, l.sub_index, l.places]);
                for (p, n) in &fc.places {
                    costs.push(vec![
                        Cell::text(lang.pollutant(*p)),
                        Cell::num(fixed(rows[*row].stats.index.map(|i| i.of(*p)), 2)),
                        Cell::num(n.to_string()),
                    ]);
                }
                h.table(&costs);
                match &fc.next_up {
                    None => h.p(l.first_place),
                    Some((above, gap)) => {
                        h.p(&fill(
                            l.next_up,
                            &[("above", above), ("gap", &fixed(Some(-gap), 2))],
                        ));
                        let mut gaps = Table::new(&[l.costs, l.reduction]);
                        for (p, v) in &fc.gap_in {
                            gaps.push(vec![
                                Cell::text(lang.pollutant(*p)),
                                Cell::num(format!("{} {}", fixed(Some(*v), 2), unit(*p))),
                            ]);
                        }
                        h.table(&gaps);
                    }
                }
            }
        }
        h.end_section();
    }

    // The table of all cities.
    h.section("index", t.index_table);
    let mut head: Vec<&str> = vec![t.rank, l.city, l.province, l.region];
    head.extend(Pollutant::ALL.map(Pollutant::label));
    head.extend([
        t.comprehensive_index,
        t.valid_days,
        t.good_share,
        t.last_year,
        t.change,
    ]);
    let mut table = Table::new(&head);
    for (i, row) in rows.iter().enumerate() {
        let s = &row.stats;
        let city = list.get(&row.id);
        let mut cells = vec![
            Cell::rank(row.rank),
            Cell::text(&row.id),
            Cell::text(city.map_or("", |c| c.province.as_str())),
            Cell::text(city.map_or("", |c| c.region.as_str())),
        ];
        for p in Pollutant::ALL {
            cells.push(Cell::num(fixed(s.index.map(|x| x.of(p)), 2)));
        }
        let change = row.change();
        let mut valid = Cell::num(format!("{}/{}", s.fewest_valid_days(), s.min_valid_days));
        if !s.all_sufficient() {
            valid.title = Some(t.insufficient.to_string());
            valid.text.push('*');
        }
        cells.extend([
            Cell::num(fixed(s.total(), 2)),
            valid,
            Cell::num(percent(s.good_share())),
            Cell::num(fixed(row.previous_total(), 2)),
            Cell::num(signed(change.map(|c| c.difference), 2)).class(match change {
                Some(c) if c.difference < 0.0 => "good",
                Some(c) if c.difference > 0.0 => "bad",
                _ => "num",
            }),
        ]);
        if Some(i) == focus_row {
            for c in &mut cells {
                c.style = Some(FOCUS_STYLE.to_string());
            }
        }
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

    // The best and the worst 20.
    h.section("ends", t.best_worst);
    let n = ranked.len().min(ENDS);
    let mut ends = Table::new(&[
        l.best_n,
        t.comprehensive_index,
        l.worst_n,
        t.comprehensive_index,
    ]);
    for j in 0..n {
        let (b, w) = (ranked[j], ranked[ranked.len() - 1 - j]);
        let label = |i: usize| format!("{}. {}", rows[i].rank.unwrap_or(0), rows[i].id);
        let mark = |c: Cell, i: usize| {
            if Some(i) == focus_row {
                Cell {
                    style: Some(FOCUS_STYLE.to_string()),
                    ..c
                }
            } else {
                c
            }
        };
        ends.push(vec![
            mark(Cell::text(label(b)).class("good"), b),
            mark(Cell::num(fixed(rows[b].stats.total(), 2)), b),
            mark(Cell::text(label(w)).class("bad"), w),
            mark(Cell::num(fixed(rows[w].stats.total(), 2)), w),
        ]);
    }
    h.table_or(&ends, t.none_found);
    h.end_section();

    // The map.
    h.section("map", l.map);
    let mut images = Vec::new();
    let named: Vec<usize> = ranked
        .iter()
        .take(3)
        .chain(ranked.iter().rev().take(3))
        .copied()
        .collect();
    let points: Vec<CityPoint> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let (lon, lat) = f.positions[i]?;
            Some(CityPoint {
                // The PNG (English) has no CJK glyphs: it names a city by its rank.
                name: Bi::new(&r.id, r.rank.map_or("—".to_string(), |k| format!("#{k}"))),
                lon,
                lat,
                index: r.stats.total(),
                labelled: named.contains(&i) || Some(i) == focus_row,
                focus: Some(i) == focus_row,
            })
        })
        .collect();
    if points.is_empty() {
        h.placeholder(lang.pick("城市无坐标。", "No city has coordinates."));
    } else {
        let map = CityMap {
            title: Bi::new(
                format!(
                    "{} {}",
                    ZH.map_title,
                    period_text(f.cities.ranking.period, Lang::Zh)
                ),
                format!(
                    "{} {}",
                    EN.map_title,
                    period_text(f.cities.ranking.period, Lang::En)
                ),
            ),
            points,
            no_data: Bi::new(ZH.no_index, EN.no_index),
        };
        images.push(target.figure(&mut h, &map, lang, l.map_caption)?);
    }
    h.end_section();

    // Region groups.
    h.section("regions", l.regions);
    let mut head: Vec<String> = [l.region, l.cities, l.ranked, l.mean_index]
        .map(String::from)
        .to_vec();
    head.extend(Pollutant::ALL.map(|p| format!("{} ({})", lang.pollutant(p), unit(p))));
    head.extend([t.good_share, t.best, t.worst, l.best_n, l.worst_n].map(String::from));
    let mut regions = Table::new(&head);
    for g in &f.regions {
        let city = |i: Option<usize>| {
            i.map(|i| format!("{}. {}", rows[i].rank.unwrap_or(0), rows[i].id))
                .unwrap_or_else(|| "—".to_string())
        };
        let mut cells = vec![
            Cell::text(&g.region),
            Cell::num(g.cities.to_string()),
            Cell::num(g.ranked.to_string()),
            Cell::num(fixed(g.mean_index, 2)),
        ];
        cells.extend(Pollutant::ALL.map(|p| Cell::num(concentration(p, g.concentrations[p]))));
        cells.extend([
            Cell::num(percent(g.good_share)),
            Cell::text(city(g.best)).class("good"),
            Cell::text(city(g.worst)).class("bad"),
            Cell::num(g.in_best.to_string()),
            Cell::num(g.in_worst.to_string()),
        ]);
        regions.push(cells);
    }
    h.table_or(&regions, t.none_found);
    h.end_section();

    h.open("footer", &[]);
    h.p(l.method);
    h.p(t.ranking_method);
    h.p(t.generated);
    h.close("footer");

    write_with_csv(
        ReportKind::National,
        target,
        h,
        &csv_name,
        f.csv(),
        images,
        cfg,
    )
}

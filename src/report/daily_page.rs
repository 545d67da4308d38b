//! The daily report's page: [`DailyFigures`] → HTML + PNG charts.

use chrono::Utc;

use super::charts::{AqiCurve, MapPoint, StationMap};
use super::daily::{Counted, DailyFigures, GroupDay, value_of};
use super::figures::{concentration, fixed, percent, signed};
use super::html::{Cell, Html, Table, category_style};
use super::i18n::{Words, fill, label};
use super::{ReportConfig, ReportError, ReportFiles, ReportKind, Target, index_page, write_file};
use crate::aqi::{Category, Pollutant as Term};
use crate::assess::Pollutant;
use crate::lang::{Bi, Lang};

fn category_cell(lang: Lang, aqi: Option<u32>) -> Cell {
    match aqi {
        Some(a) => {
            let c = Category::from_aqi(a);
            Cell::category(lang.category(c), c)
        }
        None => Cell::centre(lang.text().no_data),
    }
}

/// Which stations made the area figures ([`Prose::counted`](super::i18n::Prose::counted)).
pub(super) fn counted_sentence(c: &Counted, lang: Lang) -> String {
    fill(
        lang.prose().counted,
        &[
            ("n", &c.assessment.to_string()),
            ("micro", &c.micro.to_string()),
            ("background", &c.background.to_string()),
        ],
    )
}

/// The summary paragraph a leader reads in a minute.
fn summary(f: &DailyFigures, lang: Lang) -> String {
    let p = lang.prose();
    let date = lang.date(f.date);
    let mut s = match f.network.aqi {
        Some(a) => {
            let primary = if f.network.primary.is_empty() {
                p.daily_no_primary.to_string()
            } else {
                fill(
                    p.daily_primary,
                    &[("terms", &lang.terms(&f.network.primary))],
                )
            };
            let c = Category::from_aqi(a);
            fill(
                p.daily_network,
                &[
                    ("date", &date),
                    ("category", lang.category(c)),
                    ("level", c.roman()),
                    ("aqi", &a.to_string()),
                    ("primary", &primary),
                ],
            )
        }
        None => fill(p.daily_no_network, &[("date", &date)]),
    };
    let counts: Vec<String> = Category::ALL
        .iter()
        .map(|c| (c, f.category_counts[usize::from(c.level() - 1)]))
        .filter(|&(_, k)| k > 0)
        .map(|(c, k)| {
            fill(
                p.daily_category_count,
                &[("category", lang.category(*c)), ("n", &k.to_string())],
            )
        })
        .collect();
    if !counts.is_empty() {
        let no_data = if f.no_aqi > 0 {
            fill(p.daily_no_data, &[("n", &f.no_aqi.to_string())])
        } else {
            String::new()
        };
        s += &fill(
            p.daily_categories,
            &[
                ("n", &f.counted.assessment.to_string()),
                ("counts", &counts.join(p.list)),
                ("no_data", &no_data),
            ],
        );
    }
    if f.counted.any_left_out() {
        s += &counted_sentence(&f.counted, lang);
    }
    let best = f.districts.first().filter(|d| d.aqi.is_some());
    let worst = f.districts.iter().rev().find(|d| d.aqi.is_some());
    if let (Some(b), Some(w)) = (best, worst)
        && b.name != w.name
    {
        s += &fill(
            p.daily_towns,
            &[
                ("best", &b.name),
                ("best_aqi", &b.aqi.unwrap_or(0).to_string()),
                ("worst", &w.name),
                ("worst_aqi", &w.aqi.unwrap_or(0).to_string()),
            ],
        );
    }
    let ytd = &f.ytd;
    if let Some(share) = ytd.stats.good_share() {
        let previous = ytd.previous.as_ref().and_then(|prev| prev.good_share());
        let change = previous.map_or(String::new(), |b| {
            p.daily_good_share_change.fill((share - b) * 100.0, 1)
        });
        s += &fill(
            p.daily_good_share,
            &[("share", &percent(Some(share))), ("change", &change)],
        );
    }
    if let Some(i) = ytd.stats.total() {
        let change = ytd.change().map_or(String::new(), |c| {
            p.daily_index_change.fill(c.difference, 2)
        });
        s += &fill(
            p.daily_index,
            &[("index", &fixed(Some(i), 2)), ("change", &change)],
        );
    }
    s.trim_end().to_string()
}

fn kpis(h: &mut Html, f: &DailyFigures, lang: Lang) {
    let t = lang.text();
    h.open("div", &[("class", "kpis")]);
    let kpi = |h: &mut Html, value: &str, label: &str, style: Option<String>| {
        let style = style.unwrap_or_default();
        h.open("div", &[("class", "kpi"), ("style", &style)]);
        let class = if value.chars().count() > 6 {
            "v t"
        } else {
            "v"
        };
        h.element("div", &[("class", class)], value);
        h.element("div", &[("class", "k")], label);
        h.close("div");
    };
    let (aqi, style, cat) = match f.network.aqi {
        Some(a) => {
            let c = Category::from_aqi(a);
            (
                a.to_string(),
                Some(category_style(c)),
                lang.category(c).to_string(),
            )
        }
        None => ("—".into(), None, t.no_data.to_string()),
    };
    kpi(h, &aqi, t.network_aqi, style);
    kpi(h, &cat, t.category, None);
    kpi(
        h,
        &lang.terms(&f.network.primary),
        t.primary_pollutant,
        None,
    );
    kpi(
        h,
        &format!("{}/{}", f.completeness.reporting, f.completeness.stations),
        t.reporting,
        None,
    );
    kpi(h, &percent(f.ytd.stats.good_share()), t.good_share, None);
    h.close("div");
}

fn overview_table(f: &DailyFigures, lang: Lang) -> Table {
    let t = lang.text();
    let mut table = Table::new(&[t.pollutant, t.concentration, t.iaqi]);
    for (term, &iaqi) in &f.network.iaqi {
        let decimals = if term == Term::Co { 1 } else { 0 };
        table.push(vec![
            Cell::text(lang.term(term)),
            Cell::num(fixed(f.network.values.get(term), decimals)),
            Cell::aqi(iaqi),
        ]);
    }
    table.caption = Some(t.unit_note.to_string());
    table
}

fn group_table(groups: &[GroupDay], lang: Lang) -> Table {
    let t = lang.text();
    let mut table = Table::new(&[
        t.rank,
        t.town,
        t.n_stations,
        t.aqi,
        t.category,
        t.primary_pollutant,
        "PM2.5",
        "PM10",
        "O3-8h",
    ]);
    for g in groups {
        table.push(vec![
            Cell::rank(g.rank),
            Cell::text(&g.name),
            Cell::num(g.stations.to_string()),
            Cell::aqi(g.aqi),
            category_cell(lang, g.aqi),
            Cell::text(lang.terms(&g.primary)),
            Cell::num(concentration(Pollutant::Pm25, g.values.pm25)),
            Cell::num(concentration(Pollutant::Pm10, g.values.pm10)),
            Cell::num(concentration(Pollutant::O3, g.values.o3_8h_max)),
        ]);
    }
    table.caption = Some(t.unit_note.to_string());
    table
}

/// Writes the daily report (HTML, two PNG charts) and updates the index page.
pub(super) fn write(
    f: &DailyFigures,
    network_name: &str,
    cfg: &ReportConfig,
) -> Result<ReportFiles, ReportError> {
    let lang = cfg.lang;
    let t = lang.text();
    let target = Target::new(cfg, format!("daily-{}", f.date))?;
    let mut images = Vec::new();

    let title = format!("{} {}", network_name, t.daily_title);
    let date = f.date.to_string();
    let mut h = Html::document(
        lang,
        &title,
        &[
            ("lantian:kind", "daily"),
            ("lantian:period", &date),
            ("lantian:sort", &date),
        ],
    );
    let issued = Utc::now().with_timezone(&f.tz).format("%Y-%m-%d %H:%M");
    h.masthead(
        network_name,
        t.daily_title,
        &lang.date(f.date),
        &format!("{}：{issued}", t.issued).replace("：", lang.pick("：", ": ")),
    );

    h.section("summary", t.summary);
    kpis(&mut h, f, lang);
    h.open("div", &[("class", "summary")]);
    h.p(&summary(f, lang));
    h.close("div");
    h.end_section();

    h.section("overview", t.overview);
    h.table(&overview_table(f, lang));
    h.end_section();

    h.section("categories", t.categories);
    let mut cats = Table::new(&[t.level, t.category, t.aqi_range, t.n_stations, t.share]);
    let n = f.stations.len().max(1);
    for c in Category::ALL {
        let k = f.category_counts[usize::from(c.level() - 1)];
        let (lo, hi) = c.aqi_range();
        let range = if hi == u32::MAX {
            format!("> {}", lo - 1)
        } else {
            format!("{lo}–{hi}")
        };
        cats.push(vec![
            Cell::centre(c.roman()),
            Cell::category(lang.category(c), c),
            Cell::centre(range),
            Cell::num(k.to_string()),
            Cell::num(percent(Some(k as f64 / n as f64))),
        ]);
    }
    cats.push(vec![
        Cell::centre("—"),
        Cell::centre(t.no_data),
        Cell::centre("—"),
        Cell::num(f.no_aqi.to_string()),
        Cell::num(percent(Some(f.no_aqi as f64 / n as f64))),
    ]);
    h.table(&cats);
    h.end_section();

    h.section("primary", t.primary);
    h.p(&format!(
        "{}：{}",
        lang.pick("全市首要污染物", "Network primary pollutant"),
        lang.terms(&f.network.primary)
    )
    .replace("：", lang.pick("：", ": ")));
    let mut prim = Table::new(&[t.primary_pollutant, t.n_stations]);
    for (term, k) in &f.primary_counts {
        prim.push(vec![Cell::text(lang.term(*term)), Cell::num(k.to_string())]);
    }
    if f.primary_counts.is_empty() {
        h.p(lang.pick(
            "各站点均无首要污染物（AQI不超过50）。",
            "No station had a primary pollutant (AQI at most 50).",
        ));
    } else {
        h.table(&prim);
    }
    h.end_section();

    h.section("towns", t.towns);
    h.table(&group_table(&f.districts, lang));
    h.end_section();

    h.section("stations", t.stations);
    let mut st = Table::new(&[
        t.rank,
        t.station,
        t.town,
        t.aqi,
        t.category,
        t.primary_pollutant,
        "PM2.5",
        "PM10",
        "O3-8h",
        "NO2",
        "SO2",
        "CO",
    ]);
    for s in &f.stations {
        let name = lang.pick(&s.info.name, &s.info.name_en);
        let mut row = vec![
            Cell::rank(s.rank),
            Cell::text(name),
            Cell::text(&s.info.district),
            Cell::aqi(s.aqi),
            category_cell(lang, s.aqi),
            Cell::text(lang.terms(&s.primary)),
        ];
        for p in [
            Pollutant::Pm25,
            Pollutant::Pm10,
            Pollutant::O3,
            Pollutant::No2,
            Pollutant::So2,
            Pollutant::Co,
        ] {
            row.push(Cell::num(concentration(p, value_of(&s.values, p))));
        }
        st.push(row);
    }
    st.caption = Some(t.unit_note.to_string());
    h.table(&st);
    h.end_section();

    h.section("ytd", t.ytd);
    let ytd = &f.ytd;
    let prev = ytd.previous.as_ref();
    let mut y = Table::new(&[t.indicator, t.this_year, t.last_year, t.change]);
    let share = ytd.stats.good_share();
    let prev_share = prev.and_then(|p| p.good_share());
    y.push(vec![
        Cell::text(t.good_share),
        Cell::num(percent(share)),
        Cell::num(percent(prev_share)),
        Cell::num(
            signed(share.zip(prev_share).map(|(a, b)| (a - b) * 100.0), 1)
                + lang.pick("个百分点", " pp"),
        ),
    ]);
    let days = |s: &crate::assess::PeriodStats| format!("{}/{}", s.aqi.good, s.aqi.valid);
    y.push(vec![
        Cell::text(t.good_days),
        Cell::num(days(&ytd.stats)),
        Cell::num(prev.map(days).unwrap_or_else(|| "—".into())),
        Cell::num("—"),
    ]);
    y.push(vec![
        Cell::text(t.comprehensive_index),
        Cell::num(fixed(ytd.stats.total(), 2)),
        Cell::num(fixed(ytd.previous_total(), 2)),
        Cell::num(signed(ytd.change().map(|c| c.difference), 2)),
    ]);
    let pm25 = |s: &crate::assess::PeriodStats| s.concentrations[Pollutant::Pm25];
    y.push(vec![
        Cell::text(lang.pick("PM2.5 平均浓度（微克/立方米）", "PM2.5 mean (µg/m³)")),
        Cell::num(fixed(pm25(&ytd.stats), 0)),
        Cell::num(fixed(prev.and_then(pm25), 0)),
        Cell::num(signed(
            pm25(&ytd.stats)
                .zip(prev.and_then(pm25))
                .map(|(a, b)| a - b),
            0,
        )),
    ]);
    y.caption = Some(format!(
        "{} {} – {}",
        t.period, ytd.stats.range.first, ytd.stats.range.last
    ));
    h.table(&y);
    h.end_section();

    h.section("curve", t.curve);
    let curve = AqiCurve {
        title: Bi::new(
            format!("{} {}", ZH_CURVE, f.date),
            format!("{} {}", EN_CURVE, f.date),
        ),
        network: f.hourly,
        range: f.hourly_range,
        legend: [label(|t| t.network_curve), label(|t| t.station_range)],
        axes: [label(|t| t.hour_axis), label(|t| t.aqi)],
    };
    images.push(target.figure(&mut h, &curve, lang, t.curve_title)?);
    h.end_section();

    h.section("map", t.map);
    let map = StationMap {
        title: Bi::new(
            format!("{} {}", super::i18n::ZH.map_title, f.date),
            format!("{} {}", super::i18n::EN.map_title, f.date),
        ),
        points: f
            .stations
            .iter()
            .filter_map(|s| {
                Some(MapPoint {
                    name: Bi::new(&s.info.name, &s.info.name_en),
                    lon: s.info.lon?,
                    lat: s.info.lat?,
                    aqi: s.aqi,
                })
            })
            .collect(),
        no_data: label(|t| t.no_data),
    };
    if map.points.is_empty() {
        h.placeholder(lang.pick("站点无经纬度信息。", "No station has coordinates."));
    } else {
        images.push(target.figure(&mut h, &map, lang, t.map_title)?);
    }
    h.end_section();

    h.section("events", t.events);
    let infos: Vec<&crate::store::StationInfo> = f.stations.iter().map(|s| &s.info).collect();
    super::events::write(&mut h, &f.events, &infos, f.date, f.tz, lang);
    h.end_section();

    h.section("alarms", t.alarms_section);
    let station = |id: &crate::store::StationId| {
        infos.iter().find(|s| s.id == **id).map_or_else(
            || id.to_string(),
            |s| lang.pick(&s.name, &s.name_en).to_string(),
        )
    };
    super::day_alarms::AlarmWriter {
        lang,
        tz: f.tz,
        day_start: crate::assess::local_midnight(f.date, f.tz),
        station: &station,
    }
    .daily(&mut h, &f.alarms);
    h.end_section();

    h.section("forecast", t.forecast);
    super::daily_forecast::render(&mut h, &f.forecast, f.tz, lang);
    h.end_section();

    h.section("completeness", t.completeness);
    let c = &f.completeness;
    h.p(&fill(
        lang.prose().daily_completeness,
        &[
            ("stations", &c.stations.to_string()),
            ("reporting", &c.reporting.to_string()),
            ("complete", &c.complete.to_string()),
            ("capture", &percent(c.share())),
            ("hours", &c.hours.to_string()),
            ("expected", &c.expected.to_string()),
        ],
    ));
    let mut head = vec![t.station];
    head.extend(Pollutant::ALL.map(Pollutant::label));
    let mut inc = Table::new(&head);
    for s in f
        .stations
        .iter()
        .filter(|s| s.valid_hours.values().any(|&n| n < 20))
    {
        let mut row = vec![Cell::text(lang.pick(&s.info.name, &s.info.name_en))];
        for &n in s.valid_hours.values() {
            row.push(Cell::num(n.to_string()).class(if n < 20 { "bad" } else { "num" }));
        }
        inc.push(row);
    }
    if !inc.rows.is_empty() {
        inc.caption = Some(
            lang.pick(
                "有效小时数不足20的站点",
                "Stations with fewer than 20 valid hours",
            )
            .to_string(),
        );
        h.table(&inc);
    }
    h.end_section();

    h.open("footer", &[]);
    h.p(t.daily_method);
    h.p(t.generated);
    h.close("footer");

    write_file(&target.html, h.finish().as_bytes())?;
    let index = index_page::update(&cfg.out_dir, lang)?;
    Ok(ReportFiles {
        kind: ReportKind::Daily,
        html: target.html,
        csv: None,
        images,
        index,
    })
}

const ZH_CURVE: &str = "全市逐时AQI";
const EN_CURVE: &str = "Network hourly AQI";

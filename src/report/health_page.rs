//! The device-health report's page: [`HealthFindings`] → HTML.

use chrono::{DateTime, Utc};

use super::figures::percent;
use super::health::{CheckKind, HealthFindings, Reason};
use super::health_charts::health_charts;
use super::html::{Cell, Html, Table};
use super::i18n::{Words, fill};
use super::{ReportConfig, ReportError, ReportFiles, ReportKind, Target, index_page, write_file};
use crate::lang::Lang;
use crate::quality::Flag;

pub(crate) fn flag_name(lang: Lang, f: Flag) -> &'static str {
    match f {
        Flag::Normal => lang.pick("正常", "normal"),
        Flag::Stopped => lang.pick("停运", "stopped"),
        Flag::Maintenance => lang.pick("维护", "maintenance"),
        Flag::Manual => lang.pick("手工输入", "manual"),
        Flag::Fault => lang.pick("故障/报警", "fault/alarm"),
        Flag::Calibration => lang.pick("校准", "calibration"),
        Flag::OverRange => lang.pick("超量程", "out of range"),
        Flag::CommError => lang.pick("通信异常", "communication error"),
    }
}

fn check_name(lang: Lang, k: CheckKind) -> &'static str {
    match k {
        CheckKind::Stuck => lang.pick("恒值", "stuck value"),
        CheckKind::OutOfRange => lang.pick("超量程", "out of range"),
        CheckKind::Pm25AbovePm10 => lang.pick("PM2.5大于PM10", "PM2.5 above PM10"),
        CheckKind::No2AboveNox => lang.pick("NO2大于NOx", "NO2 above NOx"),
    }
}

pub(crate) fn reason(lang: Lang, r: &Reason) -> String {
    match r {
        Reason::Offline => lang.pick("当前离线", "offline now").to_string(),
        Reason::FailedPolls(ratio) => format!(
            "{} {}",
            lang.pick("采集成功率", "poll success"),
            percent(Some(*ratio))
        ),
        Reason::LowCapture(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|(p, h)| format!("{} {h}h", p.code()))
                .collect();
            format!(
                "{}：{}",
                lang.pick("有效小时不足20", "fewer than 20 valid hours"),
                items.join(", ")
            )
            .replace("：", lang.pick("：", ": "))
        }
        Reason::Fault(m) => format!("{} {m} min", lang.pick("故障/报警", "fault/alarm")),
        Reason::Status(bits) => {
            format!("{} {}", lang.pick("状态位", "status bits"), bits.join(", "))
        }
        Reason::Check(kind, p, n) => format!("{} {} ({n})", check_name(lang, *kind), p.code()),
    }
}

/// Writes the device-health report (HTML) and updates the index page.
pub(super) fn write(
    f: &HealthFindings,
    network_name: &str,
    cfg: &ReportConfig,
) -> Result<ReportFiles, ReportError> {
    let lang = cfg.lang;
    let t = lang.text();
    let target = Target::new(cfg, format!("health-{}", f.date))?;
    let date = f.date.to_string();
    let title = format!("{network_name} {}", t.health_title);
    let mut h = Html::document(
        lang,
        &title,
        &[
            ("lantian:kind", "health"),
            ("lantian:period", &date),
            ("lantian:sort", &date),
        ],
    );
    let issued = Utc::now().with_timezone(&f.tz).format("%Y-%m-%d %H:%M");
    h.masthead(
        network_name,
        t.health_title,
        &lang.date(f.date),
        &format!("{}{}{issued}", t.issued, lang.pick("：", ": ")),
    );
    let time = |d: DateTime<Utc>| d.with_timezone(&f.tz).format("%H:%M").to_string();
    let station = |id: &str| match (f.names.get(id), lang) {
        (Some((zh, _)), Lang::Zh) => zh.clone(),
        (Some((_, en)), Lang::En) => en.clone(),
        (None, _) => id.to_string(),
    };

    // Summary.
    let to_visit: Vec<_> = f.devices.iter().filter(|d| d.score > 0).collect();
    let offline = f
        .devices
        .iter()
        .filter(|d| d.health.as_ref().is_some_and(|h| !h.online && h.polls > 0))
        .count();
    let low = f.captures.iter().filter(|c| !c.meets).count();
    h.section(
        "summary",
        t.summary.trim_start_matches(['一', '、', '1', '.', ' ']),
    );
    h.open("div", &[("class", "summary")]);
    h.p(&fill(
        lang.prose().health_summary,
        &[
            ("date", &lang.date(f.date)),
            ("devices", &f.devices.len().to_string()),
            ("offline", &offline.to_string()),
            ("low", &low.to_string()),
            ("periods", &f.periods.len().to_string()),
            ("checks", &f.checks.len().to_string()),
            ("visit", &to_visit.len().to_string()),
        ],
    ));
    h.close("div");
    h.end_section();

    h.section("visit", t.visit_first);
    let mut v = Table::new(&[t.rank, t.device, t.station, t.score, t.reasons]);
    for (i, d) in to_visit.iter().enumerate() {
        let reasons: Vec<String> = d.reasons.iter().map(|r| reason(lang, r)).collect();
        v.push(vec![
            Cell::centre((i + 1).to_string()),
            Cell::text(&d.spec.id),
            Cell::text(station(&d.spec.station)),
            Cell::num(d.score.to_string()),
            Cell::text(reasons.join(lang.pick("；", "; "))).class("wrap"),
        ]);
    }
    h.table_or(&v, t.none_found);
    h.end_section();

    let (states, capture) = health_charts(f);
    let mut images = Vec::new();
    h.section("uptime", t.uptime);
    images.push(target.figure(&mut h, &states, lang, t.states_chart)?);
    h.element("p", &[("class", "note")], t.states_note);
    let mut u = Table::new(&[
        t.device,
        t.station,
        lang.pick("当日在线率", "Uptime of the day"),
        t.online,
        t.poll_success,
        t.last_error,
    ]);
    for d in &f.devices {
        let hlt = d.health.as_ref();
        let uptime = Cell::num(percent(d.uptime)).class(match d.uptime {
            Some(x) if x < 0.9 => "bad",
            _ => "num",
        });
        u.push(vec![
            Cell::text(&d.spec.id),
            Cell::text(station(&d.spec.station)),
            uptime,
            Cell::centre(match hlt {
                Some(h) if h.online => t.yes,
                Some(_) => t.no,
                None => "—",
            }),
            Cell::num(
                hlt.map(|h| percent(Some(h.success_ratio())))
                    .unwrap_or_else(|| "—".into()),
            ),
            Cell::text(hlt.and_then(|h| h.last_error.clone()).unwrap_or_default()).class("wrap"),
        ]);
    }
    h.table(&u);
    h.end_section();

    h.section("capture", t.capture_section);
    if !capture.stations.is_empty() {
        images.push(target.figure(&mut h, &capture, lang, t.capture_chart)?);
    }
    let mut c = Table::new(&[
        t.device,
        t.station,
        t.parameter,
        t.valid_hours,
        t.capture,
        t.meets_rule,
        t.flag,
    ]);
    for cap in &f.captures {
        let flags: Vec<String> = cap
            .flagged
            .iter()
            .map(|(k, n)| format!("{k}×{n}"))
            .collect();
        c.push(vec![
            Cell::text(&cap.device),
            Cell::text(station(&cap.station)),
            Cell::text(cap.parameter.code()),
            Cell::num(format!("{}/24", cap.valid_hours)),
            Cell::num(percent(Some(f64::from(cap.valid_hours) / 24.0))),
            Cell::centre(if cap.meets { t.yes } else { t.no }).class(if cap.meets {
                "c"
            } else {
                "bad"
            }),
            Cell::text(flags.join(" ")),
        ]);
    }
    h.table(&c);
    h.end_section();

    h.section("alarms", t.alarms);
    let mut a = Table::new(&[t.device, t.station, t.flag, t.from, t.to, t.duration]);
    for p in &f.periods {
        a.push(vec![
            Cell::text(&p.device),
            Cell::text(station(&p.station)),
            Cell::text(format!("{} {}", p.flag.code(), flag_name(lang, p.flag))),
            Cell::centre(time(p.from)),
            Cell::centre(time(p.to)),
            Cell::num(format!("{} min", p.minutes)),
        ]);
    }
    h.table_or(&a, t.none_found);
    h.end_section();

    h.section("checks", t.checks);
    let mut k = Table::new(&[
        t.check,
        t.station,
        t.parameter,
        t.from,
        t.to,
        t.duration,
        t.detail,
    ]);
    for x in &f.checks {
        let detail = match x.kind {
            CheckKind::Stuck => format!("{} {:.3}", lang.pick("恒值", "value"), x.value),
            CheckKind::OutOfRange => format!("{} {:.1}", lang.pick("末值", "last value"), x.value),
            _ => format!(
                "{} {:.1} µg/m³",
                lang.pick("最大差值", "largest excess"),
                x.value
            ),
        };
        let count = match x.kind {
            CheckKind::Pm25AbovePm10 | CheckKind::No2AboveNox => format!("{} h", x.count),
            _ => format!("{}", x.count),
        };
        k.push(vec![
            Cell::text(check_name(lang, x.kind)),
            Cell::text(station(&x.station)),
            Cell::text(x.parameter.code()),
            Cell::centre(time(x.from)),
            Cell::centre(time(x.to)),
            Cell::num(count),
            Cell::text(detail),
        ]);
    }
    h.table_or(&k, t.none_found);
    h.end_section();

    h.section("device-alarms", t.device_alarms);
    let station_of = |id: &crate::store::StationId| {
        let name = station(id);
        if name == **id {
            name
        } else {
            format!(
                "{name}{}{id}{}",
                lang.pick("（", " ("),
                lang.pick("）", ")")
            )
        }
    };
    let writer = super::day_alarms::AlarmWriter {
        lang,
        tz: f.tz,
        day_start: crate::assess::local_midnight(f.date, f.tz),
        station: &station_of,
    };
    h.table_or(&writer.table(&f.alarms), t.none_found);
    h.end_section();

    h.section("loggers", t.loggers);
    h.table_or(&loggers(f, lang, &station), t.none_found);
    h.end_section();

    h.open("footer", &[]);
    h.p(t.health_method);
    h.p(t.generated);
    h.close("footer");
    write_file(&target.html, h.finish().as_bytes())?;
    let index = index_page::update(&cfg.out_dir, lang)?;
    Ok(ReportFiles {
        kind: ReportKind::Health,
        html: target.html,
        csv: None,
        images,
        index,
    })
}

/// The HJ 212 loggers' health: peer, connected, last packet, packets received and taken, gaps,
/// rejections by cause.
fn loggers(f: &HealthFindings, lang: Lang, station: &dyn Fn(&str) -> String) -> Table {
    let t = lang.text();
    let mut table = Table::new(&[
        t.device,
        t.station,
        t.online,
        t.logger_last_packet,
        t.logger_packets,
        t.logger_gaps,
        t.logger_rejected,
        t.logger_peer,
    ]);
    let when = |at: Option<DateTime<Utc>>| {
        at.map_or_else(
            || "—".to_string(),
            |at| at.with_timezone(&f.tz).format("%m-%d %H:%M").to_string(),
        )
    };
    for d in f.devices.iter().filter(|d| d.spec.hj212) {
        let Some(h) = &d.health else {
            table.push(vec![
                Cell::text(&d.spec.id),
                Cell::text(station(&d.spec.station)),
                Cell::centre("—"),
                Cell::centre("—"),
                Cell::num("—"),
                Cell::num("—"),
                Cell::text(""),
                Cell::text(""),
            ]);
            continue;
        };
        let rejected: Vec<String> = h.rejected.iter().map(|(c, n)| format!("{c} {n}")).collect();
        table.push(vec![
            Cell::text(&d.spec.id),
            Cell::text(station(&d.spec.station)),
            Cell::centre(if h.online { t.yes } else { t.no }),
            Cell::centre(when(h.last_success)),
            Cell::num(format!("{}/{}", h.polls, h.successes)),
            Cell::num(h.skipped.to_string()).class(if h.skipped > 0 { "bad" } else { "num" }),
            Cell::text(rejected.join(", ")).class(if rejected.is_empty() { "c" } else { "bad" }),
            Cell::text(h.peer.clone().unwrap_or_default()),
        ]);
    }
    table
}
